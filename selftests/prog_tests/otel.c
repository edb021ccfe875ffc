// SPDX-License-Identifier: GPL-2.0
/*
 * OpenTelemetry thread context (OTEP 4947) on profile samples. vector-studio
 * publishes, per request, trace id 7673 0..0 <op> and span id <connection
 * number, 32 bits><request number on it, 32 bits> (its README, "Trace
 * context"), from its executable (local-exec TLS), libotelctx.so (TLSDESC)
 * or libotelctx-gd.so (general-dynamic). The ids BPF read must be those;
 * a process without the symbol profiles as before; a record left invalid
 * or of an unknown schema is skipped and counted; --trace shows one
 * request type's stacks. otel-dlopen loads either library after start.
 * `refresh` resolves the processes started after the load, and drops the
 * entries of those that exited.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "otel_ctx.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "pprof.pb-c.h"
#include "profile.h"
#include "test_progs.h"

#define TRACE_INSERT "76730000000000000000000000000001"
#define TRACE_SEARCH "76730000000000000000000000000002"

/* vector-studio's request ops (vs_proto.h) */
#define OP_INSERT 1
#define OP_SEARCH 2
#define OP_STATS  4

/*
 * Start workloads/@bin with @args, its port file in @dir: its pid (the
 * server's, not the shell's), or 0.
 */
static pid_t start_vs(const char *dir, const char *bin, const char *args)
{
	char *out = NULL;
	pid_t pid = 0;

	if (run_cmd(&out,
		    "%s/workloads/%s -f %s/port -P 8000 -n 16 %s >/dev/null 2>&1 & "
		    "echo $!; for i in $(seq 100); do [ -s %s/port ] && break; sleep 0.1; done; [ -s %s/port ]",
		    env_output_dir(), bin, dir, args, dir, dir))
		goto cleanup;
	pid = out ? atoi(out) : 0;
cleanup:
	free(out);
	return pid;
}

static void stop_vs(const char *dir, pid_t pid)
{
	if (pid > 0)
		kill(pid, SIGTERM);
	run_cmd(NULL, "rm -rf %s", dir);
}

/* Load profile as profile@ot on process @pid; @name names the assertion. */
static bool load_ot(pid_t pid, const char *name)
{
	return ASSERT_EQ(
		loader_run(NULL, "profile --name ot --pid %d --freq 499", pid),
		0, name);
}

/* Unload profile@ot, stop the vector-studio @vs and remove its @dir. */
static void stop_vs_profiled(const char *dir, pid_t vs)
{
	loader_run(NULL, "unload profile@ot");
	stop_vs(dir, vs);
}

/*
 * A new temporary @dir (a mkdtemp() template), workloads/@bin @args
 * started there (asserted as @started) and profiled as profile@ot
 * (asserted as @loaded): the server's pid, or 0 with all of it undone.
 */
static pid_t start_vs_profiled(char *dir, const char *bin, const char *args,
			       const char *started, const char *loaded)
{
	pid_t vs;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return 0;
	vs = start_vs(dir, bin, args);
	if (ASSERT_GT(vs, 0, started) && load_ot(vs, loaded))
		return vs;
	stop_vs_profiled(dir, vs);
	return 0;
}

/* vs-loadgen with @args on the vector-studio of @dir: run_cmd()'s result. */
static int loadgen(char **out, const char *dir, const char *args)
{
	return run_cmd(out, "%s/workloads/vs-loadgen -f %s/port %s",
		       env_output_dir(), dir, args);
}

/* Send @sig to the child @pid (if any) and reap it once it exits. */
static void signal_reap(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	waitpid(pid, NULL, 0);
}

/* The ids of a profile_traces row as vector-studio made them. */
static __u32 span_conn(const struct profile_trace_key *k)
{
	return (__u32)k->span_id[0] << 24 | k->span_id[1] << 16 |
	       k->span_id[2] << 8 | k->span_id[3];
}

