// SPDX-License-Identifier: GPL-2.0
/*
 * Proves test_progs' own machinery before other tests rely on it: subtests,
 * the values of the ASSERT_* macros, run_cmd(), and the runner's handling of
 * failures, skips, crashes, timeouts, filters, denylists, JSON and KTAP.
 *
 * Failures cannot be produced here without failing this test, so the
 * failure paths run in a second test_progs, on neg_* subtests that exist only
 * when $PINSIGHT_RUNNER_NEG names the failure wanted.
 */
#include <signal.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <time.h>

#include "test_progs.h"

#define RUNNER_NEG "PINSIGHT_RUNNER_NEG"
#define RUNNER_PIDFILE "PINSIGHT_RUNNER_PIDFILE"
/* In a -fsanitize=address build, let the crash be a crash, not an exit(1). */
#define NO_ASAN_SEGV "ASAN_OPTIONS=handle_segv=0 "

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The deliberately failing side, run only by the inner test_progs. */

static int *volatile null_ptr; /* volatile: gcc must not turn it into a trap */

/* A real SIGSEGV: UBSan (-fno-sanitize-recover) would make it an exit(1). */
__attribute__((no_sanitize_undefined)) static void crash(void)
{
	*null_ptr = 1;
}

static void neg_assert(void)
{
	int one = 1, line = __LINE__ + 1;
	bool eq = ASSERT_EQ(one, 2, "deliberate_eq");
	size_t five = 5;
	bool lt = ASSERT_LT(five, -one, "deliberate_lt");
	bool f = ASSERT_FALSE(one, "deliberate_false");
	bool err = ASSERT_ERR(0, "deliberate_err");
	bool ok = ASSERT_OK(-1, "deliberate_ok");
	bool ptr = ASSERT_OK_PTR(NULL, "deliberate_ptr");
	bool null = ASSERT_NULL(&one, "deliberate_null");
	bool streq = ASSERT_STREQ("a", "b", "deliberate_streq");
	bool strneq = ASSERT_STRNEQ("abc", "abd", 3, "deliberate_strneq");
	bool substr = ASSERT_HAS_SUBSTR("hay", "needle", "deliberate_substr");

	printf("neg: line=%d values=%d%d%d%d%d%d%d%d%d%d\n", line, eq, lt, f,
	       err, ok, ptr, null, streq, strneq, substr);
}

static void run_negative(const char *mode)
{
	struct rlimit no_core = {};

	if (!strcmp(mode, "assert")) {
		if (test__start_subtest("neg_assert"))
			neg_assert();
		if (test__start_subtest("neg_skip"))
			test__skip("because %s", "reasons");
		if (test__start_subtest("neg_pass"))
			ASSERT_TRUE(true, "pass");
		if (test__start_subtest("neg_denied"))
			printf("neg_denied ran\n");
	} else if (!strcmp(mode, "crash")) {
		if (test__start_subtest("neg_before"))
			ASSERT_TRUE(true, "pass");
		if (test__start_subtest("neg_crash")) {
			/* No core file for a crash we asked for. */
			setrlimit(RLIMIT_CORE, &no_core);
			printf("neg: about to crash\n");
			crash();
		}
		if (test__start_subtest("neg_after"))
			ASSERT_TRUE(true, "pass");
	} else if (!strcmp(mode, "timeout")) {
		if (test__start_subtest("neg_timeout")) {
			/* A straggler in our group, for the runner to kill. */
			run_cmd(NULL, "sleep 60 >/dev/null 2>&1 & echo $! >%s",
				getenv(RUNNER_PIDFILE));
			sleep(60);
		}
	}
}

/* The checks, run by the outer test_progs. */

