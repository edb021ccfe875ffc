// SPDX-License-Identifier: GPL-2.0
/*
 * memalloc counts exactly. Heap mode (the default): allocgen changes
 * VmData by known amounts through each syscall it hooks, and every byte,
 * growth stack and the growth alert must match. Per-call mode (--calls):
 * allocgen makes a known sequence of allocator calls under a comm of our
 * choosing, and every count and byte total must match; a deliberate leak
 * shows up under its symbolized stack; steady growth raises the growth
 * alert; bad --lib targets fail cleanly.
 */
#include <bpf/bpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include "alert_read.h"
#include "memalloc.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

static int read_comm(const char *inst, const char *comm,
		     struct memalloc_comm_val *v)
{
	struct memalloc_comm_key key = {};
	int fd, err;

	memset(v, 0, sizeof(*v));
	snprintf(key.comm, sizeof(key.comm), "%s", comm);
	fd = pin_open(inst, "maps/memalloc_comm");
	if (fd < 0)
		return fd;
	err = map_lookup_sum(fd, &key, v, sizeof(*v));
	close(fd);
	return err;
}

/*
 * Sum the values (all 64-bit fields) of the rows of pinned map @map whose
 * key starts with the @prefix_sz bytes at @prefix into @sum (@val_sz
 * bytes); how many rows that was in *rows.
 */
static int sum_rows(const char *inst, const char *map, const void *prefix,
		    size_t prefix_sz, void *sum, size_t val_sz, int *rows)
{
	char key[64], next[64], path[64];
	__u64 v[8], *s = sum;
	void *prev = NULL;
	int fd, err = 0;
	size_t i;

	memset(sum, 0, val_sz);
	*rows = 0;
	if (val_sz > sizeof(v))
		return -E2BIG;
	snprintf(path, sizeof(path), "maps/%s", map);
	fd = pin_open(inst, path);
	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (memcmp(key, prefix, prefix_sz))
			continue;
		err = map_lookup_sum(fd, key, v, val_sz);
		if (err)
			break;
		for (i = 0; i < val_sz / 8; i++)
			s[i] += v[i];
		(*rows)++;
	}
	close(fd);
	return err;
}

/* memalloc_thread summed over @comm's threads; their number in *nthreads. */
static int read_threads(const char *inst, const char *comm,
			struct memalloc_thread_val *sum, int *nthreads)
{
	struct memalloc_thread_key k = {};

	snprintf(k.comm, sizeof(k.comm), "%s", comm);
	return sum_rows(inst, "memalloc_thread", k.comm, sizeof(k.comm), sum,
			sizeof(*sum), nthreads);
}

/* memalloc_stacks summed over process @tgid's stacks. */
static int read_stacks(const char *inst, __u32 tgid,
		       struct memalloc_stack_val *sum)
{
	struct memalloc_stack_key k = { .tgid = tgid };
	int n;

	return sum_rows(inst, "memalloc_stacks", &k.tgid, sizeof(k.tgid), sum,
			sizeof(*sum), &n);
}

/* The pid in allocgen's closing "allocgen: pid N, ..." line, or 0. */
static int allocgen_pid(const char *out)
{
	const char *p = out ? strstr(out, "allocgen: pid ") : NULL;

	return p ? atoi(p + strlen("allocgen: pid ")) : 0;
}

