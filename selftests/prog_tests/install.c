// SPDX-License-Identifier: GPL-2.0
/*
 * make install: every file lands under PREFIX/DESTDIR with the installed
 * paths filled in; man pages render from their one source; unit files pass
 * systemd-analyze verify; the SysV script starts, reports and stops; the
 * sysctl drop-in names real keys; completion completes; the Kubernetes
 * manifests and collector configs are valid.
 */
#include <sys/stat.h>
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

static char tmp[] = "/tmp/pinsight-install-XXXXXX";

static int make_install(const char *vars)
{
	/* not the jobserver or flags of a `make test` that runs us */
	return run_cmd(
		NULL,
		"env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C %s OUTPUT=%s %s",
		env_src_dir(), env_output_dir(), vars);
}

static void expect_file(const char *rel, unsigned int mode)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	if (ASSERT_OK(stat(path, &st), rel))
		ASSERT_EQ(st.st_mode & 0777, mode, rel);
}

static const char *const units =
	"pinsight.service pinsight-metrics.socket pinsight-metrics@.service "
	"pinsight-textfile.service pinsight-textfile.timer "
	"pinsight-refresh.service pinsight-refresh.timer "
	"pinsight-spool@.service pinsight-spool@.timer";

static void check_layout(void)
{
	char *out = NULL;
	int err;

	err = make_install(
		"install PREFIX=$T/usr SYSCONFDIR=$T/etc TEXTFILE_DIR=$T/textfile");
	if (!ASSERT_EQ(err, 0, "make install"))
		return;
	expect_file("usr/bin/pinsight", 0755);
	expect_file("usr/sbin/pinsight-load", 0755);
	expect_file("usr/share/man/man8/pinsight.8", 0644);
	expect_file("usr/share/man/man8/pinsight-load.8", 0644);
	expect_file("usr/lib/systemd/system/pinsight.service", 0644);
	expect_file("usr/lib/systemd/system/pinsight-metrics.socket", 0644);
	expect_file("usr/lib/systemd/system/pinsight-metrics@.service", 0644);
	expect_file("usr/lib/systemd/system/pinsight-textfile.timer", 0644);
	expect_file("usr/lib/systemd/system/pinsight-refresh.timer", 0644);
	expect_file("usr/lib/systemd/system/pinsight-spool@.timer", 0644);
	expect_file("etc/init.d/pinsight", 0755);
	expect_file("etc/pinsight/pinsight.conf", 0644);
	expect_file("usr/lib/sysctl.d/99-ebpf.conf", 0644);
	expect_file("usr/share/bash-completion/completions/pinsight", 0644);
	expect_file("usr/share/pinsight/grafana/pinsight.json", 0644);
	expect_file("usr/share/pinsight/kubernetes/pinsight-daemonset.yaml",
		    0644);
	expect_file("usr/share/pinsight/otel/otel-collector.yaml", 0644);

	/* installed paths, not placeholders */
	err = run_cmd(
		&out,
		"grep -h '^Exec' $T/usr/lib/systemd/system/*; grep -rl @ $T/usr/lib/systemd $T/etc/init.d | grep -v @.service");
	ASSERT_HAS_SUBSTR(out, "ExecStart=", "units");
	ASSERT_HAS_SUBSTR(out, "/usr/sbin/pinsight-load --config ",
			  "loader path");
	ASSERT_HAS_SUBSTR(out, "/etc/pinsight/pinsight.conf unload",
			  "ExecStop unloads");
	ASSERT_HAS_SUBSTR(out, "/usr/bin/pinsight metrics --http",
			  "exporter path");
	ASSERT_NULL(strstr(out, "@SBINDIR@"), "placeholders filled");
	free(out);
	out = NULL;

	/* man pages: generated from scripts/man/NAME.scd, never committed */
	err = run_cmd(NULL, "ls %s/scripts/man/ | grep -v '\\.scd$'",
		      env_src_dir());
	ASSERT_NEQ(err, 0, "only sources in scripts/man");
	err = run_cmd(
		&out,
		"MANWIDTH=80 man -l $T/usr/share/man/man8/pinsight.8 $T/usr/share/man/man8/pinsight-load.8 2>&1");
	ASSERT_EQ(err, 0, "man renders");
	ASSERT_HAS_SUBSTR(out, "--textfile FILE.prom", "pinsight(8)");
	ASSERT_HAS_SUBSTR(out, "/etc/pinsight/pinsight.conf",
			  "pinsight-load(8)");
	ASSERT_NULL(strstr(out, "warning"), "no groff warnings");
	free(out);
	out = NULL;

	/* an admin's config survives a reinstall; uninstall keeps it too */
	run_cmd(NULL, "echo '# mine' > $T/etc/pinsight/pinsight.conf");
	make_install(
		"install PREFIX=$T/usr SYSCONFDIR=$T/etc TEXTFILE_DIR=$T/textfile");
	err = make_install("uninstall PREFIX=$T/usr SYSCONFDIR=$T/etc");
	ASSERT_EQ(err, 0, "uninstall");
	run_cmd(&out,
		"cat $T/etc/pinsight/pinsight.conf; find $T -type f | wc -l");
	ASSERT_STREQ(out, "# mine\n1\n", "config kept, the rest removed");
	free(out);
}

