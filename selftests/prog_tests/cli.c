// SPDX-License-Identifier: GPL-2.0
/*
 * The command lines of pinsight-load and pinsight at their edges (issue
 * 19): the pin root setting, map sizes, lists given twice, options in any
 * position, JSON that stays JSON, a config check that refuses what a load
 * refuses, exit codes and the help text. Each subtest is one defect.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cmdline.h"
#include "execmon.h"
#include "funclat.h"
#include "io.h"
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"
#include "units.h"

/* Does @inst exist under the pin root? */
static bool loaded(const char *inst)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_root(), inst);
	return !access(path, F_OK);
}

/* A relative root, and a root whose parents are missing (defect 1). */
static void check_pin_root(void)
{
	const char *root = "/sys/fs/bpf/cli-a/b/root";
	char *out = NULL;
	int err;

	/* timeout: this used to spin at 100% CPU for ever */
	err = run_cmd(
		&out,
		"cd /tmp && PINSIGHT_PIN_ROOT=nosuchdir timeout 20 %s/pinsight-load io",
		env_output_dir());
	ASSERT_EQ(err, EXIT_USAGE, "relative root refused");
	ASSERT_HAS_SUBSTR(out, "nosuchdir", "names the root");
	ASSERT_HAS_SUBSTR(out, "absolute", "says why");
	free(out);
	out = NULL;

	err = run_cmd(
		&out,
		"PINSIGHT_PIN_ROOT=%s %s/pinsight-load io --comm cli-root",
		root, env_output_dir());
	ASSERT_EQ(err, 0, "root with missing parents created");
	ASSERT_FALSE(loaded("io"), "pinned there, not under the default root");
	free(out);
	out = NULL;
	err = run_cmd(&out, "PINSIGHT_PIN_ROOT=%s %s/pinsight-load unload io",
		      root, env_output_dir());
	ASSERT_EQ(err, 0, "unload there");
	free(out);
	rmdir(root);
	rmdir("/sys/fs/bpf/cli-a/b");
	rmdir("/sys/fs/bpf/cli-a");
}

/* Sizes that the kernel or the host cannot take: exit 2, fast (defect 2). */
static void check_max_entries(void)
{
	static const char *const cases[] = {
		/* a per-CPU hash of half-KiB values: tens of GiB */
		"io_comm=100000000",
		/* more hash buckets than the kernel allocates: E2BIG */
		"io_comm=4294967295",
		"io_proc=2147483648",
	};
	char *out = NULL, what[64];
	size_t i;
	int err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "--max-entries %s", cases[i]);
		/* timeout: these used to run for minutes */
		err = run_cmd(
			&out,
			"timeout 20 %s/pinsight-load io --comm cli-size --max-entries %s",
			env_output_dir(), cases[i]);
		ASSERT_EQ(err, EXIT_USAGE, what);
		/* the map and the size, before anything loads */
		ASSERT_HAS_SUBSTR(out, "--max-entries", what);
		ASSERT_OK_PTR(strstr(out ?: "", strchr(cases[i], '=') + 1),
			      "names the size");
		ASSERT_NULL(strstr(out ?: "", "cannot load"),
			    "refused before load");
		ASSERT_FALSE(loaded("io"), "nothing pinned");
		free(out);
		out = NULL;
	}
	/* a size the host takes still loads */
	ASSERT_EQ(loader_run(NULL,
			     "io --comm cli-size --max-entries io_comm=65536"),
		  0, "a sane size loads");
	loader_run(NULL, "unload io");
}

/* A function named twice counts once; an instance named twice is one series. */
static void check_duplicates(void)
{
	struct funclat_key key = {};
	struct funclat_val v = {};
	char comm[16], *out = NULL;
	int err;

	snprintf(comm, sizeof(comm), "cli-dup-%d", getpid() % 100000);
	err = loader_run(
		&out,
		"funclat --name dup --comm %s --binary %s/workloads/allocgen --func slow_call,slow_call",
		comm, env_output_dir());
	free(out);
	out = NULL;
	if (ASSERT_EQ(err, 0, "load funclat --func slow_call,slow_call")) {
		ASSERT_EQ(
			run_cmd(NULL,
				"%s/workloads/allocgen --comm %s --sleep-us 0,0,0",
				env_output_dir(), comm),
			0, "allocgen");
		memcpy(key.comm, comm, strlen(comm));
		key.func = 0;
		if (ASSERT_OK(pin_lookup_sum("funclat@dup",
					     "maps/funclat_stats", &key, &v,
					     sizeof(v)),
			      "row"))
			ASSERT_EQ(v.calls, 3, "3 calls counted once each");
		key.func = 1;
		ASSERT_ERR(pin_lookup_sum("funclat@dup", "maps/funclat_stats",
					  &key, &v, sizeof(v)),
			   "no second row");
		loader_run(NULL, "unload funclat@dup");
	}

	if (!ASSERT_EQ(loader_run(NULL, "io --name x --comm cli-dup"), 0,
		       "load io@x"))
		return;
	/* every line of the exposition once: no series, no TYPE twice */
	err = run_cmd(
		&out,
		"%s/pinsight metrics io@x io@x | sort | uniq -d | grep -c .",
		env_output_dir());
	ASSERT_HAS_SUBSTR(out, "0", "no line twice");
	ASSERT_EQ(err, 1, "grep found nothing");
	free(out);
	loader_run(NULL, "unload io@x");
}

