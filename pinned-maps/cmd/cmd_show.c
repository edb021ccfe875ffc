// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight show: an instance's pinned maps decoded from their BTF, once,
 * or every --interval as the differences since the last interval (like
 * libbpf-tools' `runqlat 1 10`): counters and histograms are differenced,
 * gauges and labels shown as read.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include "cmd.h"
#include "log.h"
#include "pinmaps.h"
#include "units.h"

const char usage_show[] =
	"Usage: pinsight [-j|-p] show INSTANCE [MAP] [--interval DURATION [--count N]]\n"
	"\n"
	"Decode every pinned map of INSTANCE (or only MAP) from its BTF. Hash\n"
	"and array maps are tables, key fields first, sorted by the first\n"
	"value column, descending; histograms are log2 tables, one per row;\n"
	"bss/data are name = value; rodata is the config. Per-CPU values are\n"
	"summed over CPUs.\n"
	"\n"
	"With -j: [{\"map\", \"type\", \"entries\": [{\"key\", \"value\"}]}], keys and\n"
	"values as in `bpftool map dump -j`'s \"formatted\" objects, except that\n"
	"per-CPU maps have the summed \"value\" instead of \"values\" per CPU.\n"
	"\n"
	"  --interval DURATION\n"
	"              every DURATION (1s, 500ms), what changed since the\n"
	"              last: counters and histograms differenced, gauges as\n"
	"              read, rows without a change left out (the config too);\n"
	"              until SIGINT, or --count times. With -j one object per\n"
	"              interval and line: {\"time\", \"interval_ns\", \"maps\"}\n"
	"  --count N   stop after N intervals\n" EXIT_CODES_HELP;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int show_one(const struct pm_instance *in, struct pm_map *m,
		    json_writer_t *jw)
{
	int err;

	if (jw) /* streams the map, unless its rows are held already */
		return pm_render_json(jw, m);
	/* a table is sorted: it needs every row */
	if (m->decodable && !m->keys) {
		err = pm_map_read(m);
		if (err)
			return err;
	}
	return pm_render_table(stdout, in, m);
}

/* One map's rows at the last interval, sorted by key for bsearch(). */
struct snap {
	void *keys, *values;
	__u32 n;
};

static __u32 snap_ksz; /* qsort/bsearch have no context argument */

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, snap_ksz);
}

static void snap_free(struct snap *s)
{
	free(s->keys);
	free(s->values);
	memset(s, 0, sizeof(*s));
}

/* Keep @m's rows (just read) as @s, sorted by key. */
static int snap_take(struct snap *s, const struct pm_map *m)
{
	__u32 ksz = m->info.key_size, vsz = m->info.value_size, i;

	snap_free(s);
	s->keys = calloc(m->nrows ?: 1, ksz ?: 1);
	s->values = calloc(m->nrows ?: 1, vsz ?: 1);
	if (!s->keys || !s->values) {
		snap_free(s);
		return -ENOMEM;
	}
	/* sort the keys with their values: a key alone is sorted, then found */
	for (i = 0; i < m->nrows; i++)
		memcpy((char *)s->keys + (size_t)i * ksz, pm_row_key(m, i),
		       ksz);
	snap_ksz = ksz;
	qsort(s->keys, m->nrows, ksz, cmp_key);
	for (i = 0; i < m->nrows; i++) {
		char *k = bsearch(pm_row_key(m, i), s->keys, m->nrows, ksz,
				  cmp_key);

		memcpy((char *)s->values +
			       (size_t)(k - (char *)s->keys) / ksz * vsz,
		       pm_row_value(m, i), vsz);
	}
	s->n = m->nrows;
	return 0;
}

/*
 * Read @m and turn its rows into the differences from @s, keeping only
 * rows that changed; @s becomes what was read. A row not in @s appeared
 * in the interval: all of it is new.
 */
static int interval_rows(struct pm_map *m, struct snap *s)
{
	__u32 ksz = m->info.key_size, vsz = m->info.value_size, i, n = 0;
	struct snap next = {};
	const char *old;
	int err;

	err = pm_map_read(m) ?: snap_take(&next, m);
	if (err)
		return err;
	snap_ksz = ksz;
	for (i = 0; i < m->nrows; i++) {
		char *k = (char *)m->keys + (size_t)i * ksz;
		char *v = (char *)m->values + (size_t)i * vsz;

		old = s->n ? bsearch(k, s->keys, s->n, ksz, cmp_key) : NULL;
		if (old && !pm_value_delta(&m->value, v,
					   (const char *)s->values +
						   (size_t)(old - (const char *)
									  s->keys) /
							   ksz * vsz))
			continue;
		/* unused array slots and untouched rows are left out */
		if (!old && pm_value_is_zero(m, v))
			continue;
		if (n != i) {
			memcpy((char *)m->keys + (size_t)n * ksz, k, ksz);
			memcpy((char *)m->values + (size_t)n * vsz, v, vsz);
		}
		n++;
	}
	m->nrows = n;
	snap_free(s);
	*s = next;
	return 0;
}

/* Maps an interval shows: rows with counters, never the config. */
static bool interval_map(const struct pm_map *m, const char *only)
{
	if (only && strcmp(m->name, only))
		return false;
	return m->decodable && strcmp(m->name, "rodata");
}

static void ts_add(struct timespec *t, unsigned long long ns)
{
	ns += t->tv_nsec;
	t->tv_sec += ns / 1000000000ULL;
	t->tv_nsec = ns % 1000000000ULL;
}

static unsigned long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000ULL + t->tv_nsec;
}

