// SPDX-License-Identifier: GPL-2.0
/*
 * `pinsight show` as text: a rows map is a table (key fields, then value
 * fields; top talkers first), each histogram a log2 table of its own;
 * DATASEC maps are `name = value` lines.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "pinmaps.h"
#include "symbolize.h"

#define CELL 64
#define MAX_COL 40 /* wider cells are cut: a table must stay readable */

struct col {
	const struct pm_field *f;
	bool key;
	int width;
	char head[CELL + 8];
};

static __u64 hist_count(const struct pm_field *f, const void *value)
{
	const __u64 *slots = pm_field_slots(f, value);
	__u64 n = 0;
	__u32 i;

	for (i = 0; i < f->nslots; i++)
		n += slots[i];
	return n;
}

/* The column a table is sorted by: the first value field that is a number. */
static __u64 sort_value(const struct pm_map *m, const void *value)
{
	const struct pm_field *f;
	int i;

	for (i = 0; i < m->value.cnt; i++) {
		f = &m->value.fields[i];
		if (f->kind == PM_K_INT)
			return pm_field_u64(f, value);
		if (f->kind == PM_K_HIST)
			return hist_count(f, value);
	}
	return 0;
}

static const struct pm_map *sort_map;

static int cmp_rows(const void *a, const void *b)
{
	__u32 ia = *(const __u32 *)a, ib = *(const __u32 *)b;
	__u64 va = sort_value(sort_map, pm_row_value(sort_map, ia));
	__u64 vb = sort_value(sort_map, pm_row_value(sort_map, ib));

	if (va != vb)
		return va < vb ? 1 : -1;
	return ia < ib ? -1 : ia > ib;
}

static void cell(const struct pm_map *m, const struct col *c, __u32 row,
		 char *buf, size_t sz)
{
	const void *data = c->key ? pm_row_key(m, row) : pm_row_value(m, row);

	if (pm_field_fmt(m->btf, c->f, data, buf, sz))
		snprintf(buf, sz, "?");
	if (strlen(buf) > MAX_COL)
		buf[MAX_COL] = '\0';
}

static bool right_aligned(const struct pm_field *f)
{
	return f->kind == PM_K_INT || f->kind == PM_K_HIST;
}

/* "comm=dd op=write": a histogram's title. */
static void row_labels(const struct pm_map *m, __u32 row, char *buf, size_t sz)
{
	char v[CELL];
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < m->key.cnt && o < sz; i++) {
		pm_field_fmt(m->btf, &m->key.fields[i], pm_row_key(m, row), v,
			     sizeof(v));
		o += snprintf(buf + o, sz - o, "%s%s=%s", i ? " " : "",
			      m->key.fields[i].name, v);
	}
}

/* One log2 table per row and histogram field; empty ones are left out. */
static void print_hists(FILE *out, const struct pm_map *m, const __u32 *order,
			__u32 n)
{
	const struct pm_field *f;
	char title[256];
	__u32 r;
	int i;

	for (r = 0; r < n; r++) {
		for (i = 0; i < m->value.cnt; i++) {
			f = &m->value.fields[i];
			if (f->kind != PM_K_HIST ||
			    !hist_count(f, pm_row_value(m, order[r])))
				continue;
			row_labels(m, order[r], title, sizeof(title));
			fprintf(out, "\n%s.%s  %s\n", m->name, f->name, title);
			pm_print_log2_hist(
				out,
				pm_field_slots(f, pm_row_value(m, order[r])),
				f->nslots, f->unit);
		}
	}
}

#define MAX_STACKS 10 /* rows whose stacks are printed, top first */

/*
 * Key fields tagged pinsight:stack=MAP: the frames of the top rows'
 * stacks, symbolized for the process in the key's tgid (or pid) field.
 */
static void print_stacks(FILE *out, const struct pm_instance *in,
			 const struct pm_map *m, const __u32 *order, __u32 n)
{
	struct sym_frame *fr = NULL;
	struct symbolizer *sym = NULL;
	const struct pm_field *f, *pidf = NULL;
	const struct pm_map *sm;
	struct stack_trace st;
	char title[256], name[512];
	__u32 r, shown = 0, tgid;
	__u64 id;
	int i, j, k;

	for (i = 0; i < m->key.cnt; i++)
		if (!strcmp(m->key.fields[i].name, "tgid") ||
		    (!pidf && !strcmp(m->key.fields[i].name, "pid")))
			pidf = &m->key.fields[i];
	for (i = 0; in && i < m->key.cnt; i++) {
		f = &m->key.fields[i];
		sm = f->stack_map[0] ? pm_instance_map(in, f->stack_map) : NULL;
		if (!sm || sm->info.key_size != 8 ||
		    sm->info.value_size != sizeof(st))
			continue;
		if (!sym) {
			sym = sym_new(NULL);
			sm = pm_instance_map(in, "py_codes");
			if (sym && sm)
				sym_set_py_codes(sym, sm->fd);
			sm = pm_instance_map(in, f->stack_map);
		}
		if (!fr)
			fr = calloc(SYM_STACK_MAX, sizeof(*fr));
		if (!sym || !fr)
			break;
		for (r = 0; r < n && shown < MAX_STACKS; r++) {
			if (!sort_value(m, pm_row_value(m, order[r])))
				continue; /* nothing left to blame it for */
			id = pm_field_u64(f, pm_row_key(m, order[r]));
			tgid = pidf ? pm_field_u64(pidf, pm_row_key(m, order[r])) :
				      0;
			row_labels(m, order[r], title, sizeof(title));
			fprintf(out, "\n%s.%s  %s\n", m->name, f->name, title);
			shown++;
			if (!id || bpf_map_lookup_elem(sm->fd, &id, &st)) {
				fprintf(out, "    [lost stack]\n");
				continue;
			}
			k = sym_stack(sym, tgid, &st, fr, SYM_STACK_MAX);
			/* innermost first, as debuggers print them */
			for (j = k - 1; j >= 0; j--)
				fprintf(out, "    %s\n",
					sym_frame_str(&fr[j], name,
						      sizeof(name)));
		}
	}
	free(fr);
	sym_free(sym);
}