static void check_destdir(void)
{
	char *out = NULL;
	int err;

	err = make_install("install DESTDIR=$T/root PREFIX=/usr");
	if (!ASSERT_EQ(err, 0, "make install DESTDIR"))
		return;
	expect_file("root/usr/sbin/pinsight-load", 0755);
	expect_file("root/etc/pinsight/pinsight.conf", 0644);
	expect_file("root/usr/lib/systemd/system/pinsight.service", 0644);
	run_cmd(&out,
		"grep ^ExecStart= $T/root/usr/lib/systemd/system/pinsight.service");
	ASSERT_STREQ(
		out,
		"ExecStart=/usr/sbin/pinsight-load --config /etc/pinsight/pinsight.conf\n",
		"paths without DESTDIR");
	free(out);
}

static void check_units(void)
{
	char *out = NULL;
	int err;

	/* verify runs the ExecStart binaries' checks and looks up man: pages */
	err = run_cmd(
		&out,
		"cd $T/usr/lib/systemd/system && MANPATH=$T/usr/share/man systemd-analyze verify %s 2>&1",
		units);
	ASSERT_EQ(err, 0, "systemd-analyze verify");
	ASSERT_STREQ(out, "", "no warnings either");
	free(out);
	out = NULL;
	run_cmd(&out,
		"cd $T/usr/lib/systemd/system && grep -h -E '^(Type|RemainAfterExit|Accept|ListenStream)=' pinsight.service pinsight-metrics.socket");
	ASSERT_STREQ(
		out,
		"Type=oneshot\nRemainAfterExit=yes\nListenStream=9435\nAccept=yes\n",
		"oneshot that remains; per-connection socket on 9435");
	free(out);
}

static void check_sysv(void)
{
	char comm[16], *out = NULL;
	int err;

	snprintf(comm, sizeof(comm), "sysv-%d", getpid() % 100000);
	run_cmd(NULL,
		"echo 'io@sysv --comm %s' > $T/etc/pinsight/pinsight.conf",
		comm);
	err = run_cmd(NULL, "$T/etc/init.d/pinsight status");
	ASSERT_EQ(err, 3, "LSB: not running");
	err = run_cmd(&out, "$T/etc/init.d/pinsight start");
	ASSERT_EQ(err, 0, "start");
	ASSERT_HAS_SUBSTR(out, "1 of 1 instances loaded", "loads the config");
	free(out);
	out = NULL;
	ASSERT_EQ(run_cmd(NULL, "$T/etc/init.d/pinsight restart"), 0,
		  "restart");
	ASSERT_EQ(run_cmd(NULL, "$T/etc/init.d/pinsight status"), 0,
		  "LSB: running");
	ASSERT_EQ(run_cmd(NULL, "$T/etc/init.d/pinsight stop"), 0, "stop");
	ASSERT_EQ(run_cmd(NULL, "$T/etc/init.d/pinsight status"), 3, "stopped");
	ASSERT_EQ(run_cmd(NULL, "$T/etc/init.d/pinsight bogus"), 2, "usage");
}

/* What systemd would run for pinsight.service, line by line. */
static int unit_exec(const char *key)
{
	return run_cmd(
		NULL,
		"$(sed -n 's/^%s=//p' $T/usr/lib/systemd/system/pinsight.service)",
		key);
}

static void check_service(void)
{
	char comm[16], path[4096];

	snprintf(comm, sizeof(comm), "unit-%d", getpid() % 100000);
	run_cmd(NULL,
		"echo 'io@unit --comm %s' > $T/etc/pinsight/pinsight.conf",
		comm);
	snprintf(path, sizeof(path), "%s/io@unit", pin_root());
	ASSERT_EQ(unit_exec("ExecStart"), 0, "ExecStart");
	ASSERT_OK(access(path, F_OK), "pinned");
	ASSERT_EQ(unit_exec("ExecReload"), 0, "ExecReload");
	ASSERT_OK(access(path, F_OK), "still pinned");
	ASSERT_EQ(unit_exec("ExecStop"), 0, "ExecStop");
	ASSERT_NEQ(access(path, F_OK), 0, "unpinned");
	/* a stop after a failed start has nothing to undo, and says so */
	ASSERT_EQ(unit_exec("ExecStop"), 0, "ExecStop again");
}

