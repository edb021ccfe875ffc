// SPDX-License-Identifier: GPL-2.0
/*
 * Map pressure: a full hash map and a full ring buffer lose events, and
 * every lost event is counted in the tool's drops counter, which
 * `pinsight show`, `pinsight metrics` and the dashboard show. Both are
 * forced with pinsight-load --max-entries.
 */
#include <regex.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "alert.h"
#include "io.h"
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

#define NCOMMS 40

static __u64 read_drops(const char *inst)
{
	__u64 drops = 0;
	__u32 key = 0;
	int fd = pin_open(inst, "maps/bss");

	/* .bss of io is the drops counter alone (a __u64 at offset 0) */
	if (fd >= 0) {
		__u64 buf[8] = {};

		if (!bpf_map_lookup_elem(fd, &key, buf))
			drops = buf[0];
		close(fd);
	}
	return drops;
}

/* Sum ops of every entry whose comm starts with @prefix. */
static __u64 sum_ops(const char *inst, const char *map, const char *prefix,
		     size_t key_sz, size_t val_sz)
{
	char key[64], next[64];
	__u64 val[64], total = 0;
	void *prev = NULL;
	int fd = pin_open(inst, map);

	if (fd < 0 || key_sz > sizeof(key) || val_sz > sizeof(val))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_sz);
		prev = key;
		/* comm is the first field of both io keys */
		if (strncmp(key, prefix, strlen(prefix)) ||
		    map_lookup_sum(fd, key, val, val_sz))
			continue;
		total += val[0]; /* ops is the first field of both values */
	}
	close(fd);
	return total;
}

/* The value of the metric line "@name ..." (no labels) in @text. */
static bool metric_value(const char *text, const char *name, double *v)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s", name);
	for (p = text; (p = strstr(p, pat)); p++) {
		p += strlen(pat);
		if (*p == ' ' || *p == '{') {
			p = strchr(p, ' ');
			return p && sscanf(p, " %lf", v) == 1;
		}
	}
	return false;
}

/* The io_comm hash map (4 entries) fills: a flood of distinct comms. */
static void check_hash_full(void)
{
	__u64 drops0, drops, proc_ops, comm_ops, lost;
	char prefix[16], *out = NULL;
	double shown;
	int i, err;

	err = loader_run(NULL, "io --name prs --per-pid --max-entries io_comm=4");
	if (!ASSERT_EQ(err, 0, "load with io_comm=4"))
		return;
	drops0 = read_drops("io@prs");
	snprintf(prefix, sizeof(prefix), "p%d-", getpid() % 1000000);
	for (i = 0; i < NCOMMS; i++) {
		err = run_cmd(NULL, "%s/workloads/iogen --comm %s%d --count 5",
			      env_output_dir(), prefix, i);
		if (!ASSERT_EQ(err, 0, "iogen"))
			goto cleanup;
	}
	drops = read_drops("io@prs") - drops0;
	/*
	 * io_proc (LRU, 10240 entries) saw every call of ours; io_comm kept
	 * at most 4 comms: each call it could not keep is a drop. Other
	 * processes lose calls too, so drops is at least what we lost.
	 */
	proc_ops = sum_ops("io@prs", "maps/io_proc", prefix,
			   sizeof(struct io_proc_key), sizeof(struct io_proc_val));
	comm_ops = sum_ops("io@prs", "maps/io_comm", prefix,
			   sizeof(struct io_comm_key), sizeof(struct io_comm_val));
	lost = proc_ops - comm_ops;
	printf("our calls %llu, kept %llu, lost %llu; drops %llu\n",
	       (unsigned long long)proc_ops, (unsigned long long)comm_ops,
	       (unsigned long long)lost, (unsigned long long)drops);
	ASSERT_GE(proc_ops, NCOMMS * 6 * 5ULL, "every call in io_proc");
	ASSERT_GT(lost, 0, "a 4-entry map lost calls");
	ASSERT_GE(drops, lost, "every lost call counted");

	err = reader_run(&out, "show io@prs bss");
	ASSERT_EQ(err, 0, "show bss");
	ASSERT_HAS_SUBSTR(out, "drops", "show lists drops");
	free(out);
	out = NULL;
	err = reader_run(&out, "metrics io@prs");
	ASSERT_EQ(err, 0, "metrics");
	if (ASSERT_TRUE(metric_value(out, "ebpf_io_drops_total", &shown),
			"metrics export drops"))
		ASSERT_GE(shown, (double)drops, "metrics show the count");
cleanup:
	free(out);
	loader_run(NULL, "unload io@prs");
}