static __u32 span_seq(const struct profile_trace_key *k)
{
	return (__u32)k->span_id[4] << 24 | k->span_id[5] << 16 |
	       k->span_id[6] << 8 | k->span_id[7];
}

static bool trace_is(const struct profile_trace_key *k, int op)
{
	static const __u8 zero[13];

	return k->trace_id[0] == 'v' && k->trace_id[1] == 's' &&
	       !memcmp(k->trace_id + 2, zero, sizeof(zero)) &&
	       k->trace_id[15] == op;
}

struct traced {
	__u64 samples, rows; /* of @tgid */
	__u64 by_op[8]; /* samples per trace id's op */
	__u64 bad_trace, bad_span; /* not what vector-studio publishes */
	__u32 max_conn, max_seq;
};

/*
 * The profile_traces rows of @inst for process @tgid (0: all), checked
 * against what vector-studio publishes: @max_conn connections at most.
 */
static int read_traced(const char *inst, __u32 tgid, __u32 max_conn,
		       struct traced *t)
{
	struct profile_trace_key k, next, *prev = NULL;
	struct profile_val v;
	int fd, op;

	memset(t, 0, sizeof(*t));
	fd = pin_open(inst, "maps/profile_traces");
	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if ((tgid && k.tgid != tgid) || bpf_map_lookup_elem(fd, &k, &v))
			continue;
		t->rows++;
		t->samples += v.samples;
		op = k.trace_id[15];
		if (!trace_is(&k, op) || op < 1 || op > 5)
			t->bad_trace += v.samples;
		else
			t->by_op[op] += v.samples;
		if (!span_conn(&k) || span_conn(&k) > max_conn || !span_seq(&k))
			t->bad_span += v.samples;
		if (span_conn(&k) > t->max_conn)
			t->max_conn = span_conn(&k);
		if (span_seq(&k) > t->max_seq)
			t->max_seq = span_seq(&k);
	}
	close(fd);
	return 0;
}

static int read_stats(const char *inst, struct otel_stats *st)
{
	__u32 zero = 0;

	return pin_lookup_sum(inst, "maps/otel_stats", &zero, st, sizeof(*st));
}

static int read_proc(const char *inst, __u32 tgid, struct otel_proc *p)
{
	int fd = pin_open(inst, "maps/otel_procs"), err;

	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &tgid, p) ? -errno : 0;
	close(fd);
	return err;
}

/*
 * Each TLS model: the loader resolves it as expected (@mode), and every
 * id BPF read during a search-only load is what the server published:
 * the SEARCH trace, the loadgen's connections, request numbers no higher
 * than the requests it made.
 */
static void check_model(const char *bin, __u32 mode)
{
	char dir[] = "/tmp/pinsight-otel-XXXXXX", *out = NULL;
	struct otel_stats st = {};
	struct otel_proc p = {};
	struct traced t;
	long requests;
	pid_t vs;

	vs = start_vs_profiled(dir, bin, "", bin, "load profile --pid");
	if (!vs)
		return;
	if (ASSERT_OK(read_proc("profile@ot", vs, &p), "otel_procs entry")) {
		ASSERT_EQ(p.mode, mode, "TLS access resolved as");
		ASSERT_EQ(p.schema, OTEL_SCHEMA_TLS_V1, "schema tls_v1");
	}
	/* one connection: the STATS request's is the first, then its own */
	ASSERT_EQ(loadgen(&out, dir, "-c 1 -d 1 -m 100 -j"), 0, "vs-loadgen");
	requests = json_num(out, "requests");
	if (!ASSERT_OK(read_traced("profile@ot", vs, 2, &t), "profile_traces"))
		goto cleanup;
	printf("%s: %llu traced samples in %llu rows, %ld requests, span up to %u:%u\n",
	       bin, (unsigned long long)t.samples, (unsigned long long)t.rows,
	       requests, t.max_conn, t.max_seq);
	ASSERT_GT(t.samples, 20, "samples with ids");
	/* the loadgen's first request learns the dimension: STATS */
	ASSERT_EQ(t.by_op[OP_SEARCH] + t.by_op[OP_STATS], t.samples,
		  "all of the SEARCH trace");
	ASSERT_GE(t.by_op[OP_SEARCH] * 10, t.samples * 9, "SEARCH's mostly");
	ASSERT_EQ(t.bad_trace, 0, "no other trace id");
	ASSERT_EQ(t.bad_span, 0, "span ids: connection 1..2, request >= 1");
	ASSERT_LE(t.max_seq, requests, "request numbers within the requests");
	if (ASSERT_OK(read_stats("profile@ot", &st), "otel_stats")) {
		ASSERT_EQ(st.otel_read, t.samples, "read = traced samples");
		/*
		 * A sample can land while the page holding the thread's DTV
		 * or record is not mapped in yet, which a read from the
		 * interrupt cannot fault in (one in 418, on 6.1 under TCG);
		 * a wrong address would fault on every read.
		 */
		ASSERT_LE(st.otel_fault * 100, t.samples, "faults <= 1 %");
		ASSERT_EQ(st.otel_torn + st.otel_unknown_version, 0,
			  "nothing else skipped");
	}
cleanup:
	free(out);
	stop_vs_profiled(dir, vs);
}

