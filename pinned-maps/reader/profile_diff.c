// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight profile --diff BASE NEW: two profiles, each a pprof file (as
 * --pprof or --drain writes them, or any gzip'd profile.proto) or folded
 * text (--folded, flamegraph.pl's input), compared stack by stack. Out:
 * "stack BASE-count NEW-count" lines, the format of difffolded.pl that
 * flamegraph.pl draws, and a differential SVG (flamegraph.c): widths from
 * NEW, red where a frame grew, blue where it shrank.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "flamegraph.h"
#include "grow.h"
#include "log.h"
#include "pprof.pb-c.h"
#include "profile_diff.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Function Function;

/* One stack of one input; equal lines are merged after sorting. */
struct dstack {
	char *line;
	__u64 count[2]; /* in BASE, in NEW */
};

struct dset {
	struct dstack *v;
	size_t n, cap;
	__u64 total[2];
};

static int dset_add(struct dset *s, const char *line, size_t len, __u64 c,
		    int which)
{
	struct dstack *d;

	if (pm_grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v), 256))
		return -ENOMEM;
	d = &s->v[s->n];
	d->line = strndup(line, len);
	if (!d->line)
		return -ENOMEM;
	d->count[which] = c;
	d->count[!which] = 0;
	s->total[which] += c;
	s->n++;
	return 0;
}

static int read_all(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0, r;
	int err = 0;

	if (!f) {
		err = -errno;
		p_err("%s: cannot open: %s", path, strerror(errno));
		return err;
	}
	*buf = NULL;
	do {
		if (pm_grow(buf, &cap, n + 65536 + 1, 1, 65536 + 1)) {
			err = -ENOMEM;
			break;
		}
		r = fread(*buf + n, 1, 65536, f);
		n += r;
	} while (r);
	if (!err && ferror(f)) {
		err = -EIO;
		p_err("%s: cannot read", path);
	}
	fclose(f);
	if (err) {
		free(*buf);
		return err;
	}
	(*buf)[n] = '\0'; /* folded text is parsed as a string */
	*len = n;
	return 0;
}

static int gunzip(const char *path, const unsigned char *in, size_t len,
		  unsigned char **out, size_t *olen)
{
	z_stream z = {};
	size_t cap = len * 4 + 4096;
	int ret;

	*out = malloc(cap);
	if (!*out || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(*out);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = len;
	do {
		if (z.total_out == cap) {
			unsigned char *p = realloc(*out, cap * 2);

			if (!p) {
				ret = Z_MEM_ERROR;
				break;
			}
			*out = p;
			cap *= 2;
		}
		z.next_out = *out + z.total_out;
		z.avail_out = cap - z.total_out;
		ret = inflate(&z, Z_NO_FLUSH);
	} while (ret == Z_OK);
	*olen = z.total_out;
	inflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(*out);
		p_err("%s: not a valid gzip stream (%s)", path,
		      z.msg ?: "truncated");
		return -EINVAL;
	}
	return 0;
}

/* "frame;frame;... count" lines; blank and '#' lines are skipped. */
static int parse_folded(const char *path, char *text, struct dset *s, int which)
{
	char *line, *eol, *sp, *end;
	unsigned long long c;
	int lineno = 0, err;

	for (line = text; *line; line = eol ? eol + 1 : line + strlen(line)) {
		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		lineno++;
		if (!*line || *line == '#')
			continue;
		sp = strrchr(line, ' ');
		if (sp) {
			errno = 0;
			c = strtoull(sp + 1, &end, 10);
		}
		if (!sp || sp == line || *end || errno) {
			p_err("%s:%d: not a folded stack (\"frame;...;frame count\")",
			      path, lineno);
			return -EINVAL;
		}
		err = dset_add(s, line, sp - line, c, which);
		if (err)
			return err;
		if (!eol)
			break;
	}
	return 0;
}

