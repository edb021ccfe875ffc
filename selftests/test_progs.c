// SPDX-License-Identifier: GPL-2.0
/*
 * test_progs: runs the tests of selftests/prog_tests/, in the manner of the
 * kernel's tools/testing/selftests/bpf/test_progs.
 *
 * Every test runs in a forked child, in its own process group, with stdout and
 * stderr sent to an unlinked temporary file: a crash, an exit() or a hang is
 * then that test's failure and not the runner's, a timeout can kill
 * everything the test started, and the log can be shown only when it matters.
 * Results come back through MAP_SHARED memory, which outlives the child.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "test_progs.h"

#define MAX_SUBTESTS 256
#define NAME_LEN 128
#define REASON_LEN 256

struct prog_test {
	const char *name;
	void (*fn)(void);
};

/* tests.h is generated from prog_tests/: one DEFINE_TEST(name) per file. */
#define DEFINE_TEST(name) void test_##name(void);
#include "tests.h"
#undef DEFINE_TEST
#define DEFINE_TEST(name) { #name, test_##name },
static const struct prog_test prog_tests[] = {
#include "tests.h"
};
#undef DEFINE_TEST
#define NR_TESTS ((int)(sizeof(prog_tests) / sizeof(prog_tests[0])))

enum { RES_OK, RES_SKIP, RES_FAIL };
static const char *const res_str[] = { "OK", "SKIP", "FAIL" };

enum { SUB_RUNNING = 1, SUB_DONE };

/* One per started or denylisted subtest, in the shared region. */
struct sub_result {
	char name[NAME_LEN];
	char reason[REASON_LEN];
	int num; /* counts filtered-out subtests too, so numbers are stable */
	int state;
	int fail_cnt;
	bool skipped;
	off_t log_start, log_end;
	long long start_ns, dur_ns;
};

struct test_result {
	int fail_cnt; /* failures outside any subtest */
	bool skipped;
	bool done; /* the test function returned */
	char reason[REASON_LEN];
	int nr_calls, nr_filtered, nr_subs;
	struct sub_result subs[MAX_SUBTESTS];
};

struct filter {
	char *test, *sub; /* sub == NULL: the whole test */
	char *reason; /* set for denylist file entries */
	bool exact;
};

struct filters {
	struct filter *v;
	int n;
};

static struct {
	struct filters allow, deny;
	bool verbose, ktap;
	int timeout;
	FILE *json;
	int json_cnt;
	int passed, failed, skipped;
	sigset_t orig_mask;
	volatile sig_atomic_t child;
	/* in the test's process */
	struct test_result *res;
	const struct prog_test *test;
	int cur; /* open subtest, or -1 */
} env = { .timeout = 300, .cur = -1 };

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("test_progs");
		exit(1);
	}
	return p;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

const char *env_output_dir(void)
{
	static char exe[PATH_MAX]; /* zeroed: readlink() adds no NUL */
	static const char *dir;

	if (!dir) {
		if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) <= 0)
			strcpy(exe, "./test_progs");
		dir = dirname(exe);
	}
	return dir;
}

const char *env_src_dir(void)
{
	static char buf[PATH_MAX];
	static const char *dir;

	if (!dir) {
		snprintf(buf, sizeof(buf), "%s", env_output_dir());
		dir = dirname(buf);
	}
	return dir;
}

/* Filters: -t (substring), -a/-d (exact, globs allowed), denylist files. */

static void add_filters(struct filters *f, const char *arg, bool exact,
			const char *reason)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	struct filter *e;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
		e = &f->v[f->n++];
		e->test = strdup(tok);
		e->sub = strchr(e->test, '/');
		if (e->sub)
			*e->sub++ = '\0';
		e->reason = reason ? strdup(reason) : NULL;
		e->exact = exact;
	}
	free(copy);
}

static bool match(const struct filter *f, const char *pat, const char *name)
{
	return f->exact ? !fnmatch(pat, name, 0) : !!strstr(name, pat);
}

/*
 * For a test (sub == NULL) or a subtest: 0 to run it, 1 when filtered out,
 * 2 when denylisted, with *reason set.  Deny entries with a subtest part
 * apply only to subtests, those without only to whole tests.
 */