static void subtest_asserts(void)
{
	char buf[] = "hello world";
	unsigned char uc = 200;
	long long big = 1LL << 40;
	int minus_one = -1, x = 0;
	size_t five = 5;

	/* A passing assertion evaluates to true. */
	ASSERT_TRUE(ASSERT_EQ(five, 5, "eq"), "ASSERT_EQ value");
	ASSERT_TRUE(ASSERT_NEQ(five, 6, "neq"), "ASSERT_NEQ value");
	/* Compared as numbers, not after C's conversion of -1 to SIZE_MAX. */
	ASSERT_TRUE(ASSERT_LT(minus_one, five, "lt"), "ASSERT_LT value");
	ASSERT_TRUE(ASSERT_LE(five, five, "le"), "ASSERT_LE value");
	ASSERT_TRUE(ASSERT_GT(big, five, "gt"), "ASSERT_GT value");
	ASSERT_TRUE(ASSERT_GE(uc, 200, "ge"), "ASSERT_GE value");
	ASSERT_TRUE(ASSERT_GT(five, minus_one, "gt signed"), "mixed signs");
	ASSERT_TRUE(ASSERT_TRUE(buf[0], "true"), "ASSERT_TRUE value");
	ASSERT_TRUE(ASSERT_FALSE(buf[11], "false"), "ASSERT_FALSE value");
	ASSERT_TRUE(ASSERT_OK(0, "ok"), "ASSERT_OK value");
	ASSERT_TRUE(ASSERT_ERR(-EINVAL, "err"), "ASSERT_ERR value");
	ASSERT_TRUE(ASSERT_OK_PTR(buf, "ok_ptr"), "ASSERT_OK_PTR value");
	ASSERT_TRUE(ASSERT_NULL(NULL, "null"), "ASSERT_NULL value");
	ASSERT_TRUE(ASSERT_STREQ(buf, "hello world", "streq"), "STREQ value");
	ASSERT_TRUE(ASSERT_STRNEQ(buf, "hello there", 6, "strneq"),
		    "ASSERT_STRNEQ value");
	ASSERT_TRUE(ASSERT_HAS_SUBSTR(buf, "o w", "substr"), "SUBSTR value");
	/* Arguments are evaluated exactly once. */
	ASSERT_EQ(x++, 0, "post-increment");
	ASSERT_EQ(x, 1, "evaluated once");
}

static void subtest_run_cmd(void)
{
	char *out = NULL;
	double t0;
	long ms;
	int ret;

	ret = run_cmd(&out, "echo hi; exit 3");
	ASSERT_EQ(ret, 3, "exit status");
	ASSERT_STREQ(out, "hi\n", "stdout");
	free(out);

	ret = run_cmd(&out, "echo one; echo two >&2; echo %s", "three");
	ASSERT_EQ(ret, 0, "exit status");
	ASSERT_STREQ(out, "one\ntwo\nthree\n", "stdout and stderr, in order");
	free(out);

	ret = run_cmd(&out, "kill -9 $$");
	ASSERT_EQ(ret, 128 + SIGKILL, "killed by a signal");
	ASSERT_STREQ(out, "", "empty output");
	free(out);

	ASSERT_EQ(run_cmd(NULL, "exit %d", 42), 42, "output discarded");

	/* A background job keeping the pipe open must not hold us up. */
	t0 = now_s();
	ret = run_cmd(&out, "sleep 5 & echo started");
	ASSERT_EQ(ret, 0, "background job");
	ASSERT_STREQ(out, "started\n", "background job output");
	ms = (now_s() - t0) * 1000;
	ASSERT_LT(ms, 3000, "did not wait for the background job");
	free(out);

	ret = run_cmd(&out, "head -c 200000 /dev/zero | tr '\\0' x");
	ASSERT_EQ(ret, 0, "large output");
	ASSERT_EQ(out ? strlen(out) : 0, 200000, "large output length");
	free(out);
}

static void subtest_run_cmd_sep(void)
{
	char *out = NULL, *err = NULL;
	int ret;

	ret = run_cmd_sep(&out, &err, "echo to-out; echo to-err >&2; exit 1");
	ASSERT_EQ(ret, 1, "exit status");
	ASSERT_STREQ(out, "to-out\n", "stdout");
	ASSERT_STREQ(err, "to-err\n", "stderr");
	free(out);
	free(err);

	ret = run_cmd_sep(&out, NULL, "echo a; echo b >&2");
	ASSERT_EQ(ret, 0, "exit status");
	ASSERT_STREQ(out, "a\n", "stderr discarded, not mixed in");
	free(out);

	/* Both pipes are drained at once: a full stderr must not deadlock. */
	ret = run_cmd_sep(
		&out, &err,
		"head -c 100000 /dev/zero | tr '\\0' e >&2; echo done");
	ASSERT_EQ(ret, 0, "exit status");
	ASSERT_STREQ(out, "done\n", "stdout");
	ASSERT_EQ(err ? strlen(err) : 0, 100000, "stderr length");
	free(out);
	free(err);
}

