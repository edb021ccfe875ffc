// SPDX-License-Identifier: GPL-2.0
/* pprof: a prof_data as a gzip'd profile.proto, encoded by protobuf-c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "pprof.h"
#include "pprof.pb-c.h"
#include "strtab.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__ValueType ValueType;

/* per sample at most: comm, pid, cgroup, trace_id, span_id */
#define PPROF_LABELS 5

static int gzip_write(FILE *f, const void *buf, size_t len)
{
	unsigned char out[1 << 16];
	z_stream z = {};
	int ret, err = 0;

	/* 15 + 16: a gzip header and trailer, as pprof expects */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (unsigned char *)buf;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		ret = deflate(&z, Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		if (fwrite(out, 1, sizeof(out) - z.avail_out, f) !=
		    sizeof(out) - z.avail_out) {
			err = -EIO;
			break;
		}
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	return err;
}

int pprof_write(FILE *f, const struct prof_data *d)
{
	Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	ValueType st[2] = { PERFTOOLS__PROFILES__VALUE_TYPE__INIT,
			    PERFTOOLS__PROFILES__VALUE_TYPE__INIT };
	ValueType pt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	ValueType *stp[2] = { &st[0], &st[1] };
	struct strtab t = {};
	char **strs = NULL;
	Function *funcs = NULL, **funcp = NULL;
	Location *locs = NULL, **locp = NULL;
	Line *lines = NULL, **linep = NULL;
	Sample *samples = NULL, **samplep = NULL;
	Label *labels = NULL, **labelp = NULL;
	uint64_t *locids = NULL;
	int64_t *values = NULL;
	int64_t comment;
	long period = 1000000000L / (d->freq ? d->freq : 99);
	size_t i, nlocs, cap, len;
	uint8_t *buf = NULL;
	long id;
	int j, err = -ENOMEM;

	strtab_add(&t, "");
	st[0].type = strtab_add(&t, "samples");
	st[0].unit = strtab_add(&t, "count");
	st[1].type = strtab_add(&t, "cpu");
	st[1].unit = strtab_add(&t, "nanoseconds");
	pt = st[1];
	p.sample_type = stp;
	p.n_sample_type = 2;
	p.period_type = &pt;
	p.period = period;
	p.time_nanos = d->start_ns ? (int64_t)d->start_ns
				   : (int64_t)time(NULL) * 1000000000LL;
	if (d->start_ns && d->end_ns > d->start_ns)
		p.duration_nanos = d->end_ns - d->start_ns;

	/* Functions and locations: one each per distinct frame name, with
	 * id = string index of the name (ids need only be unique, nonzero). */
	for (i = 0, nlocs = 0; i < d->n; i++)
		nlocs += d->stacks[i].n;
	cap = nlocs + 1;
	funcs = calloc(cap, sizeof(*funcs));
	funcp = calloc(cap, sizeof(*funcp));
	locs = calloc(cap, sizeof(*locs));
	locp = calloc(cap, sizeof(*locp));
	lines = calloc(cap, sizeof(*lines));
	linep = calloc(cap, sizeof(*linep));
	locids = calloc(cap, sizeof(*locids));
	samples = calloc(d->n + 1, sizeof(*samples));
	samplep = calloc(d->n + 1, sizeof(*samplep));
	labels = calloc(PPROF_LABELS * d->n + 1, sizeof(*labels));
	labelp = calloc(PPROF_LABELS * d->n + 1, sizeof(*labelp));
	values = calloc(2 * d->n + 1, sizeof(*values));
	if (!funcs || !funcp || !locs || !locp || !lines || !linep || !locids ||
	    !samples || !samplep || !labels || !labelp || !values)
		goto cleanup;

	{
		/* string index -> function slot, so each name is one function
		 */
		size_t *slot_of = NULL, nslots = 0, k, off = 0;
		long comm_key = strtab_add(&t, "comm");
		long pid_key = strtab_add(&t, "pid");
		long cg_key = strtab_add(&t, "cgroup");
		long trace_key = strtab_add(&t, "trace_id");
		long span_key = strtab_add(&t, "span_id");
		Label *l;

		for (i = 0; i < d->n; i++) {
			const struct prof_stack *ps = &d->stacks[i];
			Sample *s = &samples[i];

			perftools__profiles__sample__init(s);
			s->location_id = locids + off;
			for (j = ps->n - 1; j >= 0; j--) { /* leaf first */
				id = strtab_add(&t, ps->frames[j].name);
				if (id < 0)
					goto cleanup_inner;
				if ((size_t)id >= nslots) {
					size_t ns = (id + 1) * 2, *n2;

					n2 = realloc(slot_of, ns * sizeof(*n2));
					if (!n2)
						goto cleanup_inner;
					memset(n2 + nslots, 0,
					       (ns - nslots) * sizeof(*n2));
					slot_of = n2;
					nslots = ns;
				}
				if (!slot_of[id]) {
					k = p.n_function;
					perftools__profiles__function__init(
						&funcs[k]);
					funcs[k].id = id;
					funcs[k].name = funcs[k].system_name =
						id;
					/* Python: the file and first line */
					if (ps->frames[j].file) {
						long fid = strtab_add(
							&t, ps->frames[j].file);

						if (fid < 0)
							goto cleanup_inner;
						funcs[k].filename = fid;
						funcs[k].start_line =
							ps->frames[j].line;
					}
					funcp[k] = &funcs[k];
					perftools__profiles__line__init(
						&lines[k]);
					lines[k].function_id = id;
					lines[k].line = funcs[k].start_line;
					linep[k] = &lines[k];
					perftools__profiles__location__init(
						&locs[k]);
					locs[k].id = id;
					locs[k].line = &linep[k];
					locs[k].n_line = 1;
					locp[k] = &locs[k];
					p.n_function++;
					p.n_location++;
					slot_of[id] = k + 1;
				}
				s->location_id[s->n_location_id++] = id;
			}
			off += ps->n;
			s->value = &values[2 * i];
			s->n_value = 2;
			s->value[0] = ps->count;
			s->value[1] = ps->count * period;
			/* comm, pid and, when known, cgroup (unit, container)
			 */
			l = &labels[PPROF_LABELS * i];
			s->label = &labelp[PPROF_LABELS * i];
			perftools__profiles__label__init(&l[0]);
			l[0].key = comm_key;
			l[0].str = strtab_add(&t, ps->comm ?: "");
			perftools__profiles__label__init(&l[1]);
			l[1].key = pid_key;
			l[1].num = ps->tgid;
			s->label[s->n_label++] = &l[0];
			s->label[s->n_label++] = &l[1];
			if (ps->cgroup && *ps->cgroup) {
				perftools__profiles__label__init(&l[2]);
				l[2].key = cg_key;
				l[2].str = strtab_add(&t, ps->cgroup);
				s->label[s->n_label++] = &l[2];
			}
			/* OpenTelemetry ids: pprof's -tags, -tagfocus */
			if (ps->trace_id && ps->span_id) {
				perftools__profiles__label__init(&l[3]);
				l[3].key = trace_key;
				l[3].str = strtab_add(&t, ps->trace_id);
				perftools__profiles__label__init(&l[4]);
				l[4].key = span_key;
				l[4].str = strtab_add(&t, ps->span_id);
				s->label[s->n_label++] = &l[3];
				s->label[s->n_label++] = &l[4];
			}
			samplep[i] = s;
		}
		p.sample = samplep;
		p.n_sample = d->n;
		p.function = funcp;
		p.location = locp;
		err = 0;
	cleanup_inner:
		free(slot_of);
		if (err)
			goto cleanup;
	}
	if (d->host) {
		char host[300];

		snprintf(host, sizeof(host), "host=%s", d->host);
		comment = strtab_add(&t, host);
		p.comment = &comment;
		p.n_comment = 1;
	}
	strs = strtab_array(&t);
	p.string_table = strs;
	p.n_string_table = t.n;
	len = perftools__profiles__profile__get_packed_size(&p);
	buf = malloc(len ? len : 1);
	if (!strs || !buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	perftools__profiles__profile__pack(&p, buf);
	err = gzip_write(f, buf, len);
cleanup:
	free(buf);
	free(funcs);
	free(funcp);
	free(locs);
	free(locp);
	free(lines);
	free(linep);
	free(locids);
	free(samples);
	free(samplep);
	free(labels);
	free(labelp);
	free(values);
	free(strs);
	strtab_free(&t);
	return err;
}