static int cmp_loc(const void *a, const void *b)
{
	const Location *x = *(Location *const *)a, *y = *(Location *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_fn(const void *a, const void *b)
{
	const Function *x = *(Function *const *)a, *y = *(Function *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void *find_id(void *arr, size_t n, uint64_t id, bool fn)
{
	size_t lo = 0, hi = n, mid;
	uint64_t v;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		v = fn ? ((Function **)arr)[mid]->id
		       : ((Location **)arr)[mid]->id;
		if (v == id)
			return ((void **)arr)[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Append @name to the folded line, ';' and newlines made ':'. */
static int put(char **buf, size_t *len, size_t *cap, const char *name)
{
	size_t n = strlen(name), i;

	if (pm_grow(buf, cap, *len + n + 2, 1, 256))
		return -ENOMEM;
	if (*len)
		(*buf)[(*len)++] = ';';
	for (i = 0; i < n; i++)
		(*buf)[(*len)++] =
			name[i] == ';' || name[i] == '\n' ? ':' : name[i];
	return 0;
}

/*
 * A profile.proto as folded stacks: root first, the "comm" label as the
 * root frame as in --folded (unless @no_comm), inlined lines expanded;
 * the count is the "samples" value, or the first one.
 */
static int parse_pprof(const char *path, const unsigned char *buf, size_t len,
		       bool no_comm, struct dset *s, int which)
{
	Profile *p = perftools__profiles__profile__unpack(NULL, len, buf);
	size_t i, j, k, vi = 0, n = 0, cap = 0;
	Location **locs = NULL;
	Function **fns = NULL;
	char *line = NULL;
	int err = -EINVAL;

#define STR(x) ((uint64_t)(x) < p->n_string_table ? p->string_table[x] : "?")
	if (!p) {
		p_err("%s: not a pprof profile (profile.proto)", path);
		return -EINVAL;
	}
	for (i = 0; i < p->n_sample_type; i++)
		if (!strcmp(STR(p->sample_type[i]->type), "samples")) {
			vi = i;
			break;
		}
	locs = malloc((p->n_location + 1) * sizeof(*locs));
	fns = malloc((p->n_function + 1) * sizeof(*fns));
	if (!locs || !fns) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(locs, p->location, p->n_location * sizeof(*locs));
	memcpy(fns, p->function, p->n_function * sizeof(*fns));
	qsort(locs, p->n_location, sizeof(*locs), cmp_loc);
	qsort(fns, p->n_function, sizeof(*fns), cmp_fn);
	for (i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *sm = p->sample[i];

		if (sm->n_value <= vi) {
			p_err("%s: sample %zu has %zu values, expected %zu",
			      path, i, sm->n_value, vi + 1);
			goto cleanup;
		}
		n = 0;
		for (j = 0; j < sm->n_label && !no_comm; j++)
			if (!strcmp(STR(sm->label[j]->key), "comm") &&
			    (err = put(&line, &n, &cap,
				       STR(sm->label[j]->str))))
				goto cleanup;
		/* location_id is leaf first; a location's lines callee first */
		for (j = sm->n_location_id; j-- > 0;) {
			Location *l = find_id(locs, p->n_location,
					      sm->location_id[j], false);
			char addr[32];

			if (!l) {
				p_err("%s: sample %zu: no location %llu", path,
				      i,
				      (unsigned long long)sm->location_id[j]);
				err = -EINVAL;
				goto cleanup;
			}
			if (!l->n_line) {
				snprintf(addr, sizeof(addr), "0x%llx",
					 (unsigned long long)l->address);
				if ((err = put(&line, &n, &cap, addr)))
					goto cleanup;
			}
			for (k = l->n_line; k-- > 0;) {
				Function *f =
					find_id(fns, p->n_function,
						l->line[k]->function_id, true);

				err = put(&line, &n, &cap,
					  f ? STR(f->name) : "?");
				if (err)
					goto cleanup;
			}
		}
		err = dset_add(s, line ?: "", n, sm->value[vi], which);
		if (err)
			goto cleanup;
	}
	err = 0;
cleanup:
#undef STR
	free(line);
	free(locs);
	free(fns);
	perftools__profiles__profile__free_unpacked(p, NULL);
	return err;
}

static int load(const char *path, bool no_comm, struct dset *s, int which)
{
	unsigned char *buf = NULL, *raw = NULL;
	size_t len = 0, rlen = 0;
	int err;

	err = read_all(path, &buf, &len);
	if (err)
		return err;
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		err = gunzip(path, buf, len, &raw, &rlen);
		if (!err)
			err = parse_pprof(path, raw, rlen, no_comm, s, which);
		free(raw);
	} else {
		err = parse_folded(path, (char *)buf, s, which);
	}
	free(buf);
	return err;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct dstack *)a)->line,
		      ((const struct dstack *)b)->line);
}

/* Sort and merge equal stacks, so each line holds both counts. */
static void dset_merge(struct dset *s)
{
	size_t i, o = 0;

	qsort(s->v, s->n, sizeof(*s->v), cmp_line);
	for (i = 0; i < s->n; i++) {
		if (o && !strcmp(s->v[o - 1].line, s->v[i].line)) {
			s->v[o - 1].count[0] += s->v[i].count[0];
			s->v[o - 1].count[1] += s->v[i].count[1];
			free(s->v[i].line);
			continue;
		}
		s->v[o++] = s->v[i];
	}
	s->n = o;
}

/* The merged stacks as a differential prof_data for flamegraph_svg(). */
static int diff_svg(const char *path, const struct dset *s,
		    const struct profile_diff_opts *o)
{
	struct prof_data d = { .diff = true, .title = o->title };
	char *copy = NULL;
	size_t i, nf, total = 0;
	struct prof_frame *fr;
	FILE *f;
	char *p;
	int err = -ENOMEM;

	for (i = 0; i < s->n; i++)
		total += strlen(s->v[i].line) + 1;
	d.stacks = calloc(s->n + 1, sizeof(*d.stacks));
	copy = malloc(total + 1);
	fr = calloc(total + s->n + 1, sizeof(*fr));
	if (!d.stacks || !copy || !fr)
		goto cleanup;
	for (i = 0, p = copy, nf = 0; i < s->n; i++) {
		struct prof_stack *ps = &d.stacks[d.n++];
		char *tok, *save;

		strcpy(p, s->v[i].line);
		ps->count = s->v[i].count[1];
		ps->delta = (__s64)s->v[i].count[1] - (__s64)s->v[i].count[0];
		d.total += ps->count;
		/* the first frame is the root node, as comm is in --folded */
		ps->comm = strtok_r(p, ";", &save);
		ps->frames = &fr[nf];
		while ((tok = strtok_r(NULL, ";", &save)))
			fr[nf++].name = tok;
		ps->n = &fr[nf] - ps->frames;
		p += strlen(s->v[i].line) + 1;
	}
	f = fopen(path, "w");
	if (!f) {
		err = -errno;
		p_err("%s: cannot create: %s", path, strerror(errno));
		goto cleanup;
	}
	err = flamegraph_svg(f, &d);
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		p_err("%s: cannot write: %s", path, strerror(-err));
cleanup:
	free(d.stacks);
	free(copy);
	free(fr);
	return err;
}

int profile_diff(const char *base, const char *new,
		 const struct profile_diff_opts *o)
{
	struct dset s = {};
	double scale;
	size_t i;
	int err;

	err = load(base, o->no_comm, &s, 0);
	if (!err)
		err = load(new, o->no_comm, &s, 1);
	if (err)
		goto cleanup;
	dset_merge(&s);
	/* as difffolded.pl -n: BASE scaled to NEW's total */
	if (o->normalize && s.total[0]) {
		scale = (double)s.total[1] / s.total[0];
		for (i = 0; i < s.n; i++)
			s.v[i].count[0] = s.v[i].count[0] * scale + 0.5;
	}
	if (o->svg && (err = diff_svg(o->svg, &s, o)))
		goto cleanup;
	if (o->folded || !o->svg)
		for (i = 0; i < s.n; i++)
			printf("%s %llu %llu\n", s.v[i].line,
			       (unsigned long long)s.v[i].count[0],
			       (unsigned long long)s.v[i].count[1]);
cleanup:
	for (i = 0; i < s.n; i++)
		free(s.v[i].line);
	free(s.v);
	return err;
}