static int show_intervals(struct pm_instance *in, const char *only,
			  unsigned long long interval_ns, unsigned long count)
{
	struct timespec next, now, last;
	struct snap *snaps;
	json_writer_t *jw;
	unsigned long k;
	char when[32];
	time_t t;
	int i, err = 0;

	snaps = calloc(in->map_cnt ?: 1, sizeof(*snaps));
	if (!snaps)
		return -ENOMEM;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* the baseline: the first interval shows what happened in it */
	for (i = 0; i < in->map_cnt; i++) {
		if (!interval_map(in->maps[i], only))
			continue;
		err = pm_map_read(in->maps[i]) ?:
			      snap_take(&snaps[i], in->maps[i]);
		if (err)
			goto cleanup;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	last = next;
	for (k = 0; !stop && (!count || k < count); k++) {
		/* absolute deadlines: intervals do not drift by the reads */
		ts_add(&next, interval_ns);
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&next, NULL) == EINTR)
			;
		if (stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		t = time(NULL);
		jw = NULL;
		if (json_output) {
			jw = jsonw_new(stdout, pretty);
			if (!jw) {
				err = -ENOMEM;
				goto cleanup;
			}
			jsonw_start_object(jw);
			jsonw_u64_field(jw, "time", t);
			jsonw_u64_field(jw, "interval_ns",
					 ts_ns(&now) - ts_ns(&last));
			jsonw_name(jw, "maps");
			jsonw_start_array(jw);
		} else {
			strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
			printf("%s%s %s: changes in the last %.3f s\n",
			       k ? "\n" : "", when, in->name,
			       (ts_ns(&now) - ts_ns(&last)) / 1e9);
		}
		last = now;
		for (i = 0; i < in->map_cnt; i++) {
			struct pm_map *m = in->maps[i];

			if (!interval_map(m, only))
				continue;
			err = interval_rows(m, &snaps[i]);
			/* a table of variables that did not change says nothing */
			if (!err && !jw && m->datasec && !m->nrows)
				continue;
			if (!err) {
				if (!jw)
					putchar('\n');
				err = show_one(in, m, jw);
			}
			if (err)
				break;
		}
		if (jw) {
			jsonw_end_array(jw);
			jsonw_end_object(jw);
			/* ends the line: a pipe reader sees each interval now */
			jsonw_destroy(&jw);
		}
		fflush(stdout);
		if (err)
			goto cleanup;
	}
cleanup:
	for (i = 0; i < in->map_cnt; i++)
		snap_free(&snaps[i]);
	free(snaps);
	return err;
}

int cmd_show(int argc, char **argv)
{
	enum { OPT_INTERVAL = 256, OPT_COUNT };
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "count", required_argument, NULL, OPT_COUNT },
		{},
	};
	unsigned long long interval_ns = 0, count = 0;
	struct pm_instance *in = NULL;
	json_writer_t *jw = NULL;
	bool has_count = false;
	struct pm_map *m;
	int c, i, err, ret = 0;

	while ((c = cmd_getopt(argc, argv, NULL, opts, usage_show)) != -1) {
		if (c == CMD_HELP)
			return EXIT_OK;
		if (c == CMD_BAD)
			return EXIT_USAGE;
		if (c == OPT_INTERVAL &&
		    (parse_duration_ns(optarg, &interval_ns) || !interval_ns))
			return cmd_usage_err(usage_show,
					     "show: --interval %s: not a duration above 0 (1s, 500ms)",
					     optarg);
		if (c == OPT_COUNT) {
			if (parse_size(optarg, &count) || !count)
				return cmd_usage_err(usage_show,
						     "show: --count %s: not a count above 0",
						     optarg);
			has_count = true;
		}
	}
	if (has_count && !interval_ns)
		return cmd_usage_err(usage_show,
				     "show: --count needs --interval");
	if (argc - optind < 1)
		return cmd_usage_err(usage_show, "show: expected more arguments");
	if (argc - optind > 2)
		return cmd_usage_err(usage_show, "show: unexpected argument '%s'",
				     argv[optind + 2]);
	argc -= optind;
	argv += optind;
	err = pm_instance_open(argv[0], &in);
	if (err)
		return exit_code_for(err);
	if (argc == 2) {
		m = pm_instance_map(in, argv[1]);
		if (!m) {
			/* a pin that failed to open was named already */
			if (!in->err)
				p_err("%s: maps/%.80s: no such map", in->name,
				      argv[1]);
			ret = in->err ?: -ENOENT;
			goto cleanup;
		}
		/*
		 * Asked for by name: say why there is nothing. The alerts
		 * ring buffer has no rows by design (`pinsight alerts` reads
		 * it), so it is shown as in the whole instance; any other map
		 * without rows, a ring buffer pinned where a hash should be
		 * included, is an error.
		 */
		if (!m->decodable && (m->info.type != BPF_MAP_TYPE_RINGBUF ||
				      strcmp(m->name, "alerts"))) {
			ret = pm_map_read(m);
			goto cleanup;
		}
		if (interval_ns && !interval_map(m, NULL)) {
			p_err("%s: maps/%s: has no rows that change (--interval)",
			      in->name, m->name);
			ret = -EINVAL;
			goto cleanup;
		}
	}
	if (interval_ns) {
		ret = show_intervals(in, argc == 2 ? argv[1] : NULL,
				     interval_ns, count) ?:
			      in->err;
		goto cleanup;
	}
	ret = cmd_json_array_begin(json_output, &jw);
	if (ret)
		goto cleanup;
	for (i = 0; i < in->map_cnt; i++) {
		m = in->maps[i];
		if (argc == 2 && strcmp(m->name, argv[1]))
			continue;
		if (!jw && i && argc == 1)
			putchar('\n');
		err = show_one(in, m, jw);
		if (err && !ret)
			ret = err;
	}
	cmd_json_array_end(&jw);
	if (!ret)
		ret = in->err;
cleanup:
	pm_instance_close(in);
	return exit_code_for(ret);
}
