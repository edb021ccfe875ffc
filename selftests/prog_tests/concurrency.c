// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: loaders racing on the same and on different instances
 * serialize on the pin root's flock (one wins, the others get a clear
 * exit code); readers racing with unload get a clear error, never a crash
 * or a hang.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

#define NPAR 8

static char tag[16]; /* --comm of our loads: tells our BPF objects apart */

/* The exit code of @pid, or 128 + signal. */
static int reap(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/* Run @n copies of a loader command at once; count exits by code. */
static void race(int n, int codes[8], const char *fmt, const char *arg)
{
	pid_t pids[NPAR * 2];
	char cmd[1024];
	int i, c;

	memset(codes, 0, 8 * sizeof(int));
	snprintf(cmd, sizeof(cmd), fmt, arg);
	for (i = 0; i < n; i++)
		pids[i] = spawn_sh("exec %s/pinsight-load %s >/dev/null 2>&1", env_output_dir(),
				cmd);
	for (i = 0; i < n; i++) {
		c = reap(pids[i]);
		codes[c >= 0 && c < 8 ? c : 7]++;
		ASSERT_TRUE(c >= 0 && c < 8, "loader exits with a documented code");
	}
}

static bool no_orphans(void)
{
	struct bpf_ids c;
	int i;

	for (i = 0; i < 250; i++) {
		bpf_ids_tagged(tag, &c);
		if (!c.progs && !c.maps && !c.links)
			return true;
		usleep(20000);
	}
	ASSERT_EQ(c.progs, 0, "no orphan programs");
	ASSERT_EQ(c.links, 0, "no orphan links");
	return ASSERT_EQ(c.maps, 0, "no orphan maps");
}

static void check_same_instance(void)
{
	char args[64];
	int codes[8];

	snprintf(args, sizeof(args), "io --name same --comm %s", tag);
	race(NPAR, codes, "%s", args);
	ASSERT_EQ(codes[EXIT_OK], 1, "one load wins");
	ASSERT_EQ(codes[EXIT_EXISTS], NPAR - 1, "the others: already loaded");
	ASSERT_EQ(dir_count(pin_root()), 1, "one instance, no temporaries");

	snprintf(args, sizeof(args), "io --name same --comm %s --replace", tag);
	race(NPAR, codes, "%s", args);
	ASSERT_EQ(codes[EXIT_OK], NPAR, "every --replace succeeds in turn");
	ASSERT_EQ(dir_count(pin_root()), 1, "still one instance");

	race(NPAR, codes, "unload %s", "io@same");
	ASSERT_EQ(codes[EXIT_OK], 1, "one unload wins");
	ASSERT_EQ(codes[EXIT_NOENT], NPAR - 1, "the others: no such instance");
	ASSERT_EQ(dir_count(pin_root()), 0, "nothing left");
	no_orphans();
}

static void check_different_instances(void)
{
	pid_t pids[NPAR];
	char path[4200];
	int i;

	for (i = 0; i < NPAR; i++)
		pids[i] = spawn_sh("exec %s/pinsight-load io --name d%d --comm %s >/dev/null 2>&1",
				env_output_dir(), i, tag);
	for (i = 0; i < NPAR; i++)
		ASSERT_EQ(reap(pids[i]), 0, "each load succeeds");
	ASSERT_EQ(dir_count(pin_root()), NPAR, "every instance, no temporaries");
	for (i = 0; i < NPAR; i++) {
		snprintf(path, sizeof(path), "%s/io@d%d/links", pin_root(), i);
		/* io's default attach: enter and exit of six calls */
		ASSERT_EQ(dir_count(path), 12, "instance whole");
	}
	for (i = 0; i < NPAR; i++)
		pids[i] = spawn_sh("exec %s/pinsight-load unload io@d%d >/dev/null 2>&1",
				env_output_dir(), i);
	for (i = 0; i < NPAR; i++)
		ASSERT_EQ(reap(pids[i]), 0, "each unload succeeds");
	ASSERT_EQ(dir_count(pin_root()), 0, "nothing left");
	no_orphans();
}

/* Loads with --replace and unloads of one instance, all at once. */
static void check_mixed(void)
{
	pid_t pids[NPAR];
	char path[4200];
	int round, i, c, n;

	snprintf(path, sizeof(path), "%s/io@mix/links", pin_root());
	for (round = 0; round < 5; round++) {
		for (i = 0; i < NPAR; i++)
			pids[i] = i % 2 ?
				spawn_sh("exec %s/pinsight-load unload io@mix >/dev/null 2>&1",
				      env_output_dir()) :
				spawn_sh("exec %s/pinsight-load io --name mix --comm %s --replace >/dev/null 2>&1",
				      env_output_dir(), tag);
		for (i = 0; i < NPAR; i++) {
			c = reap(pids[i]);
			ASSERT_TRUE(c == EXIT_OK || (i % 2 && c == EXIT_NOENT),
				    "load ok; unload ok or no such instance");
		}
		n = dir_count(path);
		ASSERT_TRUE(n == 12 || n == -ENOENT, "whole or absent");
		ASSERT_EQ(root_temporaries(), 0, "no temporaries");
	}
	loader_run(NULL, "unload io@mix");
	no_orphans();
}

/*
 * A reader loop in a child: every `pinsight show`/`metrics` of the
 * instance ends with 0 or "no such instance" (3), within its timeout.
 */
static void reader_loop(const char *inst, volatile int *stop)
{
	int i, err, ok = 0, gone = 0;
	char *out = NULL;

	for (i = 0; i < 2000 && !*stop; i++) {
		err = run_cmd(&out, "timeout 10 %s/pinsight %s %s >/dev/null",
			      env_output_dir(), i % 2 ? "metrics" : "show",
			      inst);
		if (!ASSERT_TRUE(err == EXIT_OK || err == EXIT_NOENT,
				 "reader: 0 or no such instance")) {
			printf("reader %s exited %d: %s\n",
			       i % 2 ? "metrics" : "show", err, out);
			break;
		}
		if (err)
			ASSERT_HAS_SUBSTR(out, inst, "the error names the instance");
		ok += !err;
		gone += !!err;
		free(out);
		out = NULL;
	}
	free(out);
	printf("reader: %d reads, %d while loaded, %d while gone\n", i, ok,
	       gone);
	ASSERT_GT(ok, 0, "some reads saw the instance");
	ASSERT_GT(gone, 0, "some reads raced with unload");
}

static void check_reader_during_unload(void)
{
	volatile int *stop;
	int i, n = 0;
	pid_t pid;

	stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!ASSERT_NEQ(stop, MAP_FAILED, "mmap"))
		return;
	*stop = 0;
	pid = fork();
	if (pid == 0) {
		reader_loop("io@rd", stop);
		_exit(0);
	}
	/* 30 cycles: each run has read both loaded and gone instances */
	for (i = 0; i < 30; i++) {
		n += !loader_run(NULL, "io --name rd --comm %s", tag);
		usleep(i * 1000);
		n += !loader_run(NULL, "unload io@rd");
	}
	*stop = 1;
	ASSERT_EQ(n, 60, "every load and unload succeeds");
	ASSERT_EQ(reap(pid), 0, "reader loop did not crash");
	ASSERT_EQ(dir_count(pin_root()), 0, "nothing left");
	munmap((void *)stop, 4096);
	no_orphans();
}

void test_concurrency(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	snprintf(tag, sizeof(tag), "conc%d", getpid());
	if (test__start_subtest("same_instance"))
		check_same_instance();
	if (test__start_subtest("different_instances"))
		check_different_instances();
	if (test__start_subtest("replace_and_unload_mixed"))
		check_mixed();
	if (test__start_subtest("reader_during_unload"))
		check_reader_during_unload();
}