static void check_sysctl(void)
{
	char *out = NULL;
	int err;

	/* every key exists on this kernel (sysctl -p would fail otherwise) */
	err = run_cmd(
		&out,
		"sed -n 's/^\\([a-z_.]*\\) = .*/\\1/p' %s/scripts/sysctl/99-ebpf.conf | "
		"while read k; do test -e /proc/sys/$(echo $k | tr . /) || echo missing $k; echo $k; done",
		env_src_dir());
	ASSERT_EQ(err, 0, "read");
	ASSERT_NULL(out ? strstr(out, "missing") : NULL, "keys exist");
	ASSERT_STREQ(
		out,
		"net.core.bpf_jit_enable\nnet.core.bpf_jit_harden\n"
		"kernel.unprivileged_bpf_disabled\nkernel.bpf_stats_enabled\n",
		"the four settings");
	free(out);
	out = NULL;
	run_cmd(&out,
		"grep -c '^kernel.bpf_stats_enabled = 0$' %s/scripts/sysctl/99-ebpf.conf",
		env_src_dir());
	ASSERT_STREQ(out, "1\n", "stats off by default");
	free(out);
}

/* Run a completion function with bash-completion's helpers stubbed. */
static int complete(char **out, const char *words)
{
	return run_cmd(
		out,
		"PATH=$T/usr/bin:$T/usr/sbin:$PATH bash -c '"
		"_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD; }; "
		"_filedir() { :; }; "
		". %s/scripts/completion/pinsight; "
		"COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
		"$(complete -p ${COMP_WORDS[0]} | sed \"s/.*-F \\([^ ]*\\) .*/\\1/\"); "
		"echo \"${COMPREPLY[*]}\"'",
		env_src_dir(), words);
}

static void check_completion(void)
{
	char *out = NULL;

	ASSERT_EQ(complete(&out, "pinsight-load \"\""), 0, "bash");
	ASSERT_HAS_SUBSTR(out, "io", "tools from --help");
	ASSERT_HAS_SUBSTR(out, "unload", "commands");
	ASSERT_HAS_SUBSTR(out, "--config", "--config");
	free(out);
	out = NULL;
	complete(&out, "pinsight-load io --co");
	ASSERT_STREQ(out, "--comm\n", "tool options from TOOL --help");
	free(out);
	out = NULL;
	complete(&out, "pinsight me");
	ASSERT_STREQ(out, "metrics\n", "reader commands");
	free(out);
	out = NULL;
	complete(&out, "pinsight metrics --h");
	ASSERT_HAS_SUBSTR(out, "--http", "command options");
	free(out);
}

static void check_kubernetes(void)
{
	char conf[128], *out = NULL;
	const char *k = "scripts/kubernetes";
	int err;

	snprintf(conf, sizeof(conf), "%s/k8s.conf", tmp);
	err = run_cmd(
		&out,
		"cd %s && /usr/bin/python3 %s/check.py %s/pinsight-daemonset.yaml "
		"%s/prometheus-scrape.yaml scripts/otel/otel-collector.yaml %s",
		env_src_dir(), k, k, k, conf);
	ASSERT_EQ(err, 0, "manifests valid");
	ASSERT_HAS_SUBSTR(out, "3 manifests, 0 problems", "summary");
	free(out);
	err = loader_run(NULL, "--config %s check", conf);
	ASSERT_EQ(err, 0, "the ConfigMap's pinsight.conf");
	err = run_cmd(
		NULL,
		"printf 'kind: DaemonSet\\n  bad: [' > %s/bad.yaml && "
		"/usr/bin/python3 %s/%s/check.py %s/bad.yaml %s/bad.yaml %s/bad.yaml %s",
		tmp, env_src_dir(), k, tmp, tmp, tmp, conf);
	ASSERT_NEQ(err, 0, "invalid YAML fails");
	err = run_cmd(
		NULL,
		"promtool check config %s/scripts/prometheus/prometheus.yml",
		env_src_dir());
	ASSERT_EQ(err, 0, "promtool check config");
}

void test_install(void)
{
	if (!mkdtemp(tmp)) {
		test__fail();
		return;
	}
	setenv("T", tmp, 1);
	if (test__start_subtest("layout"))
		check_layout();
	if (test__start_subtest("destdir"))
		check_destdir();
	/* the rest use the PREFIX=$T/usr install */
	make_install(
		"install PREFIX=$T/usr SYSCONFDIR=$T/etc TEXTFILE_DIR=$T/textfile");
	if (test__start_subtest("units")) {
		if (run_cmd(NULL, "command -v systemd-analyze"))
			test__skip(
				"systemd-analyze is missing (package systemd)");
		else
			check_units();
	}
	if (test__start_subtest("sysv")) {
		if (geteuid())
			test__skip("needs root to load io");
		else if (private_bpffs())
			test__skip("cannot mount a private bpffs");
		else
			check_sysv();
	}
	if (test__start_subtest("service")) {
		if (geteuid())
			test__skip("needs root to load io");
		else if (private_bpffs())
			test__skip("cannot mount a private bpffs");
		else
			check_service();
	}
	if (test__start_subtest("sysctl"))
		check_sysctl();
	if (test__start_subtest("completion"))
		check_completion();
	if (test__start_subtest("kubernetes")) {
		if (run_cmd(NULL, "/usr/bin/python3 -c 'import yaml'"))
			test__skip("python3-yaml is missing");
		else
			check_kubernetes();
	}
	run_cmd(NULL, "rm -rf %s", tmp);
}
