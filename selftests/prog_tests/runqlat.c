// SPDX-License-Identifier: GPL-2.0
/*
 * runqlat against known contention: spinners runs 3 CPU-bound threads per
 * CPU (they queue for CPUs), sleepers that wake 1 ms apart, and a thread
 * that pins itself to alternating CPUs (one forced migration per hop).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "pinsight_helpers.h"
#include "runqlat.h"
#include "test_progs.h"

struct rq_counts {
	struct runq_val lat; /* summed over the keys that matched */
	struct runq_comm_val comm;
	__u64 samples;
	int keys, other_cgroups;
};

/* The smallest slot at or below which half of the samples lie. */
/* The slot holding the @pct-th percentile of @h's samples; -1: none. */
static int hist_pct(const struct hist *h, int pct)
{
	__u64 n = 0, total = hist_samples(h);
	int i;

	for (i = 0; i < HIST_SLOTS; i++) {
		n += h->slots[i];
		if (total && 100 * n >= pct * total)
			return i;
	}
	return -1;
}

static int hist_median(const struct hist *h)
{
	return hist_pct(h, 50);
}

/* Sum runq_latency over keys with @comm ("" = any), runq_comm for @comm. */
static int read_rq(const char *comm, __u64 cgid, struct rq_counts *c)
{
	struct runq_key key, next, *prev = NULL;
	struct runq_comm_key ck = {};
	int lfd, cfd, i, err = 0;

	memset(c, 0, sizeof(*c));
	lfd = pin_open("runqlat", "maps/runq_latency");
	cfd = pin_open("runqlat", "maps/runq_comm");
	if (lfd < 0 || cfd < 0) {
		err = lfd < 0 ? lfd : cfd;
		goto cleanup;
	}
	while (!bpf_map_get_next_key(lfd, prev, &next)) {
		struct runq_val v;

		key = next;
		prev = &key;
		if (cgid && key.cgroup != cgid)
			c->other_cgroups++;
		if (comm[0] && strcmp(key.comm, comm))
			continue;
		err = map_lookup_sum(lfd, &key, &v, sizeof(v));
		if (err)
			goto cleanup;
		for (i = 0; i < HIST_SLOTS; i++)
			c->lat.latency_ns.slots[i] += v.latency_ns.slots[i];
		c->lat.latency_ns.sum += v.latency_ns.sum;
		c->keys++;
	}
	c->samples = hist_samples(&c->lat.latency_ns);
	snprintf(ck.comm, sizeof(ck.comm), "%s", comm);
	if (comm[0])
		map_lookup_sum(cfd, &ck, &c->comm, sizeof(c->comm));
cleanup:
	if (lfd >= 0)
		close(lfd);
	if (cfd >= 0)
		close(cfd);
	return err;
}

/* @opts: how to load it (the attach variant, the clock) */
static void check_contention(const char *opts)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const int sleepers = 2, sleeps = 100, hops = 40;
	char spin[16], slp[16], hop[16], *out = NULL;
	struct rq_counts s, z, h;
	long long spin_ns;
	double slack;
	int err;

	snprintf(spin, sizeof(spin), "rq-spin-%d", getpid() % 100000);
	snprintf(slp, sizeof(slp), "rq-slp-%d", getpid() % 100000);
	snprintf(hop, sizeof(hop), "rq-hop-%d", getpid() % 100000);
	err = loader_run(NULL, "runqlat --per-comm %s", opts);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(
		&out,
		"%s/workloads/spinners --comm %s --threads %ld --cpu-ms 100 "
		"--sleep-comm %s --sleepers %d --sleeps %d --hop-comm %s --hops %d",
		env_output_dir(), spin, 3 * ncpu, slp, sleepers, sleeps, hop,
		hops);
	if (!ASSERT_EQ(err, 0, "spinners"))
		goto cleanup;
	spin_ns = json_num(out, "spin_ns");
	if (!ASSERT_OK(read_rq(spin, 0, &s), "read spinners") ||
	    !ASSERT_OK(read_rq(slp, 0, &z), "read sleepers") ||
	    !ASSERT_OK(read_rq(hop, 0, &h), "read hopper"))
		goto cleanup;
	printf("spinners: %llu samples, median slot %d, p75 slot %d, on-CPU %llu ns (own clock %lld)\n",
	       s.samples, hist_median(&s.lat.latency_ns),
	       hist_pct(&s.lat.latency_ns, 75), s.comm.oncpu_ns, spin_ns);
	printf("sleepers: %llu samples, median slot %d; hopper: %llu migrations\n",
	       z.samples, hist_median(&z.lat.latency_ns), h.comm.migrations);
	/* each spinner queues at least once per slice it loses */
	ASSERT_GE(s.samples, (__u64)(3 * ncpu), "spinner samples");
	/*
	 * Queued behind two others' slices: at least 131 us (slot 17). Not
	 * every wait: a sleeper's wakeup preempts a spinner for a few us,
	 * 200 of ~500 spinner waits, which puts the median on either side
	 * of that; the 3rd quartile is a slice or more.
	 */
	ASSERT_GE(hist_pct(&s.lat.latency_ns, 75), 17,
		  "spinners wait for CPUs");
	/*
	 * Every wakeup of a sleeper that had left the CPU is a sample; one
	 * woken before its switch out never queued (199 of 200 once, on a
	 * busy host), so 2 % may be missing.
	 */
	ASSERT_GE(z.samples * 100, (__u64)(sleepers * sleeps) * 98,
		  "sleeper samples");
	ASSERT_LT(hist_median(&z.lat.latency_ns),
		  hist_median(&s.lat.latency_ns),
		  "sleepers wait less than spinners");
	/*
	 * On-CPU time as the threads' own CPU clocks say, within 5 %; under
	 * TCG the two clocks drift apart with the host's load (6.1 gave
	 * 114 % with three VMs on two host CPUs), so a VM asks for 25 %.
	 */
	slack = in_vmtest() ? 0.25 : 0.05;
	ASSERT_GE(s.comm.oncpu_ns, (__u64)(spin_ns * (1 - slack)), "on-CPU time, low");
	ASSERT_LE(s.comm.oncpu_ns, (__u64)(spin_ns * (1 + slack)), "on-CPU time, high");
	if (ncpu > 1)
		ASSERT_GE(h.comm.migrations, (__u64)hops - 1, "hops migrate");
	else
		test__skip("one CPU: no migrations to count");
