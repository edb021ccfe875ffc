// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight:fmt=cgroup: a tool keyed by cgroup id shows a `cgroup` label
 * with the systemd unit or the container id, not the number. Two cgroup
 * v2 children named as systemd and a container runtime name theirs
 * (test-<pid>.service, docker-<64 hex>.scope) each run a spinner; the
 * reader must name both, in metrics and in show -j.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

static char cg_root[256];

/* The cgroup2 mount, or one of our own (we are in private_bpffs()'s
 * mount namespace, so it goes away with the test).
 */
static int cgroup2_root(void)
{
	if (!pm_cgroup2_root(cg_root, sizeof(cg_root)))
		return 0;
	snprintf(cg_root, sizeof(cg_root), "/tmp/pinsight-cg2-%d", getpid());
	if (mkdir(cg_root, 0755) && errno != EEXIST)
		return -errno;
	if (mount("none", cg_root, "cgroup2", 0, NULL))
		return -errno;
	return 0;
}

struct cgs {
	char unit[512], scope[512];
	char unit_name[64], cid[13];
};

static int make_cgroups(struct cgs *c)
{
	char hex[65];

	/* a container id of our own: pid first, so runs do not collide */
	snprintf(hex, sizeof(hex), "%012x%052x", getpid(), 0xc0ffee);
	snprintf(c->cid, sizeof(c->cid), "%.12s", hex);
	snprintf(c->unit_name, sizeof(c->unit_name), "test-%d.service",
		 getpid());
	snprintf(c->unit, sizeof(c->unit), "%s/%s", cg_root, c->unit_name);
	snprintf(c->scope, sizeof(c->scope), "%s/docker-%s.scope", cg_root,
		 hex);
	if (mkdir(c->unit, 0755))
		return -errno;
	if (mkdir(c->scope, 0755)) {
		rmdir(c->unit);
		return -errno;
	}
	return 0;
}

/* A spinner whose shell first moves itself into @cg. */
static int spin_in(const char *cg, const char *comm)
{
	return run_cmd(
		NULL,
		"sh -c 'echo $$ > %s/cgroup.procs && exec %s/workloads/spinners "
		"--comm %s --threads 2 --cpu-ms 50'",
		cg, env_output_dir(), comm);
}

static void check_tool(const char *inst, const char *load, const char *map)
{
	char label[128], comm[16], *out = NULL;
	struct cgs c;
	int err;

	if (!ASSERT_OK(make_cgroups(&c), "mkdir cgroups"))
		return;
	err = loader_run(NULL, "%s", load);
	if (!ASSERT_EQ(err, 0, "load"))
		goto cleanup;
	snprintf(comm, sizeof(comm), "cgl-%d", getpid() % 100000);
	ASSERT_EQ(spin_in(c.unit, comm), 0, "spinner in the unit");
	ASSERT_EQ(spin_in(c.scope, comm), 0, "spinner in the container");

	err = reader_run(&out, "metrics");
	if (ASSERT_EQ(err, 0, "pinsight metrics") &&
	    ASSERT_OK_PTR(out, "out")) {
		snprintf(label, sizeof(label), "cgroup=\"%s\"", c.unit_name);
		ASSERT_HAS_SUBSTR(out, label, "systemd unit label");
		snprintf(label, sizeof(label), "cgroup=\"%s\"", c.cid);
		ASSERT_HAS_SUBSTR(out, label, "container id label");
	}
	free(out);
	out = NULL;
	/* without CAP_DAC_READ_SEARCH (no open_by_handle_at): the tree walk */
	if (!run_cmd(NULL, "command -v capsh > /dev/null")) {
		err = run_cmd(
			&out,
			"capsh --drop=cap_dac_read_search -- -c '%s/pinsight metrics'",
			env_output_dir());
		if (ASSERT_EQ(err, 0, "metrics by walk") &&
		    ASSERT_OK_PTR(out, "out")) {
			snprintf(label, sizeof(label), "cgroup=\"%s\"",
				 c.unit_name);
			ASSERT_HAS_SUBSTR(out, label, "walk: unit label");
			snprintf(label, sizeof(label), "cgroup=\"%s\"", c.cid);
			ASSERT_HAS_SUBSTR(out, label, "walk: container id");
		}
		free(out);
		out = NULL;
	}
	err = reader_run(&out,
			 "-j show %s %s | jq -r '.[0].entries[].labels.cgroup'",
			 inst, map);
	if (ASSERT_EQ(err, 0, "pinsight show -j") &&
	    ASSERT_OK_PTR(out, "out")) {
		ASSERT_HAS_SUBSTR(out, c.unit_name, "show -j: unit");
		ASSERT_HAS_SUBSTR(out, c.cid, "show -j: container id");
	}
	free(out);
	loader_run(NULL, "unload %s", inst);
cleanup:
	rmdir(c.unit);
	rmdir(c.scope);
}

