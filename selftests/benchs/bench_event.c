// SPDX-License-Identifier: GPL-2.0
/*
 * bench event: the per-event cost of conditions measured side by side.
 *
 * For each repetition, each condition in turn (A B C A B C ...): set it up,
 * run the loop with BPF stats off (wall clock: ns per iteration, the fastest
 * of 25 chunks), then again with them on (BPF_ENABLE_STATS: run_time_ns and
 * run_cnt of the programs the condition added), then tear it down. Stats
 * are enabled through a file descriptor rather than the sysctl so they go
 * back off even if we die. The first condition is the baseline: "added" is
 * a condition's ns/op minus the baseline's in the same repetition, so slow
 * drift cancels.
 *
 * A condition spelled "NAME=otel+KIND:SPEC" runs with the loop's process
 * publishing an OpenTelemetry context (issue 18): an OTEP 4719 process
 * context before its setup (so that pinsight-load resolves it), and on
 * the loop's thread an OTEP 4947 record with a span attached, by the
 * workloads' writer (selftests/workloads/vector-studio/otelctx.c); both
 * go away at its teardown, so the other conditions' loop publishes
 * nothing.
 *
 * A condition's programs are found exactly, never by diffing the kernel's
 * program list (other people load programs on this machine too): ours from
 * the object, pinsight's from the links pinned under the pin root,
 * bpftrace's from the program fds it holds (/proc/PID/fdinfo).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../workloads/vector-studio/otelctx.h"
#include "bench.h"
#include "json_writer.h"
#include "log.h"
#include "pin_layout.h"

#define MAX_REPS 64
#define MAX_LINKS 256
#define MAX_PROGS 64

enum cond_kind { C_NONE, C_PROGS, C_SH, C_BPFTRACE };

struct prog_acc {
	char name[BPF_OBJ_NAME_LEN];
	__u64 run_time_ns, run_cnt;
};

struct prog_live {
	__u32 id;
	int fd, acc; /* index into cond->acc */
	__u64 t0, c0;
};

struct cond {
	const char *name;
	char *spec; /* with @PID@ replaced by our pid */
	char *teardown; /* sh: the command after "%%" in the spec */
	enum cond_kind kind;
	bool otel; /* "otel+": the loop publishes a context and a span */
	char err[256];
	/* live while set up */
	struct bpf_object *obj;
	struct bpf_link *links[MAX_LINKS];
	int nr_links;
	int perf_fds[MAX_LINKS]; /* "perf": events open with no program */
	int nr_perf_fds;
	pid_t bt_pid;
	int bt_fd;
	struct prog_live live[MAX_PROGS];
	int nr_live;
	/* results */
	int reps;
	double wall[MAX_REPS], bpf_per_op[MAX_REPS];
	struct prog_acc acc[MAX_PROGS];
	int nr_acc;
};

static const char *obj_path = ".output/benchs/bench_floor.bpf.o";

static void cond_fail(struct cond *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cond_fail(struct cond *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	p_err("%s: %s", c->name, c->err);
}

/* Run a shell command; on failure keep its last line of output. */
static int run_sh(struct cond *c, const char *cmd)
{
	char line[256] = "", buf[256], *full;
	FILE *f;
	int st;

	if (asprintf(&full, "%s 2>&1", cmd) < 0)
		return -ENOMEM;
	f = popen(full, "r");
	free(full);
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f))
		memcpy(line, buf, sizeof(line));
	st = pclose(f);
	if (st) {
		line[strcspn(line, "\n")] = '\0';
		cond_fail(c, "'%s' failed: %s", cmd, line[0] ? line : "no output");
		return -EIO;
	}
	return 0;
}

static const struct perf_event_attr perf_99hz = {
	.type = PERF_TYPE_SOFTWARE,
	.config = PERF_COUNT_SW_CPU_CLOCK,
	.size = sizeof(struct perf_event_attr),
	.sample_freq = 99,
	.freq = 1,
};

static int perf_attach_all(struct cond *c, struct bpf_program *p)
{
	struct perf_event_attr attr = perf_99hz;
	int cpu, fd, ncpu = libbpf_num_possible_cpus();

	for (cpu = 0; cpu < ncpu && c->nr_links < MAX_LINKS; cpu++) {
		fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1,
			     PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			continue; /* an offline CPU */
		c->links[c->nr_links] = bpf_program__attach_perf_event(p, fd);
		if (!c->links[c->nr_links]) {
			close(fd);
			return -errno;
		}
		c->nr_links++;
	}
	return 0;
}


