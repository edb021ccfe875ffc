// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight alerts: drains every instance's alerts ring buffer (text and
 * JSON, decoded from BTF), follows new ones until a signal or --timeout,
 * and the counts stay in `pinsight metrics` after the ring buffer is read.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

static char comm[16];

/* @n calls of allocgen's slow_call() above funclat@al's 50 ms threshold. */
static int slow_calls(int n)
{
	char list[128] = "";
	int i;

	for (i = 0; i < n; i++)
		strcat(list, i ? ",60000" : "60000");
	return run_cmd(NULL, "%s/workloads/allocgen --comm %s --sleep-us %s,0",
		       env_output_dir(), comm, list);
}

static int count_substr(const char *s, const char *sub)
{
	int n = 0;

	while (s && (s = strstr(s, sub))) {
		n++;
		s += strlen(sub);
	}
	return n;
}

static void check_drain(void)
{
	char *out = NULL, line[160];
	int err;

	ASSERT_EQ(slow_calls(2), 0, "allocgen");
	err = reader_run(&out, "alerts");
	ASSERT_EQ(err, 0, "alerts");
	ASSERT_EQ(count_substr(out, " funclat@al latency "), 2,
		  "two text lines");
	ASSERT_HAS_SUBSTR(out, "what=\"slow_call\"", "function");
	snprintf(line, sizeof(line), "comm=\"%s\"", comm);
	ASSERT_HAS_SUBSTR(out, line, "comm");
	ASSERT_HAS_SUBSTR(out, "threshold=50000000", "threshold");
	free(out);
	out = NULL;

	/* read means consumed: JSON now shows only the new one */
	ASSERT_EQ(slow_calls(1), 0, "allocgen");
	err = reader_run(&out, "-j alerts funclat@al");
	ASSERT_EQ(err, 0, "alerts -j");
	ASSERT_EQ(count_substr(out, "\"instance\":\"funclat@al\""), 1,
		  "one JSON alert");
	ASSERT_HAS_SUBSTR(out, "\"kind\":\"ALERT_LATENCY\"", "kind by BTF");
	ASSERT_HAS_SUBSTR(out, "\"what\":\"slow_call\"", "what");
	ASSERT_EQ(out ? out[0] : 0, '[', "a JSON array");
	free(out);
	out = NULL;
	err = reader_run(&out, "-j alerts");
	ASSERT_EQ(err, 0, "alerts -j, drained");
	ASSERT_HAS_SUBSTR(out, "[]", "nothing left");
	free(out);
	out = NULL;

	/* the counters keep all three */
	err = reader_run(&out, "metrics funclat@al");
	ASSERT_HAS_SUBSTR(
		out,
		"ebpf_funclat_alerts_total{kind=\"latency\",name=\"al\"} 3\n",
		"alert counter");
	free(out);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --follow prints alerts as they come and ends on SIGINT or --timeout. */
static void check_follow(void)
{
	char file[64], *out = NULL;
	double t0;
	int status, err;
	pid_t pid;

	snprintf(file, sizeof(file), "/tmp/pinsight-alerts-%d.out", getpid());
	pid = spawn_sh("exec %s/pinsight alerts --follow funclat@al > %s 2>&1",
		       env_output_dir(), file);
	if (!ASSERT_GT(pid, 0, "fork"))
		return;
	usleep(300000);
	ASSERT_EQ(slow_calls(2), 0, "allocgen");
	usleep(500000);
	ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0, "still following");
	kill(pid, SIGINT);
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "ends on SIGINT");
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "exit 0");
	err = run_cmd(&out, "cat %s", file);
	ASSERT_EQ(count_substr(out, "what=\"slow_call\""), 2, "followed two");
	free(out);
	out = NULL;

	t0 = now_s();
	err = reader_run(&out, "alerts --follow --timeout 500ms");
	ASSERT_EQ(err, 0, "--timeout");
	ASSERT_LT(now_s() - t0, 5.0, "bounded by --timeout");
	free(out);
	unlink(file);
}

static void check_errors(void)
{
	char *out = NULL, dir[PATH_MAX];
	int err;

	err = reader_run(&out, "alerts nosuch");
	ASSERT_EQ(err, 3, "unknown instance");
	ASSERT_HAS_SUBSTR(out, "nosuch", "named");
	free(out);
	out = NULL;
	/* an instance that keeps no alerts ring buffer: named, an error */
	snprintf(dir, sizeof(dir), "%s/fake@noalerts", pin_root());
	if (!ASSERT_OK(mkdir(dir, 0700), "fake instance"))
		return;
	err = reader_run(&out, "alerts fake@noalerts");
	ASSERT_EQ(err, 3, "instance without alerts");
	ASSERT_HAS_SUBSTR(out, "keeps no alerts", "says why");
	free(out);
	out = NULL;
	/* unnamed, such instances are skipped */
	err = reader_run(&out, "alerts");
	ASSERT_EQ(err, 0, "all instances");
	free(out);
	rmdir(dir);
}

void test_alerts(void)
{
	int err;

	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	snprintf(comm, sizeof(comm), "al-%d", getpid() % 100000);
	err = loader_run(
		NULL,
		"funclat --name al --comm %s --binary %s/workloads/allocgen --func slow_call --threshold 50ms",
		comm, env_output_dir());
	if (!ASSERT_EQ(err, 0, "load funclat"))
		return;
	if (test__start_subtest("drain_text_json_counters"))
		check_drain();
	if (test__start_subtest("follow"))
		check_follow();
	if (test__start_subtest("errors"))
		check_errors();
	loader_run(NULL, "unload funclat@al");
}