/* A cgroup that is gone shows as cgroup:<id>: its name cannot be known. */
static void check_gone(void)
{
	char label[64], *out = NULL;
	struct stat st;
	struct cgs c;
	int err;

	if (!ASSERT_OK(make_cgroups(&c), "mkdir cgroups"))
		return;
	err = loader_run(NULL, "runqlat --per-cgroup");
	if (!ASSERT_EQ(err, 0, "load"))
		goto cleanup;
	ASSERT_OK(stat(c.unit, &st), "stat");
	ASSERT_EQ(spin_in(c.unit, "cgl-gone"), 0, "spinner in the unit");
	ASSERT_OK(rmdir(c.unit), "rmdir the unit");
	err = reader_run(&out, "metrics");
	snprintf(label, sizeof(label), "cgroup=\"cgroup:%llu\"",
		 (unsigned long long)st.st_ino);
	if (ASSERT_EQ(err, 0, "pinsight metrics") && ASSERT_OK_PTR(out, "out"))
		ASSERT_HAS_SUBSTR(out, label, "a removed cgroup by id");
	free(out);
	loader_run(NULL, "unload runqlat");
cleanup:
	rmdir(c.unit);
	rmdir(c.scope);
}

/* The naming rule on the paths real hosts have, no cgroup needed. */
static void check_names(void)
{
	static const char id[] =
		"4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2";
	static const struct {
		const char *path, *want;
	} cases[] = {
		{ "/system.slice/nginx.service", "nginx.service" },
		{ "/user.slice/user-1000.slice/session-3.scope",
		  "session-3.scope" },
		{ "/", "/" },
		{ "/pinsight-test/plain", "/pinsight-test/plain" },
		/* 63 hex digits: not a container id */
		{ "/docker-4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c.scope",
		  "docker-4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c.scope" },
	};
	static const char *const runtimes[] = {
		"/system.slice/docker-%s.scope",
		"/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod1234_5678.slice/cri-containerd-%s.scope",
		"/kubepods.slice/kubepods-pod99.slice/crio-%s.scope",
		"/machine.slice/libpod-%s.scope",
		"/kubepods/burstable/pod1234-5678/%s", /* cgroupfs driver */
		"/docker/%s",
	};
	char path[512], buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pm_cgroup_path_name(cases[i].path, buf, sizeof(buf));
		ASSERT_STREQ(buf, cases[i].want, cases[i].path);
	}
	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		snprintf(path, sizeof(path), runtimes[i], id);
		pm_cgroup_path_name(path, buf, sizeof(buf));
		ASSERT_STREQ(buf, "4f3c2b1a09e8", runtimes[i]);
	}
}

void test_cgroup_label(void)
{
	int err;

	if (test__start_subtest("naming_rules"))
		check_names();

	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	err = cgroup2_root();
	if (err) {
		test__skip("no cgroup2 and cannot mount one: %s",
			   strerror(-err));
		return;
	}
	if (test__start_subtest("runqlat_per_cgroup"))
		check_tool("runqlat", "runqlat --per-cgroup", "runq_latency");
	if (test__start_subtest("hwcount_by_cgroup"))
		check_tool("hwcount", "hwcount --by-cgroup --events cpu-clock",
			   "hwcount");
	if (test__start_subtest("removed_cgroup"))
		check_gone();
}