static int count_record(void *ctx, void *data, size_t sz)
{
	(void)data;
	(void)sz;
	(*(int *)ctx)++;
	return 0;
}

/*
 * The alert ring buffer (one page) overflows: every call alerts with a
 * 1 ns threshold. Each alert is counted in alert_counts whether or not
 * the ring buffer took it, so alerts == records + drops, exactly.
 */
static void check_ringbuf_full(void)
{
	struct alert_key akey = { .kind = ALERT_LATENCY };
	struct alert_count cnt = {};
	struct ring_buffer *rb = NULL;
	char comm[16], path[4096];
	int err, fd, records = 0;
	__u64 drops;

	snprintf(comm, sizeof(comm), "rb%d", getpid() % 1000000);
	err = loader_run(NULL, "io --name rb --comm %s --alert-latency 1ns --max-entries alerts=%d",
			 comm, getpagesize());
	if (err == EXIT_USAGE) {
		test__skip("io has no --alert-latency");
		return;
	}
	if (!ASSERT_EQ(err, 0, "load with a one-page ring buffer"))
		return;
	err = run_cmd(NULL, "%s/workloads/iogen --comm %s --count 50",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "iogen");
	drops = read_drops("io@rb");
	fd = pin_open("io@rb", "maps/alert_counts");
	if (ASSERT_GE(fd, 0, "alert_counts"))
		ASSERT_OK(map_lookup_sum(fd, &akey, &cnt, sizeof(cnt)),
			  "latency alerts");
	if (fd >= 0)
		close(fd);
	/* Consume the ring buffer to count what it kept. */
	snprintf(path, sizeof(path), "%s/io@rb/maps/alerts", pin_root());
	fd = bpf_obj_get(path);
	if (ASSERT_GE(fd, 0, "open ring buffer"))
		rb = ring_buffer__new(fd, count_record, &records, NULL);
	if (ASSERT_OK_PTR(rb, "ring_buffer__new"))
		ring_buffer__consume(rb);
	printf("alerts %llu, in the ring buffer %d, drops %llu\n",
	       (unsigned long long)cnt.alerts, records,
	       (unsigned long long)drops);
	ASSERT_GE(cnt.alerts, 6 * 50ULL, "every call alerted");
	ASSERT_GT(records, 0, "the ring buffer took some");
	ASSERT_GT(drops, 0, "and dropped the rest");
	ASSERT_EQ(cnt.alerts, records + drops, "alerts == records + drops");
	ring_buffer__free(rb);
	if (fd >= 0)
		close(fd);
	loader_run(NULL, "unload io@rb");
}

/* The dashboard's drops panel selects every tool's drops counter. */
static void check_dashboard(void)
{
	char *out = NULL;
	regex_t re;
	int err;

	err = run_cmd(&out, "grep -o 'ebpf_[^\"]*drops_total' %s/scripts/grafana/pinsight.json",
		      env_src_dir());
	if (!ASSERT_EQ(err, 0, "dashboard has a drops panel"))
		goto cleanup;
	/* PromQL's =~ is anchored: match the whole metric name. */
	out[strcspn(out, "\n")] = '\0';
	if (!ASSERT_OK(regcomp(&re, out, REG_EXTENDED | REG_NOSUB), "regex"))
		goto cleanup;
	ASSERT_OK(regexec(&re, "ebpf_io_drops_total", 0, NULL, 0),
		  "the panel selects ebpf_io_drops_total");
	regfree(&re);
cleanup:
	free(out);
}

void test_pressure(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("hash_map_full"))
		check_hash_full();
	if (test__start_subtest("ring_buffer_full"))
		check_ringbuf_full();
	if (test__start_subtest("dashboard_shows_drops"))
		check_dashboard();
}
