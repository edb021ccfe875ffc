// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight profile INSTANCE: the profile tool's samples, symbolized, as
 * the hottest functions (--top), folded stacks (flamegraph.pl, speedscope,
 * Pyroscope /ingest), an SVG flame graph or pprof. Reads profile_counts,
 * stacks and stack_procs (progs/profile.h, progs/stacks.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cmd.h"
#include "flamegraph.h"
#include "grow.h"
#include "log.h"
#include "pinmaps.h"
#include "pprof.h"
#include "profile.h"
#include "symbolize.h"

const char usage_profile[] =
	"Usage: pinsight profile INSTANCE [--top N] [--folded] [--svg FILE]\n"
	"                        [--pprof FILE] [--pid PID] [--comm COMM]\n"
	"                        [--no-comm] [--symbol-path DIR]... [-j]\n"
	"\n"
	"Symbolized CPU samples of a profile instance (default: --top 20).\n"
	"  --top N            hottest functions: self and total samples and %\n"
	"  --folded           one line per stack, \"comm;root;...;leaf count\"\n"
	"                     (flamegraph.pl, speedscope, Pyroscope /ingest)\n"
	"  --svg FILE         interactive flame graph (zoom, search, tooltips)\n"
	"  --pprof FILE       gzip'd profile.proto (go tool pprof, Pyroscope)\n"
	"  --pid PID, --comm COMM   only this process / command\n"
	"  --no-comm          no command name as the root frame\n"
	"  --symbol-path DIR  also find binaries by build-id here (repeatable)\n"
	"  -j                 JSON: samples, drops, top functions, stacks\n"
	"Unresolved frames show as module+0xoffset; samples whose stack could\n"
	"not be stored show as [lost stack] and are counted in drops.\n" EXIT_CODES_HELP;

struct fn_stat {
	const char *name, *module;
	__u64 self, total;
};

/* Samples whose stack could not be stored (counted in drops). */
static struct prof_frame lost = { .name = "[lost stack]", .module = "" };

struct opts {
	int top;
	bool folded, no_comm;
	const char *svg, *pprof;
	__u32 pid;
	const char *comm;
	const char *search[16];
	int nsearch;
};

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
	struct pm_map *m = pm_instance_config(in);
	int i;

	if (!m || pm_map_read(m) || !m->nrows)
		return def;
	for (i = 0; i < m->value.cnt; i++)
		if (!strcmp(m->value.fields[i].name, var))
			return pm_field_u64(&m->value.fields[i],
					    pm_row_value(m, 0));
	return def;
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

static int build(struct pm_instance *in, struct symbolizer *sym,
		 const struct opts *o, struct prof_data *d)
{
	struct pm_map *counts, *stacks;
	struct sym_frame fr[2 * STACK_DEPTH];
	struct stack_trace st;
	__u32 i;
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
	if (err)
		return err;
	add_proc_exes(sym, pm_instance_map(in, "stack_procs"));
	d->stacks = calloc(counts->nrows + 1, sizeof(*d->stacks));
	if (!d->stacks)
		return -ENOMEM;
	for (i = 0; i < counts->nrows; i++) {
		const struct profile_key *k = pm_row_key(counts, i);
		const struct profile_val *v = pm_row_value(counts, i);
		struct prof_stack *ps = &d->stacks[d->n];

		if ((o->pid && k->tgid != o->pid) ||
		    (o->comm && strncmp(k->comm, o->comm, TASK_COMM_LEN)))
			continue;
		ps->count = v->samples;
		ps->tgid = k->tgid;
		ps->pid = k->pid;
		ps->comm = strndup(k->comm, TASK_COMM_LEN);
		d->total += v->samples;
		d->n++;
		if (!k->stack_id ||
		    bpf_map_lookup_elem(stacks->fd, &k->stack_id, &st)) {
			ps->frames = &lost;
			ps->n = 1;
			continue;
		}
		n = sym_stack(sym, k->tgid, &st, fr, 2 * STACK_DEPTH);
		ps->frames = calloc(n ? n : 1, sizeof(*ps->frames));
		if (!ps->frames)
			return -ENOMEM;
		for (j = 0; j < n; j++) {
			ps->frames[j].name = sym_frame_name(sym, &fr[j]);
			ps->frames[j].module = fr[j].module;
			ps->frames[j].addr = fr[j].addr;
			ps->frames[j].kernel = fr[j].kernel;
		}
		ps->n = n;
	}
	return 0;
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
		      size_t n, int top)
{
	size_t i;

	printf("%llu samples, %llu dropped\n", (unsigned long long)d->total,
	       (unsigned long long)d->drops);
	printf("%7s %7s %9s %9s  %s\n", "SELF%", "TOTAL%", "SELF", "TOTAL",
	       "FUNCTION");
	for (i = 0; i < n && (int)i < top; i++)
		printf("%6.2f%% %6.2f%% %9llu %9llu  %s %s%s%s\n",
		       pct(t[i].self, d->total), pct(t[i].total, d->total),
		       (unsigned long long)t[i].self,
		       (unsigned long long)t[i].total, t[i].name,
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
		       size_t nt, int top)
{
	json_writer_t *jw = jsonw_new(stdout, pretty);
	size_t i;
	int j;

	if (!jw)
		return;
	jsonw_start_object(jw);
	jsonw_u64_field(jw, "samples", d->total);
	jsonw_u64_field(jw, "drops", d->drops);
	jsonw_u64_field(jw, "freq", d->freq);
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
		{ "symbol-path", required_argument, NULL, 'S' },
		{},
	};
	struct opts o = { .top = -1 };
	struct prof_data d = {};
	struct pm_instance *in = NULL;
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
		case 'S':
			if (o.nsearch < 15)
				o.search[o.nsearch++] = optarg;
			break;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_err(usage_profile,
				     "profile: expected one INSTANCE");
	err = pm_instance_open(argv[optind], &in);
	if (err)
		return err == -EINVAL ? EXIT_USAGE : exit_code_for(err);
	so.search_path = o.search;
	sym = sym_new(&so);
	if (!sym) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = build(in, sym, &o, &d);
	if (err)
		goto cleanup;
	d.drops = bss_u64(in, "drops");
	d.freq = rodata_u32(in, "sample_freq", 99);
	d.title = in->name;
	err = top_stats(&d, &top, &ntop);
	if (err)
		goto cleanup;
	if (o.svg && (err = write_file(o.svg, &d, flamegraph_svg)))
		goto cleanup;
	if (o.pprof && (err = write_file(o.pprof, &d, pprof_write)))
		goto cleanup;
	if (json_output)
		print_json(&d, top, ntop, o.top > 0 ? o.top : 20);
	else if (o.folded)
		err = print_folded(&d, !o.no_comm);
	else if (o.top > 0 || (!o.svg && !o.pprof))
		print_top(&d, top, ntop, o.top > 0 ? o.top : 20);
cleanup:
	for (i = 0; i < d.n; i++) {
		free((char *)d.stacks[i].comm);
		if (d.stacks[i].frames != &lost)
			free(d.stacks[i].frames);
	}
	free(d.stacks);
	free(top);
	sym_free(sym);
	pm_instance_close(in);
	return exit_code_for(err);
}