static int cmd_nop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* cmd_find(), in-process: full names, unique prefixes, nothing else. */
static void check_cmd_find(void)
{
	static const struct cmd cmds[] = {
		{ "list", cmd_nop, "" },
		{ "load", cmd_nop, "" },
		{ "unload", cmd_nop, "" },
		{ "show", cmd_nop, "" },
		{},
	};
	static const struct {
		const char *word, *found;
		bool ambiguous;
	} cases[] = {
		{ "list", "list", false },  { "li", "list", false },
		{ "lo", "load", false },    { "l", NULL, true },
		{ "unl", "unload", false }, { "s", "show", false },
		{ "shows", NULL, false },   { "", NULL, false },
		{ "x", NULL, false },
	};
	const struct cmd *c;
	bool ambiguous;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = cmd_find(cmds, cases[i].word, &ambiguous);
		ASSERT_STREQ(c ? c->name : "(none)", cases[i].found ?: "(none)",
			     cases[i].word);
		ASSERT_EQ(ambiguous, cases[i].ambiguous, cases[i].word);
	}
}

/* Options after the command, extra arguments, io@name (defect 7). */
static void check_grammar(void)
{
	char *out = NULL, *err_out = NULL;
	int err;

	err = loader_run(&out, "list foo");
	ASSERT_EQ(err, EXIT_USAGE, "list foo refused");
	free(out);
	out = NULL;
	err = loader_run(&out, "doctor foo bar");
	ASSERT_EQ(err, EXIT_USAGE, "doctor foo bar refused");
	free(out);
	out = NULL;
	/* help, and nothing else: no trial loads (which print "tools") */
	err = run_cmd_sep(&out, &err_out,
			  "timeout 5 %s/pinsight-load doctor --help",
			  env_output_dir());
	ASSERT_EQ(err, 0, "doctor --help");
	ASSERT_HAS_SUBSTR(out, "Usage: pinsight-load", "prints usage");
	ASSERT_HAS_SUBSTR(out, "doctor", "of doctor");
	free(out);
	free(err_out);
	out = err_out = NULL;

	/* -j after the command counts, as before it */
	err = run_cmd_sep(&out, &err_out, "%s/pinsight-load doctor -j",
			  env_output_dir());
	ASSERT_TRUE(err == 0 || err == EXIT_UNSUPP, "doctor -j");
	ASSERT_TRUE(out && out[0] == '{', "doctor -j is JSON");
	free(out);
	free(err_out);
	out = err_out = NULL;

	err = run_cmd_sep(&out, &err_out, "%s/pinsight-load list -j",
			  env_output_dir());
	ASSERT_EQ(err, 0, "list -j");
	ASSERT_TRUE(out && out[0] == '[', "list -j is JSON");
	free(out);
	free(err_out);
	out = err_out = NULL;

	/* -v after the tool, and TOOL@NAME as in the config file */
	err = loader_run(&out, "io -v --comm cli-gram");
	ASSERT_EQ(err, 0, "io -v");
	free(out);
	out = NULL;
	err = loader_run(&out, "io@cli --comm cli-gram");
	ASSERT_EQ(err, 0, "io@cli");
	ASSERT_TRUE(loaded("io@cli"), "io@cli pinned");
	free(out);
	out = NULL;
	err = loader_run(&out, "io@cli --name other");
	ASSERT_EQ(err, EXIT_USAGE, "io@cli --name other refused");
	free(out);
	out = NULL;

	/* a bad option refuses before anything is unloaded */
	err = loader_run(&out, "unload io --bogus");
	ASSERT_EQ(err, EXIT_USAGE, "unload io --bogus");
	ASSERT_TRUE(loaded("io"), "io still loaded");
	free(out);
	out = NULL;
	/* a command's own prefix */
	err = loader_run(&out, "unl io io@cli");
	ASSERT_EQ(err, 0, "unl(oad) io io@cli");
	ASSERT_FALSE(loaded("io"), "io unloaded");
	ASSERT_FALSE(loaded("io@cli"), "io@cli unloaded");
	free(out);
}

