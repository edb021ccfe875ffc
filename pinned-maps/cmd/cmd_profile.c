// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight profile INSTANCE: the profile tool's samples, symbolized, as
 * the hottest functions (--top), folded stacks (flamegraph.pl, speedscope,
 * Pyroscope /ingest), an SVG flame graph or pprof. Reads profile_counts,
 * stacks and stack_procs (progs/profile.h, progs/stacks.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "cmd.h"
#include "flamegraph.h"
#include "grow.h"
#include "log.h"
#include "pinmaps.h"
#include "pprof.h"
#include "profile.h"
#include "profile_diff.h"
#include "symbolize.h"
#include "units.h"

const char usage_profile[] =
	"Usage: pinsight profile INSTANCE [--drain] [--top N] [--folded]\n"
	"                        [--svg FILE] [--pprof FILE] [--pid PID]\n"
	"                        [--comm COMM] [--trace ID] [--no-comm]\n"
	"                        [--native] [--symbol-path DIR]... [-j]\n"
	"       pinsight profile INSTANCE --spool DIR [--spool-max SIZE]\n"
	"       pinsight profile --diff BASE NEW [--normalize] [--folded]\n"
	"                        [--svg FILE] [--no-comm]\n"
	"\n"
	"Symbolized CPU samples of a profile instance (default: --top 20),\n"
	"all since it was loaded, or with --drain one window.\n"
	"  --drain            end the current window and show it: sampling goes\n"
	"                     on in a new one, the shown samples are removed, so\n"
	"                     successive drains never count a sample twice or\n"
	"                     lose one; its start and end are printed first\n"
	"                     (on stderr with --folded), and are pprof's\n"
	"                     time/duration and -j's start_ns/end_ns; not with\n"
	"                     --pid/--comm/--trace, which would delete unseen\n"
	"                     samples\n"
	"  --top N            hottest functions: self and total samples and %\n"
	"  --folded           one line per stack, \"comm;root;...;leaf count\"\n"
	"                     (flamegraph.pl, speedscope, Pyroscope /ingest)\n"
	"  --svg FILE         interactive flame graph (zoom, search, tooltips)\n"
	"  --pprof FILE       gzip'd profile.proto (go tool pprof, Pyroscope)\n"
	"  --pid PID, --comm COMM   only this process / command\n"
	"  --trace ID         only the samples taken while the thread ran a span\n"
	"                     of this OpenTelemetry trace (32 hex digits), as the\n"
	"                     process published it (OTEP 4947 thread context);\n"
	"                     pprof samples carry trace_id and span_id labels\n"
	"  --no-comm          no command name as the root frame\n"
	"  --native           Python frames left out: the interpreter loop\n"
	"                     (_PyEval_EvalFrameDefault) as the CPU ran it\n"
	"  --symbol-path DIR  also find binaries by build-id here (repeatable)\n"
	"  -j                 JSON: samples, drops, top functions, stacks\n"
	"  --diff BASE NEW    compare two profiles, pprof files (--pprof) or\n"
	"                     folded text (--folded): \"stack base new\" lines\n"
	"                     (flamegraph.pl draws them), and with --svg a\n"
	"                     differential flame graph: NEW's widths, red for\n"
	"                     growth, blue for shrinkage\n"
	"  --normalize        scale BASE to NEW's sample count first\n"
	"  --spool DIR        --drain into DIR/INSTANCE.FROM.UNTIL.EPOCH.pb.gz\n"
	"                     (unix seconds), then remove the oldest *.pb.gz of DIR\n"
	"                     until it holds at most --spool-max (default 256M)\n"
	"Unresolved frames show as module+0xoffset; samples whose stack could\n"
	"not be stored show as [lost stack] and are counted in drops; those\n"
	"whose stack a --stacks-lru instance evicted show as [evicted stack].\n" EXIT_CODES_HELP;

struct fn_stat {
	const char *name, *module;
	__u64 self, total;
};

/* Samples whose stack could not be stored (counted in drops). */
static struct prof_frame lost = { .name = "[lost stack]", .module = "" };
/* Samples whose stack a --stacks-lru map evicted since (not drops). */
static struct prof_frame evicted = { .name = "[evicted stack]", .module = "" };

struct opts {
	int top;
	bool folded, no_comm, drain, native;
	const char *svg, *pprof;
	const char *spool; /* --spool DIR */
	unsigned long long spool_max;
	__u32 pid;
	const char *comm;
	const char *trace; /* --trace: its 32 hex digits, and as bytes */
	__u8 trace_id[16];
	const char *search[16];
	int nsearch;
};

/*
 * A window of samples, as --drain ends it (struct profile_window in
 * progs/profile.h): the rows of every epoch but @keep are its samples.
 */
struct window {
	bool drain;
	__u32 epoch, keep; /* the epoch drained, the one sampling goes on in */
	__u64 start_ns, end_ns;
	__u64 bpf_samples; /* the BPF side's own count of the window */
	__u64 drops; /* drops during the window */
};

/* A W3C trace id, 32 hex digits, into its 16 bytes: 0 or -EINVAL. */
static int parse_trace_id(const char *s, __u8 id[16])
{
	unsigned int b;
	int i;

	if (strlen(s) != 32)
		return -EINVAL;
	for (i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		id[i] = b;
	}
	return 0;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* When the instance was loaded: the ctime of its profile_counts pin. */
static __u64 load_ns(const struct pm_instance *in)
{
	char path[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/maps/profile_counts", in->dir);
	if (stat(path, &st))
		return 0;
	return st.st_ctim.tv_sec * 1000000000ULL + st.st_ctim.tv_nsec;
}

static __u64 bss_u64(struct pm_instance *in, const char *var)
{
	struct pm_map *m = pm_instance_map(in, "bss");
	int i;

	if (!m || pm_map_read(m) || !m->nrows)
		return 0;
	for (i = 0; i < m->value.cnt; i++)
		if (!strcmp(m->value.fields[i].name, var))
			return pm_field_u64(&m->value.fields[i],
					    pm_row_value(m, 0));
	return 0;
}

static __u32 rodata_u32(struct pm_instance *in, const char *var, __u32 def)
{
	const struct pm_field *f = pm_instance_var(in, var);

	return f ? pm_field_u64(f, in->rodata) : def;
}

static int check_size(const struct pm_map *m, __u32 key, __u32 value)
{
	if (m->info.key_size == key && m->info.value_size == value)
		return 0;
	p_err("%s: key/value size %u/%u, but this pinsight expects %u/%u",
	      m->what, m->info.key_size, m->info.value_size, key, value);
	return -EBADMSG;
}

/* Executables of the sampled processes, so exited ones still resolve. */
static void add_proc_exes(struct symbolizer *sym, struct pm_map *procs)
{
	char path[4096];
	__u32 i;

	if (!procs || pm_map_read(procs))
		return;
	for (i = 0; i < procs->nrows; i++)
		if (sym_proc_path(pm_row_value(procs, i), path, sizeof(path)))
			sym_add_file(sym, path);
}

/* A profile_traces row. */
struct trace_row {
	const struct profile_trace_key *k;
	__u64 samples;
};

/* profile_traces rows by (tgid, pid, stack_id, epoch), for the split. */
static int cmp_trace(const void *a, const void *b)
{
	const struct profile_trace_key *x = ((const struct trace_row *)a)->k,
				       *y = ((const struct trace_row *)b)->k;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	if (x->epoch != y->epoch)
		return x->epoch < y->epoch ? -1 : 1;
	return 0;
}

/*
 * The traced rows of the instance, sorted for lookup by the stack row
 * they split (keys point into @traces; NULL and 0 when it has none). An
 * instance loaded before profile_traces existed has no such map: no ids, and
 * --trace is refused.
 */
static int traces_read(struct pm_instance *in, const struct opts *o,
		       struct pm_map **traces, struct trace_row **rows,
		       __u32 *n)
{
	__u32 i;
	int err;

	*rows = NULL;
	*n = 0;
	*traces = pm_instance_map(in, "profile_traces");
	if (!*traces) {
		if (!o->trace)
			return 0;
		p_err("%s: no profile_traces map: loaded by a pinsight-load without OpenTelemetry trace context",
		      in->name);
		return -ENOENT;
	}
	err = check_size(*traces, sizeof(struct profile_trace_key),
			 sizeof(struct profile_val));
	if (!err)
		err = pm_map_read(*traces);
	if (err)
		return err;
	*rows = calloc((*traces)->nrows + 1, sizeof(**rows));
	if (!*rows)
		return -ENOMEM;
	for (i = 0; i < (*traces)->nrows; i++) {
		(*rows)[i].k = pm_row_key(*traces, i);
		(*rows)[i].samples =
			((const struct profile_val *)pm_row_value(*traces, i))
				->samples;
	}
	qsort(*rows, (*traces)->nrows, sizeof(**rows), cmp_trace);
	*n = (*traces)->nrows;
	return 0;
}

static char *hex_str(const __u8 *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	size_t i;

	for (i = 0; s && i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	return s;
}

/*
 * One more stack of @count samples: a copy of @base's frames, comm and
 * cgroup, and the trace and span id of @t (NULL: none).
 */
static int push_stack(struct prof_data *d, size_t *cap,
		      const struct prof_stack *base, __u64 count,
		      const struct profile_trace_key *t)
{
	struct prof_stack *ps;

	if (pm_grow(&d->stacks, cap, d->n + 1, sizeof(*d->stacks), 256))
		return -ENOMEM;
	ps = &d->stacks[d->n];
	*ps = *base;
	ps->count = count;
	ps->comm = strdup(base->comm);
	ps->cgroup = base->cgroup ? strdup(base->cgroup) : NULL;
	if (base->frames != &lost && base->frames != &evicted) {
		ps->frames =
			malloc((base->n ? base->n : 1) * sizeof(*ps->frames));
		if (ps->frames)
			memcpy(ps->frames, base->frames,
			       base->n * sizeof(*ps->frames));
	}
	if (t) {
		ps->trace_id = hex_str(t->trace_id, sizeof(t->trace_id));
		ps->span_id = hex_str(t->span_id, sizeof(t->span_id));
	}
	d->n++;
	d->total += count;
	if (!ps->comm || !ps->frames || (base->cgroup && !ps->cgroup) ||
	    (t && (!ps->trace_id || !ps->span_id)))
		return -ENOMEM;
	return 0;
}

/*
 * The samples of the counts row @k (@base, @count samples) as stacks:
 * one per trace and span id its thread ran under, the rest without ids
 * (never more than the row holds: the traced rows were read after it).
 * With --trace, only that trace's.
 */
static int split_traced(struct prof_data *d, size_t *cap, const struct opts *o,
			const struct profile_key *k,
			const struct prof_stack *base, __u64 count,
			const struct trace_row *rows, __u32 nrows)
{
	struct profile_trace_key want = {
		.tgid = k->tgid,
		.pid = k->pid,
		.stack_id = k->stack_id,
		.epoch = k->epoch,
	};
	const struct trace_row wr = { .k = &want }, *at;
	__u32 lo = 0, hi = nrows, mid;
	int err;

	/* the first row not below (tgid, pid, stack_id, epoch) */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_trace(&rows[mid], &wr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (at = rows + lo; at < rows + nrows && !cmp_trace(at, &wr) && count;
	     at++) {
		const struct profile_trace_key *t = at->k;
		__u64 n = at->samples;

		if (n > count)
			n = count;
		count -= n;
		if (o->trace && memcmp(t->trace_id, o->trace_id, 16))
			continue;
		err = push_stack(d, cap, base, n, t);
		if (err)
			return err;
	}
	if (o->trace || !count)
		return 0;
	return push_stack(d, cap, base, count, NULL);
}

static int build(struct pm_instance *in, struct symbolizer *sym,
		 const struct opts *o, const struct window *win,
		 struct prof_data *d, __u64 *evicted_samples,
		 struct pm_map **traces)
{
	char cg[256];
	struct pm_map *counts, *stacks, *codes;
	struct sym_frame fr[SYM_STACK_MAX];
	struct prof_stack base;
	struct stack_trace st;
	struct trace_row *rows = NULL;
	__u32 i, nrows = 0;
	size_t cap = 0;
	int j, n, err;

	counts = pm_instance_map(in, "profile_counts");
	stacks = pm_instance_map(in, "stacks");
	if (!counts || !stacks) {
		p_err("%s: not a profile instance (no profile_counts/stacks map)",
		      in->name);
		return -ENOENT;
	}
	err = check_size(counts, sizeof(struct profile_key),
			 sizeof(struct profile_val));
	if (!err)
		err = check_size(stacks, sizeof(__u64), sizeof(st));
	if (!err)
		err = pm_map_read(counts);
	/* after the counts: a traced row never has more than its stack's */
	if (!err)
		err = traces_read(in, o, traces, &rows, &nrows);
	if (err)
		goto cleanup;
	add_proc_exes(sym, pm_instance_map(in, "stack_procs"));
	codes = pm_instance_map(in, "py_codes");
	if (codes)
		sym_set_py_codes(sym, codes->fd);
	for (i = 0; i < counts->nrows && !err; i++) {
		const struct profile_key *k = pm_row_key(counts, i);
		const struct profile_val *v = pm_row_value(counts, i);
		struct prof_frame frames[SYM_STACK_MAX];

		if ((o->pid && k->tgid != o->pid) ||
		    (o->comm && strncmp(k->comm, o->comm, TASK_COMM_LEN)) ||
		    (win->drain && k->epoch == win->keep))
			continue;
		memset(&base, 0, sizeof(base));
		base.tgid = k->tgid;
		base.pid = k->pid;
		base.comm = strndup(k->comm, TASK_COMM_LEN);
		if (k->cgroup) {
			pm_cgroup_name(k->cgroup, cg, sizeof(cg));
			base.cgroup = strdup(cg);
		}
		if (!k->stack_id ||
		    bpf_map_lookup_elem(stacks->fd, &k->stack_id, &st)) {
			base.frames = k->stack_id ? &evicted : &lost;
			base.n = 1;
			if (k->stack_id)
				*evicted_samples += v->samples;
		} else {
			n = sym_stack(sym, k->tgid, &st, fr, SYM_STACK_MAX);
			memset(frames, 0, sizeof(frames));
			for (j = 0; j < n; j++) {
				frames[j].name = sym_frame_name(sym, &fr[j]);
				frames[j].module = fr[j].module;
				frames[j].addr = fr[j].addr;
				frames[j].kernel = fr[j].kernel;
				if (fr[j].python) {
					frames[j].file = fr[j].src_file;
					frames[j].line = fr[j].src_line;
				}
			}
			base.frames = frames;
			base.n = n;
		}
		err = base.comm ? split_traced(d, &cap, o, k, &base, v->samples,
					       rows, nrows)
				: -ENOMEM;
		free((char *)base.comm);
		free((char *)base.cgroup);
	}
cleanup:
	free(rows);
	return err;
}

/* ---- --drain ---- */

/*
 * Map the instance's profile_window writable and take the instance's
 * drain lock (on its directory: a map fd's inode is the shared anon
 * inode), so two drainers never read the same window.
 */
static int window_map(struct pm_instance *in, int *lock_fd,
		      struct profile_window **w)
{
	struct pm_map *m = pm_instance_map(in, "profile_window");
	size_t len = sysconf(_SC_PAGESIZE);
	int fd, err;
	void *p;

	if (!m) {
		p_err("%s: no profile_window map: not a profile instance, or loaded by a pinsight-load without windows",
		      in->name);
		return -ENOENT;
	}
	err = check_size(m, sizeof(__u32), sizeof(**w));
	if (err)
		return err;
	*lock_fd = open(in->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX)) {
		err = -errno;
		p_err("%s: cannot lock for --drain: %s", in->dir,
		      strerror(errno));
		return err;
	}
	fd = bpf_obj_get(m->path); /* read-write: readers open read-only */
	if (fd < 0) {
		err = -errno;
		p_err("%s: cannot open for writing: %s", m->what,
		      strerror(errno));
		return err;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err) {
		p_err("%s: cannot map: %s", m->what, strerror(-err));
		return err;
	}
	*w = p;
	return 0;
}

/*
 * Start a new window and wait until no sample can still land in the old
 * one (progs/profile.h says why the in-flight count is enough): from then
 * on the old epoch's rows are final.
 */
static int window_flip(struct pm_instance *in, struct profile_window *w,
		       struct window *win)
{
	__u32 old = __atomic_load_n(&w->epoch, __ATOMIC_SEQ_CST);
	__u32 next = old + 1;
	__u64 drops = bss_u64(in, "drops");
	int i;

	win->drain = true;
	win->epoch = old;
	win->keep = next;
	win->end_ns = now_ns();
	w->start_ns[next & 1] = win->end_ns;
	w->drops_start[next & 1] = drops;
	/* a full barrier, as do_sample's, between this and inflight's load */
	__atomic_fetch_add(&w->epoch, 1, __ATOMIC_SEQ_CST);
	for (i = 0; __atomic_load_n(&w->inflight[old & 1], __ATOMIC_SEQ_CST);
	     i++) {
		/* a BPF program runs for microseconds; 1 s means trouble */
		if (i == 10000) {
			p_err("%s: samples of window %u still in flight after 1 s; the next --drain takes them",
			      in->name, old);
			return -ETIMEDOUT;
		}
		usleep(100);
	}
	win->start_ns = w->start_ns[old & 1] ?: load_ns(in);
	win->drops = drops - w->drops_start[old & 1];
	win->bpf_samples =
		__atomic_exchange_n(&w->samples[old & 1], 0, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * Delete the drained rows of @counts, whose keys hold the epoch at
 * @epoch_off (struct profile_key and struct profile_trace_key are both 48
 * bytes: the map's key size cannot tell them apart): every epoch but the
 * one sampling goes on in.
 */
static int window_clear_map(struct pm_map *counts, size_t epoch_off,
			    const struct window *win)
{
	int fd, err = 0;
	__u64 epoch;
	__u32 i;

	fd = bpf_obj_get(counts->path);
	if (fd < 0) {
		err = -errno;
		p_err("%s: cannot open for writing: %s", counts->what,
		      strerror(errno));
		return err;
	}
	for (i = 0; i < counts->nrows; i++) {
		const char *k = pm_row_key(counts, i);

		memcpy(&epoch, k + epoch_off, sizeof(epoch));
		if (epoch == win->keep)
			continue;
		if (bpf_map_delete_elem(fd, k) && errno != ENOENT) {
			err = -errno;
			p_err("%s: cannot delete a drained row: %s",
			      counts->what, strerror(errno));
			break;
		}
	}
	close(fd);
	return err;
}

static int window_clear(struct pm_instance *in, const struct window *win,
			struct pm_map *traces)
{
	int err = window_clear_map(pm_instance_map(in, "profile_counts"),
				   offsetof(struct profile_key, epoch), win);

	if (!err && traces)
		err = window_clear_map(
			traces, offsetof(struct profile_trace_key, epoch), win);
	return err;
}

static void print_time(FILE *f, const char *what, __u64 ns)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s%s.%03lluZ", what, buf,
		(unsigned long long)(ns % 1000000000ULL / 1000000));
}

/* "window 7: 2026-...Z .. 2026-...Z (10.000 s)", for people. */
static void print_window(FILE *f, const struct window *win)
{
	fprintf(f, "window %u: ", win->epoch);
	print_time(f, "", win->start_ns);
	print_time(f, " .. ", win->end_ns);
	fprintf(f, " (%.3f s)\n", (win->end_ns - win->start_ns) / 1e9);
}

/* ---- --top ---- */

static struct fn_stat *fn_get(struct fn_stat **tab, size_t *n, size_t *cap,
			      const struct prof_frame *f)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*tab)[i].name, f->name))
			return &(*tab)[i];
	if (pm_grow(tab, cap, *n + 1, sizeof(**tab), 256))
		return NULL;
	(*tab)[*n] = (struct fn_stat){ f->name, f->module, 0, 0 };
	return &(*tab)[(*n)++];
}

static int cmp_self(const void *a, const void *b)
{
	const struct fn_stat *x = a, *y = b;

	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int top_stats(const struct prof_data *d, struct fn_stat **out,
		     size_t *nout)
{
	struct fn_stat *tab = NULL, *fs;
	size_t n = 0, cap = 0, i;
	int j, k;

	for (i = 0; i < d->n; i++) {
		const struct prof_stack *ps = &d->stacks[i];

		for (j = 0; j < ps->n; j++) {
			/* recursion: count a function once per stack */
			for (k = j + 1; k < ps->n; k++)
				if (!strcmp(ps->frames[k].name,
					    ps->frames[j].name))
					break;
			fs = fn_get(&tab, &n, &cap, &ps->frames[j]);
			if (!fs)
				return -ENOMEM;
			if (k == ps->n)
				fs->total += ps->count;
			if (j == ps->n - 1)
				fs->self += ps->count;
		}
	}
	qsort(tab, n, sizeof(*tab), cmp_self);
	*out = tab;
	*nout = n;
	return 0;
}

static double pct(__u64 a, __u64 total)
{
	return total ? 100.0 * a / total : 0;
}

/* "[kernel]" and "[ext4]" come bracketed already; file names do not. */
static bool mod_bracket(const char *m)
{
	return m && *m && *m != '[';
}

static void print_top(const struct prof_data *d, const struct fn_stat *t,
		      size_t n, int top, __u64 evicted_samples)
{
	size_t i;

	printf("%llu samples, %llu dropped", (unsigned long long)d->total,
	       (unsigned long long)d->drops);
	if (evicted_samples)
		printf(", %llu with an evicted stack",
		       (unsigned long long)evicted_samples);
	if (d->evictions >= 0)
		printf(", %lld stacks evicted", (long long)d->evictions);
	printf("\n");
	printf("%7s %7s %9s %9s  %s\n", "SELF%", "TOTAL%", "SELF", "TOTAL",
	       "FUNCTION");
	for (i = 0; i < n && (int)i < top; i++)
		printf("%6.2f%% %6.2f%% %9llu %9llu  %s%s%s%s%s\n",
		       pct(t[i].self, d->total), pct(t[i].total, d->total),
		       (unsigned long long)t[i].self,
		       (unsigned long long)t[i].total, t[i].name,
		       t[i].module && *t[i].module ? " " : "",
		       mod_bracket(t[i].module) ? "[" : "", t[i].module ?: "",
		       mod_bracket(t[i].module) ? "]" : "");
}

/* ---- --folded ---- */

struct folded {
	char *line;
	__u64 count;
};

static int cmp_folded(const void *a, const void *b)
{
	return strcmp(((const struct folded *)a)->line,
		      ((const struct folded *)b)->line);
}

/* Frame names in folded format may not hold ';' or a newline. */
static void put_frame(char **p, char *end, const char *name)
{
	for (; *name && *p < end - 1; name++)
		*(*p)++ = *name == ';' || *name == '\n' ? ':' : *name;
}

static int print_folded(const struct prof_data *d, bool comm)
{
	struct folded *fl = calloc(d->n + 1, sizeof(*fl));
	size_t i, n = 0, len = 1 << 16;
	char *p, *end;
	int j;

	if (!fl)
		return -ENOMEM;
	for (i = 0; i < d->n; i++) {
		const struct prof_stack *ps = &d->stacks[i];

		fl[n].line = malloc(len);
		if (!fl[n].line)
			break;
		p = fl[n].line;
		end = p + len;
		if (comm)
			put_frame(&p, end, ps->comm);
		for (j = 0; j < ps->n; j++) {
			if (p != fl[n].line && p < end - 1)
				*p++ = ';';
			put_frame(&p, end, ps->frames[j].name);
		}
		*p = '\0';
		fl[n++].count = ps->count;
	}
	qsort(fl, n, sizeof(*fl), cmp_folded);
	for (i = 0; i < n; i++) {
		__u64 c = fl[i].count;

		while (i + 1 < n && !strcmp(fl[i].line, fl[i + 1].line))
			c += fl[++i].count;
		printf("%s %llu\n", fl[i].line, (unsigned long long)c);
	}
	for (i = 0; i < n; i++)
		free(fl[i].line);
	free(fl);
	return 0;
}

/* ---- -j ---- */

static void print_json(const struct prof_data *d, const struct fn_stat *t,
		       size_t nt, int top, const struct window *win,
		       __u64 evicted_samples)
{
	json_writer_t *jw = jsonw_new(stdout, pretty);
	size_t i;
	int j;

	if (!jw)
		return;
	jsonw_start_object(jw);
	jsonw_u64_field(jw, "samples", d->total);
	jsonw_u64_field(jw, "drops", d->drops);
	/* samples whose stack --stacks-lru evicted before this read */
	jsonw_u64_field(jw, "evicted", evicted_samples);
	/* stacks --stacks-lru evicted since load (not per window) */
	if (d->evictions >= 0)
		jsonw_u64_field(jw, "stack_evictions", d->evictions);
	jsonw_u64_field(jw, "freq", d->freq);
	jsonw_u64_field(jw, "start_ns", d->start_ns);
	jsonw_u64_field(jw, "end_ns", d->end_ns);
	if (win->drain) {
		jsonw_name(jw, "window");
		jsonw_start_object(jw);
		jsonw_u64_field(jw, "epoch", win->epoch);
		/* what the BPF side counted: equals samples with no filter */
		jsonw_u64_field(jw, "bpf_samples", win->bpf_samples);
		jsonw_end_object(jw);
	}
	jsonw_name(jw, "top");
	jsonw_start_array(jw);
	for (i = 0; i < nt && (int)i < top; i++) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "function", t[i].name);
		jsonw_string_field(jw, "module", t[i].module ?: "");
		jsonw_u64_field(jw, "self", t[i].self);
		jsonw_u64_field(jw, "total", t[i].total);
		jsonw_name(jw, "self_pct");
		jsonw_double(jw, pct(t[i].self, d->total));
		jsonw_name(jw, "total_pct");
		jsonw_double(jw, pct(t[i].total, d->total));
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_name(jw, "stacks");
	jsonw_start_array(jw);
	for (i = 0; i < d->n; i++) {
		const struct prof_stack *ps = &d->stacks[i];

		jsonw_start_object(jw);
		jsonw_string_field(jw, "comm", ps->comm);
		jsonw_u64_field(jw, "tgid", ps->tgid);
		jsonw_u64_field(jw, "pid", ps->pid);
		if (ps->cgroup)
			jsonw_string_field(jw, "cgroup", ps->cgroup);
		if (ps->trace_id) {
			jsonw_string_field(jw, "trace_id", ps->trace_id);
			jsonw_string_field(jw, "span_id", ps->span_id);
		}
		jsonw_u64_field(jw, "samples", ps->count);
		jsonw_name(jw, "frames");
		jsonw_start_array(jw);
		for (j = 0; j < ps->n; j++)
			jsonw_string(jw, ps->frames[j].name);
		jsonw_end_array(jw);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
	jsonw_destroy(&jw);
}

static int write_file(const char *path, const struct prof_data *d,
		      int (*fn)(FILE *, const struct prof_data *))
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		err = -errno;
		p_err("%s: cannot create: %s", path, strerror(errno));
		return err;
	}
	err = fn(f, d);
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		p_err("%s: cannot write: %s", path, strerror(-err));
	return err;
}

