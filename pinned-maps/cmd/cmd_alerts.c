// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight alerts: drain (or follow) every instance's pinned "alerts" ring
 * buffer. Records are decoded from the instance's BTF type "struct alert"
 * (progs/alert.h) field by field, so a field added there shows up here
 * without a change. Reading consumes: a ring buffer has one reader, and
 * the alert_counts counters (in `pinsight metrics`) keep the totals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cmd.h"
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"
#include "schema.h"
#include "units.h"

#define ALERTS_MAP "alerts"
#define ALERT_TYPE "alert"

const char usage_alerts[] =
	"Usage: pinsight [-j|-p] alerts [--follow [--timeout DURATION]] [INSTANCE...]\n"
	"\n"
	"Print the alerts waiting in each instance's alerts ring buffer (or\n"
	"those named), decoded from its BTF struct alert, then exit; with\n"
	"--follow, keep printing new ones until SIGINT/SIGTERM or for DURATION\n"
	"(e.g. 500ms, 2s).\n"
	"Reading consumes them (a ring buffer has one reader); the counts stay\n"
	"in `pinsight metrics` as ebpf_<tool>_alerts_total{kind=...}.\n"
	"An alert of a call made under an OpenTelemetry context (OTEP 4947) shows\n"
	"its trace_id and span_id (hex); others show none.\n"
	"With -j: a JSON array of {\"instance\", \"alert\"} (--follow: one such\n"
	"object per line), with \"trace_id\" and \"span_id\" strings beside\n"
	"\"alert\" when the alert has them.\n" EXIT_CODES_HELP;

struct alert_src {
	struct pm_instance *in;
	struct pm_map *schema; /* value fields of struct alert, no map */
	const struct btf *btf;
	__u32 type_id, size;
	int fd;
};

struct alerts_ctx {
	json_writer_t *jw; /* the array when draining; NULL in text mode */
	bool follow;
	unsigned long count;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns) as local wall-clock time. */
static void fmt_boot_ns(__u64 ns, char *buf, size_t sz)
{
	struct timespec rt, bt;
	struct tm tm;
	long double wall;
	time_t sec;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	wall = rt.tv_sec + rt.tv_nsec / 1e9L -
	       (bt.tv_sec + bt.tv_nsec / 1e9L - ns / 1e9L);
	sec = (time_t)wall;
	localtime_r(&sec, &tm);
	strftime(buf, sz, "%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sz - strlen(buf), ".%03d",
		 (int)((wall - sec) * 1000));
}

/*
 * A byte array in hex (trace_id, span_id) that is all zero: the
 * alert has no such id, and shows none rather than a row of zeros.
 */
static bool id_absent(const struct pm_field *f, const void *data)
{
	const unsigned char *p = (const unsigned char *)data + f->off;
	__u32 i;

	if (!f->hex_bytes)
		return false;
	for (i = 0; i < f->size; i++)
		if (p[i])
			return false;
	return true;
}

static void print_text(const struct alert_src *src, const void *data)
{
	const struct pm_field *f;
	char v[256], ts[32] = "-", kind[64] = "-";
	int i;

	/* time, instance and kind ("latency", "mem_growth") lead, unlabelled */
	for (i = 0; i < src->schema->value.cnt; i++) {
		f = &src->schema->value.fields[i];
		if (!strcmp(f->name, "ts_ns"))
			fmt_boot_ns(pm_field_u64(f, data), ts, sizeof(ts));
		else if (!strcmp(f->name, "kind"))
			pm_field_fmt(src->btf, f, data, kind, sizeof(kind));
	}
	printf("%s %s %s", ts, src->in->name, kind);
	for (i = 0; i < src->schema->value.cnt; i++) {
		f = &src->schema->value.fields[i];
		if (!strcmp(f->name, "ts_ns") || !strcmp(f->name, "kind") ||
		    id_absent(f, data))
			continue;
		pm_field_fmt(src->btf, f, data, v, sizeof(v));
		printf(f->kind == PM_K_STR ? " %s=\"%s\"" : " %s=%s", f->name,
		       v);
	}
	putchar('\n');
}