/* With -j, stdout is JSON whatever happens (defect 8). */
static void check_json(void)
{
	char *out = NULL, *err_out = NULL;
	int err;

	/* nothing but -j: still an error object */
	err = run_cmd_sep(&out, &err_out, "%s/pinsight-load -j",
			  env_output_dir());
	ASSERT_EQ(err, EXIT_USAGE, "no command");
	ASSERT_HAS_SUBSTR(out, "{\"error\":", "error object for no command");
	free(out);
	free(err_out);
	out = err_out = NULL;

	err = run_cmd_sep(&out, &err_out, "%s/pinsight-load -j io --bogus",
			  env_output_dir());
	ASSERT_EQ(err, EXIT_USAGE, "bad option");
	ASSERT_HAS_SUBSTR(out, "{\"error\":", "error object on stdout");
	free(out);
	free(err_out);
	out = err_out = NULL;

	if (!ASSERT_EQ(loader_run(NULL, "io --comm cli-json"), 0, "load"))
		return;
	err = run_cmd_sep(&out, &err_out, "%s/pinsight-load -j unload io",
			  env_output_dir());
	ASSERT_EQ(err, 0, "unload -j");
	ASSERT_TRUE(out && out[0] == '{', "unload -j is JSON");
	ASSERT_NULL(strstr(out ?: "", "unloaded\n"), "no text");
	free(out);
	free(err_out);
	out = err_out = NULL;

	err = run_cmd_sep(&out, &err_out, "%s/pinsight -j alerts nosuch",
			  env_output_dir());
	ASSERT_NEQ(err, 0, "alerts nosuch fails");
	/* one JSON document: the error, not the error and then [] */
	ASSERT_HAS_SUBSTR(out, "{\"error\":", "error object");
	ASSERT_NULL(strstr(out ?: "", "[]"), "and nothing after it");
	free(out);
	free(err_out);
	out = err_out = NULL;

	/* a UTF-8 comm (a command's name is its file's) is a string */
	if (!ASSERT_EQ(loader_run(NULL, "io --comm caf\303\251-io"), 0, "load"))
		return;
	err = run_cmd(
		NULL,
		"ln -sf /bin/dd /tmp/caf$(printf '\303\251')-io && "
		"/tmp/caf$(printf '\303\251')-io if=/dev/zero of=/dev/null count=5 2>/dev/null; "
		"rm -f /tmp/caf$(printf '\303\251')-io");
	ASSERT_EQ(err, 0, "dd under a UTF-8 name");
	err = run_cmd_sep(&out, &err_out, "%s/pinsight -j show io io_comm",
			  env_output_dir());
	ASSERT_EQ(err, 0, "show -j");
	ASSERT_HAS_SUBSTR(out, "\"comm\":\"caf\303\251-io\"",
			  "comm as a string");
	free(out);
	free(err_out);
	loader_run(NULL, "unload io");
}

/* check refuses what the load refuses; a directory names why (defect 9). */
static void check_config_check(void)
{
	static const char *const lines[] = {
		"io --bogus\n",
		"io --attach nosuch\n",
		"io --pid abc\n",
		"io --max-entries nosuch=5\n",
	};
	char path[] = "/tmp/pinsight-cli-conf-XXXXXX",
	     dir[] = "/tmp/pinsight-cli-dir-XXXXXX";
	char *out = NULL;
	size_t i;
	int fd, err;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		strcpy(path, "/tmp/pinsight-cli-conf-XXXXXX");
		fd = mkstemp(path);
		if (!ASSERT_GE(fd, 0, "mkstemp"))
			return;
		ASSERT_EQ(write(fd, lines[i], strlen(lines[i])),
			  (ssize_t)strlen(lines[i]), "write");
		close(fd);
		err = loader_run(&out, "--config %s check", path);
		ASSERT_NEQ(err, 0, lines[i]);
		ASSERT_HAS_SUBSTR(out, ":1:", "names the line");
		/* listed all the same: the init script's status reads the list
		 */
		ASSERT_HAS_SUBSTR(out, ":1: io\n", "lists the instance");
		free(out);
		out = NULL;
		unlink(path);
	}
	/* a good file, checked with -j: JSON, one object per instance */
	strcpy(path, "/tmp/pinsight-cli-conf-XXXXXX");
	fd = mkstemp(path);
	if (!ASSERT_GE(fd, 0, "mkstemp"))
		return;
	ASSERT_EQ(write(fd, "io --comm a\nio@b\n", 17), 17, "write");
	close(fd);
	err = run_cmd_sep(&out, NULL, "%s/pinsight-load --config %s check -j",
			  env_output_dir(), path);
	ASSERT_EQ(err, 0, "check -j");
	ASSERT_TRUE(out && out[0] == '{', "JSON");
	ASSERT_HAS_SUBSTR(out, "\"instance\":\"io@b\"", "names each instance");
	ASSERT_HAS_SUBSTR(out, "\"ok\":true", "and says how it went");
	free(out);
	out = NULL;
	unlink(path);

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	err = loader_run(&out, "--config %s check", dir);
	ASSERT_EQ(err, EXIT_USAGE, "a directory");
	ASSERT_HAS_SUBSTR(out, "directory", "says so");
	ASSERT_NULL(strstr(out ?: "", "Input/output"), "not an I/O error");
	free(out);
	rmdir(dir);
}

