// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (format 0.0.4), or OpenMetrics 1.0 text, of
 * every exported map. Two
 * instances (io, io@db) emit the same metric names and a family may have
 * only one HELP/TYPE block, so nothing is printed while instances are
 * added: each exported map is read once, a batch at a time, and each row is
 * summed into its series as it arrives (a source: one label set and one
 * merged value per series), and each of the map's metric fields becomes an
 * entry naming its family. Printing sorts the entries (a few per map) by
 * family and prints every family's series straight from its sources.
 * Memory is the series, not the map's raw (per-CPU) rows: a series'
 * samples go to several families, which print apart, sorted by label set.
 *
 * OpenMetrics differs in the framing (a counter family is named without
 * its _total, UNIT lines, `"` escaped in HELP, an info type, # EOF) and
 * carries exemplars: a histogram field tagged pinsight:exemplars=MAP gets,
 * on each bucket MAP has an entry for, ` # {trace_id=..,span_id=..} value
 * timestamp` (the latest observation among the rows its series sums).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"
#include "strtab.h"

enum ptype { PT_COUNTER, PT_GAUGE, PT_HISTOGRAM };

static const char *const ptype_str[] = { "counter", "gauge", "histogram" };

/* A bucket's exemplar: the trace of a recent observation in it. */
struct exemplar {
	char trace_id[33], span_id[17]; /* hex; "" when the bucket has none */
	__u64 value; /* in the histogram's unit */
	__u64 ts_ns; /* CLOCK_MONOTONIC */
};

/* One exported map: its rows merged by label set. */
struct source {
	struct strtab labels; /* a series' label set, in the order found */
	void *values; /* a merged value per series, in the same order */
	size_t cap; /* values' room, in series */
	__u32 *order; /* the series by label set: the order they print in */
	__u32 nrows; /* series */
	__u32 value_size;
	/*
	 * OpenMetrics: the exemplars of histogram field ex_field
	 * (pinsight:exemplars=), per series ex_nslots of them or NULL (most
	 * series: they are of untraced processes); NULL when none at all
	 */
	struct exemplar **ex;
	char ex_field[64];
	__u32 ex_nslots;
};

/* One metric field of a source, a member of family @name. */
struct entry {
	char *name;
	char *help;
	char *le; /* histograms: nslots `le="..."` strings of LE_SZ bytes */
	enum ptype type;
	struct pm_field f;
	size_t src; /* index in pm_prom.src */
	size_t seq; /* keeps instance, map and field order within a family */
};

#define LE_SZ 48

struct pm_prom {
	bool per_pid;
	bool openmetrics;
	struct strtab info; /* ebpf_instance_info's label sets */
	struct source *src;
	size_t nsrc, src_cap;
	struct entry *e;
	size_t n, cap;
};

struct pm_prom *pm_prom_new(bool per_pid)
{
	struct pm_prom *p = calloc(1, sizeof(*p));

	if (p)
		p->per_pid = per_pid;
	return p;
}

static void entry_free(struct entry *e)
{
	free(e->name);
	free(e->help);
	free(e->le);
}

static void source_free(struct source *s)
{
	__u32 i;

	strtab_free(&s->labels);
	free(s->values);
	free(s->order);
	for (i = 0; s->ex && i < s->nrows; i++)
		free(s->ex[i]);
	free(s->ex);
}

void pm_prom_set_openmetrics(struct pm_prom *p, bool on)
{
	p->openmetrics = on;
}

bool pm_prom_is_openmetrics(const struct pm_prom *p)
{
	return p->openmetrics;
}

void pm_prom_free(struct pm_prom *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		entry_free(&p->e[i]);
	for (i = 0; i < p->nsrc; i++)
		source_free(&p->src[i]);
	strtab_free(&p->info);
	free(p->e);
	free(p->src);
	free(p);
}

const char *pm_label_name(const struct pm_field *f)
{
	if (f->prom[0])
		return f->prom;
	/* the dashboards speak of services; the kernel calls them comm */
	if (!strcmp(f->name, "comm"))
		return "service";
	return f->name;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			*s = '_';
}

int pm_metric_name(const struct pm_instance *in, const struct pm_map *m,
		   const struct pm_field *f, char *buf, size_t sz)
{
	char base[sizeof(f->name) + 16];
	size_t n = strlen(f->name);
	int len;

	(void)m;
	if (f->prom[0]) {
		len = snprintf(buf, sz, "%s", f->prom);
	} else {
		snprintf(base, sizeof(base), "%s", f->name);
		/* _ns and _us values are exported in seconds */
		if (f->unit == PM_UNIT_NS || f->unit == PM_UNIT_US)
			snprintf(base + n - 3, sizeof(base) - (n - 3),
				 "_seconds");
		len = snprintf(buf, sz, "ebpf_%s_%s", in->tool, base);
	}
	if (len < 0 || (size_t)len >= sz)
		return -ENAMETOOLONG;
	sanitize(buf);
	return 0;
}

/* Label values must be UTF-8 with \, " and newline escaped; comms are
 * arbitrary bytes, so invalid sequences become '?'.
 */
static void put_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int len, i;

	while (*p) {
		if (*p == '\\' || *p == '"') {
			fprintf(f, "\\%c", *p++);
			continue;
		}
		if (*p == '\n') {
			fputs("\\n", f);
			p++;
			continue;
		}
		if (*p < 0x80) {
			putc(*p++, f);
			continue;
		}
		len = (*p & 0xe0) == 0xc0 ? 2 :
		      (*p & 0xf0) == 0xe0 ? 3 :
		      (*p & 0xf8) == 0xf0 ? 4 :
					    0;
		for (i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				len = 0;
		if (!len) {
			putc('?', f);
			p++;
			continue;
		}
		fwrite(p, 1, len, f);
		p += len;
	}
}

static const char *fmt_double(char *buf, size_t sz, double v)
{
	if (isinf(v))
		snprintf(buf, sz, "%s", v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(buf, sz, "%.15g", v);
	return buf;
}

static void put_double(FILE *f, double v)
{
	char buf[40];

	fputs(fmt_double(buf, sizeof(buf), v), f);
}

/* The label set of a row, without braces: service="dd",op="write". */
static void put_labels(FILE *s, const struct pm_prom *p,
		       const struct pm_instance *in, const struct pm_map *m,
		       const void *key)
{
	const struct pm_field *f;
	bool first = true;
	char v[256];
	int i;

	/* a DATASEC's "key" is the array index 0, not a label */
	for (i = 0; !m->datasec && i < m->key.cnt; i++) {
		f = &m->key.fields[i];
		if (f->per_pid && !p->per_pid)
			continue;
		pm_field_fmt(m->btf, f, key, v, sizeof(v));
		fprintf(s, "%s%s=\"", first ? "" : ",", pm_label_name(f));
		put_label_value(s, v);
		putc('"', s);
		first = false;
	}
	if (in->label) {
		fprintf(s, "%sname=\"", first ? "" : ",");
		put_label_value(s, in->label);
		putc('"', s);
	}
}

struct merge {
	const struct pm_prom *p;
	const struct pm_instance *in;
	struct source *src;
	FILE *s; /* one label set, written over for each row */
	char *buf;
	size_t sz;
};

static int cmp_series(const void *a, const void *b, void *labels)
{
	return strcmp(strtab_str(labels, *(const __u32 *)a),
		      strtab_str(labels, *(const __u32 *)b));
}

/*
 * Rows whose labels are equal once pid/tgid/tid are dropped are summed:
 * one series per label set, as the exposition format requires. A row's
 * label set finds its series (a new one for the first row of a set), and
 * fields that are not summed keep that first row's value.
 */
static int merge_rows(void *ctx, const struct pm_map *m, const void *keys,
		      const void *values, __u32 n)
{
	struct merge *mg = ctx;
	struct source *src = mg->src;
	size_t vsz = m->info.value_size, n0, cap;
	const void *v;
	void *nv;
	long k;
	__u32 i;

	for (i = 0; i < n; i++) {
		v = pm_value_at(m, values, i);
		if (m->is_array && !m->datasec && m->info.max_entries > 1 &&
		    pm_value_is_zero(m, v))
			continue;
		rewind(mg->s);
		put_labels(mg->s, mg->p, mg->in, m, pm_key_at(m, keys, i));
		putc('\0', mg->s);
		if (fflush(mg->s) || ferror(mg->s))
			return -ENOMEM;
		n0 = src->labels.n;
		k = strtab_add(&src->labels, mg->buf);
		if (k < 0)
			return -ENOMEM;
		if ((size_t)k < n0) {
			pm_value_add(&m->value, (char *)src->values + k * vsz,
				     v);
			continue;
		}
		if ((size_t)k == src->cap) {
			cap = src->cap * 2 + 64;
			nv = realloc(src->values, cap * vsz);
			if (!nv)
				return -ENOMEM;
			src->values = nv;
			src->cap = cap;
		}
		memcpy((char *)src->values + k * vsz, v, vsz);
	}
	return 0;
}

/* Reading an exemplar map into the series of its histogram's map. */
struct ex_read {
	struct merge *mg;
	const struct pm_map *stats;
	const struct pm_field *trace, *span, *value, *ts;
};

static const struct pm_field *field_named(const struct pm_map *m,
					  const char *name)
{
	int i;

	for (i = 0; i < m->value.cnt; i++)
		if (!strcmp(m->value.fields[i].name, name))
			return &m->value.fields[i];
	return NULL;
}

static int ex_rows(void *ctx, const struct pm_map *em, const void *keys,
		   const void *values, __u32 n)
{
	struct ex_read *er = ctx;
	struct merge *mg = er->mg;
	struct source *src = mg->src;
	struct exemplar *x;
	const void *key, *v;
	__u64 ts;
	__u32 i, slot;
	long k;

	for (i = 0; i < n; i++) {
		key = pm_key_at(em, keys, i);
		v = pm_value_at(em, values, i);
		memcpy(&slot, (const char *)key + er->stats->info.key_size,
		       sizeof(slot));
		if (slot >= src->ex_nslots)
			continue;
		/* the series whose label set the stats key prefix makes */
		rewind(mg->s);
		put_labels(mg->s, mg->p, mg->in, er->stats, key);
		putc('\0', mg->s);
		if (fflush(mg->s) || ferror(mg->s))
			return -ENOMEM;
		k = strtab_add(&src->labels, mg->buf);
		if (k < 0)
			return -ENOMEM;
		if ((size_t)k >= src->nrows)
			continue; /* a bucket of a series not (yet) counted */
		if (!src->ex[k]) {
			src->ex[k] = calloc(src->ex_nslots, sizeof(*x));
			if (!src->ex[k])
				return -ENOMEM;
		}
		x = &src->ex[k][slot];
		ts = pm_field_u64(er->ts, v);
		/* rows summed into one series: their latest observation */
		if (x->trace_id[0] && x->ts_ns >= ts)
			continue;
		pm_field_fmt(em->btf, er->trace, v, x->trace_id,
			     sizeof(x->trace_id));
		pm_field_fmt(em->btf, er->span, v, x->span_id,
			     sizeof(x->span_id));
		x->value = pm_field_u64(er->value, v);
		x->ts_ns = ts;
	}
	return 0;
}

/*
 * The exemplars of @m's first histogram tagged pinsight:exemplars=, into
 * @src (whose series are read). A map that is missing or not of the
 * agreed shape leaves the buckets without exemplars, after saying why:
 * the histogram itself is still good.
 */
static int read_exemplars(struct merge *mg, struct pm_map *m)
{
	struct ex_read er = { .mg = mg, .stats = m };
	const struct pm_field *h = NULL;
	struct source *src = mg->src;
	struct pm_map *em;
	int i;

	for (i = 0; !h && i < m->value.cnt; i++)
		if (m->value.fields[i].kind == PM_K_HIST &&
		    m->value.fields[i].exemplars[0])
			h = &m->value.fields[i];
	/* the text format has no exemplars: not worth a read */
	if (!h || !src->nrows || !mg->p->openmetrics)
		return 0;
	em = pm_instance_map(mg->in, h->exemplars);
	if (!em)
		return 0; /* an instance pinned before exemplars existed */
	er.trace = field_named(em, "trace_id");
	er.span = field_named(em, "span_id");
	er.value = field_named(em, "value");
	er.ts = field_named(em, "ts_ns");
	if (!em->decodable || em->percpu || !er.trace || !er.span ||
	    !er.value || !er.ts ||
	    em->info.key_size < m->info.key_size + sizeof(__u32)) {
		p_info("%s: not an exemplar map of %s (struct hist_exemplar keyed by its key and a __u32 bucket): no exemplars",
		       em->what, m->name);
		return 0;
	}
	src->ex_nslots = h->nslots;
	snprintf(src->ex_field, sizeof(src->ex_field), "%s", h->name);
	src->ex = calloc(src->nrows, sizeof(*src->ex));
	if (!src->ex)
		return -ENOMEM;
	/* on error the caller's source_free() frees what was read */
	return pm_map_scan(em, ex_rows, &er);
}

/* Read @m into @src, series sorted by label set. */
static int read_source(const struct pm_prom *p, const struct pm_instance *in,
		       struct pm_map *m, struct source *src)
{
	struct merge mg = { .p = p, .in = in, .src = src };
	__u32 i;
	int err;

	memset(src, 0, sizeof(*src));
	src->value_size = m->info.value_size;
	mg.s = open_memstream(&mg.buf, &mg.sz);
	if (!mg.s)
		return -ENOMEM;
	err = pm_map_scan(m, merge_rows, &mg);
	if (!err) {
		src->nrows = src->labels.n;
		err = read_exemplars(&mg, m);
	}
	fclose(mg.s);
	free(mg.buf);
	if (err)
		goto cleanup;
	src->order = calloc(src->nrows ? src->nrows : 1, sizeof(*src->order));
	if (!src->order) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < src->nrows; i++)
		src->order[i] = i;
	qsort_r(src->order, src->nrows, sizeof(*src->order), cmp_series,
		&src->labels);
cleanup:
	if (err)
		source_free(src);
	return err;
}

/* Family name, type, help and `le` strings of a metric field. */
static int entry_init(struct entry *e, const struct pm_instance *in,
		      const struct pm_map *m, const struct pm_field *f)
{
	char name[192], help[512], v[40];
	__u32 k;
	int err;

	memset(e, 0, sizeof(*e));
	err = pm_metric_name(in, m, f, name, sizeof(name));
	if (err)
		return err;
	e->type = f->kind == PM_K_HIST ? PT_HISTOGRAM :
		  f->gauge		 ? PT_GAUGE :
					   PT_COUNTER;
	/* counters end in _total, also when the name is a tag's */
	if (e->type == PT_COUNTER &&
	    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total")))
		strncat(name, "_total", sizeof(name) - strlen(name) - 1);
	/* the tag's sentence, else where the series comes from */
	if (f->help)
		snprintf(help, sizeof(help), "%s%s", f->help,
			 f->unit == PM_UNIT_NS || f->unit == PM_UNIT_US ?
				 ", in seconds" :
				 "");
	else
		snprintf(help, sizeof(help), "%s %s.%s%s", in->tool, m->name,
			 f->name,
			 f->unit == PM_UNIT_NS ? " (ns, exported in seconds)" :
			 f->unit == PM_UNIT_US ? " (us, exported in seconds)" :
						 "");
	e->f = *f;
	/* the instance's, gone when it is closed */
	e->f.names = NULL;
	e->f.help = NULL;
	e->name = strdup(name);
	e->help = strdup(help);
	if (e->type == PT_HISTOGRAM) {
		e->le = calloc(f->nslots ? f->nslots : 1, LE_SZ);
		for (k = 0; e->le && k < f->nslots; k++)
			snprintf(e->le + (size_t)k * LE_SZ, LE_SZ, "le=\"%s\"",
				 fmt_double(v, sizeof(v),
					    pm_hist_le(k, f->nslots, f->unit)));
	}
	if (!e->name || !e->help || (e->type == PT_HISTOGRAM && !e->le)) {
		entry_free(e);
		return -ENOMEM;
	}
	return 0;
}

/* A pm_map_scan() handler that stops at the first batch. */
static int first_batch(void *ctx, const struct pm_map *m, const void *keys,
		       const void *values, __u32 n)
{
	(void)ctx, (void)m, (void)keys, (void)values, (void)n;
	return 1;
}

static int add_map(struct pm_prom *p, const struct pm_instance *in,
		   struct pm_map *m)
{
	size_t n0 = p->n;
	struct source *ns;
	struct entry *ne;
	int i, err = 0;

	for (i = 0; i < m->value.cnt; i++) {
		const struct pm_field *f = &m->value.fields[i];

		if (!pm_field_is_metric(f) || f->local)
			continue;
		if (p->n == p->cap) {
			ne = realloc(p->e, (p->cap * 2 + 8) * sizeof(*ne));
			if (!ne) {
				err = -ENOMEM;
				break;
			}
			p->e = ne;
			p->cap = p->cap * 2 + 8;
		}
		err = entry_init(&p->e[p->n], in, m, f);
		if (err)
			break;
		p->e[p->n].src = p->nsrc;
		p->e[p->n].seq = p->n;
		p->n++;
	}
	/*
	 * No metrics (or no names for them): nothing to keep, but a map that
	 * cannot be read is reported as that, first.
	 */
	if (err || p->n == n0) {
		err = pm_map_scan(m, first_batch, NULL) ?: err;
		goto cleanup;
	}
	if (p->nsrc == p->src_cap) {
		ns = realloc(p->src, (p->src_cap * 2 + 4) * sizeof(*ns));
		if (!ns) {
			err = -ENOMEM;
			goto cleanup;
		}
		p->src = ns;
		p->src_cap = p->src_cap * 2 + 4;
	}
	err = read_source(p, in, m, &p->src[p->nsrc]);
	if (!err)
		p->nsrc++;
cleanup:
	/* all of a map or none of it */
	while (err && p->n > n0)
		entry_free(&p->e[--p->n]);
	return err;
}

/* A map keyed by pid, tgid or tid holds per-process detail. */
static bool map_per_pid(const struct pm_map *m)
{
	int i;

	for (i = 0; !m->datasec && i < m->key.cnt; i++)
		if (m->key.fields[i].per_pid)
			return true;
	return false;
}

/* Maps with nothing to export (stacks, unwind tables) are not read. */
static bool map_has_metric(const struct pm_map *m)
{
	int i;

	for (i = 0; i < m->value.cnt; i++)
		if (pm_field_is_metric(&m->value.fields[i]))
			return true;
	return m->datasec;
}

/*
 * ebpf_instance_info{instance,tool,attach} 1: every instance found has one
 * series, with or without rows in its maps, so an empty scrape (nothing
 * counted yet) differs from a wrong pin root (no instance at all).
 */
static int add_info(struct pm_prom *p, const struct pm_instance *in)
{
	char attach[128], *buf = NULL;
	size_t sz;
	FILE *s;
	long k;

	/* unknown without links/ (a test's instance, say): left empty */
	if (inst_attach(in->dir, attach, sizeof(attach)))
		attach[0] = '\0';
	s = open_memstream(&buf, &sz);
	if (!s)
		return -ENOMEM;
	fputs("instance=\"", s);
	put_label_value(s, in->name);
	fputs("\",tool=\"", s);
	put_label_value(s, in->tool);
	fputs("\",attach=\"", s);
	put_label_value(s, attach);
	putc('"', s);
	k = fclose(s) ? -1 : strtab_add(&p->info, buf);
	free(buf);
	return k < 0 ? -ENOMEM : 0;
}

int pm_prom_add_instance(struct pm_prom *p, struct pm_instance *in)
{
	struct pm_map *m;
	int i, err, ret;

	ret = add_info(p, in);
	for (i = 0; i < in->map_cnt; i++) {
		m = in->maps[i];
		/* rodata is the configuration, shown by list/show only */
		if (!m->decodable || !strcmp(m->name, "rodata") ||
		    !map_has_metric(m))
			continue;
		/*
		 * Per-process maps are exported only on request: a pid label
		 * is unbounded, and an LRU map that evicts dead processes
		 * would make sums over it go down. Tools keep their
		 * aggregates in maps without a pid key.
		 */
		if (map_per_pid(m) && !p->per_pid)
			continue;
		err = add_map(p, in, m);
		/* one unreadable map must not hide the others from a scrape */
		if (err && !ret)
			ret = err;
	}
	return ret;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* OpenMetrics escapes '"' in HELP too; the text format leaves it. */
static void put_help(FILE *f, const char *s, bool om)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && om)
			fputs("\\\"", f);
		else
			putc(*s, f);
	}
}