static int verdict(const char *test, const char *sub, const char **reason)
{
	bool allowed = !env.allow.n;
	const struct filter *f;
	int i;

	for (i = 0; i < env.allow.n; i++) {
		f = &env.allow.v[i];
		if (match(f, f->test, test) &&
		    (!sub || !f->sub || match(f, f->sub, sub)))
			allowed = true;
	}
	if (!allowed)
		return 1;
	for (i = 0; i < env.deny.n; i++) {
		f = &env.deny.v[i];
		if (!sub != !f->sub || !match(f, f->test, test) ||
		    (sub && !match(f, f->sub, sub)))
			continue;
		*reason = f->reason;
		return f->reason ? 2 : 1;
	}
	return 0;
}

/* Lines "test[/subtest]  # reason"; an entry must say why it is there. */
static int load_denylist(const char *path, bool must_exist)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *s, *hash, *reason;
	size_t cap = 0;
	int lineno = 0, err = 0;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		hash = strchr(s, '#');
		reason = hash ? trim(hash + 1) : "";
		if (hash)
			*hash = '\0';
		s = trim(s);
		if (!*reason) {
			fprintf(stderr,
				"%s:%d: denylist entry '%s' has no '# reason'\n",
				path, lineno, s);
			err = -1;
			break;
		}
		if (!*s || strpbrk(s, " \t")) {
			fprintf(stderr,
				"%s:%d: expected 'test[/subtest]  # reason'\n",
				path, lineno);
			err = -1;
			break;
		}
		add_filters(&env.deny, s, true, reason);
	}
	free(line);
	fclose(f);
	return err;
}

static int load_default_denylists(void)
{
	char path[PATH_MAX + 64];
	struct utsname u;
	int maj, min;

	snprintf(path, sizeof(path), "%s/selftests/DENYLIST", env_src_dir());
	if (load_denylist(path, false))
		return -1;
	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return 0;
	snprintf(path, sizeof(path), "%s/selftests/DENYLIST.%d.%d",
		 env_src_dir(), maj, min);
	return load_denylist(path, false);
}

/* The test-side API, running in the test's process. */

static off_t log_pos(void)
{
	fflush(stdout);
	fflush(stderr);
	return lseek(STDOUT_FILENO, 0, SEEK_CUR);
}

static void end_subtest(void)
{
	struct sub_result *s;

	if (env.cur < 0)
		return;
	s = &env.res->subs[env.cur];
	s->log_end = log_pos();
	s->dur_ns = now_ns() - s->start_ns;
	s->state = SUB_DONE;
	env.cur = -1;
}

bool test__start_subtest(const char *name)
{
	struct test_result *r = env.res;
	const char *reason = NULL;
	struct sub_result *s;
	int v;

	end_subtest();
	r->nr_calls++;
	v = verdict(env.test->name, name, &reason);
	if (v == 1) {
		r->nr_filtered++;
		return false;
	}
	if (r->nr_subs == MAX_SUBTESTS) {
		fprintf(stderr, "more than %d subtests: '%s' not run\n",
			MAX_SUBTESTS, name);
		r->fail_cnt++;
		return false;
	}
	s = &r->subs[r->nr_subs++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->num = r->nr_calls;
	s->log_start = s->log_end = log_pos();
	s->start_ns = now_ns();
	if (v == 2) {
		s->skipped = true;
		snprintf(s->reason, sizeof(s->reason), "denylisted: %s",
			 reason);
		s->state = SUB_DONE;
		return false;
	}
	s->state = SUB_RUNNING;
	env.cur = r->nr_subs - 1;
	return true;
}

void test__skip(const char *fmt, ...)
{
	struct test_result *r = env.res;
	char *reason = env.cur < 0 ? r->reason : r->subs[env.cur].reason;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, REASON_LEN, fmt ? fmt : "no reason given", ap);
	va_end(ap);
	/* Reasons end up on single result lines (KTAP, the summary). */
	for (; *reason; reason++)
		if (*reason == '\n')
			*reason = ' ';
	if (env.cur < 0)
		r->skipped = true;
	else
		r->subs[env.cur].skipped = true;
}

void test__fail(void)
{
	if (env.cur < 0)
		env.res->fail_cnt++;
	else
		env.res->subs[env.cur].fail_cnt++;
}

bool test__assert_msg(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test__fail();
	return false;
}