/* ---- --spool ---- */

/*
 * The window as DIR/INSTANCE.FROM.UNTIL.EPOCH.pb.gz (unix seconds, so a
 * pusher has Pyroscope's from= and until= in the name; the epoch keeps
 * two drains within one second apart), written to a dot file and renamed,
 * so nothing reading the spool sees half a file.
 */
static int spool_write(struct pm_instance *in, const char *dir,
		       const struct prof_data *d, __u32 epoch, char *path,
		       size_t sz)
{
	char tmp[PATH_MAX];
	int err;

	if (mkdir(dir, 0750) && errno != EEXIST) {
		err = -errno;
		p_err("%s: cannot create the spool: %s", dir, strerror(errno));
		return err;
	}
	snprintf(path, sz, "%s/%s.%llu.%llu.%u.pb.gz", dir, in->name,
		 (unsigned long long)(d->start_ns / 1000000000ULL),
		 (unsigned long long)((d->end_ns + 999999999ULL) /
				      1000000000ULL),
		 epoch);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", dir, in->name, getpid());
	err = write_file(tmp, d, pprof_write);
	if (!err && rename(tmp, path)) {
		err = -errno;
		p_err("%s: cannot rename into place: %s", path,
		      strerror(errno));
	}
	if (err)
		unlink(tmp);
	return err;
}