static int render_rows(FILE *out, const struct pm_instance *in,
		       struct pm_map *m)
{
	int ncol = 0, i, j, err = 0;
	__u32 *order = NULL, n = 0, r, zero = 0;
	struct col *cols = NULL;
	bool has_hist = false;
	char buf[CELL];

	order = calloc(m->nrows ? m->nrows : 1, sizeof(*order));
	cols = calloc(m->key.cnt + m->value.cnt, sizeof(*cols));
	if (!order || !cols) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* unused array slots are all zero: showing 10240 of them helps nobody */
	for (r = 0; r < m->nrows; r++) {
		if (m->is_array && m->info.max_entries > 1 &&
		    pm_value_is_zero(m, pm_row_value(m, r)))
			zero++;
		else
			order[n++] = r;
	}
	sort_map = m;
	qsort(order, n, sizeof(*order), cmp_rows);

	for (i = 0; i < m->key.cnt + m->value.cnt; i++) {
		struct col *c = &cols[ncol];

		c->key = i < m->key.cnt;
		c->f = c->key ? &m->key.fields[i] :
				&m->value.fields[i - m->key.cnt];
		snprintf(c->head, sizeof(c->head), "%s%s", c->f->name,
			 c->f->kind == PM_K_HIST ? "_count" : "");
		for (j = 0; c->head[j]; j++)
			c->head[j] = toupper((unsigned char)c->head[j]);
		c->width = strlen(c->head);
		has_hist |= c->f->kind == PM_K_HIST;
		for (r = 0; r < n; r++) {
			cell(m, c, order[r], buf, sizeof(buf));
			if ((int)strlen(buf) > c->width)
				c->width = strlen(buf);
		}
		ncol++;
	}
	if (!n) {
		fprintf(out, "  (no entries)\n");
		goto cleanup;
	}
	for (i = 0; i < ncol; i++)
		fprintf(out, "%s%*s", i ? "  " : "",
			right_aligned(cols[i].f) ? cols[i].width :
						   -cols[i].width,
			cols[i].head);
	fputc('\n', out);
	for (r = 0; r < n; r++) {
		for (i = 0; i < ncol; i++) {
			cell(m, &cols[i], order[r], buf, sizeof(buf));
			fprintf(out, "%s%*s", i ? "  " : "",
				right_aligned(cols[i].f) ? cols[i].width :
							   -cols[i].width,
				buf);
		}
		fputc('\n', out);
	}
	if (zero)
		fprintf(out, "  (%u all-zero entries not shown)\n", zero);
	if (has_hist)
		print_hists(out, m, order, n);
	print_stacks(out, in, m, order, n);
cleanup:
	free(order);
	free(cols);
	return err;
}

/* .bss/.data/.rodata: one line per (global) variable. */
static void render_vars(FILE *out, const struct pm_map *m)
{
	const struct pm_field *f;
	const void *v;
	char buf[256];
	int i;

	if (!m->nrows)
		return;
	v = pm_row_value(m, 0);
	for (i = 0; i < m->value.cnt; i++) {
		f = &m->value.fields[i];
		if (f->local)
			continue;
		if (f->kind == PM_K_HIST) {
			fprintf(out, "  %s:\n", f->name);
			pm_print_log2_hist(out, pm_field_slots(f, v), f->nslots,
					   f->unit);
			continue;
		}
		pm_field_fmt(m->btf, f, v, buf, sizeof(buf));
		fprintf(out,
			f->kind == PM_K_STR ? "  %s = \"%s\"\n" : "  %s = %s\n",
			f->name, buf);
	}
}

int pm_render_table(FILE *out, const struct pm_instance *in, struct pm_map *m)
{
	char tbuf[32];
	const char *type = pm_map_type_str(m->info.type, tbuf, sizeof(tbuf));

	if (!m->decodable) {
		if (m->info.type == BPF_MAP_TYPE_RINGBUF &&
		    !strcmp(m->name, "alerts"))
			fprintf(out,
				"%s: %s (a stream, no rows: `pinsight alerts %s` reads it)\n",
				m->name, type, in->name);
		else if (m->info.type == BPF_MAP_TYPE_RINGBUF)
			fprintf(out, "%s: %s (a stream, no rows)\n", m->name,
				type);
		else
			fprintf(out,
				"%s: %s (not decoded: no rows in this map type)\n",
				m->name, type);
		return 0;
	}
	if (m->datasec) {
		fprintf(out, "%s:%s\n", m->name,
			strcmp(m->name, "rodata") ? "" : " (config)");
		render_vars(out, m);
		return 0;
	}
	if (m->is_array)
		fprintf(out, "%s: %s, %u entries\n", m->name, type,
			m->info.max_entries);
	else
		fprintf(out, "%s: %s, %u of %u entries\n", m->name, type,
			m->nrows, m->info.max_entries);
	return render_rows(out, in, m);
}