static void subtest_env_dirs(void)
{
	const char *out = env_output_dir(), *src = env_src_dir();
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/test_progs", out);
	ASSERT_OK(access(path, X_OK), "test_progs in env_output_dir()");
	ASSERT_STRNEQ(out, src, strlen(src), "output dir inside the source");
	ASSERT_GT(strlen(out), strlen(src), "output dir below the source");
}

static int write_tmp(char *path, size_t size, const char *fmt, ...)
{
	const char *dir = getenv("TMPDIR");
	va_list ap;
	FILE *f;
	int fd;

	snprintf(path, size, "%s/runner_selftest.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f) ? -errno : 0;
}

/* The whole output ends with exactly this closing line. */
static bool ends_with(const char *out, const char *tail)
{
	size_t n = out ? strlen(out) : 0, m = strlen(tail);

	return n >= m && !strcmp(out + n - m, tail);
}

static void subtest_failure_reporting(void)
{
	char deny[PATH_MAX] = "", json[PATH_MAX] = "", want[PATH_MAX + 128];
	const char *dir = env_output_dir(), *p;
	char *out = NULL;
	int ret, line = 0;

	if (!ASSERT_OK(write_tmp(deny, sizeof(deny),
				 "# comment\n\nrunner_selftest/neg_denied"
				 "  # flaky on purpose\n"),
		       "denylist") ||
	    !ASSERT_OK(write_tmp(json, sizeof(json), "%s", ""), "json file"))
		goto cleanup;

	ret = run_cmd(&out,
		      RUNNER_NEG "=assert %s/test_progs -a runner_selftest "
				 "--denylist %s -j %s",
		      dir, deny, json);
	ASSERT_EQ(ret, 1, "exit status with a failure");
	p = out ? strstr(out, "neg: line=") : NULL;
	if (!ASSERT_OK_PTR(p, "inner log shown") ||
	    !ASSERT_EQ(sscanf(p, "neg: line=%d", &line), 1, "line"))
		goto cleanup;
	snprintf(
		want, sizeof(want),
		"runner_selftest.c:%d: deliberate_eq: ASSERT_EQ(one, 2) failed: "
		"actual 1, expected 2\n",
		line);
	ASSERT_HAS_SUBSTR(out, want, "file:line, expression and values");
	ASSERT_HAS_SUBSTR(out,
			  "deliberate_lt: ASSERT_LT(five, -one) failed: "
			  "actual 5, expected -1\n",
			  "signed and unsigned values");
	ASSERT_HAS_SUBSTR(out, " values=0000000000\n",
			  "failing asserts evaluate to false");
	ASSERT_HAS_SUBSTR(out, "runner_selftest/neg_assert:FAIL\n", "fail");
	ASSERT_HAS_SUBSTR(out,
			  "runner_selftest/neg_skip:SKIP (because reasons)\n",
			  "skip reason");
	ASSERT_HAS_SUBSTR(out, "runner_selftest/neg_pass:OK\n", "pass");
	ASSERT_HAS_SUBSTR(out,
			  "runner_selftest/neg_denied:SKIP (denylisted: flaky "
			  "on purpose)\n",
			  "denylisted");
	ASSERT_NULL(strstr(out, "neg_denied ran"), "denylisted did not run");
	ASSERT_HAS_SUBSTR(out, " runner_selftest:FAIL\n", "test fails");
	ASSERT_TRUE(ends_with(out, "\n1 passed, 1 failed, 2 skipped\n"),
		    "closing line");
	free(out);

	run_cmd(&out, "cat %s", json);
	ASSERT_HAS_SUBSTR(out, "\"passed\":1,\"failed\":1,\"skipped\":2}",
			  "json");
	ASSERT_HAS_SUBSTR(out,
			  "\"name\":\"neg_skip\",\"result\":\"SKIP\","
			  "\"reason\":\"because reasons\"",
			  "json skip reason");
	free(out);
	out = NULL;
	if (run_cmd(NULL, "command -v python3") == 0)
		ASSERT_OK(run_cmd(NULL, "python3 -m json.tool %s", json),
			  "valid JSON");

	ret = run_cmd(&out,
		      RUNNER_NEG "=assert %s/test_progs -a runner_selftest "
				 "--denylist %s --ktap",
		      dir, deny);
	ASSERT_EQ(ret, 1, "ktap exit status");
	ASSERT_HAS_SUBSTR(out,
			  "KTAP version 1\n1..1\n  KTAP version 1\n  1..4\n",
			  "ktap header");
	ASSERT_HAS_SUBSTR(out, "\n  # ", "ktap diagnostics");
	ASSERT_HAS_SUBSTR(out, "\n  not ok 1 neg_assert\n", "ktap fail");
	ASSERT_HAS_SUBSTR(out, "\n  ok 2 neg_skip # SKIP because reasons\n",
			  "ktap skip");
	ASSERT_HAS_SUBSTR(out, "\n  ok 3 neg_pass\n", "ktap pass");
	ASSERT_HAS_SUBSTR(out,
			  "\n  ok 4 neg_denied # SKIP denylisted: flaky on "
			  "purpose\n",
			  "ktap denylisted");
	ASSERT_HAS_SUBSTR(out, "\nnot ok 1 runner_selftest\n", "ktap test");
	ASSERT_TRUE(ends_with(out, "\n1 passed, 1 failed, 2 skipped\n"),
		    "ktap closing line");
cleanup:
	free(out);
	if (deny[0])
		unlink(deny);
	if (json[0])
		unlink(json);
}

static void subtest_filters(void)
{
	const char *dir = env_output_dir();
	char *out = NULL;
	int ret;

	/* -t matches substrings of test and subtest names. */
	ret = run_cmd(&out,
		      RUNNER_NEG "=assert %s/test_progs -t runner_self/g_sk",
		      dir);
	ASSERT_EQ(ret, 0, "-t exit status");
	ASSERT_HAS_SUBSTR(out, "runner_selftest/neg_skip:SKIP", "-t selected");
	ASSERT_NULL(strstr(out, "neg_pass"), "-t filtered");
	ASSERT_TRUE(ends_with(out, "\n0 passed, 0 failed, 1 skipped\n"), "-t");
	free(out);

	/* -a and -d want exact names; -d takes lists. */
	ret = run_cmd(&out,
		      RUNNER_NEG
		      "=assert %s/test_progs -a runner_selftest "
		      "-d runner_selftest/neg_assert,runner_selftest/neg"
		      " -v",
		      dir);
	ASSERT_EQ(ret, 0, "-a/-d exit status");
	ASSERT_NULL(strstr(out, "neg_assert"), "-d filtered");
	ASSERT_HAS_SUBSTR(out, "neg_denied ran\n", "-v shows passing logs");
	ASSERT_HAS_SUBSTR(out, "runner_selftest/neg_denied:OK\n", "subtest");
	ASSERT_TRUE(ends_with(out, "\n2 passed, 0 failed, 1 skipped\n"), "-a");
	free(out);

	ret = run_cmd(&out, "%s/test_progs -l -a runner_selftest", dir);
	ASSERT_EQ(ret, 0, "-l exit status");
	ASSERT_STREQ(out, "runner_selftest\n", "-l");
	free(out);

	ret = run_cmd(&out, "%s/test_progs --timeout soon", dir);
	ASSERT_EQ(ret, 2, "usage error");
	free(out);
}

static void subtest_bad_denylist(void)
{
	char deny[PATH_MAX] = "", want[PATH_MAX + 128];
	char *out = NULL;
	int ret;

	if (!ASSERT_OK(write_tmp(deny, sizeof(deny),
				 "# comment\n\nrunner_selftest/asserts\n"),
		       "denylist"))
		goto cleanup;
	ret = run_cmd(&out, "%s/test_progs -a runner_selftest --denylist %s",
		      env_output_dir(), deny);
	ASSERT_EQ(ret, 2, "entry without a reason is a usage error");
	snprintf(want, sizeof(want),
		 "%s:3: denylist entry 'runner_selftest/asserts' has no "
		 "'# reason'",
		 deny);
	ASSERT_HAS_SUBSTR(out, want, "file and line of the bad entry");
cleanup:
	free(out);
	if (deny[0])
		unlink(deny);
}

static void subtest_crash(void)
{
	char *out = NULL;
	int ret;

	ret = run_cmd(&out,
		      RUNNER_NEG "=crash " NO_ASAN_SEGV
				 "%s/test_progs -a runner_selftest",
		      env_output_dir());
	ASSERT_EQ(ret, 1, "exit status");
	ASSERT_HAS_SUBSTR(out, "runner_selftest/neg_before:OK\n", "before");
	ASSERT_HAS_SUBSTR(out, "neg: about to crash\n", "log of the crash");
	ASSERT_HAS_SUBSTR(out,
			  "runner_selftest/neg_crash:FAIL (killed by signal 11",
			  "crashed subtest");
	ASSERT_HAS_SUBSTR(out, " runner_selftest:FAIL (killed by signal 11",
			  "crashed test");
	ASSERT_NULL(strstr(out, "neg_after"), "nothing ran after the crash");
	ASSERT_TRUE(ends_with(out, "\n1 passed, 1 failed, 0 skipped\n"),
		    "the runner survived to its closing line");
	free(out);

	/* The runner prints before forking here: the log must survive that. */
	ret = run_cmd(&out,
		      RUNNER_NEG "=crash " NO_ASAN_SEGV
				 "%s/test_progs -a runner_selftest --ktap",
		      env_output_dir());
	ASSERT_EQ(ret, 1, "ktap exit status");
	ASSERT_HAS_SUBSTR(out, "\n  # neg: about to crash\n", "ktap crash log");
	ASSERT_HAS_SUBSTR(out, "\n  # killed by signal 11", "ktap reason");
	ASSERT_HAS_SUBSTR(out, "\n  not ok 2 neg_crash\n", "ktap crash");
	ASSERT_HAS_SUBSTR(out, "\nnot ok 1 runner_selftest\n", "ktap test");
	free(out);
}

/* True while @pid exists and is not a zombie (init may be slow to reap). */
static bool alive(int pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state && state != 'Z' && state != 'X';
}

static void subtest_timeout(void)
{
	char pidfile[PATH_MAX] = "", *out = NULL;
	int ret, pid = 0, i;
	double t0;
	long ms;
	FILE *f;

	if (!ASSERT_OK(write_tmp(pidfile, sizeof(pidfile), "%s", ""),
		       "pidfile"))
		goto cleanup;
	t0 = now_s();
	ret = run_cmd(&out,
		      RUNNER_NEG "=timeout " RUNNER_PIDFILE "=%s "
				 "%s/test_progs -a runner_selftest --timeout 1",
		      pidfile, env_output_dir());
	ASSERT_EQ(ret, 1, "exit status");
	ms = (now_s() - t0) * 1000;
	ASSERT_LT(ms, 30000, "killed in time");
	ASSERT_HAS_SUBSTR(
		out, "runner_selftest/neg_timeout:FAIL (timed out after 1 s)\n",
		"timed out subtest");
	ASSERT_TRUE(ends_with(out, "\n0 passed, 1 failed, 0 skipped\n"),
		    "closing line");

	f = fopen(pidfile, "r");
	if (!ASSERT_OK_PTR(f, "open pidfile"))
		goto cleanup;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (!ASSERT_GT(pid, 1, "straggler pid"))
		goto cleanup;
	/* SIGKILL is not instant under load: give it two seconds. */
	for (i = 0; i < 20 && alive(pid); i++)
		usleep(100000);
	ASSERT_FALSE(alive(pid), "straggler in the test's group killed");
cleanup:
	free(out);
	if (pidfile[0])
		unlink(pidfile);
}

void test_runner_selftest(void)
{
	const char *neg = getenv(RUNNER_NEG);

	if (neg) {
		run_negative(neg);
		return;
	}
	if (test__start_subtest("asserts"))
		subtest_asserts();
	if (test__start_subtest("run_cmd"))
		subtest_run_cmd();
	if (test__start_subtest("run_cmd_sep"))
		subtest_run_cmd_sep();
	if (test__start_subtest("env_dirs"))
		subtest_env_dirs();
	if (test__start_subtest("failure_reporting"))
		subtest_failure_reporting();
	if (test__start_subtest("filters"))
		subtest_filters();
	if (test__start_subtest("bad_denylist"))
		subtest_bad_denylist();
	if (test__start_subtest("crash"))
		subtest_crash();
	if (test__start_subtest("timeout"))
		subtest_timeout();
}