struct spooled {
	char name[NAME_MAX + 1];
	struct timespec mtime;
	off_t size;
};

static int cmp_mtime(const void *a, const void *b)
{
	const struct spooled *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Keep the spool's *.pb.gz (every instance's) within @max bytes, oldest
 * removed first. A window larger than the whole bound is removed too, and
 * is an error naming it.
 */
static int spool_trim(const char *dir, unsigned long long max,
		      const char *newest)
{
	struct spooled *v = NULL;
	unsigned long long total = 0;
	size_t n = 0, cap = 0, i, len;
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int err = 0;

	dp = opendir(dir);
	if (!dp) {
		err = -errno;
		p_err("%s: cannot list the spool: %s", dir, strerror(errno));
		return err;
	}
	while ((de = readdir(dp))) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 6, ".pb.gz"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (pm_grow(&v, &cap, n + 1, sizeof(*v), 64)) {
			err = -ENOMEM;
			goto cleanup;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n].mtime = st.st_mtim;
		v[n].size = st.st_size;
		total += st.st_size;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_mtime);
	for (i = 0; i < n && total > max; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v[i].name);
		if (unlink(path) && errno != ENOENT) {
			err = -errno;
			p_err("%s: cannot remove: %s", path, strerror(errno));
			goto cleanup;
		}
		total -= v[i].size;
		if (!strcmp(path, newest)) {
			p_err("%s: %lld bytes, more than --spool-max %llu on its own: removed",
			      newest, (long long)v[i].size, max);
			err = -EFBIG;
		}
	}