/* Exit codes and messages (defect 10). */
static void check_exit_codes(void)
{
	char *out = NULL;
	int err;

	err = loader_run(&out, "hwcount --events ''");
	ASSERT_EQ(err, EXIT_USAGE, "hwcount --events ''");
	ASSERT_HAS_SUBSTR(out, "--events", "says which option");
	free(out);
	out = NULL;

	/* one table: a bad instance name is a usage error in every command */
	err = reader_run(&out, "alerts ../x");
	ASSERT_EQ(err, EXIT_USAGE, "alerts ../x");
	free(out);
	out = NULL;

	err = loader_run(&out, "doctor --help");
	ASSERT_HAS_SUBSTR(out, "7 when one or more cannot",
			  "doctor's exit code documented");
	free(out);
	out = NULL;

	/*
	 * As root, a refusal is never blamed on privilege, securityfs
	 * mounted or not (this test has its own mount namespace).
	 */
	run_cmd(NULL, "umount /sys/kernel/security 2>/dev/null; true");
	err = loader_run(&out, "doctor");
	ASSERT_TRUE(err == 0 || err == EXIT_UNSUPP, "doctor: 0 or 7");
	ASSERT_NULL(strstr(out ?: "", "without privilege"),
		    "not blamed on privilege");
	free(out);
	out = NULL;

	/*
	 * The trial loads use each tool's example options, as README says:
	 * hwcount's (software events) load without a PMU, so a VM without
	 * one is not exit 7 for that alone.
	 */
	err = run_cmd(
		&out,
		"%s/pinsight-load -j doctor | jq -e '.features.hw_pmu.ok or .tools.hwcount.loads'",
		env_output_dir());
	ASSERT_EQ(err, 0, "hwcount's example loads, PMU or not");
	free(out);
	out = NULL;

	if (!ASSERT_EQ(
		    loader_run(
			    NULL,
			    "funclat --name al --binary %s/workloads/allocgen --func slow_call",
			    env_output_dir()),
		    0, "load funclat"))
		return;
	err = reader_run(&out, "show funclat@al alerts");
	ASSERT_EQ(err, 0, "show INSTANCE alerts");
	free(out);
	loader_run(NULL, "unload funclat@al");
}

/* One duration parser and one size parser, in-process and in use (defect 11).
 */
static void check_units(void)
{
	static const struct {
		const char *s;
		int err;
		unsigned long long v;
	} dur[] = {
		{ "100ms", 0, 100000000ULL }, { "1.5s", 0, 1500000000ULL },
		{ "0", 0, 0 }, { "2h", 0, 7200000000000ULL },
		{ "0.5us", 0, 500 }, { "100", -EINVAL, 0 }, { "1.5ns", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 }, { "1.s", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ "1 s", -EINVAL, 0 }, { "18446744073709551616ns", -ERANGE, 0 },
		{ "99999999999h", -ERANGE, 0 },
	}, size[] = {
		{ "4096", 0, 4096 }, { "64k", 0, 65536 }, { "1g", 0, 1ULL << 30 },
		{ "1G", 0, 1ULL << 30 }, { "1.5M", 0, 3ULL << 19 },
		{ "0x10", 0, 16 }, { "1.3k", -EINVAL, 0 }, { "1kb", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 }, { "abc", -EINVAL, 0 }, { "", -EINVAL, 0 },
		{ "18446744073709551616", -ERANGE, 0 }, { "16777216T", -ERANGE, 0 },
	};
	unsigned long long v;
	char *out = NULL;
	size_t i;
	int err;

	for (i = 0; i < sizeof(dur) / sizeof(dur[0]); i++) {
		v = 0;
		err = parse_duration_ns(dur[i].s, &v);
		if (ASSERT_EQ(err, dur[i].err, dur[i].s) && !err)
			ASSERT_EQ(v, dur[i].v, dur[i].s);
	}
	for (i = 0; i < sizeof(size) / sizeof(size[0]); i++) {
		v = 0;
		err = parse_size(size[i].s, &v);
		if (ASSERT_EQ(err, size[i].err, size[i].s) && !err)
			ASSERT_EQ(v, size[i].v, size[i].s);
	}

	/* the same rules on the command lines */
	err = loader_run(&out, "io --comm cli-units --alert-latency 100");
	ASSERT_EQ(err, EXIT_USAGE, "a bare duration is refused");
	ASSERT_HAS_SUBSTR(out, "unit", "says it needs a unit");
	free(out);
	out = NULL;
	ASSERT_EQ(
		loader_run(
			NULL,
			"io --comm cli-units --alert-latency 1.5s --max-entries io_comm=64k"),
		0, "1.5s and 64k");
	ASSERT_EQ(reader_run(NULL, "alerts --follow --timeout 200ms io"), 0,
		  "alerts --timeout 200ms");
	loader_run(NULL, "unload io");
}

/*
 * Man pages, completion and README against the programs' own command
 * tables (defect 11): every command --help lists is in the man page, is
 * offered by the completion (run here with a stand-in for
 * bash-completion's _init_completion), has an example in README.md, and
 * `help CMD` prints what `CMD --help` does.
 */