/*
 * "perf": the profiler's events (cpu-clock, 99 Hz, every CPU) with no
 * program: the sampling interrupt alone, which BPF stats never see.
 */
static int perf_open_all(struct cond *c)
{
	struct perf_event_attr attr = perf_99hz;
	int cpu, fd, ncpu = libbpf_num_possible_cpus();

	for (cpu = 0; cpu < ncpu && c->nr_perf_fds < MAX_LINKS; cpu++) {
		fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1,
			     PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			continue; /* an offline CPU */
		c->perf_fds[c->nr_perf_fds++] = fd;
	}
	return c->nr_perf_fds ? 0 : -errno;
}

/* The process uprobes fire in: ours (the loops), or bench hold -p's. */
static pid_t uprobe_pid;

/* "PROG[@BINARY:FUNC[+N]],..." from the bench object; "perf" (alone) for
 * the perf events without a program.
 */
static int setup_progs(struct cond *c)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	char *spec = strdup(c->spec), *item, *save = NULL, *at, *fn;
	unsigned long long off;
	struct bpf_program *p;
	struct bpf_link *link;
	int err = 0;

	if (!spec)
		return -ENOMEM;
	if (!strcmp(spec, "perf")) {
		free(spec);
		err = perf_open_all(c);
		if (err)
			cond_fail(c, "perf_event_open: %s", strerror(-err));
		return err;
	}
	c->obj = bpf_object__open_file(obj_path, NULL);
	if (!c->obj) {
		err = -errno;
		cond_fail(c, "%s: open: %s", obj_path, strerror(-err));
		goto cleanup;
	}
	bpf_object__for_each_program(p, c->obj)
		bpf_program__set_autoload(p, false);
	for (item = strtok_r(spec, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		item[strcspn(item, "@")] = '\0';
		p = bpf_object__find_program_by_name(c->obj, item);
		if (!p) {
			err = -ENOENT;
			cond_fail(c, "%s: no program %s", obj_path, item);
			goto cleanup;
		}
		bpf_program__set_autoload(p, true);
	}
	err = bpf_object__load(c->obj);
	if (err) {
		cond_fail(c, "%s: load: %s", obj_path, strerror(-err));
		goto cleanup;
	}
	strcpy(spec, c->spec);
	for (item = strtok_r(spec, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		at = strchr(item, '@');
		if (at)
			*at++ = '\0';
		p = bpf_object__find_program_by_name(c->obj, item);
		if (c->nr_links >= MAX_LINKS) {
			err = -E2BIG;
			goto cleanup;
		}
		if (bpf_program__type(p) == BPF_PROG_TYPE_PERF_EVENT) {
			err = perf_attach_all(c, p);
		} else if (at) {
			fn = strrchr(at, ':');
			if (!fn) {
				err = -EINVAL;
				cond_fail(c, "%s: expected BINARY:FUNC", at);
				goto cleanup;
			}
			*fn++ = '\0';
			/* FUNC+N: N bytes in, where a tool probes past a prologue */
			off = strchr(fn, '+') ? strtoull(strchr(fn, '+') + 1, NULL, 0) : 0;
			fn[strcspn(fn, "+")] = '\0';
			uo.func_name = fn;
			uo.retprobe = !strncmp(bpf_program__section_name(p),
					       "uretprobe", 9);
			/* one process is the target: no trap in others */
			link = bpf_program__attach_uprobe_opts(
				p, uprobe_pid ? uprobe_pid : getpid(), at, off,
				&uo);
			err = link ? 0 : -errno;
			if (link)
				c->links[c->nr_links++] = link;
		} else {
			link = bpf_program__attach(p);
			err = link ? 0 : -errno;
			if (link)
				c->links[c->nr_links++] = link;
		}
		if (err) {
			cond_fail(c, "%s: attach: %s", item, strerror(-err));
			goto cleanup;
		}
	}
cleanup:
	free(spec);
	return err;
}

/* A line of the child's output within @ms, or -ETIMEDOUT / -EPIPE. */
static int read_line(int fd, char *buf, size_t sz, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n + 1 < sz) {
		if (poll(&pfd, 1, ms) <= 0)
			return -ETIMEDOUT;
		if (read(fd, buf + n, 1) != 1)
			return -EPIPE;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return 0;
}

static int setup_bpftrace(struct cond *c)
{
	char line[512] = "", last[512] = "";
	int pfd[2], err;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	c->bt_pid = fork();
	if (c->bt_pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (!c->bt_pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		/* "-p PID SCRIPT": uprobes in that process only, as ours are */
		if (!strncmp(c->spec, "-p ", 3) && strchr(c->spec + 3, ' ')) {
			char *pid = strdup(c->spec + 3);

			pid[strcspn(pid, " ")] = '\0';
			execlp("bpftrace", "bpftrace", "-p", pid, "-e",
			       strchr(c->spec + 3, ' ') + 1, (char *)NULL);
		}
		execlp("bpftrace", "bpftrace", "-e", c->spec, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	c->bt_fd = pfd[0];
	/* bpftrace prints this just before it loads and attaches */
	while (!(err = read_line(c->bt_fd, line, sizeof(line), 30000))) {
		if (!strncmp(line, "Attaching", 9))
			return 0;
		memcpy(last, line, sizeof(last));
	}
	last[strcspn(last, "\n")] = '\0';
	cond_fail(c, "bpftrace did not attach: %s",
		  last[0] ? last : strerror(-err));
	return err;
}

static void teardown(struct cond *c)
{
	char buf[4096];
	int i, st;

	for (i = 0; i < c->nr_live; i++)
		close(c->live[i].fd);
	c->nr_live = 0;
	for (i = 0; i < c->nr_links; i++)
		bpf_link__destroy(c->links[i]);
	c->nr_links = 0;
	for (i = 0; i < c->nr_perf_fds; i++)
		close(c->perf_fds[i]);
	c->nr_perf_fds = 0;
	bpf_object__close(c->obj);
	c->obj = NULL;
	if (c->teardown)
		run_sh(c, c->teardown);
	if (c->bt_pid > 0) {
		kill(c->bt_pid, SIGINT);
		/* drain what it prints at exit so it never blocks on us */
		while (!read_line(c->bt_fd, buf, sizeof(buf), 10000))
			;
		if (waitpid(c->bt_pid, &st, WNOHANG) == 0) {
			kill(c->bt_pid, SIGKILL);
			waitpid(c->bt_pid, &st, 0);
		}
		close(c->bt_fd);
		c->bt_pid = 0;
	}
}


static int acc_index(struct cond *c, const char *name)
{
	int i;

	for (i = 0; i < c->nr_acc; i++)
		if (!strcmp(c->acc[i].name, name))
			return i;
	if (c->nr_acc >= MAX_PROGS)
		return -1;
	snprintf(c->acc[c->nr_acc].name, sizeof(c->acc[0].name), "%s", name);
	return c->nr_acc++;
}

/* Track program @id (once: perf_event tools have a link per CPU). */
static void add_prog(struct cond *c, __u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int i, fd;

	for (i = 0; i < c->nr_live; i++)
		if (c->live[i].id == id)
			return;
	if (c->nr_live >= MAX_PROGS)
		return;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return;
	}
	c->live[c->nr_live].id = id;
	c->live[c->nr_live].fd = fd;
	c->live[c->nr_live].acc = acc_index(c, info.name);
	c->nr_live++;
}

/* The programs behind every link pinned under the pin root (pinsight-load). */
static void add_pinned_progs(struct cond *c)
{
	char path[PATH_MAX];
	glob_t g = {};
	size_t i;
	int fd;

	if (path_fmt(path, sizeof(path), "%s/*/links/*", pin_root()) ||
	    glob(path, 0, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		fd = bpf_obj_get(g.gl_pathv[i]);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			add_prog(c, info.prog_id);
		close(fd);
	}
	globfree(&g);
}

/* The programs process @pid holds open (bpftrace keeps its fds). */
static int add_pid_progs(struct cond *c, pid_t pid, bool add)
{
	char path[300], line[128];
	struct dirent *de;
	int n = 0;
	__u32 id;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1) {
				n++;
				if (add)
					add_prog(c, id);
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

static void find_progs(struct cond *c)
{
	struct bpf_program *p;
	int n, last = -1, stable = 0, waited;

	switch (c->kind) {
	case C_PROGS:
		bpf_object__for_each_program(p, c->obj) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (bpf_program__fd(p) >= 0 &&
			    !bpf_obj_get_info_by_fd(bpf_program__fd(p), &info,
						    &len))
				add_prog(c, info.id);
		}
		break;
	case C_SH:
		add_pinned_progs(c);
		break;
	case C_BPFTRACE:
		/* it attaches after its banner: wait for its set to settle */
		for (waited = 0; waited < 10000 && stable < 300; waited += 50) {
			n = add_pid_progs(c, c->bt_pid, false);
			stable = n == last && n > 0 ? stable + 50 : 0;
			last = n;
			usleep(50000);
		}
		add_pid_progs(c, c->bt_pid, true);
		break;
	default:
		break;
	}
}

static void snap(struct cond *c, bool end)
{
	int i;

	for (i = 0; i < c->nr_live; i++) {
		struct prog_live *pl = &c->live[i];
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(pl->fd, &info, &len))
			continue;
		if (!end) {
			pl->t0 = info.run_time_ns;
			pl->c0 = info.run_cnt;
		} else if (pl->acc >= 0) {
			c->acc[pl->acc].run_time_ns += info.run_time_ns - pl->t0;
			c->acc[pl->acc].run_cnt += info.run_cnt - pl->c0;
		}
	}
}

static __u64 live_time(struct cond *c)
{
	__u64 t = 0;
	int i;

	for (i = 0; i < c->nr_live; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(c->live[i].fd, &info, &len))
			t += info.run_time_ns - c->live[i].t0;
	}
	return t;
}

static double median(const double *v, int n, double *min, double *max);

/*
 * Wall clock: the fastest of WALL_CHUNKS runs of n/WALL_CHUNKS iterations.
 * On a 2-CPU VM shared with other work most runs are slowed by preemption
 * or by a neighbour's cache traffic, never sped up: the minimum is the
 * estimate of the undisturbed cost that varies least between repetitions.
 */
#define WALL_CHUNKS 25
static int loop_wall(struct loop *l, long n, double *ns)
{
	double chunk[WALL_CHUNKS];
	int i, err;

	for (i = 0; i < WALL_CHUNKS; i++) {
		err = loop_run(l, n / WALL_CHUNKS + 1, &chunk[i]);
		if (err)
			return err;
	}
	median(chunk, WALL_CHUNKS, ns, NULL);
	return 0;
}

/* The trace and span the "otel+" conditions' loop publishes. */
static const uint8_t otel_trace[16] = "pinsight-bench\0\1";
static const uint8_t otel_span[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };

static int otel_on(struct cond *c)
{
	int err;

	err = otel_process_ctx_publish("pinsight-bench", OTEL_SCHEMA_TLS_V1);

	if (err) {
		cond_fail(c, "OpenTelemetry process context: %s",
			  strerror(-err));
		return err;
	}
	otel_thread_attach(otel_trace, otel_span);
	return 0;
}

static void otel_off(void)
{
	otel_thread_detach();
	otel_process_ctx_unpublish();
}

static int measure(struct cond *c, struct loop *l, long n)
{
	int err, stats_fd;
	double ns;

	/* before the setup: the loader resolves the context at load */
	if (c->otel) {
		err = otel_on(c);
		if (err)
			return err;
	}
	switch (c->kind) {
	case C_PROGS: err = setup_progs(c); break;
	case C_SH: err = run_sh(c, c->spec); break;
	case C_BPFTRACE: err = setup_bpftrace(c); break;
	default: err = 0;
	}
	if (!err)
		find_progs(c);
	if (!err)
		err = loop_run(l, n / 10 + 1, &ns); /* warm caches */
	if (!err)
		err = loop_wall(l, n, &c->wall[c->reps]);
	if (err)
		goto cleanup;
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		cond_fail(c, "BPF_ENABLE_STATS: %s", strerror(-err));
		goto cleanup;
	}
	snap(c, false);
	err = loop_run(l, n, &ns);
	c->bpf_per_op[c->reps] = (double)live_time(c) / n;
	snap(c, true);
	close(stats_fd);
	if (!err)
		c->reps++;
cleanup:
	if (err && !c->err[0])
		cond_fail(c, "%s", strerror(-err));
	teardown(c);
	if (c->otel)
		otel_off();
	return err;
}

/* @s with every "@PID@" replaced by our pid (the loop's): malloc'd. */
static char *subst_pid(const char *s)
{
	char pid[16], *out, *o;
	const char *p;
	size_t n = 1;

	snprintf(pid, sizeof(pid), "%d", getpid());
	for (p = s; *p; p++)
		n += strncmp(p, "@PID@", 5) ? 1 : strlen(pid);
	out = o = malloc(n);
	if (!out)
		return NULL;
	for (p = s; *p;) {
		if (!strncmp(p, "@PID@", 5)) {
			o = stpcpy(o, pid);
			p += 5;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n, double *min, double *max)
{
	double s[MAX_REPS];

	if (!n)
		return 0;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_dbl);
	if (min)
		*min = s[0];
	if (max)
		*max = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void dbl_array(json_writer_t *jw, const char *name, const double *v,
		      int n)
{
	int i;

	jsonw_name(jw, name);
	jsonw_start_array(jw);
	for (i = 0; i < n; i++)
		jsonw_printf(jw, "%.1f", v[i]);
	jsonw_end_array(jw);
}

static void report(json_writer_t *jw, struct cond *c, struct cond *base,
		   long n)
{
	double added[MAX_REPS], lo = 0, hi = 0, med;
	int i, reps = c->reps < base->reps ? c->reps : base->reps;

	jsonw_start_object(jw);
	jsonw_string_field(jw, "name", c->name);
	jsonw_string_field(jw, "spec", c->spec);
	jsonw_bool_field(jw, "ok", !c->err[0]);
	if (c->err[0])
		jsonw_string_field(jw, "error", c->err);
	jsonw_u64_field(jw, "reps", c->reps);
	dbl_array(jw, "wall_ns", c->wall, c->reps);
	jsonw_name(jw, "wall_ns_median");
	jsonw_printf(jw, "%.1f", median(c->wall, c->reps, NULL, NULL));
	for (i = 0; i < reps; i++)
		added[i] = c->wall[i] - base->wall[i];
	dbl_array(jw, "added_ns", added, reps);
	med = median(added, reps, &lo, &hi);
	jsonw_name(jw, "added_ns_median");
	jsonw_printf(jw, "%.1f", med);
	jsonw_name(jw, "added_ns_min");
	jsonw_printf(jw, "%.1f", lo);
	jsonw_name(jw, "added_ns_max");
	jsonw_printf(jw, "%.1f", hi);
	dbl_array(jw, "bpf_ns_per_op", c->bpf_per_op, c->reps);
	jsonw_name(jw, "bpf_ns_per_op_median");
	jsonw_printf(jw, "%.1f", median(c->bpf_per_op, c->reps, NULL, NULL));
	jsonw_name(jw, "progs");
	jsonw_start_array(jw);
	for (i = 0; i < c->nr_acc; i++) {
		struct prog_acc *a = &c->acc[i];

		jsonw_start_object(jw);
		jsonw_string_field(jw, "name", a->name);
		jsonw_u64_field(jw, "run_cnt", a->run_cnt);
		jsonw_u64_field(jw, "run_time_ns", a->run_time_ns);
		jsonw_name(jw, "ns_per_run");
		jsonw_printf(jw, "%.1f", a->run_cnt ?
				 (double)a->run_time_ns / a->run_cnt : 0.0);
		jsonw_name(jw, "runs_per_op");
		jsonw_printf(jw, "%.3f", c->reps ?
				 (double)a->run_cnt / ((double)n * c->reps) : 0.0);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

int cmd_event(int argc, char **argv)
{
	const char *kind = "read", *comm = "pinsight-bench";
	struct cond conds[32] = {};
	int reps = 5, nc = 0, i, r, opt;
	struct loop *l = NULL;
	json_writer_t *jw;
	long n = 200000;
	char *eq;
	int err;

	optind = 1;
	while ((opt = getopt(argc, argv, "r:n:c:l:O:")) != -1) {
		switch (opt) {
		case 'r': reps = atoi(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'c': comm = optarg; break;
		case 'l': kind = optarg; break;
		case 'O': obj_path = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (reps < 1 || reps > MAX_REPS || n < 1 || optind >= argc) {
		p_err("event: need 1..%d repetitions, iterations and conditions",
		      MAX_REPS);
		return EXIT_USAGE;
	}
	for (i = optind; i < argc && nc < 32; i++, nc++) {
		struct cond *c = &conds[nc];

		eq = strchr(argv[i], '=');
		if (!eq) {
			p_err("%s: expected NAME=KIND:SPEC", argv[i]);
			return EXIT_USAGE;
		}
		*eq = '\0';
		c->name = argv[i];
		if (!strncmp(eq + 1, "otel+", 5)) {
			c->otel = true;
			eq += 5;
		}
		c->spec = subst_pid(strchr(eq + 1, ':') ? strchr(eq + 1, ':') + 1 : "");
		if (!c->spec)
			return EXIT_FAIL;
		if (!strcmp(eq + 1, "none"))
			c->kind = C_NONE;
		else if (!strncmp(eq + 1, "progs:", 6))
			c->kind = C_PROGS;
		else if (!strncmp(eq + 1, "sh:", 3)) {
			c->kind = C_SH;
			/* SETUP%%TEARDOWN: both plain shell commands */
			c->teardown = strstr(c->spec, "%%");
			if (c->teardown) {
				*c->teardown = '\0';
				c->teardown += 2;
			}
		}
		else if (!strncmp(eq + 1, "bpftrace:", 9))
			c->kind = C_BPFTRACE;
		else {
			p_err("%s: unknown condition kind '%s'", c->name, eq + 1);
			return EXIT_USAGE;
		}
	}
	/* the target comm for tool filters; children (bpftrace) exec away */
	prctl(PR_SET_NAME, comm);
	signal(SIGPIPE, SIG_IGN);
	libbpf_set_print(NULL);
	err = loop_new(kind, &l);
	if (err)
		return exit_code_for(err);
	for (r = 0; r < reps; r++)
		for (i = 0; i < nc; i++)
			if (!conds[i].err[0])
				measure(&conds[i], l, n);
	loop_free(l);

	jw = jsonw_new(stdout, false);
	if (!jw)
		return EXIT_FAIL;
	jsonw_start_object(jw);
	jsonw_string_field(jw, "loop", kind);
	jsonw_string_field(jw, "comm", comm);
	jsonw_u64_field(jw, "iters", n);
	jsonw_u64_field(jw, "reps", reps);
	jsonw_name(jw, "conds");
	jsonw_start_array(jw);
	for (i = 0; i < nc; i++)
		report(jw, &conds[i], &conds[0], n);
	jsonw_end_array(jw);
	jsonw_end_object(jw);
	jsonw_destroy(&jw);
	printf("\n");
	return conds[0].err[0] ? EXIT_FAIL : EXIT_OK;
}

/*
 * bench hold [-O BPF_OBJ] SPEC: set up one "progs:" condition (SPEC as
 * after "progs:", or "perf"), print "ready", keep it until stdin closes or
 * a signal, then tear it down. For benchmarks that run their own workload
 * under a condition, as selftests/benchs/icount.sh does in its VM.
 */
static volatile sig_atomic_t hold_stop;
static void hold_signal(int sig) { (void)sig; hold_stop = 1; }

int cmd_hold(int argc, char **argv)
{
	struct cond c = { .name = "hold", .kind = C_PROGS };
	struct sigaction sa = { .sa_handler = hold_signal }; /* no SA_RESTART */
	char buf[64];
	int opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "O:p:")) != -1) {
		switch (opt) {
		case 'O': obj_path = optarg; break;
		case 'p': uprobe_pid = atoi(optarg); break;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		p_err("hold: expected one SPEC");
		return EXIT_USAGE;
	}
	c.spec = argv[optind];
	libbpf_set_print(NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (setup_progs(&c)) {
		teardown(&c);
		return EXIT_FAIL;
	}
	printf("ready\n");
	fflush(stdout);
	/* EOF, an error, or a signal (read returns EINTR: no SA_RESTART) */
	while (!hold_stop && read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	c.teardown = NULL;
	teardown(&c);
	return EXIT_OK;
}