static struct alerts_ctx *g_ctx;

static int on_alert(void *ctx, void *data, size_t size)
{
	struct alert_src *src = ctx;
	const struct pm_field *f;
	json_writer_t *jw;
	char v[64];
	int i;

	if (size < src->size) {
		p_err("%s: maps/%s: record of %zu bytes, struct %s is %u",
		      src->in->name, ALERTS_MAP, size, ALERT_TYPE, src->size);
		return 0;
	}
	g_ctx->count++;
	if (!json_output) {
		print_text(src, data);
		if (g_ctx->follow)
			fflush(stdout);
		return 0;
	}
	/* following: one object per line, so a consumer can stream them */
	jw = g_ctx->jw ? g_ctx->jw : jsonw_new(stdout, false);
	if (!jw)
		return -ENOMEM;
	jsonw_start_object(jw);
	jsonw_string_field(jw, "instance", src->in->name);
	/* ids as the W3C hex strings tracing UIs search by, when present */
	for (i = 0; i < src->schema->value.cnt; i++) {
		f = &src->schema->value.fields[i];
		if (!f->hex_bytes || id_absent(f, data))
			continue;
		pm_field_fmt(src->btf, f, data, v, sizeof(v));
		jsonw_string_field(jw, f->name, v);
	}
	jsonw_name(jw, "alert");
	pm_json_btf_value(jw, src->btf, src->type_id, data);
	jsonw_end_object(jw);
	if (!g_ctx->jw) {
		jsonw_destroy(&jw);
		fflush(stdout);
	}
	return 0;
}

/*
 * Set up @src for instance @name: 0, -ENODATA when it keeps no alerts
 * (skipped unless named), or -errno after printing why.
 */
static int src_open(const char *name, struct alert_src *src, bool named)
{
	struct pm_map *m;
	char path[PATH_MAX];
	const struct btf_type *t;
	int id, err;

	err = pm_instance_open(name, &src->in);
	if (err)
		return err;
	m = pm_instance_map(src->in, ALERTS_MAP);
	if (!m || m->info.type != BPF_MAP_TYPE_RINGBUF) {
		if (named)
			p_err("%s: keeps no alerts (no maps/%s ring buffer)",
			      name, ALERTS_MAP);
		return named ? -ENOENT : -ENODATA;
	}
	/* the btf pin, else any decodable map's BTF (the same object's) */
	src->btf = src->in->btf;
	for (id = 0; !src->btf && id < src->in->map_cnt; id++)
		if (src->in->maps[id]->decodable)
			src->btf = src->in->maps[id]->btf;
	id = src->btf ? btf__find_by_name_kind(src->btf, ALERT_TYPE,
					       BTF_KIND_STRUCT)
		      : -ENOENT;
	if (id < 0) {
		p_err("%s: no BTF struct %s to decode maps/%s with", name,
		      ALERT_TYPE, ALERTS_MAP);
		return -EPROTO;
	}
	t = btf__type_by_id(src->btf, id);
	src->type_id = id;
	src->size = t->size;
	src->schema = calloc(1, sizeof(*src->schema));
	if (!src->schema)
		return -ENOMEM;
	src->schema->fd = -1;
	src->schema->btf = src->btf;
	src->schema->value_type_id = id;
	src->schema->info.value_size = t->size;
	snprintf(src->schema->name, sizeof(src->schema->name), ALERT_TYPE);
	err = pm_schema_build(src->schema);
	if (err)
		return err;
	/* consuming writes the consumer position: not a read-only open */
	err = path_fmt(path, sizeof(path), "%s/maps/%s", src->in->dir,
		       ALERTS_MAP);
	src->fd = err ? err : bpf_obj_get(path);
	if (src->fd < 0) {
		err = err ? err : -errno;
		p_err("%s: maps/%s: %s", name, ALERTS_MAP, strerror(-err));
		return err;
	}
	return 0;
}