static void check_help(void)
{
	static const char *const progs[] = { "pinsight", "pinsight-load" };
	char *cmds = NULL, *offered = NULL, *p, *word, path[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		err = run_cmd(
			&cmds,
			"PATH=%s:$PATH bash -c '. %s/scripts/completion/pinsight; _pinsight_commands %s'",
			env_output_dir(), env_src_dir(), progs[i]);
		ASSERT_EQ(err, 0, "commands from --help");
		err = run_cmd(
			&offered,
			"PATH=%s:$PATH bash -c '_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=; words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD; }; "
			". %s/scripts/completion/pinsight; COMP_WORDS=(%s \"\"); COMP_CWORD=1; "
			"%s; echo \" ${COMPREPLY[*]} \"'",
			env_output_dir(), env_src_dir(), progs[i],
			i ? "_pinsight_load" : "_pinsight");
		ASSERT_EQ(err, 0, "completion runs");
		if (!ASSERT_OK_PTR(cmds, "commands") ||
		    !ASSERT_OK_PTR(offered, "offered"))
			break;
		ASSERT_OK_PTR(strstr(cmds, "list"), "found some commands");
		snprintf(path, sizeof(path), "%s/scripts/man/%s.8.scd",
			 env_src_dir(), progs[i]);
		for (word = strtok_r(cmds, "\n", &p); word;
		     word = strtok_r(NULL, "\n", &p)) {
			char pat[64];

			snprintf(pat, sizeof(pat), " %s ", word);
			if (!ASSERT_OK_PTR(strstr(offered, pat),
					   "completion offers it"))
				printf("%s: '%s' not offered\n", progs[i],
				       word);
			if (!ASSERT_EQ(run_cmd(NULL, "grep -q '^\\*%s\\*' %s",
					       word, path),
				       0, "in the man page"))
				printf("%s: '%s' not in %s\n", progs[i], word,
				       path);
			/* README's examples show every command once */
			if (!ASSERT_EQ(run_cmd(NULL,
					       "grep -qE '(^|[ `])%s %s( |`|$)' %s/README.md",
					       progs[i], word, env_src_dir()),
				       0, "in README.md"))
				printf("'%s %s' not in README.md\n", progs[i],
				       word);
			/* help CMD is CMD --help, from the same table */
			if (!ASSERT_EQ(run_cmd(NULL,
					       "cd %s && [ \"$(./%s help %s)\" = \"$(./%s %s --help)\" ]",
					       env_output_dir(), progs[i], word,
					       progs[i], word),
				       0, "help CMD is CMD --help"))
				printf("%s help %s differs\n", progs[i], word);
		}
		free(cmds);
		free(offered);
		cmds = offered = NULL;
	}
	free(cmds);
	free(offered);
	/* every --option a --help text lists is in the man page */
	err = run_cmd(
		NULL,
		"cd %s; for c in $(bash -c '. %s/scripts/completion/pinsight; _pinsight_commands ./pinsight'); do "
		"for o in $(./pinsight $c --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do "
		"grep -q -- \"$o\" %s/scripts/man/pinsight.8.scd || { echo \"pinsight $c: $o\"; exit 1; }; done; done; "
		"for o in $(./pinsight-load --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do "
		"grep -q -- \"$o\" %s/scripts/man/pinsight-load.8.scd || { echo \"pinsight-load: $o\"; exit 1; }; done",
		env_output_dir(), env_src_dir(), env_src_dir(), env_src_dir());
	ASSERT_EQ(err, 0, "every option of --help in the man pages");
	snprintf(path, sizeof(path), "%s/scripts/man/pinsight-load.8.scd",
		 env_src_dir());
	ASSERT_EQ(
		run_cmd(NULL,
			"grep -q -- '--group' %s && grep -q -- '--max-entries' %s",
			path, path),
		0, "--group and --max-entries in pinsight-load(8)");
}

/* A thread of @pid that is not its leader, or 0. */
static int other_thread(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int tid = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (!tid && (de = readdir(d)))
		if (atoi(de->d_name) > 0 && atoi(de->d_name) != pid)
			tid = atoi(de->d_name);
	closedir(d);
	return tid;
}

/*
 * --pid with a thread's id (defect 5): BPF compares process ids, so the
 * filter would never match; the load refuses it and names the process.
 */