/*
 * The writer's library loaded by dlopen() after start (otel-dlopen): its
 * TLS block is placed at run time (TLSDESC: glibc may still use the
 * static surplus; general-dynamic: the DTV, @mode), and every sample of
 * the burning thread carries the trace and span it attached; its exit
 * (samples past exit_mm) counts no fault.
 */
static void check_dlopen(const char *lib, __u32 mode)
{
	char ready[64], path[PATH_MAX];
	struct profile_trace_key k, next, *prev = NULL;
	static const __u8 trace[16] = "otel-dlopen\0\0\0\0\1";
	static const __u8 span[8] = { 0, 0, 0, 0, 0, 0, 0, 0xaa };
	unsigned long long good = 0, bad = 0;
	struct otel_stats st = {};
	struct otel_proc p = {};
	struct profile_val v;
	int fd, i;
	pid_t pid;

	snprintf(ready, sizeof(ready), "/tmp/pinsight-otel-dl-%d", getpid());
	unlink(ready);
	out_path(path, sizeof(path), "workloads/");
	pid = spawn_sh("exec %s/otel-dlopen %s/%s 0.6 %s >/dev/null", path,
		       path, lib, ready);
	if (!ASSERT_GT(pid, 0, "otel-dlopen"))
		return;
	for (i = 0; i < 100 && access(ready, F_OK); i++)
		usleep(20000);
	if (!ASSERT_OK(access(ready, F_OK), "published"))
		goto cleanup;
	if (!load_ot(pid, "load profile --pid"))
		goto cleanup;
	if (ASSERT_OK(read_proc("profile@ot", pid, &p), "otel_procs entry")) {
		printf("%s: mode %u, tp_offset %lld, module %llu\n", lib,
		       p.mode, (long long)p.tp_offset,
		       (unsigned long long)p.dtv_module);
		if (mode)
			ASSERT_EQ(p.mode, mode, "TLS access resolved as");
	}
	/* loaded: now it burns, 0.6 s of CPU time */
	signal_reap(pid, SIGUSR1);
	pid = 0;
	fd = pin_open("profile@ot", "maps/profile_traces");
	if (!ASSERT_GE(fd, 0, "profile_traces"))
		goto cleanup;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		if (!memcmp(k.trace_id, trace, 16) &&
		    !memcmp(k.span_id, span, 8))
			good += v.samples;
		else
			bad += v.samples;
	}
	close(fd);
	printf("%s: %llu samples with its ids, %llu other\n", lib, good, bad);
	ASSERT_GT(good, 20, "samples with the attached ids");
	ASSERT_EQ(bad, 0, "no other ids");
	if (ASSERT_OK(read_stats("profile@ot", &st), "otel_stats")) {
		ASSERT_EQ(st.otel_read, good, "read = traced samples");
		/* as in check_model(): a page not mapped in yet, rarely */
		ASSERT_LE(st.otel_fault * 100, good, "faults <= 1 %");
	}