static void src_close(struct alert_src *src)
{
	if (src->fd >= 0)
		close(src->fd);
	pm_map_close(src->schema);
	pm_instance_close(src->in);
}

int cmd_alerts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{},
	};
	struct alerts_ctx actx = {};
	struct alert_src *srcs = NULL;
	struct ring_buffer *rb = NULL;
	char **names = NULL, **owned = NULL;
	double timeout = 0;
	struct timespec t0, now;
	int i, n = 0, c, err = 0, used = 0;

	while ((c = cmd_getopt(argc, argv, "f", opts, usage_alerts)) != -1) {
		if (c == CMD_HELP)
			return EXIT_OK;
		if (c == CMD_BAD)
			return EXIT_USAGE;
		if (c == 'f') {
			actx.follow = true;
		} else if (c == 't') {
			unsigned long long ns;

			if (parse_duration_ns(optarg, &ns) || !ns)
				return cmd_usage_err(
					usage_alerts,
					"alerts: --timeout '%s' is not a positive duration (e.g. 500ms, 2s)",
					optarg);
			timeout = ns / 1e9;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc) {
		names = argv;
		n = argc;
	} else {
		n = inst_list(&owned);
		if (n < 0) {
			p_err("%s: %s", pin_root(), strerror(-n));
			return exit_code_for(n);
		}
		names = owned;
	}
	srcs = calloc(n ? n : 1, sizeof(*srcs));
	if (!srcs) {
		err = -ENOMEM;
		goto cleanup;
	}
	g_ctx = &actx;
	for (i = 0; i < n; i++) {
		srcs[i].fd = -1;
		c = src_open(names[i], &srcs[i], argc > 0);
		if (c == -ENODATA)
			continue;
		if (c) {
			err = err ? err : c;
			continue;
		}
		if (!rb)
			rb = ring_buffer__new(srcs[i].fd, on_alert, &srcs[i],
					      NULL);
		else if (ring_buffer__add(rb, srcs[i].fd, on_alert, &srcs[i]))
			c = -errno;
		if (!rb || c) {
			c = c ? c : -errno;
			p_err("%s: maps/%s: cannot read the ring buffer: %s",
			      names[i], ALERTS_MAP, strerror(-c));
			err = err ? err : c;
			goto cleanup;
		}
		used++;
	}
	/*
	 * With -j the error objects are stdout's document: an array after
	 * them would make two. Nothing is consumed then, so no alert is lost.
	 */
	if (json_output && err)
		goto cleanup;
	/* without -j, err may hold an instance's error: keep it */
	c = cmd_json_array_begin(json_output && !actx.follow, &actx.jw);
	if (c) {
		err = c;
		goto cleanup;
	}
	if (rb && ring_buffer__consume(rb) < 0)
		p_err("alerts: reading ring buffers: %s", strerror(errno));
	if (actx.follow && used) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!stop) {
			c = ring_buffer__poll(rb, 200);
			if (c < 0 && c != -EINTR) {
				p_err("alerts: polling: %s", strerror(-c));
				err = err ? err : c;
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (timeout &&
			    now.tv_sec - t0.tv_sec +
					    (now.tv_nsec - t0.tv_nsec) / 1e9 >=
				    timeout)
				break;
		}
	}
	cmd_json_array_end(&actx.jw);
	if (!json_output && !actx.follow && !actx.count)
		p_info("no alerts waiting (%d instance%s with alerts)", used,
		       used == 1 ? "" : "s");
cleanup:
	ring_buffer__free(rb);
	for (i = 0; srcs && i < n; i++)
		src_close(&srcs[i]);
	free(srcs);
	strv_free(owned);
	return exit_code_for(err);
}