static void check_pid_thread(void)
{
	char *out = NULL, what[96];
	int tid = 0, i, err, status;
	pid_t pid;

	pid = spawn_sh(
		"exec %s/workloads/spinners --comm cli-th --threads 0 --sleep-comm cli-th-s --sleepers 1 --sleeps 20000 >/dev/null",
		env_output_dir());
	if (!ASSERT_GT(pid, 0, "spinners"))
		return;
	for (i = 0; i < 250 && !(tid = other_thread(pid)); i++)
		usleep(20000);
	if (!ASSERT_GT(tid, 0, "a second thread"))
		goto cleanup;
	err = loader_run(&out, "io --name th --pid %d", tid);
	ASSERT_EQ(err, EXIT_USAGE, "a thread id is refused");
	snprintf(what, sizeof(what), "is a thread of process %d", pid);
	ASSERT_HAS_SUBSTR(out, what, "names the process");
	ASSERT_FALSE(loaded("io@th"), "nothing loaded");
	free(out);
	out = NULL;
	err = loader_run(&out, "io --name th --pid %d", pid);
	ASSERT_EQ(err, 0, "the process id loads");
	loader_run(NULL, "unload io@th");
cleanup:
	free(out);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/*
 * A lifetime without a daemon (defect 5, the conveniences): an instance
 * whose --pid process exits marks itself finished, one whose --duration
 * runs out is expired; list says so (text and JSON) and unload
 * --finished removes exactly those.
 */
static void check_lifetime(void)
{
	char *out = NULL;
	int err, status;
	pid_t pid;

	pid = spawn_sh("exec sleep 60");
	if (!ASSERT_GT(pid, 0, "sleep"))
		return;
	usleep(100000); /* exec'd: /proc/PID/stat is sleep's */
	err = loader_run(NULL, "io --name lt --pid %d", pid);
	if (!ASSERT_EQ(err, 0, "load --pid"))
		goto cleanup;
	ASSERT_EQ(loader_run(NULL, "io --name dur --duration 1s"), 0,
		  "load --duration");
	ASSERT_EQ(loader_run(NULL, "io --name keep"), 0, "load, no lifetime");
	ASSERT_EQ(loader_run(NULL, "io --name long --duration 1h"), 0,
		  "load --duration 1h");
	err = reader_run(&out, "list");
	ASSERT_EQ(err, 0, "list");
	ASSERT_HAS_SUBSTR(out, "io@lt\n  state: running\n", "running");
	ASSERT_HAS_SUBSTR(out, "io@long\n  state: running, expires in 3",
			  "its deadline");
	free(out);
	out = NULL;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	pid = 0;
	usleep(1100000); /* io@dur's second */
	err = loader_run(&out, "list");
	ASSERT_EQ(err, 0, "list");
	ASSERT_HAS_SUBSTR(out,
			  "io@lt\n  state: finished (the --pid process exited",
			  "finished");
	ASSERT_HAS_SUBSTR(out, "status 15)", "with its status");
	ASSERT_HAS_SUBSTR(out, "io@dur\n  state: expired", "expired");
	ASSERT_HAS_SUBSTR(out, "io@keep\n  config:", "no state without one");
	free(out);
	out = NULL;
	err = reader_run(&out, "-j list");
	ASSERT_EQ(err, 0, "list -j");
	ASSERT_HAS_SUBSTR(
		out,
		"\"instance\":\"io@lt\",\"tool\":\"io\",\"name\":\"lt\",\"state\":\"finished\"",
		"finished in JSON");
	free(out);
	out = NULL;
	ASSERT_EQ(loader_run(NULL, "unload --finished --all"), EXIT_USAGE,
		  "--finished or --all");
	err = loader_run(&out, "unload --finished");
	ASSERT_EQ(err, 0, "unload --finished");
	ASSERT_HAS_SUBSTR(out, "io@lt: unloaded", "the finished one");
	ASSERT_HAS_SUBSTR(out, "io@dur: unloaded", "the expired one");
	ASSERT_FALSE(loaded("io@lt") || loaded("io@dur"), "both gone");
	ASSERT_TRUE(loaded("io@keep") && loaded("io@long"), "others kept");
	ASSERT_EQ(loader_run(NULL, "unload --finished"), 0,
		  "nothing finished: no error");
cleanup:
	free(out);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	loader_run(NULL, "unload io@lt io@dur io@keep io@long");
}

/*
 * A pid taken again by another process (defect 5): io --pid P stops at
 * P's exit, and a new process given the same pid (clone3's set_tid) is
 * not counted, as its start time is not P's.
 */
static void check_pid_reuse(void)
{
	struct clone_args ca = { .exit_signal = SIGCHLD, .set_tid_size = 1 };
	char comm[16], *out = NULL, bin[PATH_MAX];
	int err, status;
	pid_t pid, again;

	snprintf(comm, sizeof(comm), "cli-ru-%d", getpid() % 100000);
	snprintf(bin, sizeof(bin), "%s/workloads/iogen", env_output_dir());
	pid = spawn_sh("exec sleep 60");
	if (!ASSERT_GT(pid, 0, "sleep"))
		return;
	usleep(100000);
	err = loader_run(NULL, "io --name ru --pid %d", pid);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!ASSERT_EQ(err, 0, "load --pid"))
		return;
	ca.set_tid = (unsigned long)&pid;
	again = syscall(SYS_clone3, &ca, sizeof(ca));
	if (again == 0) {
		execl(bin, "iogen", "--comm", comm, "--count", "20", NULL);
		_exit(127);
	}
	if (again < 0) {
		/* taken meanwhile by another process (EEXIST), or no clone3 */
		test__skip("cannot start a process with pid %d: %s", pid,
			   strerror(errno));
		goto cleanup;
	}
	ASSERT_EQ(again, pid, "the same pid, another process");
	waitpid(again, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "iogen ran");
	err = reader_run(&out, "show io@ru io_comm");
	ASSERT_EQ(err, 0, "show");
	ASSERT_FALSE(out && strstr(out, comm),
		     "the new process is not counted");
	free(out);
	out = NULL;
	reader_run(&out, "list");
	ASSERT_HAS_SUBSTR(out, "io@ru\n  state: finished", "finished");
cleanup:
	free(out);
	loader_run(NULL, "unload io@ru");
}

/*
 * --version in both binaries: the same lines (name, the build's version,
 * libbpf), the same version, anywhere on the line, and JSON with -j.
 */