cleanup:
	signal_reap(pid, SIGTERM);
	unlink(ready);
	loader_run(NULL, "unload profile@ot");
}

/*
 * A process that publishes nothing (cpuburn): loaded and sampled as
 * before, no otel_procs entry, no traced row, nothing counted.
 */
static void check_no_symbol(void)
{
	char comm[16], *out = NULL;
	struct otel_stats st = {};
	struct otel_proc p;
	struct traced t;
	pid_t pid;
	int i;

	snprintf(comm, sizeof(comm), "otnone%d", getpid() % 100000);
	/* stopped once sampled: a load takes seconds under TCG */
	pid = spawn_sh("exec %s/workloads/cpuburn --comm %s --seconds 60",
		       env_output_dir(), comm);
	if (!ASSERT_GT(pid, 0, "cpuburn"))
		return;
	usleep(100000);
	if (!load_ot(pid, "load profile --pid"))
		goto cleanup;
	ASSERT_EQ(read_proc("profile@ot", pid, &p), -ENOENT,
		  "no otel_procs entry");
	for (i = 0; i < 30; i++) {
		usleep(500000);
		free(out);
		out = NULL;
		if (reader_run(&out, "profile profile@ot --folded") ||
		    strstr(out ?: "", "burn_hot"))
			break;
	}
	signal_reap(pid, SIGKILL);
	pid = 0;
	ASSERT_HAS_SUBSTR(out ?: "", "burn_hot", "sampled as before");
	free(out);
	out = NULL;
	if (ASSERT_EQ(reader_run(&out,
				 "profile profile@ot --trace " TRACE_SEARCH),
		      0, "--trace"))
		ASSERT_TRUE(out && !strncmp(out, "0 samples", 9),
			    "no samples of any trace");
	if (ASSERT_OK(read_traced("profile@ot", 0, 0, &t), "profile_traces"))
		ASSERT_EQ(t.rows, 0, "no traced rows");
	if (ASSERT_OK(read_stats("profile@ot", &st), "otel_stats"))
		ASSERT_EQ(st.otel_read + st.otel_no_span + st.otel_invalid +
				  st.otel_torn + st.otel_unknown_version +
				  st.otel_fault,
			  0, "nothing counted");
cleanup:
	signal_reap(pid, SIGTERM);
	free(out);
	loader_run(NULL, "unload profile@ot");
}

/*
 * Records a reader must skip: SEARCH requests whose writer stopped
 * mid-update (valid left 0) carry no ids and count as invalid; a process
 * context naming another schema resolves, and every record of it counts
 * as unknown_version.
 */
static void check_skipped(void)
{
	char dir[] = "/tmp/pinsight-otel-XXXXXX";
	struct otel_stats st = {};
	struct otel_proc p = {};
	struct traced t;
	pid_t vs;

	vs = start_vs_profiled(dir, "vector-studio", "--otel-torn 2",
			       "vector-studio --otel-torn", "load");
	if (!vs)
		return;
	ASSERT_EQ(loadgen(NULL, dir, "-c 1 -d 1 -m 100 -q >/dev/null"), 0,
		  "vs-loadgen");
	if (ASSERT_OK(read_traced("profile@ot", vs, 2, &t), "profile_traces"))
		ASSERT_EQ(t.by_op[OP_SEARCH], 0, "no SEARCH ids");
	if (ASSERT_OK(read_stats("profile@ot", &st), "otel_stats")) {
		printf("torn SEARCH: invalid %llu, read %llu\n",
		       (unsigned long long)st.otel_invalid,
		       (unsigned long long)st.otel_read);
		ASSERT_GT(st.otel_invalid, 20, "skipped as invalid");
		ASSERT_EQ(st.otel_read, t.samples, "read only what has ids");
	}
	stop_vs_profiled(dir, vs);

	vs = start_vs_profiled(strcpy(dir, "/tmp/pinsight-otel-XXXXXX"),
			       "vector-studio", "--otel-schema tls_v9",
			       "vector-studio --otel-schema", "load");
	if (!vs)
		return;
	if (ASSERT_OK(read_proc("profile@ot", vs, &p), "otel_procs entry"))
		ASSERT_EQ(p.schema, OTEL_SCHEMA_UNKNOWN, "schema unknown");
	ASSERT_EQ(loadgen(NULL, dir, "-c 1 -d 0.5 -m 100 -q >/dev/null"), 0,
		  "vs-loadgen");
	if (ASSERT_OK(read_traced("profile@ot", vs, 2, &t), "profile_traces"))
		ASSERT_EQ(t.samples, 0, "no ids at all");
	if (ASSERT_OK(read_stats("profile@ot", &st), "otel_stats")) {
		ASSERT_GT(st.otel_unknown_version, 10,
			  "skipped as unknown version");
		ASSERT_EQ(st.otel_read, 0, "none read");
	}
	stop_vs_profiled(dir, vs);
}