/*
 * CLOCK_MONOTONIC ns (bpf_ktime_get_ns) as Unix seconds, an OpenMetrics
 * timestamp; a time before a suspend comes out later by its length.
 */
static double mono_to_unix(__u64 ns)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &bt);
	return rt.tv_sec + rt.tv_nsec / 1e9 -
	       (bt.tv_sec + bt.tv_nsec / 1e9 - ns / 1e9);
}

/* ` # {trace_id="..",span_id=".."} value timestamp`, before the newline */
static void put_exemplar(FILE *s, const struct exemplar *x, double scale)
{
	fprintf(s, " # {trace_id=\"%s\",span_id=\"%s\"} ", x->trace_id,
		x->span_id);
	put_double(s, (double)x->value * scale);
	fprintf(s, " %.3f", mono_to_unix(x->ts_ns));
}

static void put_sample(FILE *s, const char *name, const char *suffix,
		       const char *labels, const char *extra)
{
	fputs(name, s);
	fputs(suffix, s);
	if (labels[0] || extra) {
		putc('{', s);
		fputs(labels, s);
		if (labels[0] && extra)
			putc(',', s);
		if (extra)
			fputs(extra, s);
		putc('}', s);
	}
	putc(' ', s);
}

/*
 * One series: a field of one merged row. @ex: its buckets' exemplars
 * (OpenMetrics only), or NULL.
 */