static void check_version(void)
{
	static const char *const cmds[] = {
		"pinsight --version", "pinsight-load -V", "pinsight show -V",
		"pinsight-load io --version", "pinsight -j --version",
	};
	char *out = NULL, want[128], what[64];
	size_t i;
	int err;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(what, sizeof(what), "%s", cmds[i]);
		err = run_cmd(&out, "%s/%s", env_output_dir(), cmds[i]);
		ASSERT_EQ(err, 0, what);
		if (!ASSERT_OK_PTR(out, what))
			continue;
		if (strstr(cmds[i], "-j"))
			snprintf(want, sizeof(want),
				 "{\"name\":\"pinsight\",\"version\":\"%s\",\"libbpf\":\"v%u.%u\"}\n",
				 pinsight_version, libbpf_major_version(),
				 libbpf_minor_version());
		else
			snprintf(want, sizeof(want),
				 "%.*s %s\nusing libbpf v%u.%u\n",
				 (int)strcspn(cmds[i], " "), cmds[i],
				 pinsight_version, libbpf_major_version(),
				 libbpf_minor_version());
		/* nothing else: `io --version` loads nothing */
		ASSERT_STREQ(out, want, what);
		free(out);
		out = NULL;
	}
	ASSERT_FALSE(loaded("io"), "--version after a tool loads nothing");
	/* the build's version is git's or the release's, never empty */
	ASSERT_TRUE(pinsight_version[0] >= '0' && pinsight_version[0] <= '9',
		    "version starts with a digit");
}

/*
 * Sum of a "slots":[...] array at @p (the first after it), or -1. The
 * histogram of one interval must count that interval's calls only.
 */
static long long json_slots_sum(const char *p)
{
	long long n = 0;
	char *end;

	p = p ? strstr(p, "\"slots\":[") : NULL;
	if (!p)
		return -1;
	for (p += 9; *p && *p != ']'; p = *end == ',' ? end + 1 : end) {
		n += strtoll(p, &end, 10);
		if (end == p)
			return -1;
	}
	return n;
}

/*
 * show --interval: after 1000 writes, 100 more in each of intervals 2, 3
 * and 4 (each batch starts when the last interval's line is out, so the
 * loader's and reader's start-up times do not matter). Each interval must
 * show its own writes (counter and histogram differenced), not the
 * cumulative 1100..1300.
 */
static void check_interval(void)
{
	static const long long want[] = { 0, 100, 100, 100 };
	char comm[16], pat[96], *out = NULL, *line, *save, *p;
	long long ops, hist;
	unsigned long long ns;
	int err, n = 0;

	snprintf(comm, sizeof(comm), "cli-iv-%d", getpid() % 100000);
	if (!ASSERT_EQ(loader_run(NULL, "io --name iv --comm %s", comm), 0,
		       "load io@iv"))
		return;
	ASSERT_EQ(run_cmd(NULL, "%s/workloads/iogen --comm %s --count 1000",
			  env_output_dir(), comm),
		  0, "iogen 1000");
	err = run_cmd(
		&out,
		"cd %s && f=iv.$$ && : > $f && { ./pinsight -j show io@iv io_comm --interval 1s --count 4 >> $f & "
		"for i in 1 2 3; do while [ $(wc -l < $f) -lt $i ]; do sleep 0.02; done; "
		"./workloads/iogen --comm %s --count 100 >/dev/null; done; wait $!; e=$?; cat $f; rm -f $f; exit $e; }",
		env_output_dir(), comm);
	ASSERT_EQ(err, 0, "show --interval 1s --count 4");
	snprintf(pat, sizeof(pat),
		 "\"comm\":\"%s\",\"op\":\"IO_OP_WRITE\"},\"value\":{\"ops\":",
		 comm);
	for (line = strtok_r(out ?: "", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!ASSERT_LT(n, 4, "four intervals"))
			break;
		ASSERT_EQ(sscanf(line, "{\"time\":%*u,\"interval_ns\":%llu", &ns),
			  1, "interval_ns");
		ASSERT_TRUE(ns > 500000000ULL && ns < 2000000000ULL,
			    "about 1 s each");
		p = strstr(line, pat);
		ops = p ? strtoll(p + strlen(pat), NULL, 10) : 0;
		hist = p ? json_slots_sum(p) : 0;
		/* 0 in the first: an unchanged row is left out */
		ASSERT_EQ(ops, want[n], "this interval's writes only");
		ASSERT_EQ(hist, ops, "histogram differenced too");
		n++;
	}
	ASSERT_EQ(n, 4, "four lines");
	free(out);
	out = NULL;
	/* errors: a count without an interval, a bare number, the config */
	ASSERT_EQ(reader_run(NULL, "show io@iv --count 3"), EXIT_USAGE,
		  "--count needs --interval");
	ASSERT_EQ(reader_run(NULL, "show io@iv --interval 1"), EXIT_USAGE,
		  "a bare number is refused");
	ASSERT_EQ(reader_run(&out, "show io@iv rodata --interval 1s"),
		  EXIT_USAGE, "the config does not change");
	ASSERT_HAS_SUBSTR(out, "rodata", "names the map");
	free(out);
	loader_run(NULL, "unload io@iv");
}

/*
 * reset: io_comm's rows hold counters alone and go (they come back at the
 * next event: the programs stay attached); execmon's targets rows also
 * hold who is a target, and only their counter is zeroed. The config,
 * state/ and records are refused.
 */