/* Samples per trace_id label value of the pprof file @path. */
static int pprof_traces(const char *path, __u64 *search, __u64 *insert,
			__u64 *traced, __u64 *unlabelled, __u64 *spans)
{
	Perftools__Profiles__Profile *p;
	unsigned char *buf = NULL;
	size_t len, i, j;
	int err;

	*search = *insert = *traced = *unlabelled = *spans = 0;
	err = gunzip_file(path, &buf, &len);
	if (err)
		return err;
	p = perftools__profiles__profile__unpack(NULL, len, buf);
	free(buf);
	if (!p)
		return -EBADMSG;
	for (i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		const char *trace = NULL, *span = NULL;

		for (j = 0; j < s->n_label; j++) {
			const char *key = p->string_table[s->label[j]->key];

			if (!strcmp(key, "trace_id"))
				trace = p->string_table[s->label[j]->str];
			else if (!strcmp(key, "span_id"))
				span = p->string_table[s->label[j]->str];
		}
		if (!trace)
			*unlabelled += s->value[0];
		else
			*traced += s->value[0];
		if (trace && !strcmp(trace, TRACE_SEARCH))
			*search += s->value[0];
		else if (trace && !strcmp(trace, TRACE_INSERT))
			*insert += s->value[0];
		if (span && strlen(span) == 16)
			*spans += s->value[0];
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
	return 0;
}

/*
 * The folded stacks of --trace @trace (@op's requests): over @min samples,
 * @pct % of them or more in @mine_fn, none in @other_fn. 0 with their
 * samples in *@all, or -1 when the reader failed.
 */
static int check_trace(const char *op, const char *trace, const char *mine_fn,
		       const char *other_fn, unsigned long long min, int pct,
		       unsigned long long *all)
{
	struct folded_share mine, other;
	char name[64], *out = NULL;
	int err;

	snprintf(name, sizeof(name), "--trace %s", op);
	err = reader_run(&out, "profile profile@ot --folded --trace %s", trace);
	if (!ASSERT_EQ(err, 0, name)) {
		free(out);
		return -1;
	}
	mine = folded_count(out, NULL, mine_fn, NULL);
	other = folded_count(out, NULL, other_fn, NULL);
	free(out);
	*all = mine.all;
	printf("%s trace: %llu samples, %llu in %s, %llu in %s\n", op, mine.all,
	       mine.with, mine_fn, other.with, other_fn);
	snprintf(name, sizeof(name), "%s samples", op);
	ASSERT_GT(mine.all, min, name);
	snprintf(name, sizeof(name), "%s in >= %d %%", mine_fn, pct);
	ASSERT_GE(mine.with * 100, mine.all * pct, name);
	snprintf(name, sizeof(name), "no %s", other_fn);
	ASSERT_EQ(other.with, 0, name);
	return 0;
}

/*
 * Searches and inserts interleaved on two connections: --trace of each
 * request type shows its own function and never the other's, and the
 * pprof labels split the same samples the same way.
 */
static void check_trace_filter(void)
{
	char dir[] = "/tmp/pinsight-otel-XXXXXX", pb[PATH_MAX], *out = NULL;
	unsigned long long s_all, i_all;
	__u64 search, insert, traced, unlabelled, spans;
	pid_t vs;

	vs = start_vs_profiled(dir, "vector-studio", "", "vector-studio",
			       "load");
	if (!vs)
		return;
	snprintf(pb, sizeof(pb), "%s/p.pb.gz", dir);
	ASSERT_EQ(loadgen(NULL, dir, "-c 2 -d 1.5 -m 50 -b 40 >/dev/null"), 0,
		  "vs-loadgen");
	if (check_trace("SEARCH", TRACE_SEARCH, "search_vectors",
			"insert_vectors", 20, 60, &s_all) ||
	    check_trace("INSERT", TRACE_INSERT, "insert_vectors",
			"search_vectors", 5, 30, &i_all))
		goto cleanup;
	/* --top: the SEARCH trace's hottest function is search_vectors */
	if (ASSERT_EQ(
		    reader_run(
			    &out,
			    "profile profile@ot --top 1 --trace " TRACE_SEARCH),
		    0, "--top 1"))
		ASSERT_HAS_SUBSTR(out, "search_vectors", "on top");
	ASSERT_EQ(reader_run(NULL, "profile profile@ot --trace 7673"), 2,
		  "a short trace id is a usage error");
	if (!ASSERT_EQ(reader_run(NULL, "profile profile@ot --pprof %s", pb), 0,
		       "--pprof"))
		goto cleanup;
	if (ASSERT_OK(pprof_traces(pb, &search, &insert, &traced, &unlabelled,
				   &spans),
		      "pprof")) {
		/* later than --folded: as many or more */
		ASSERT_GE(search, s_all, "SEARCH samples labelled");
		ASSERT_GE(insert, i_all, "INSERT samples labelled");
		/* and the loadgen's other requests (OP_BUILD, OP_STATS) */
		ASSERT_EQ(spans, traced, "each traced one with a span_id");
		ASSERT_GT(unlabelled, 0, "samples outside requests unlabelled");
	}
cleanup:
	free(out);
	stop_vs_profiled(dir, vs);
}

/* Samples of process @tgid in profile_counts: with ids or not. */
static __u64 samples_of(const char *inst, __u32 tgid)
{
	struct profile_key k, next, *prev = NULL;
	struct profile_val v;
	__u64 n = 0;
	int fd;

	fd = pin_open(inst, "maps/profile_counts");
	if (fd < 0)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (k.tgid == tgid && !bpf_map_lookup_elem(fd, &k, &v))
			n += v.samples;
	}
	close(fd);
	return n;
}