static void put_series(FILE *s, const struct entry *e, const char *labels,
		       const void *value, const struct exemplar *ex)
{
	const struct pm_field *f = &e->f;
	double scale = pm_unit_scale(f->unit);
	unsigned long long cum = 0;
	const __u64 *slots;
	__u32 k;

	if (e->type != PT_HISTOGRAM) {
		put_sample(s, e->name, "", labels, NULL);
		if (f->unit == PM_UNIT_NS || f->unit == PM_UNIT_US) {
			put_double(s, (double)pm_field_u64(f, value) * scale);
			putc('\n', s);
		} else {
			fprintf(s, f->is_signed ? "%lld\n" : "%llu\n",
				(unsigned long long)pm_field_u64(f, value));
		}
		return;
	}
	slots = pm_field_slots(f, value);
	for (k = 0; k < f->nslots; k++) {
		cum += slots[k];
		put_sample(s, e->name, "_bucket", labels,
			   e->le + (size_t)k * LE_SZ);
		fprintf(s, "%llu", cum);
		if (ex && ex[k].trace_id[0])
			put_exemplar(s, &ex[k], scale);
		putc('\n', s);
	}
	put_sample(s, e->name, "_sum", labels, NULL);
	put_double(s, (double)pm_field_hist_sum(f, value) * scale);
	putc('\n', s);
	put_sample(s, e->name, "_count", labels, NULL);
	fprintf(s, "%llu\n", cum);
}