static void check_reset(void)
{
	struct io_comm_key key = { .op = IO_OP_WRITE };
	struct target_key tk = {};
	struct target_val tv = {};
	struct io_comm_val v = {};
	char comm[16], go[64], *out = NULL;
	pid_t child;
	int i, err, fd;

	snprintf(comm, sizeof(comm), "cli-rs-%d", getpid() % 100000);
	memcpy(key.comm, comm, strlen(comm));
	if (!ASSERT_EQ(loader_run(NULL, "io --name rs --comm %s", comm), 0,
		       "load io@rs"))
		return;
	ASSERT_EQ(run_cmd(NULL, "%s/workloads/iogen --comm %s --count 50",
			  env_output_dir(), comm),
		  0, "iogen 50");
	ASSERT_EQ(reader_run(&out, "reset io@rs io_comm"), 0, "reset io_comm");
	ASSERT_HAS_SUBSTR(out, "io@rs: maps/io_comm: 6 rows reset",
			  "six rows: one per op");
	free(out);
	out = NULL;
	ASSERT_EQ(pin_lookup_sum("io@rs", "maps/io_comm", &key, &v, sizeof(v)),
		  -ENOENT, "the row is gone");
	ASSERT_EQ(run_cmd(NULL, "%s/workloads/iogen --comm %s --count 5",
			  env_output_dir(), comm),
		  0, "iogen 5");
	if (ASSERT_OK(pin_lookup_sum("io@rs", "maps/io_comm", &key, &v,
				     sizeof(v)),
		      "counted again"))
		ASSERT_EQ(v.ops, 5, "from zero, still attached");
	/* what is not counters, by name: exit 2 and why */
	ASSERT_EQ(reader_run(&out, "reset io@rs rodata"), EXIT_USAGE,
		  "the config");
	ASSERT_HAS_SUBSTR(out, "config", "says it is the config");
	free(out);
	out = NULL;
	ASSERT_EQ(reader_run(&out, "reset io@rs alerts"), EXIT_USAGE,
		  "a ring buffer");
	free(out);
	out = NULL;
	ASSERT_EQ(reader_run(NULL, "reset io@rs nosuch"), EXIT_NOENT,
		  "no such map");
	/* a map under state/ is program state (as profile's unwind_rows) */
	fd = pin_open("io@rs", "maps/io_comm");
	snprintf(go, sizeof(go), "%s/io@rs/state/cli_state", pin_root());
	if (ASSERT_GE(fd, 0, "open io_comm") &&
	    ASSERT_OK(bpf_obj_pin(fd, go), "pin it under state/")) {
		ASSERT_EQ(reader_run(&out, "reset io@rs cli_state"),
			  EXIT_USAGE, "state/ refused");
		ASSERT_HAS_SUBSTR(out, "state/cli_state: program state",
				  "says why");
		free(out);
		out = NULL;
		unlink(go);
	}
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(reader_run(NULL, "-j reset io@rs"), 0, "the whole instance");
	loader_run(NULL, "unload io@rs");

	/* a target that execs once, when told to */
	snprintf(go, sizeof(go), "/tmp/cli-rs-go-%d", getpid());
	unlink(go);
	child = spawn_sh("while [ ! -e %s ]; do sleep 0.05; done; exec sleep 30",
			 go);
	if (!ASSERT_GT(child, 0, "spawn"))
		return;
	err = loader_run(NULL, "execmon --name rs --pid %d --allow /bin/true",
			 child);
	if (!ASSERT_EQ(err, 0, "load execmon@rs"))
		goto kill;
	fd = creat(go, 0600);
	close(fd);
	tk.tgid = child;
	for (i = 0; i < 100; i++) {
		if (!pin_lookup_sum("execmon@rs", "maps/targets", &tk, &tv,
				    sizeof(tv)) &&
		    tv.execs)
			break;
		usleep(20000);
	}
	ASSERT_EQ(tv.execs, 1, "the exec counted");
	ASSERT_EQ(reader_run(&out, "reset execmon@rs targets"), 0,
		  "reset targets");
	ASSERT_HAS_SUBSTR(out, "maps/targets: 1 row reset", "one row");
	free(out);
	out = NULL;
	tv.execs = 99;
	ASSERT_OK(pin_lookup_sum("execmon@rs", "maps/targets", &tk, &tv,
				 sizeof(tv)),
		  "still a target");
	ASSERT_EQ(tv.execs, 0, "its counter zeroed");
	ASSERT_EQ(reader_run(&out, "reset execmon@rs exec_log"), EXIT_USAGE,
		  "records");
	ASSERT_HAS_SUBSTR(out, "records", "says why");
	free(out);
	loader_run(NULL, "unload execmon@rs");
kill:
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	unlink(go);
}

void test_cli(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("pin_root"))
		check_pin_root();
	if (test__start_subtest("max_entries_size"))
		check_max_entries();
	if (test__start_subtest("duplicates"))
		check_duplicates();
	if (test__start_subtest("cmd_find"))
		check_cmd_find();
	if (test__start_subtest("grammar"))
		check_grammar();
	if (test__start_subtest("json"))
		check_json();
	if (test__start_subtest("config_check"))
		check_config_check();
	if (test__start_subtest("exit_codes"))
		check_exit_codes();
	if (test__start_subtest("units"))
		check_units();
	if (test__start_subtest("help_docs"))
		check_help();
	if (test__start_subtest("pid_thread"))
		check_pid_thread();
	if (test__start_subtest("lifetime"))
		check_lifetime();
	if (test__start_subtest("pid_reuse"))
		check_pid_reuse();
	if (test__start_subtest("version"))
		check_version();
	if (test__start_subtest("show_interval"))
		check_interval();
	if (test__start_subtest("reset"))
		check_reset();
}