bool test__assert_cmp(const char *file, int line, const char *name,
		      const char *expr, bool sa, unsigned long long a, bool sb,
		      unsigned long long b)
{
	char as[24], bs[24];

	if (sa)
		snprintf(as, sizeof(as), "%lld", (long long)a);
	else
		snprintf(as, sizeof(as), "%llu", a);
	if (sb)
		snprintf(bs, sizeof(bs), "%lld", (long long)b);
	else
		snprintf(bs, sizeof(bs), "%llu", b);
	return test__assert_msg(file, line,
				"%s: %s failed: actual %s, expected %s", name,
				expr, as, bs);
}

/* run_cmd() */

struct buf {
	char *p;
	size_t len, cap;
};

/*
 * Read the pipes until EOF or, given a pidfd, until the shell has exited and
 * the pipes are drained: a background job that inherited a pipe must not make
 * us wait for it.  Without pidfd (kernels before 5.3), wait for EOF.
 */
static void collect(int *fds, int nr, int pidfd, struct buf *b)
{
	bool exited = false;
	struct pollfd p[3];
	int i, open = nr;
	ssize_t n;

	while (open) {
		for (i = 0; i < nr; i++)
			p[i] = (struct pollfd){ .fd = fds[i],
						.events = POLLIN };
		p[nr] = (struct pollfd){ .fd = exited ? -1 : pidfd,
					 .events = POLLIN };
		n = poll(p, nr + 1, exited ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < nr; i++) {
			if (fds[i] < 0 || !p[i].revents)
				continue;
			if (b[i].cap - b[i].len < 4096) {
				b[i].cap = b[i].cap * 2 + 4096;
				b[i].p = xrealloc(b[i].p,
						  b[i].cap + 1); /* NUL */
			}
			n = read(fds[i], b[i].p + b[i].len,
				 b[i].cap - b[i].len);
			if (n > 0) {
				b[i].len += n;
			} else if (!n || errno != EINTR) {
				fds[i] = -1; /* EOF: poll() ignores it now */
				open--;
			}
		}
		exited = exited || p[nr].revents;
	}
}

/* Only the tail: that is where errors are, and logs stay readable. */
#define ECHO_MAX 4096

static void echo_tail(const char *prefix, const struct buf *b)
{
	const char *s = b->p, *end = b->p + b->len, *nl;

	if (b->len > ECHO_MAX) {
		s = end - ECHO_MAX;
		printf("%s[... %zu bytes not shown]\n", prefix,
		       b->len - ECHO_MAX);
	}
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		printf("%s%.*s\n", prefix, (int)(nl - s), s);
	}
}