cleanup:
	closedir(dp);
	free(v);
	return err;
}

int cmd_profile(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "top", required_argument, NULL, 't' },
		{ "folded", no_argument, NULL, 'f' },
		{ "svg", required_argument, NULL, 's' },
		{ "pprof", required_argument, NULL, 'P' },
		{ "pid", required_argument, NULL, 'i' },
		{ "comm", required_argument, NULL, 'c' },
		{ "no-comm", no_argument, NULL, 'N' },
		{ "native", no_argument, NULL, 1000 },
		{ "symbol-path", required_argument, NULL, 'S' },
		{ "drain", no_argument, NULL, 'D' },
		{ "diff", no_argument, NULL, 'd' },
		{ "normalize", no_argument, NULL, 'n' },
		{ "spool", required_argument, NULL, 'o' },
		{ "spool-max", required_argument, NULL, 'm' },
		{ "trace", required_argument, NULL, 'T' },
		{},
	};
	struct profile_diff_opts dopt = {};
	struct profile_window *w = NULL;
	struct opts o = { .top = -1, .spool_max = 256ULL << 20 };
	char spool_file[PATH_MAX];
	bool diff = false;
	struct window win = {};
	char host[256] = "";
	__u64 evicted_samples = 0;
	int lock_fd = -1;
	struct prof_data d = { .evictions = -1 };
	struct pm_map *bss;
	struct pm_instance *in = NULL;
	struct pm_map *traces = NULL;
	struct symbolizer *sym = NULL;
	struct fn_stat *top = NULL;
	struct sym_opts so = {};
	size_t ntop = 0, i;
	int c, err;

	while ((c = cmd_getopt(argc, argv, NULL, lopts, usage_profile)) != -1) {
		switch (c) {
		case CMD_HELP:
			return EXIT_OK;
		case CMD_BAD:
			return EXIT_USAGE;
		case 't':
			o.top = atoi(optarg);
			if (o.top <= 0)
				return cmd_usage_err(
					usage_profile,
					"profile: --top %s: expected N > 0",
					optarg);
			break;
		case 'f':
			o.folded = true;
			break;
		case 's':
			o.svg = optarg;
			break;
		case 'P':
			o.pprof = optarg;
			break;
		case 'i':
			o.pid = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o.comm = optarg;
			break;
		case 'N':
			o.no_comm = true;
			break;
		case 'D':
			o.drain = true;
			break;
		case 'd':
			diff = true;
			break;
		case 'n':
			dopt.normalize = true;
			break;
		case 'o':
			o.spool = optarg;
			o.drain = true;
			break;
		case 'm':
			if (parse_size(optarg, &o.spool_max) || !o.spool_max)
				return cmd_usage_err(
					usage_profile,
					"profile: --spool-max %s: expected a size (e.g. 256M)",
					optarg);
			break;
		case 'T':
			if (parse_trace_id(optarg, o.trace_id))
				return cmd_usage_err(
					usage_profile,
					"profile: --trace %s: expected a trace id, 32 hex digits",
					optarg);
			o.trace = optarg;
			break;
		case 1000: /* --native */
			o.native = true;
			break;
		case 'S':
			if (o.nsearch < 15)
				o.search[o.nsearch++] = optarg;
			break;
		}
	}
	if (diff) {
		if (argc - optind != 2)
			return cmd_usage_err(
				usage_profile,
				"profile: --diff takes BASE and NEW");
		if (o.drain || o.pid || o.comm || o.top > 0 || o.pprof ||
		    o.trace || json_output)
			return cmd_usage_err(
				usage_profile,
				"profile: --diff takes only --svg, --folded, --normalize, --no-comm");
		dopt.svg = o.svg;
		dopt.folded = o.folded;
		dopt.no_comm = o.no_comm;
		dopt.title = "diff";
		return exit_code_for(
			profile_diff(argv[optind], argv[optind + 1], &dopt));
	}
	if (dopt.normalize)
		return cmd_usage_err(usage_profile,
				     "profile: --normalize is for --diff");
	if (o.spool &&
	    (o.pprof || o.svg || o.folded || o.top > 0 || json_output))
		return cmd_usage_err(
			usage_profile,
			"profile: --spool writes pprof files only");
	if (argc - optind != 1)
		return cmd_usage_err(usage_profile,
				     "profile: expected one INSTANCE");
	if (o.drain && (o.pid || o.comm || o.trace))
		return cmd_usage_err(
			usage_profile,
			"profile: --drain takes the whole window; filter when reading its pprof");
	err = pm_instance_open(argv[optind], &in);
	if (err)
		return err == -EINVAL ? EXIT_USAGE : exit_code_for(err);
	so.search_path = o.search;
	so.no_python = o.native;
	sym = sym_new(&so);
	if (!sym) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (o.drain) {
		err = window_map(in, &lock_fd, &w);
		if (!err)
			err = window_flip(in, w, &win);
		if (err)
			goto cleanup;
	}
	err = build(in, sym, &o, &win, &d, &evicted_samples, &traces);
	if (err)
		goto cleanup;
	/* only once the window is read: what is deleted is not seen again */
	if (o.drain && (err = window_clear(in, &win, traces)))
		goto cleanup;
	d.drops = o.drain ? win.drops : bss_u64(in, "drops");
	bss = pm_instance_map(in, "bss");
	d.evictions = bss && bss->evict_stacks ?
			      (__s64)bss_u64(in, "stack_evictions") :
			      -1;
	d.freq = rodata_u32(in, "sample_freq", 99);
	d.title = in->name;
	d.start_ns = o.drain ? win.start_ns : load_ns(in);
	d.end_ns = o.drain ? win.end_ns : now_ns();
	if (!gethostname(host, sizeof(host) - 1))
		d.host = host;
	if (o.spool) {
		err = spool_write(in, o.spool, &d, win.epoch, spool_file,
				  sizeof(spool_file));
		if (!err)
			err = spool_trim(o.spool, o.spool_max, spool_file);
		goto cleanup;
	}
	if (o.drain && !json_output)
		print_window(o.folded ? stderr : stdout, &win);
	err = top_stats(&d, &top, &ntop);
	if (err)
		goto cleanup;
	if (o.svg && (err = write_file(o.svg, &d, flamegraph_svg)))
		goto cleanup;
	if (o.pprof && (err = write_file(o.pprof, &d, pprof_write)))
		goto cleanup;
	if (json_output)
		print_json(&d, top, ntop, o.top > 0 ? o.top : 20, &win,
			   evicted_samples);
	else if (o.folded)
		err = print_folded(&d, !o.no_comm);
	else if (o.top > 0 || (!o.svg && !o.pprof))
		print_top(&d, top, ntop, o.top > 0 ? o.top : 20,
			  evicted_samples);
cleanup:
	for (i = 0; i < d.n; i++) {
		free((char *)d.stacks[i].comm);
		free((char *)d.stacks[i].cgroup);
		free((char *)d.stacks[i].trace_id);
		free((char *)d.stacks[i].span_id);
		if (d.stacks[i].frames != &lost &&
		    d.stacks[i].frames != &evicted)
			free(d.stacks[i].frames);
	}
	free(d.stacks);
	free(top);
	sym_free(sym);
	if (w)
		munmap(w, sysconf(_SC_PAGESIZE));
	if (lock_fd >= 0)
		close(lock_fd);
	pm_instance_close(in);
	return exit_code_for(err);
}
