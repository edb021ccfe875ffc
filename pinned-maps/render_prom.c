// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (format 0.0.4) of every exported map. Series
 * are collected first and printed grouped by metric name, because two
 * instances (io, io@db) emit the same names and a family may have only
 * one HELP/TYPE block.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "pinmaps.h"

enum ptype { PT_COUNTER, PT_GAUGE, PT_HISTOGRAM };

static const char *const ptype_str[] = { "counter", "gauge", "histogram" };

struct series {
	char *family;
	char *help;
	char *text; /* the sample lines */
	enum ptype type;
	unsigned int seq; /* keeps instance and row order within a family */
};

struct pm_prom {
	bool per_pid;
	struct series *s;
	size_t n;
};

struct pm_prom *pm_prom_new(bool per_pid)
{
	struct pm_prom *p = calloc(1, sizeof(*p));

	if (p)
		p->per_pid = per_pid;
	return p;
}

void pm_prom_free(struct pm_prom *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->s[i].family);
		free(p->s[i].help);
		free(p->s[i].text);
	}
	free(p->s);
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

static void put_double(FILE *f, double v)
{
	if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else
		fprintf(f, "%.15g", v);
}

/* The label set of a row, without braces: service="dd",op="write". */
static char *row_labels(const struct pm_prom *p, const struct pm_instance *in,
			const struct pm_map *m, __u32 row)
{
	const struct pm_field *f;
	char *buf = NULL, v[256];
	size_t sz = 0;
	bool first = true;
	FILE *s;
	int i;

	s = open_memstream(&buf, &sz);
	if (!s)
		return NULL;
	/* a DATASEC's "key" is the array index 0, not a label */
	for (i = 0; !m->datasec && i < m->key.cnt; i++) {
		f = &m->key.fields[i];
		if (f->per_pid && !p->per_pid)
			continue;
		pm_field_fmt(m->btf, f, pm_row_key(m, row), v, sizeof(v));
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
	fclose(s);
	return buf;
}

static int add_series(struct pm_prom *p, const char *family, enum ptype type,
		      const char *help, char *text)
{
	struct series *nv, *e;

	nv = realloc(p->s, (p->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->s = nv;
	e = &p->s[p->n];
	e->family = strdup(family);
	e->help = strdup(help);
	e->text = text;
	e->type = type;
	e->seq = p->n;
	if (!e->family || !e->help) {
		free(e->family);
		free(e->help);
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

static void put_sample(FILE *s, const char *name, const char *suffix,
		       const char *labels, const char *extra)
{
	bool any = labels[0] || extra;

	fprintf(s, "%s%s", name, suffix);
	if (any)
		fprintf(s, "{%s%s%s}", labels, labels[0] && extra ? "," : "",
			extra ? extra : "");
	putc(' ', s);
}

/* Emit one merged row's metrics. */
static int emit_row(struct pm_prom *p, const struct pm_instance *in,
		    const struct pm_map *m, const char *labels,
		    const void *value)
{
	char name[192], help[512], le[64];
	const struct pm_field *f;
	double scale;
	char *text;
	size_t sz;
	FILE *s;
	int i, err;
	__u32 k;

	for (i = 0; i < m->value.cnt; i++) {
		enum ptype type;

		f = &m->value.fields[i];
		if (!pm_field_is_metric(f) || f->local)
			continue;
		err = pm_metric_name(in, m, f, name, sizeof(name));
		if (err)
			return err;
		scale = pm_unit_scale(f->unit);
		type = f->kind == PM_K_HIST ? PT_HISTOGRAM :
		       f->gauge		    ? PT_GAUGE :
					      PT_COUNTER;
		/* counters end in _total, also when the name is a tag's */
		if (type == PT_COUNTER &&
		    (strlen(name) < 6 ||
		     strcmp(name + strlen(name) - 6, "_total")))
			strncat(name, "_total",
				sizeof(name) - strlen(name) - 1);
		snprintf(help, sizeof(help), "%s %s.%s%s", in->tool, m->name,
			 f->name,
			 f->unit == PM_UNIT_NS ? " (ns, exported in seconds)" :
			 f->unit == PM_UNIT_US ? " (us, exported in seconds)" :
						 "");
		text = NULL;
		s = open_memstream(&text, &sz);
		if (!s)
			return -ENOMEM;
		if (type != PT_HISTOGRAM) {
			put_sample(s, name, "", labels, NULL);
			if (f->unit == PM_UNIT_NS || f->unit == PM_UNIT_US)
				put_double(s, (double)pm_field_u64(f, value) *
						      scale);
			else
				fprintf(s, f->is_signed ? "%lld\n" : "%llu\n",
					(unsigned long long)pm_field_u64(
						f, value));
			if (f->unit == PM_UNIT_NS || f->unit == PM_UNIT_US)
				putc('\n', s);
		} else {
			const __u64 *slots = pm_field_slots(f, value);
			unsigned long long cum = 0;

			for (k = 0; k < f->nslots; k++) {
				FILE *ls;
				char *lbuf = NULL;
				size_t lsz;

				cum += slots[k];
				ls = open_memstream(&lbuf, &lsz);
				if (!ls)
					break;
				fputs("le=\"", ls);
				put_double(ls,
					   pm_hist_le(k, f->nslots, f->unit));
				putc('"', ls);
				fclose(ls);
				snprintf(le, sizeof(le), "%s", lbuf);
				free(lbuf);
				put_sample(s, name, "_bucket", labels, le);
				fprintf(s, "%llu\n", cum);
			}
			put_sample(s, name, "_sum", labels, NULL);
			put_double(s,
				   (double)pm_field_hist_sum(f, value) * scale);
			putc('\n', s);
			put_sample(s, name, "_count", labels, NULL);
			fprintf(s, "%llu\n", cum);
		}
		fclose(s);
		err = add_series(p, name, type, help, text);
		if (err) {
			free(text);
			return err;
		}
	}
	return 0;
}

struct lrow {
	char *labels;
	__u32 row;
};

static int cmp_lrow(const void *a, const void *b)
{
	const struct lrow *x = a, *y = b;
	int c = strcmp(x->labels, y->labels);

	return c ? c : (x->row > y->row) - (x->row < y->row);
}

/*
 * Rows whose labels are equal once pid/tgid/tid are dropped are summed:
 * one series per label set, as the exposition format requires.
 */
static int add_map(struct pm_prom *p, const struct pm_instance *in,
		   struct pm_map *m)
{
	struct lrow *rows = NULL;
	void *acc = NULL;
	__u32 n = 0, r, i, j;
	int err;

	err = pm_map_read(m);
	if (err)
		return err;
	rows = calloc(m->nrows ? m->nrows : 1, sizeof(*rows));
	acc = malloc(m->info.value_size);
	if (!rows || !acc) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (r = 0; r < m->nrows; r++) {
		if (m->is_array && !m->datasec && m->info.max_entries > 1 &&
		    pm_value_is_zero(m, pm_row_value(m, r)))
			continue;
		rows[n].labels = row_labels(p, in, m, r);
		if (!rows[n].labels) {
			err = -ENOMEM;
			goto cleanup;
		}
		rows[n++].row = r;
	}
	qsort(rows, n, sizeof(*rows), cmp_lrow);
	for (i = 0; i < n; i = j) {
		memcpy(acc, pm_row_value(m, rows[i].row), m->info.value_size);
		for (j = i + 1;
		     j < n && !strcmp(rows[i].labels, rows[j].labels); j++)
			pm_value_add(&m->value, acc,
				     pm_row_value(m, rows[j].row));
		err = emit_row(p, in, m, rows[i].labels, acc);
		if (err)
			goto cleanup;
	}
cleanup:
	for (i = 0; rows && i < n; i++)
		free(rows[i].labels);
	free(rows);
	free(acc);
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

int pm_prom_add_instance(struct pm_prom *p, struct pm_instance *in)
{
	struct pm_map *m;
	int i, err, ret = 0;

	for (i = 0; i < in->map_cnt; i++) {
		m = in->maps[i];
		/* rodata is the configuration, shown by list/show only */
		if (!m->decodable || !strcmp(m->name, "rodata"))
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

static int cmp_series(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int c = strcmp(x->family, y->family);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void put_help(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			putc(*s, f);
	}
}

int pm_prom_print(struct pm_prom *p, FILE *f)
{
	const struct series *head = NULL, *e;
	size_t i;

	if (p->n) /* p->s is NULL then, and qsort's is nonnull */
		qsort(p->s, p->n, sizeof(*p->s), cmp_series);
	for (i = 0; i < p->n; i++) {
		e = &p->s[i];
		if (!head || strcmp(head->family, e->family)) {
			head = e;
			fprintf(f, "# HELP %s ", e->family);
			put_help(f, e->help);
			fprintf(f, "\n# TYPE %s %s\n", e->family,
				ptype_str[e->type]);
		} else if (e->type != head->type) {
			p_err("%s: a %s here but a %s elsewhere: %s dropped",
			      e->family, ptype_str[e->type],
			      ptype_str[head->type], e->help);
			continue;
		}
		fputs(e->text, f);
	}
	return fflush(f) ? -errno : 0;
}