static int run_cmd_v(char **out, char **err, bool sep, const char *fmt,
		     va_list ap)
{
	int pfd[2][2] = { { -1, -1 }, { -1, -1 } }, fds[2] = { -1, -1 };
	int i, nr = sep ? 2 : 1, pidfd, status, ret;
	struct buf b[2] = {};
	char *cmd, **dst;
	pid_t pid;

	if (out)
		*out = NULL;
	if (err)
		*err = NULL;
	if (vasprintf(&cmd, fmt, ap) < 0)
		return -ENOMEM;
	printf("$ %s\n", cmd);
	fflush(NULL);
	for (i = 0; i < nr; i++) {
		if (pipe2(pfd[i], O_CLOEXEC)) {
			ret = -errno;
			goto cleanup;
		}
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (pid == 0) {
		dup2(pfd[0][1], STDOUT_FILENO);
		dup2(pfd[nr - 1][1], STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < nr; i++) {
		close(pfd[i][1]);
		pfd[i][1] = -1;
		fds[i] = pfd[i][0];
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	collect(fds, nr, pidfd, b);
	if (pidfd >= 0)
		close(pidfd);
	while ((ret = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		ret = -errno;
		goto cleanup;
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	echo_tail("  | ", &b[0]);
	if (sep)
		echo_tail("  2| ", &b[1]);
	printf("  [exit status %d]\n", ret);
cleanup:
	if (ret < 0)
		printf("  [could not run: %s]\n", strerror(-ret));
	for (i = 0; i < 2; i++) {
		if (pfd[i][0] >= 0)
			close(pfd[i][0]);
		if (pfd[i][1] >= 0)
			close(pfd[i][1]);
		dst = i ? err : out;
		if (ret < 0 || !dst) {
			free(b[i].p);
			continue;
		}
		*dst = b[i].p ? b[i].p : xrealloc(NULL, 1);
		(*dst)[b[i].len] = '\0';
	}
	free(cmd);
	return ret;
}

int run_cmd(char **out, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = run_cmd_v(out, NULL, false, fmt, ap);
	va_end(ap);
	return ret;
}

int run_cmd_sep(char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = run_cmd_v(out, err, true, fmt, ap);
	va_end(ap);
	return ret;
}

/* The runner side. */

static off_t log_size(int fd)
{
	struct stat st;

	return fd >= 0 && !fstat(fd, &st) ? st.st_size : 0;
}

static char *read_log(int fd, off_t from, off_t to, size_t *len)
{
	char *p = NULL;
	ssize_t n = 0;

	if (fd >= 0 && to > from) {
		p = xrealloc(NULL, to - from);
		n = pread(fd, p, to - from, from);
	}
	*len = n > 0 ? n : 0;
	return p;
}

static void dump_log(int fd, off_t from, off_t to, const char *prefix)
{
	size_t len, i;
	char *p = read_log(fd, from, to, &len);
	bool bol = true;

	for (i = 0; i < len; i++) {
		if (bol)
			fputs(prefix, stdout);
		putchar(p[i]);
		bol = p[i] == '\n';
	}
	if (!bol)
		putchar('\n');
	free(p);
}

static void json_str(const char *s, size_t len)
{
	size_t i;

	fputc('"', env.json);
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(env.json, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", env.json);
		else if (c < 0x20 || c == 0x7f)
			fprintf(env.json, "\\u%04x", c);
		else
			fputc(c, env.json);
	}
	fputc('"', env.json);
}

static void json_result(const char *name, int num, int res, const char *reason,
			long long dur_ns)
{
	fprintf(env.json, "{\"number\":%d,\"name\":", num);
	json_str(name, strlen(name));
	fprintf(env.json, ",\"result\":\"%s\"", res_str[res]);
	if (reason && *reason) {
		fputs(",\"reason\":", env.json);
		json_str(reason, strlen(reason));
	}
	fprintf(env.json, ",\"duration_ms\":%.3f", dur_ns / 1e6);
}

static int sub_res(const struct sub_result *s)
{
	if (s->fail_cnt || s->state != SUB_DONE)
		return RES_FAIL;
	return s->skipped ? RES_SKIP : RES_OK;
}

/*
 * One result line: "#1/2     test/sub:OK" for people, or a KTAP line,
 * indented when it belongs to a subtest.
 */
static void print_result(const char *test, const char *sub, int num, int subnum,
			 int seq, int res, const char *reason, bool timed_out)
{
	char id[32];

	if (!env.ktap) {
		if (sub)
			snprintf(id, sizeof(id), "%d/%d", num, subnum);
		else
			snprintf(id, sizeof(id), "%d", num);
		printf("#%-7s %s%s%s:%s", id, test, sub ? "/" : "",
		       sub ? sub : "", res_str[res]);
		if (reason && *reason)
			printf(" (%s)", reason);
		putchar('\n');
		return;
	}
	if (res == RES_FAIL && reason && *reason && !timed_out)
		printf("%s# %s\n", sub ? "  " : "", reason);
	printf("%s%s %d %s", sub ? "  " : "", res == RES_FAIL ? "not ok" : "ok",
	       seq, sub ? sub : test);
	if (res == RES_SKIP)
		printf(" # SKIP %s", reason ? reason : "");
	else if (timed_out)
		printf(" # TIMEOUT %d seconds", env.timeout);
	putchar('\n');
}

static void report(const struct prog_test *t, int num, int seq, int fd,
		   const char *why, bool timed_out, long long dur_ns)
{
	struct test_result *r = env.res;
	const char *ind = env.ktap ? (r->nr_subs ? "  # " : "# ") : "";
	int i, res, cnt[3] = {}, sres, died = -1;
	off_t pos = 0, end = log_size(fd);
	struct sub_result *s;
	bool show;
	size_t len;
	char *log;

	for (i = 0; i < r->nr_subs; i++) {
		s = &r->subs[i];
		if (s->state == SUB_RUNNING) {
			/* The test died in this subtest. */
			died = i;
			s->log_end = end;
			s->dur_ns = now_ns() - s->start_ns;
			snprintf(s->reason, sizeof(s->reason), "%s",
				 why ? why : "did not finish");
		}
		cnt[sub_res(s)]++;
	}
	if (cnt[RES_FAIL] || r->fail_cnt || why)
		res = RES_FAIL;
	else if (r->skipped || (r->nr_subs && cnt[RES_SKIP] == r->nr_subs))
		res = RES_SKIP;
	else if (!r->nr_subs && r->nr_filtered)
		res = -1; /* every subtest filtered out: nothing ran */
	else
		res = RES_OK;
	if (res < 0) {
		if (env.ktap)
			printf("ok %d %s # SKIP no subtest selected\n", seq,
			       t->name);
		return;
	}

	show = env.verbose || res == RES_FAIL;
	if (env.ktap && r->nr_subs)
		printf("  KTAP version 1\n  1..%d\n", r->nr_subs);
	for (i = 0; i < r->nr_subs; i++) {
		s = &r->subs[i];
		sres = sub_res(s);
		if (show)
			dump_log(fd, pos, s->log_start, ind);
		if (env.verbose || sres == RES_FAIL)
			dump_log(fd, s->log_start, s->log_end, ind);
		print_result(t->name, s->name, num, s->num, i + 1, sres,
			     s->reason, timed_out && i == died);
		pos = s->log_end;
	}
	if (show)
		dump_log(fd, pos, end, ind);
	print_result(t->name, NULL, num, 0, seq, res, why ? why : r->reason,
		     timed_out);

	if (!r->nr_subs)
		cnt[res]++;
	else if (res == RES_FAIL && !cnt[RES_FAIL])
		cnt[RES_FAIL]++; /* failed outside its subtests */
	env.passed += cnt[RES_OK];
	env.failed += cnt[RES_FAIL];
	env.skipped += cnt[RES_SKIP];

	if (!env.json)
		return;
	fputs(env.json_cnt++ ? ",\n" : "\n", env.json);
	json_result(t->name, num, res, why ? why : r->reason, dur_ns);
	fputs(",\"subtests\":[", env.json);
	for (i = 0; i < r->nr_subs; i++) {
		s = &r->subs[i];
		fputs(i ? "," : "", env.json);
		json_result(s->name, s->num, sub_res(s), s->reason, s->dur_ns);
		fputc('}', env.json);
	}
	fputc(']', env.json);
	if (res == RES_FAIL) {
		log = read_log(fd, 0, end, &len);
		fputs(",\"log\":", env.json);
		json_str(log ? log : "", len);
		free(log);
	}
	fputc('}', env.json);
}

static void __attribute__((noreturn))
run_child(const struct prog_test *t, int fd)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, &env.orig_mask, NULL);
	if (null >= 0 && dup2(null, STDIN_FILENO) >= 0)
		close(null);
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
		_exit(126);
	close(fd);
	env.test = t;
	env.cur = -1;
	t->fn();
	end_subtest();
	env.res->done = true;
	fflush(stdout);
	fflush(stderr);
	_exit(0);
}

/*
 * Wait for the child with a deadline.  SIGCHLD is blocked, so sigtimedwait()
 * sleeps until the child changes state or a second passes.  The child is
 * only peeked at (WNOWAIT) before its group is killed: while it is a zombie
 * its pid cannot be reused, so kill(-pid) cannot hit an unrelated group.
 */
static int wait_child(pid_t pid, bool *timed_out)
{
	long long deadline = now_ns() + env.timeout * 1000000000LL, left;
	struct timespec ts = { .tv_sec = 1 };
	sigset_t chld;
	siginfo_t si;
	int status;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		si.si_pid = 0;
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR)
			break;
		if (si.si_pid == pid)
			break;
		left = deadline - now_ns();
		if (env.timeout && left <= 0) {
			*timed_out = true;
			break;
		}
		if (env.timeout && left < 1000000000LL)
			ts = (struct timespec){ 0, left };
		sigtimedwait(&chld, NULL, &ts);
	}
	/* Also kills whatever the test left running in its group. */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return status;
}

static void run_test(const struct prog_test *t, int num, int seq,
		     const char *deny)
{
	char why[REASON_LEN] = "", path[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	long long start = now_ns();
	bool timed_out = false;
	int fd = -1, status;
	pid_t pid;

	memset(env.res, 0, sizeof(*env.res));
	if (deny) {
		env.res->skipped = true;
		snprintf(env.res->reason, REASON_LEN, "denylisted: %s", deny);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/test_progs.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "no log file: %s", strerror(errno));
		goto out;
	}
	unlink(path);
	fflush(NULL); /* or the child would write our buffers out again */
	pid = fork();
	if (pid < 0) {
		snprintf(why, sizeof(why), "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_child(t, fd);
	/* Both sides set the group, so that kill(-pid) works at once. */
	setpgid(pid, pid);
	env.child = pid;
	status = wait_child(pid, &timed_out);
	env.child = 0;
	if (timed_out)
		snprintf(why, sizeof(why), "timed out after %d s", env.timeout);
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		snprintf(why, sizeof(why), "exited with status %d",
			 WEXITSTATUS(status));
	else if (!env.res->done)
		snprintf(why, sizeof(why), "exited before the test returned");
out:
	report(t, num, seq, fd, why[0] ? why : NULL, timed_out,
	       now_ns() - start);
	if (fd >= 0)
		close(fd);
	fflush(NULL);
}

/* Ctrl-C reaches only our group: take the test's group down with us. */
static void on_signal(int sig)
{
	if (env.child > 0)
		kill(-env.child, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: test_progs [OPTIONS]\n"
		"  -t NAME[/SUB]    run tests whose name contains NAME\n"
		"  -a NAME[/SUB]    run tests named NAME (globs allowed)\n"
		"  -d NAME[/SUB]    do not run tests named NAME\n"
		"                   (comma-separated lists; all repeat)\n"
		"  -v               show the output of passing tests too\n"
		"  -l               list the tests and exit\n"
		"  -j FILE          write a JSON summary to FILE\n"
		"  --ktap           print KTAP version 1 on stdout\n"
		"  --timeout SEC    per-test timeout (default 300, 0: none)\n"
		"  --denylist FILE  skip the 'test[/sub]  # reason' lines\n"
		"                   of FILE, of selftests/DENYLIST and of\n"
		"                   selftests/DENYLIST.<major>.<minor>\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 'T' },
		{ "ktap", no_argument, NULL, 'K' },
		{ "denylist", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *json_path = NULL, *reason;
	int c, i, v, nsel = 0, seq = 0;
	bool list = false;
	sigset_t chld;
	char *end;
	long val;

	/*
	 * Line-buffered from the start, as setvbuf() on a used stream does not
	 * work: test children inherit it, which keeps their stdout and stderr
	 * in order in the log, and progress shows at once through a pipe.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "t:a:d:vlj:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
		case 'a':
			add_filters(&env.allow, optarg, c == 'a', NULL);
			break;
		case 'd':
			add_filters(&env.deny, optarg, true, NULL);
			break;
		case 'v':
			env.verbose = true;
			break;
		case 'l':
			list = true;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'K':
			env.ktap = true;
			break;
		case 'T':
			errno = 0;
			val = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || val < 0 ||
			    val > INT_MAX / 1000) {
				fprintf(stderr, "bad --timeout '%s'\n", optarg);
				return 2;
			}
			env.timeout = val;
			break;
		case 'D':
			if (load_denylist(optarg, true))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (load_default_denylists())
		return 2;

	for (i = 0; i < NR_TESTS; i++) {
		if (verdict(prog_tests[i].name, NULL, &reason) == 1)
			continue;
		nsel++;
		if (list)
			printf("%s\n", prog_tests[i].name);
	}
	if (list)
		return 0;
	if (json_path && !(env.json = fopen(json_path, "we"))) {
		fprintf(stderr, "%s: %s\n", json_path, strerror(errno));
		return 2;
	}
	env.res = mmap(NULL, sizeof(*env.res), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (env.res == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &env.orig_mask);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	if (env.ktap)
		printf("KTAP version 1\n1..%d\n", nsel);
	if (env.json)
		fputs("{\"tests\":[", env.json);
	for (i = 0; i < NR_TESTS; i++) {
		reason = NULL;
		v = verdict(prog_tests[i].name, NULL, &reason);
		if (v != 1)
			run_test(&prog_tests[i], i + 1, ++seq, reason);
	}
	if (env.json) {
		fprintf(env.json,
			"\n],\"passed\":%d,\"failed\":%d,\"skipped\":%d}\n",
			env.passed, env.failed, env.skipped);
		fclose(env.json);
	}
	if (env.ktap)
		printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d "
		       "error:0\n",
		       env.passed, env.failed, env.skipped);
	printf("%d passed, %d failed, %d skipped\n", env.passed, env.failed,
	       env.skipped);
	return env.failed ? 1 : 0;
}