/*
 * OpenMetrics' UNIT line, for the two units names here end in; a family
 * with a UNIT must end in it, and every other family goes without.
 */
static void put_unit(FILE *f, const char *family, bool om)
{
	static const char *const units[] = { "seconds", "bytes" };
	size_t n = strlen(family), u, i;

	for (i = 0; om && i < sizeof(units) / sizeof(units[0]); i++) {
		u = strlen(units[i]);
		if (n > u + 1 && family[n - u - 1] == '_' &&
		    !strcmp(family + n - u, units[i]))
			fprintf(f, "# UNIT %s %s\n", family, units[i]);
	}
}

/*
 * The entries [i, end) of one family, in order: a source's entries are
 * adjacent, and its series go row by row, a row's fields in field order.
 * The first series gives the family its HELP and TYPE.
 */
static void put_family(FILE *f, const struct pm_prom *p, size_t i, size_t end)
{
	const struct entry *head = NULL, *e;
	const struct exemplar *ex;
	const struct source *s;
	const char *labels;
	const void *value;
	char family[192];
	size_t j, k, x, n;
	__u32 r;

	for (j = i; j < end; j = k) {
		s = &p->src[p->e[j].src];
		for (k = j + 1; k < end && p->e[k].src == p->e[j].src; k++)
			;
		if (!s->nrows)
			continue;
		if (!head) {
			head = &p->e[j];
			/*
			 * OpenMetrics names a counter family without the
			 * _total its samples carry
			 */
			snprintf(family, sizeof(family), "%s", head->name);
			n = strlen(family);
			if (p->openmetrics && head->type == PT_COUNTER && n > 6)
				family[n - 6] = '\0';
			fprintf(f, "# HELP %s ", family);
			put_help(f, head->help, p->openmetrics);
			fprintf(f, "\n# TYPE %s %s\n", family,
				ptype_str[head->type]);
			put_unit(f, family, p->openmetrics);
		}
		for (x = j; x < k; x++) {
			e = &p->e[x];
			if (e->type != head->type)
				p_err("%s: a %s here but a %s elsewhere: %s dropped",
				      e->name, ptype_str[e->type],
				      ptype_str[head->type], e->help);
		}
		for (r = 0; r < s->nrows; r++) {
			labels = strtab_str(&s->labels, s->order[r]);
			value = (const char *)s->values +
				(size_t)s->order[r] * s->value_size;
			for (x = j; x < k; x++) {
				e = &p->e[x];
				if (e->type != head->type)
					continue;
				ex = NULL;
				if (s->ex && !strcmp(e->f.name, s->ex_field))
					ex = s->ex[s->order[r]];
				put_series(f, e, labels, value, ex);
			}
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pm_prom_print(struct pm_prom *p, FILE *f)
{
	char **info = NULL;
	size_t i, end;

	if (p->info.n) {
		info = strtab_array(&p->info);
		if (!info)
			return -ENOMEM;
		qsort(info, p->info.n, sizeof(*info), cmp_str);
		/* OpenMetrics has a type for it: info, family without _info */
		fprintf(f,
			"# HELP %s An instance pinsight-load pinned, "
			"whatever its maps hold: attach is its variant "
			"(pinsight-load --attach), empty when the tool has one\n"
			"# TYPE %s %s\n",
			p->openmetrics ? "ebpf_instance" : "ebpf_instance_info",
			p->openmetrics ? "ebpf_instance" : "ebpf_instance_info",
			p->openmetrics ? "info" : "gauge");
		for (i = 0; i < p->info.n; i++)
			fprintf(f, "ebpf_instance_info{%s} 1\n", info[i]);
		free(info);
	}
	if (p->n) /* p->e is NULL then, and qsort's is nonnull */
		qsort(p->e, p->n, sizeof(*p->e), cmp_entry);
	for (i = 0; i < p->n; i = end) {
		for (end = i + 1;
		     end < p->n && !strcmp(p->e[i].name, p->e[end].name); end++)
			;
		put_family(f, p, i, end);
	}
	if (p->openmetrics)
		fputs("# EOF\n", f);
	return fflush(f) ? -errno : 0;
}