/* VmData of process @pid in bytes (/proc/PID/status), or -1. */
static long long vmdata_bytes(int pid)
{
	char path[64], line[128];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmData: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/*
 * Heap mode, the default: allocgen --heap-steps grows VmData by 31 MiB
 * and shrinks it by 8 through mmap, munmap, mprotect, brk and mremap, a
 * quarter second apart. Every byte counts (the first call's entry sets
 * where the process starts), each growth has its stack, the steady growth
 * raises the alert, no uprobe is attached, and the exit takes the
 * process's 23 MiB back.
 */
static void check_heap(void)
{
	const long long mib = 1 << 20;
	char comm[16], path[64], *out = NULL;
	struct memalloc_stack_val st;
	struct memalloc_proc_val pv;
	struct memalloc_comm_val c;
	struct alert_list l = {};
	int err, rows, i;
	pid_t pid;

	snprintf(comm, sizeof(comm), "ma-hp-%d", getpid() % 100000);
	snprintf(path, sizeof(path), "/tmp/pinsight-ma-hp-%d", getpid());
	/*
	 * Started first, waiting for SIGUSR1: the load then finds it and
	 * compiles its images' unwind tables (a process started later gets
	 * them at the next refresh), so the growth stacks unwind through
	 * libc's frameless syscall wrappers.
	 */
	pid = spawn_sh(
		"exec %s/workloads/allocgen --comm %s --heap-steps 250 --hold-ms 20000 --wait-signal > %s",
		env_output_dir(), comm, path);
	if (!ASSERT_GT(pid, 0, "allocgen"))
		return;
	if (!ASSERT_TRUE(waits_for_usr1(pid, 10000), "allocgen waiting"))
		goto cleanup;
	err = loader_run(
		&out,
		"memalloc --name hp --comm %s --stack-bytes 0 --growth-threshold 100M --growth-window 200ms",
		comm);
	if (!ASSERT_EQ(err, 0, "load"))
		goto cleanup;
	ASSERT_HAS_SUBSTR(out, "prog heap_change", "heap program");
	ASSERT_FALSE(strstr(out, "uprobe"), "no uprobe");
	kill(pid, SIGUSR1);
	/* "allocgen: pid N, leaked 0 allocations": all done, now holding */
	free(out);
	out = file_wait(path, "leaked", 60000);
	if (!ASSERT_OK_PTR(out, "steps done"))
		goto cleanup;
	if (ASSERT_OK(read_comm("memalloc@hp", comm, &c), "read comm")) {
		ASSERT_EQ(c.allocated_bytes, 31 * mib, "grown");
		ASSERT_EQ(c.freed_bytes, 8 * mib, "shrunk");
		ASSERT_EQ(c.outstanding_bytes, 23 * mib, "outstanding");
		ASSERT_EQ(c.allocs + c.frees, 0, "no calls counted");
	}
	if (ASSERT_OK(sum_rows("memalloc@hp", "memalloc_proc", &pid, 4, &pv,
			       sizeof(pv), &rows),
		      "memalloc_proc")) {
		ASSERT_EQ(rows, 1, "one row");
		ASSERT_EQ(pv.outstanding_bytes, 23 * mib, "its growth");
		ASSERT_EQ(pv.data_bytes, vmdata_bytes(pid), "= its VmData");
	}
	if (ASSERT_OK(read_stacks("memalloc@hp", pid, &st), "read stacks")) {
		ASSERT_EQ(st.outstanding_bytes, 31 * mib, "every growth");
		ASSERT_EQ(st.outstanding_allocs, 6, "six growths");
	}
	free(out);
	out = NULL;
	ASSERT_EQ(reader_run(&out, "show memalloc@hp memalloc_stacks"), 0,
		  "show memalloc_stacks");
	ASSERT_HAS_SUBSTR(out, "heap_steps\n    main", "growth stack");
	err = alerts_drain("memalloc@hp", ALERT_MEM_GROWTH, &l);
	ASSERT_GE(err, 1, "growth alerts");
	for (i = 0; i < l.n; i++) {
		ASSERT_STREQ(l.a[i].comm, comm, "alert comm");
		ASSERT_GT(l.a[i].value, 100ULL << 20, "rate above it");
	}
	free(l.a);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	pid = 0;
	if (ASSERT_OK(read_comm("memalloc@hp", comm, &c), "read, after")) {
		ASSERT_EQ(c.outstanding_bytes, 0, "none after the exit");
		ASSERT_EQ(c.exited_bytes, 23 * mib, "taken back at the exit");
	}
	free(out);
	out = NULL;
	ASSERT_EQ(loader_run(&out, "refresh"), 0, "refresh");
	ASSERT_HAS_SUBSTR(out, "memalloc@hp: heap mode, no allocations kept",
			  "refresh: nothing to drop");
cleanup:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	unlink(path);
	free(out);
	loader_run(NULL, "unload memalloc@hp");
}

/*
 * With B = 200: 10 malloc(B), 5 calloc(4, B/4), 3 x (malloc(B),
 * realloc(2B)), 2 aligned_alloc(64, B), 4 posix_memalign(64, B), each
 * freed; 3 leaked malloc(1000); 2 anonymous mmap(B)/munmap. A realloc
 * counts as the free of the old block and a new allocation.
 */
static void check_exact(bool perf_uprobes)
{
	const long allocs = 10 + 5 + 3 * 2 + 2 + 4 + 3;
	const long frees = 10 + 5 + 3 * 2 + 2 + 4;
	const long bytes = 10 * 200 + 5 * 200 + 3 * (200 + 400) + 2 * 200 +
			   4 * 200 + 3 * 1000;
	const long freed = bytes - 3 * 1000;
	struct memalloc_thread_val t;
	struct memalloc_comm_val c;
	char comm[16], *out = NULL, line[160];
	int err, n;

	snprintf(comm, sizeof(comm), "ma-ex-%d", getpid() % 100000);
	err = loader_run(NULL, "memalloc --calls --comm %s", comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	if (perf_uprobes) {
		snprintf(line, sizeof(line), "%s/memalloc/links/malloc_enter-0",
			 pin_root());
		ASSERT_OK(access(line, F_OK), "a perf event link per function");
	}
	err = run_cmd(
		NULL,
		"%s/workloads/allocgen --comm %s --size 200 --count 10 --calloc 5 --realloc 3 --aligned 2 --memalign 4 --leak 3 --leak-size 1000 --mmap 2",
		env_output_dir(), comm);
	ASSERT_EQ(err, 0, "allocgen");
	if (!ASSERT_OK(read_comm("memalloc", comm, &c), "read comm"))
		goto cleanup;
	ASSERT_EQ(c.allocs, allocs, "allocs");
	ASSERT_EQ(c.frees, frees, "frees");
	ASSERT_EQ(c.mmaps, 2, "mmaps");
	ASSERT_EQ(c.munmaps, 2, "munmaps");
	ASSERT_EQ(c.allocated_bytes, bytes + 2 * 200, "allocated bytes");
	ASSERT_EQ(c.freed_bytes, freed + 2 * 200, "freed bytes");
	/* the leak, taken back when allocgen exited */
	ASSERT_EQ(c.outstanding_bytes, 0, "outstanding: none after the exit");
	ASSERT_EQ(c.exited_bytes, 3000, "exited: the leak");
	if (ASSERT_OK(read_threads("memalloc", comm, &t, &n), "threads")) {
		ASSERT_EQ(n, 1, "one thread");
		ASSERT_EQ(t.allocs, allocs, "thread allocs");
		ASSERT_EQ(t.frees, frees, "thread frees");
		ASSERT_EQ(t.allocated_bytes, bytes, "thread allocated bytes");
		ASSERT_EQ(t.freed_bytes, freed, "thread freed bytes");
	}
	/* the gauge the dashboard uses */
	err = reader_run(&out, "metrics memalloc");
	ASSERT_EQ(err, 0, "metrics");
	snprintf(line, sizeof(line), "ebpf_alloc_bytes{service=\"%s\"} 0\n",
		 comm);
	ASSERT_HAS_SUBSTR(out, line, "ebpf_alloc_bytes");
	snprintf(line, sizeof(line),
		 "ebpf_memalloc_exited_bytes_total{service=\"%s\"} 3000\n",
		 comm);
	ASSERT_HAS_SUBSTR(out, line, "exited bytes counter");
	snprintf(line, sizeof(line),
		 "ebpf_memalloc_allocs_total{service=\"%s\"} %ld\n", comm,
		 allocs);
	ASSERT_HAS_SUBSTR(out, line, "allocs counter");
	/* a count that went missing was a full map, or not a map at all */
	ASSERT_HAS_SUBSTR(out, "ebpf_memalloc_drops_total 0\n", "no drops");
cleanup:
	free(out);
	loader_run(NULL, "unload memalloc");
}

/* The leak's stack, symbolized, tops memalloc_stacks while it lives. */
static void check_leak_stack(void)
{
	char comm[16], cmd[512], *out = NULL, *p;
	struct memalloc_comm_val c;
	pid_t pid;
	int err, i;
	FILE *f;

	snprintf(comm, sizeof(comm), "ma-lk-%d", getpid() % 100000);
	/* every stack, so the stack's bytes are exact (see stack_sampling) */
	err = loader_run(NULL,
			 "memalloc --calls --name lk --comm %s --stack-bytes 0",
			 comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	snprintf(
		cmd, sizeof(cmd),
		"%s/workloads/allocgen --comm %s --count 20 --leak 4 --leak-size 2500 --hold-ms 20000",
		env_output_dir(), comm);
	f = popen(cmd, "r");
	if (!ASSERT_OK_PTR(f, "allocgen"))
		goto cleanup;
	/* "allocgen: pid N, leaked 4 allocations": all done, now holding */
	ASSERT_OK_PTR(fgets(cmd, sizeof(cmd), f), "allocgen output");
	p = strstr(cmd, "pid ");
	pid = p ? atoi(p + 4) : 0;
	ASSERT_GT(pid, 0, "allocgen pid");
	for (i = 0; i < 50; i++) {
		if (!read_comm("memalloc@lk", comm, &c) &&
		    c.outstanding_bytes == 10000)
			break;
		usleep(20000);
	}
	ASSERT_EQ(c.outstanding_bytes, 10000, "outstanding: 4 x 2500");
	err = reader_run(&out, "show memalloc@lk memalloc_stacks");
	ASSERT_EQ(err, 0, "show memalloc_stacks");
	/* the top row is the leak: its stack comes first */
	p = out ? strstr(out, "memalloc_stacks.stack_id") : NULL;
	ASSERT_OK_PTR(p, "a stack printed");
	ASSERT_HAS_SUBSTR(p, "leak_here\n    leak_outer\n    main",
			  "symbolized leak stack");
	ASSERT_HAS_SUBSTR(out, "10000", "its outstanding bytes");
	if (pid > 0)
		kill(pid, SIGTERM);
	pclose(f);
cleanup:
	free(out);
	loader_run(NULL, "unload memalloc@lk");
}

/*
 * Load memalloc@sp with @opts, run allocgen under @comm (@count blocks
 * freed, @leaks blocks of @leak_size kept), read the totals and the
 * process's stacks, unload. Whether all of that worked.
 */
static bool sampled_leaks(const char *comm, const char *opts, int count,
			  int leaks, int leak_size, struct memalloc_comm_val *c,
			  struct memalloc_stack_val *st)
{
	char cmd[512];
	bool ok = false;
	int err, pid;
	FILE *f;

	err = loader_run(NULL, "memalloc --calls --name sp --comm %s %s", comm,
			 opts);
	if (!ASSERT_EQ(err, 0, opts))
		return false;
	/* held alive while read: its exit would take its leaks back */
	snprintf(
		cmd, sizeof(cmd),
		"%s/workloads/allocgen --comm %s --count %d --leak %d --leak-size %d --hold-ms 20000",
		env_output_dir(), comm, count, leaks, leak_size);
	f = popen(cmd, "r");
	if (!ASSERT_OK_PTR(f, "allocgen"))
		goto cleanup;
	pid = allocgen_pid(fgets(cmd, sizeof(cmd), f));
	if (ASSERT_GT(pid, 0, "its pid") &&
	    ASSERT_OK(read_comm("memalloc@sp", comm, c), "read comm") &&
	    ASSERT_OK(read_stacks("memalloc@sp", pid, st), "read stacks"))
		ok = true;
	if (pid > 0)
		kill(pid, SIGTERM);
	pclose(f);
cleanup:
	loader_run(NULL, "unload memalloc@sp");
	return ok;
}

/*
 * Sampled stacks (the default, --stack-bytes 512K): totals stay exact, an
 * allocation of at least the sampling size is always captured and counted
 * as itself, and smaller ones are estimated without bias. Sampling by
 * count (--stack-every N) counts each capture N times.
 */
static void check_sampling(void)
{
	struct memalloc_stack_val st;
	struct memalloc_comm_val c;
	char comm[16];

	snprintf(comm, sizeof(comm), "ma-sp-%d", getpid() % 100000);
	/* 200 small blocks, freed (rarely captured); 3 x 1 MB kept */
	if (sampled_leaks(comm, "", 200, 3, 1000000, &c, &st)) {
		ASSERT_EQ(c.allocs, 203, "allocs: exact");
		ASSERT_EQ(c.frees, 200, "frees: exact");
		ASSERT_EQ(c.outstanding_bytes, 3000000, "outstanding: exact");
		ASSERT_EQ(st.outstanding_bytes, 3000000,
			  "big blocks: captured");
		ASSERT_EQ(st.outstanding_allocs, 3, "as themselves");
	}
	/*
	 * 400 x 1 KiB kept, one in 4 captured as 4 KiB and 4 allocations:
	 * about 100 captures (binomial, sd 8.7); 60..140 is 4.6 sd either
	 * way. The same with --stack-every 4 (each capture counts 4 x 1 KiB).
	 */
	if (sampled_leaks(comm, "--stack-bytes 4096", 10, 400, 1024, &c, &st)) {
		ASSERT_EQ(c.outstanding_bytes, 400 * 1024,
			  "outstanding: exact");
		ASSERT_EQ(st.outstanding_bytes % 4096, 0, "4 KiB per capture");
		ASSERT_EQ(st.outstanding_allocs, st.outstanding_bytes / 1024,
			  "4 allocations per capture");
		ASSERT_GE(st.outstanding_bytes, 60 * 4096, "estimate, low");
		ASSERT_LE(st.outstanding_bytes, 140 * 4096, "estimate, high");
	}
	if (sampled_leaks(comm, "--stack-every 4", 10, 400, 1024, &c, &st)) {
		ASSERT_EQ(c.outstanding_bytes, 400 * 1024,
			  "outstanding: exact");
		ASSERT_EQ(st.outstanding_allocs % 4, 0, "4 per capture");
		ASSERT_EQ(st.outstanding_bytes, st.outstanding_allocs * 1024,
			  "each counted as itself");
		ASSERT_GE(st.outstanding_allocs, 60 * 4, "estimate, low");
		ASSERT_LE(st.outstanding_allocs, 140 * 4, "estimate, high");
	}
}

/* 4 MB kept over ~1 s is ~14 GB/h: above a 100 MB/h threshold. */
static void check_growth(void)
{
	struct alert_list l = {};
	struct memalloc_comm_val c;
	char comm[16];
	int err, i;

	snprintf(comm, sizeof(comm), "ma-gr-%d", getpid() % 100000);
	err = loader_run(
		NULL,
		"memalloc --calls --name gr --comm %s --growth-threshold 100M --growth-window 200ms",
		comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(
		NULL,
		"%s/workloads/allocgen --comm %s --grow 4000000 --grow-ms 1000",
		env_output_dir(), comm);
	ASSERT_EQ(err, 0, "allocgen");
	if (ASSERT_OK(read_comm("memalloc@gr", comm, &c), "read"))
		ASSERT_GT(c.growth_bytes_per_hour, 100LL << 20, "growth gauge");
	err = alerts_drain("memalloc@gr", ALERT_MEM_GROWTH, &l);
	ASSERT_GE(err, 1, "growth alerts");
	ASSERT_EQ(alerts_counted("memalloc@gr", ALERT_MEM_GROWTH), l.n,
		  "counted = raised");
	for (i = 0; i < l.n; i++) {
		ASSERT_STREQ(l.a[i].comm, comm, "comm");
		ASSERT_EQ(l.a[i].threshold, 100ULL << 20, "threshold");
		ASSERT_GT(l.a[i].value, 100ULL << 20, "rate above it");
	}
	free(l.a);
	loader_run(NULL, "unload memalloc@gr");

	/* the default threshold (1 GB/h) is not reached by 64 KiB a half second
	 */
	err = loader_run(
		NULL,
		"memalloc --calls --name gr --comm %s --growth-window 200ms",
		comm);
	if (!ASSERT_EQ(err, 0, "load, default threshold"))
		return;
	run_cmd(NULL,
		"%s/workloads/allocgen --comm %s --grow 200000 --grow-ms 2000",
		env_output_dir(), comm);
	ASSERT_EQ(alerts_counted("memalloc@gr", ALERT_MEM_GROWTH), 0,
		  "no alert below 1 GB/h");
	loader_run(NULL, "unload memalloc@gr");
}

/*
 * --lib on a static binary: its own malloc is probed (libc's is not
 * there to probe). allocgen is linked statically for this, here.
 */
static void check_static(void)
{
	char bin[64], comm[16];
	struct memalloc_comm_val c;
	int err;

	snprintf(bin, sizeof(bin), "/tmp/pinsight-allocgen-static-%d",
		 getpid());
	snprintf(comm, sizeof(comm), "ma-st-%d", getpid() % 100000);
	if (run_cmd(NULL,
		    "cc -O2 -static -o %s %s/selftests/workloads/allocgen.c",
		    bin, env_src_dir())) {
		test__skip("cannot link allocgen statically (no libc.a?)");
		return;
	}
	err = loader_run(NULL, "memalloc --calls --name st --comm %s --lib %s",
			 comm, bin);
	if (!ASSERT_EQ(err, 0, "load"))
		goto cleanup;
	err = run_cmd(NULL,
		      "%s --comm %s --size 200 --count 10 --realloc 3 --leak 3",
		      bin, comm);
	ASSERT_EQ(err, 0, "allocgen (static)");
	if (ASSERT_OK(read_comm("memalloc@st", comm, &c), "read")) {
		ASSERT_EQ(c.allocs, 10 + 3 * 2 + 3, "allocs");
		ASSERT_EQ(c.frees, 10 + 3 * 2, "frees");
		ASSERT_EQ(c.outstanding_bytes, 0,
			  "outstanding, after the exit");
		ASSERT_EQ(c.exited_bytes, 3000, "the leak, at the exit");
	}
	loader_run(NULL, "unload memalloc@st");
cleanup:
	unlink(bin);
}

/*
 * --duration: counted until the deadline, nothing after it (the programs
 * compare the boot clock with it), and list then says expired.
 */
static void check_duration(void)
{
	struct pinsight_lifetime lt = {};
	struct memalloc_comm_val c;
	char comm[16], *out = NULL;
	struct timespec ts;
	__u32 key = 0;
	__u64 now;
	int err, fd;

	snprintf(comm, sizeof(comm), "ma-du-%d", getpid() % 100000);
	err = loader_run(NULL,
			 "memalloc --calls --name du --comm %s --duration 6s",
			 comm);
	if (!ASSERT_EQ(err, 0, "load --duration 6s"))
		return;
	err = run_cmd(NULL, "%s/workloads/allocgen --comm %s --count 10",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "allocgen");
	/* the deadline as recorded (the load's own time counts in it) */
	fd = pin_open("memalloc@du", "maps/lifetime");
	if (!ASSERT_GE(fd, 0, "maps/lifetime"))
		goto cleanup;
	err = bpf_map_lookup_elem(fd, &key, &lt);
	close(fd);
	if (!ASSERT_OK(err, "read lifetime") ||
	    !ASSERT_GT(lt.deadline_ns, 0, "a deadline"))
		goto cleanup;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (now + 200000000 > lt.deadline_ns) {
		test__skip("too slow a host: the load and first run took 6 s");
		goto cleanup;
	}
	if (ASSERT_OK(read_comm("memalloc@du", comm, &c), "read"))
		ASSERT_EQ(c.allocs, 10, "counted before the deadline");
	/* past the deadline */
	usleep((lt.deadline_ns - now) / 1000 + 100000);
	err = run_cmd(NULL, "%s/workloads/allocgen --comm %s --count 10",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "allocgen, after");
	if (ASSERT_OK(read_comm("memalloc@du", comm, &c), "read")) {
		ASSERT_EQ(c.allocs, 10, "nothing counted after it");
		ASSERT_EQ(c.frees, 10, "no frees either");
	}
	err = loader_run(&out, "list");
	ASSERT_HAS_SUBSTR(out, "memalloc@du\n  state: expired", "expired");
cleanup:
	free(out);
	loader_run(NULL, "unload memalloc@du");
}

/* Entries of the pinned allocs map that belong to process @tgid. */
static int allocs_of(const char *inst, __u32 tgid)
{
	struct memalloc_addr key, next, *prev = NULL;
	int fd, n = 0;

	fd = pin_open(inst, "maps/allocs");
	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n += key.tgid == tgid;
	}
	close(fd);
	return n;
}

/*
 * A service that leaks 4 x 2500 bytes and exits, restarted 3 times: its
 * outstanding bytes do not climb by 10000 a restart (the growth alert
 * would fire falsely); each exit moves them to exited_bytes and drops the
 * process's rows and leak stacks at once, and refresh then drops the
 * allocs entries no free can reach any more, but not a live process's.
 */
static void check_restarts(void)
{
	struct memalloc_stack_val st;
	struct memalloc_proc_val pv;
	struct memalloc_comm_val c;
	char comm[16], cmd[512], *out = NULL;
	int err, k, n, pids[3] = {}, live = 0;
	FILE *f = NULL;

	snprintf(comm, sizeof(comm), "ma-rs-%d", getpid() % 100000);
	err = loader_run(NULL,
			 "memalloc --calls --name rs --comm %s --stack-bytes 0",
			 comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	for (k = 0; k < 3; k++) {
		err = run_cmd(
			&out,
			"%s/workloads/allocgen --comm %s --count 5 --leak 4 --leak-size 2500",
			env_output_dir(), comm);
		pids[k] = allocgen_pid(out);
		free(out);
		out = NULL;
		if (!ASSERT_EQ(err, 0, "allocgen") ||
		    !ASSERT_OK(read_comm("memalloc@rs", comm, &c), "read"))
			goto cleanup;
		ASSERT_EQ(c.allocated_bytes, (k + 1) * (5 * 100 + 10000),
			  "every run counted");
		ASSERT_EQ(c.outstanding_bytes, 0, "outstanding: not climbing");
		ASSERT_EQ(c.exited_bytes, (k + 1) * 10000, "released at exit");
		ASSERT_OK(sum_rows("memalloc@rs", "memalloc_proc", &pids[k], 4,
				   &pv, sizeof(pv), &n),
			  "memalloc_proc");
		ASSERT_EQ(n, 0, "no row of the exited process");
		ASSERT_OK(read_stacks("memalloc@rs", pids[k], &st), "stacks");
		ASSERT_EQ(st.outstanding_bytes, 0, "no leak stack of it");
		ASSERT_EQ(allocs_of("memalloc@rs", pids[k]), 4,
			  "its allocs entries, until a refresh");
	}
	/* a live process's entries stay */
	snprintf(cmd, sizeof(cmd),
		 "%s/workloads/allocgen --comm %s --leak 2 --hold-ms 20000",
		 env_output_dir(), comm);
	f = popen(cmd, "r");
	if (!ASSERT_OK_PTR(f, "allocgen, held"))
		goto cleanup;
	live = allocgen_pid(fgets(cmd, sizeof(cmd), f));
	ASSERT_GT(live, 0, "its pid");
	err = loader_run(&out, "refresh");
	ASSERT_EQ(err, 0, "refresh");
	ASSERT_HAS_SUBSTR(
		out,
		"memalloc@rs: 12 allocations of exited processes dropped, 2 live",
		"refresh says what it dropped");
	for (k = 0; k < 3; k++)
		ASSERT_EQ(allocs_of("memalloc@rs", pids[k]), 0,
			  "dropped by refresh");
	ASSERT_EQ(allocs_of("memalloc@rs", live), 2, "live entries kept");
	if (ASSERT_OK(read_comm("memalloc@rs", comm, &c), "read"))
		ASSERT_EQ(c.outstanding_bytes, 2000, "the live leak");
cleanup:
	if (live > 0)
		kill(live, SIGTERM);
	if (f)
		pclose(f);
	free(out);
	loader_run(NULL, "unload memalloc@rs");
}

/*
 * A process whose allocator is jemalloc (preloaded, as packaged servers
 * link it): memalloc --pid finds it in the process's maps and probes it,
 * says so, and counts every call exactly, where probing libc alone
 * counted nothing. Without a target it says it probes only libc.
 */
static void check_jemalloc(void)
{
	const long allocs = 10 + 5 + 3 * 2 + 3, frees = 10 + 5 + 3 * 2;
	struct memalloc_comm_val c = {};
	char comm[16], *out = NULL;
	int err, i, status;
	pid_t pid;

	/* a dynamic program of ours: a static true would not say */
	if (run_cmd(&out,
		    "env LD_PRELOAD=libjemalloc.so.2 %s/workloads/allocgen",
		    env_output_dir()) ||
	    (out && strstr(out, "cannot be preloaded"))) {
		test__skip(
			"no libjemalloc.so.2 (scripts/setup.sh installs it)");
		free(out);
		return;
	}
	free(out);
	out = NULL;
	snprintf(comm, sizeof(comm), "ma-je-%d", getpid() % 100000);
	pid = spawn_sh(
		"exec env LD_PRELOAD=libjemalloc.so.2 %s/workloads/allocgen --comm %s --size 200 --count 10 --calloc 5 --realloc 3 --leak 3 --wait-signal --hold-ms 20000 >/dev/null",
		env_output_dir(), comm);
	if (!ASSERT_GT(pid, 0, "allocgen"))
		return;
	if (!ASSERT_TRUE(waits_for_usr1(pid, 5000), "allocgen waiting"))
		goto cleanup;
	err = loader_run(&out, "memalloc --calls --name je --pid %d", pid);
	if (!ASSERT_EQ(err, 0, "load --pid"))
		goto cleanup;
	ASSERT_HAS_SUBSTR(out, "libjemalloc.so.2 (jemalloc)",
			  "says it probes jemalloc");
	free(out);
	out = NULL;
	kill(pid, SIGUSR1);
	for (i = 0; i < 250; i++) {
		if (!read_comm("memalloc@je", comm, &c) && c.allocs >= allocs &&
		    c.frees >= frees)
			break;
		usleep(20000);
	}
	ASSERT_EQ(c.allocs, allocs, "allocs through jemalloc");
	ASSERT_EQ(c.frees, frees, "frees through jemalloc");
	ASSERT_EQ(c.outstanding_bytes, 3000, "outstanding: the leak");
	err = reader_run(&out, "list");
	ASSERT_EQ(err, 0, "list");
	ASSERT_HAS_SUBSTR(out, "libjemalloc.so.2,",
			  "list shows what is probed");
	free(out);
	out = NULL;
	loader_run(NULL, "unload memalloc@je");
	err = loader_run(&out, "memalloc --calls --name je");
	if (ASSERT_EQ(err, 0, "load, no target")) {
		ASSERT_HAS_SUBSTR(
			out, "(the C library); another allocator needs --lib",
			"says it probes libc only");
		loader_run(NULL, "unload memalloc@je");
	}
cleanup:
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	free(out);
	loader_run(NULL, "unload memalloc@je");
}

static void expect_noent(const char *args, const char *what)
{
	char comm[16], *out = NULL, path[PATH_MAX];
	struct bpf_ids before, after;
	int err;

	snprintf(comm, sizeof(comm), "ma-err-%d", getpid() % 100000);
	bpf_ids_tagged(comm, &before);
	err = loader_run(&out, "memalloc --calls --name err --comm %s %s", comm,
			 args);
	ASSERT_EQ(err, 3, args);
	ASSERT_HAS_SUBSTR(out, what, "message names it");
	snprintf(path, sizeof(path), "%s/memalloc@err", pin_root());
	ASSERT_NEQ(access(path, F_OK), 0, "no instance");
	ASSERT_EQ(root_temporaries(), 0, "no temporaries");
	bpf_ids_tagged(comm, &after);
	ASSERT_EQ(after.progs, before.progs, "no programs left");
	free(out);
}

static void check_errors(void)
{
	char args[PATH_MAX + 16];

	expect_noent("--lib /nonexistent/libjemalloc.so",
		     "/nonexistent/libjemalloc.so");
	/* an ELF file without an allocator */
	snprintf(args, sizeof(args), "--lib %s/workloads/libcudastub.so",
		 env_output_dir());
	expect_noent(args, "no function 'malloc'");
	expect_noent("--lib /etc/passwd", "not an ELF file");
}

void test_memalloc(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("heap_growth"))
		check_heap();
	if (test__start_subtest("exact_counts"))
		check_exact(false);
	if (test__start_subtest("exact_counts_perf_uprobes")) {
		/* the attach of kernels without uprobe_multi links (< 6.9) */
		setenv("PINSIGHT_NO_UPROBE_MULTI", "1", 1);
		check_exact(true);
		unsetenv("PINSIGHT_NO_UPROBE_MULTI");
	}
	if (test__start_subtest("leak_stack"))
		check_leak_stack();
	if (test__start_subtest("stack_sampling"))
		check_sampling();
	if (test__start_subtest("restarts"))
		check_restarts();
	if (test__start_subtest("growth_alert"))
		check_growth();
	if (test__start_subtest("duration"))
		check_duration();
	if (test__start_subtest("jemalloc"))
		check_jemalloc();
	if (test__start_subtest("static_binary"))
		check_static();
	if (test__start_subtest("missing_targets"))
		check_errors();
}