cleanup:
	free(out);
	loader_run(NULL, "unload runqlat");
}

/* --cgroup PATH --per-cgroup: only tasks in the cgroup, keyed by its id. */
static void check_cgroup(void)
{
	char root[256], cg[512], spin[16];
	struct rq_counts s, all;
	struct stat st;
	int err;

	if (pm_cgroup2_root(root, sizeof(root))) {
		test__skip("no cgroup2 mount");
		return;
	}
	snprintf(cg, sizeof(cg), "%s/pinsight-rq-%d", root, getpid());
	if (!ASSERT_OK(mkdir(cg, 0755), "mkdir cgroup") ||
	    !ASSERT_OK(stat(cg, &st), "stat cgroup"))
		return;
	snprintf(spin, sizeof(spin), "rq-cg-%d", getpid() % 100000);
	err = loader_run(NULL, "runqlat --cgroup %s --per-cgroup --per-comm",
			 cg);
	if (!ASSERT_EQ(err, 0, "load"))
		goto cleanup;
	/* the shell moves itself into the cgroup, then becomes spinners */
	err = run_cmd(
		NULL,
		"sh -c 'echo $$ > %s/cgroup.procs && exec %s/workloads/spinners "
		"--comm %s --threads 4 --cpu-ms 50'",
		cg, env_output_dir(), spin);
	ASSERT_EQ(err, 0, "spinners in the cgroup");
	/* our own load of other work outside the cgroup */
	run_cmd(NULL,
		"%s/workloads/spinners --comm rq-out --threads 2 --cpu-ms 20",
		env_output_dir());
	if (ASSERT_OK(read_rq(spin, st.st_ino, &s), "read") &&
	    ASSERT_OK(read_rq("", st.st_ino, &all), "read all")) {
		ASSERT_GE(s.samples, 4, "samples in the cgroup");
		/*
		 * 90 %: with a parallel build beside it one CI run summed
		 * 187 of the spinners' 200 ms (93.7 %); where the rest goes
		 * is open (see the closing note), not a cgroup question.
		 */
		ASSERT_GT(s.comm.oncpu_ns, 4 * 50000000ULL * 90 / 100,
			  "on-CPU time");
		ASSERT_EQ(all.other_cgroups, 0, "no task from another cgroup");
	}
	loader_run(NULL, "unload runqlat");
cleanup:
	rmdir(cg);
}

/* Run time per event of the sched_switch program (BPF_ENABLE_STATS). */
static void check_cost(void)
{
	struct bpf_prog_info info = {};
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	int stats, link = -1, prog = -1, err;

	err = loader_run(NULL, "runqlat --per-comm");
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	/* held by an fd, not the sysctl: closing it restores the old state */
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (!ASSERT_GE(stats, 0, "bpf_enable_stats"))
		goto cleanup;
	link = pin_open("runqlat", "links/btf__sched_switch");
	if (!ASSERT_GE(link, 0, "link pin") ||
	    !ASSERT_OK(bpf_obj_get_info_by_fd(link, &li, &len), "link info"))
		goto cleanup;
	prog = bpf_prog_get_fd_by_id(li.prog_id);
	run_cmd(NULL,
		"%s/workloads/spinners --comm rq-cost --threads 4 --cpu-ms 50 "
		"--sleepers 2 --sleeps 200",
		env_output_dir());
	len = sizeof(info);
	if (!ASSERT_GE(prog, 0, "prog fd") ||
	    !ASSERT_OK(bpf_obj_get_info_by_fd(prog, &info, &len), "prog info"))
		goto cleanup;
	printf("sched_switch: %llu runs, %llu ns/run\n",
	       (unsigned long long)info.run_cnt,
	       info.run_cnt
		       ? (unsigned long long)(info.run_time_ns / info.run_cnt)
		       : 0);
	ASSERT_GT(info.run_cnt, 400, "runs counted");
	/* the measured cost is ~0.3-0.5 us; a regression to a hash per task
	 * shows */
	ASSERT_LT(info.run_time_ns / (info.run_cnt ?: 1), 2000,
		  "ns per switch");
cleanup:
	if (stats >= 0)
		close(stats);
	if (link >= 0)
		close(link);
	if (prog >= 0)
		close(prog);
	loader_run(NULL, "unload runqlat");
}

void test_runqlat(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("contention_tp_btf"))
		check_contention("--attach btf");
	if (test__start_subtest("contention_raw_tp"))
		check_contention("--attach raw");
	/* the fallback for kernels without sched_info, forced */
	if (test__start_subtest("contention_timestamps"))
		check_contention("--attach btf --timestamps");
	if (test__start_subtest("cgroup_filter"))
		check_cgroup();
	if (test__start_subtest("cost_per_switch"))
		check_cost();
}