/*
 * `pinsight-load refresh` after a --comm load: a vector-studio started
 * since is sampled without ids until a refresh resolves it, with them
 * after; an entry whose pid is now another program's (this test's own,
 * planted as if its vector-studio had exited and the pid been reused) is
 * dropped, and so is the vector-studio's once it exited. Other
 * vector-studios on the host may be added too: counts are lower bounds.
 */
static void check_refresh(void)
{
	struct otel_proc p = { .mode = OTEL_TLS_STATIC,
			       .schema = OTEL_SCHEMA_TLS_V1 };
	char dir[] = "/tmp/pinsight-otel-XXXXXX", path[PATH_MAX], *out = NULL;
	__u32 self = getpid();
	struct traced t;
	__u64 before;
	pid_t vs = 0;
	int fd, i, err;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	err = loader_run(NULL, "profile --name ot --freq 499 "
			       "--comm vector-studio");
	if (!ASSERT_EQ(err, 0, "load profile --comm"))
		goto cleanup;
	vs = start_vs(dir, "vector-studio", "");
	if (!ASSERT_GT(vs, 0, "vector-studio after the load"))
		goto cleanup;
	ASSERT_EQ(read_proc("profile@ot", vs, &p), -ENOENT,
		  "no otel_procs entry before a refresh");
	ASSERT_EQ(loadgen(NULL, dir, "-c 1 -d 0.5 -m 100 >/dev/null"), 0,
		  "vs-loadgen before");
	before = samples_of("profile@ot", vs);
	if (ASSERT_OK(read_traced("profile@ot", vs, 2, &t), "profile_traces"))
		ASSERT_EQ(t.samples, 0, "no ids before a refresh");
	ASSERT_GT(before, 20, "sampled before the refresh");

	snprintf(path, sizeof(path), "%s/profile@ot/maps/otel_procs",
		 pin_root());
	fd = bpf_obj_get(path);
	if (!ASSERT_GE(fd, 0, "otel_procs"))
		goto cleanup;
	ASSERT_OK(bpf_map_update_elem(fd, &self, &p, BPF_ANY), "plant");
	close(fd);
	if (!ASSERT_EQ(loader_run(&out, "-j refresh"), 0, "refresh"))
		goto cleanup;
	printf("refresh: %s", out);
	ASSERT_GE(json_num(out, "otel_added"), 1, "otel_added");
	ASSERT_GE(json_num(out, "otel_dropped"), 1, "otel_dropped");
	ASSERT_EQ(read_proc("profile@ot", self, &p), -ENOENT,
		  "a reused pid's entry dropped");
	if (ASSERT_OK(read_proc("profile@ot", vs, &p), "entry after refresh")) {
		ASSERT_EQ(p.mode, OTEL_TLS_STATIC, "local-exec");
		ASSERT_EQ(p.schema, OTEL_SCHEMA_TLS_V1, "tls_v1");
	}
	ASSERT_EQ(loadgen(NULL, dir, "-c 1 -d 1 -m 100 -q >/dev/null"), 0,
		  "vs-loadgen after");
	/* each loadgen: a STATS connection, then its own */
	if (ASSERT_OK(read_traced("profile@ot", vs, 4, &t), "profile_traces")) {
		printf("after refresh: %llu of %llu samples with ids\n",
		       (unsigned long long)t.samples,
		       (unsigned long long)(samples_of("profile@ot", vs) -
					    before));
		ASSERT_GT(t.samples, 20, "ids after the refresh");
		ASSERT_EQ(t.bad_trace, 0, "the SEARCH and STATS traces only");
		ASSERT_EQ(t.bad_span, 0, "span ids: connection 1..4");
	}

	/* exited: its entry goes at the next refresh */
	kill(vs, SIGTERM);
	for (i = 0; i < 100 && !kill(vs, 0); i++)
		usleep(20000);
	free(out);
	out = NULL;
	if (!ASSERT_EQ(loader_run(&out, "-j refresh"), 0, "refresh again"))
		goto cleanup;
	printf("refresh: %s", out);
	ASSERT_GE(json_num(out, "otel_dropped"), 1, "otel_dropped");
	ASSERT_EQ(read_proc("profile@ot", vs, &p), -ENOENT,
		  "an exited process's entry dropped");
cleanup:
	free(out);
	stop_vs_profiled(dir, vs);
}

void test_otel(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("tls_exe_local_exec"))
		check_model("vector-studio", OTEL_TLS_STATIC);
	if (test__start_subtest("tls_lib_tlsdesc"))
		check_model("vector-studio-otelso", OTEL_TLS_STATIC);
	if (test__start_subtest("tls_lib_general_dynamic"))
		check_model("vector-studio-otelgd", OTEL_TLS_DTV);
	if (test__start_subtest("dlopen_tlsdesc"))
		check_dlopen("libotelctx.so", 0);
	if (test__start_subtest("dlopen_general_dynamic"))
		check_dlopen("libotelctx-gd.so", OTEL_TLS_DTV);
	if (test__start_subtest("no_symbol"))
		check_no_symbol();
	if (test__start_subtest("skipped_invalid_schema"))
		check_skipped();
	if (test__start_subtest("trace_filter"))
		check_trace_filter();
	if (test__start_subtest("refresh"))
		check_refresh();
}
