// SPDX-License-Identifier: GPL-2.0
/*
 * profile: the tool table entry. The attach hook opens the sampling event
 * on every CPU: cpu-clock (software, works everywhere) or, with --hw,
 * cycles (needs a PMU; refused with exit 7 where there is none).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "attach_perf.h"
#include "log.h"
#include "probe.h"
#include "profile.skel.h"
#include "rodata.h"
#include "tools.h"
#include "unwind.h"

static const struct tool_opt profile_opts[] = {
	{ "freq", "HZ", "sample_freq",
	  "samples per second per CPU (default 99)" },
	{ "hw", NULL, "use_hw", "sample on hardware cycles (needs a PMU)" },
	{ "idle", NULL, "targ_idle", "include the idle task (pid 0)" },
	{ "ip-stacks", NULL, "ip_stacks",
	  "user frames as addresses, not build-ids (cheaper; unresolvable once the process exits)" },
	{ "cgroup", "PATH", NULL, "only tasks in this cgroup v2 directory" },
	{ "stacks", "N", NULL, "distinct stacks kept (default 16384; 4096 before 6.1)" },
	{ "traces", "N", NULL,
	  "rows of OpenTelemetry trace/span ids beside the stacks (default 16384; 4096 before 6.1)" },
	{ "stacks-lru", NULL, NULL,
	  "a full stacks map evicts its least recently used stack instead of dropping the sample (preallocates N x 2.6 KB)" },
	UNWIND_TOOL_OPTS,
	{},
};

/* Options with no .rodata variable of their own, by index above. */
static long opt_num(struct load_ctx *ctx, const char *name, long def)
{
	const char *v = ctx_opt(ctx, name);
	unsigned long long n;

	if (!v)
		return def;
	if (parse_size(v, &n) || !n || n > (1U << 24))
		return -EINVAL;
	return n;
}

static int profile_prepare(struct load_ctx *ctx)
{
	const char *cg = ctx_opt(ctx, "cgroup");
	struct bpf_map *map;
	char why[128], id[32];
	struct statfs sf;
	struct stat st;
	bool prealloc;
	__u32 flags;
	long n;
	int err;

	/* Refuse before loading anything: no PMU, no --hw. */
	if (ctx_opt(ctx, "hw") &&
	    (err = perf_hw_probe(PERF_COUNT_HW_CPU_CYCLES))) {
		p_err("%s: --hw: hardware counters not available on this machine (cycles: %s)",
		      ctx->inst, strerror(-err));
		return -EOPNOTSUPP;
	}
	/*
	 * Maps that allocate on insert hold a long run's distinct stacks on
	 * a busy host for what it uses; where perf_event programs must
	 * preallocate, keep the old, smaller default.
	 */
	prealloc = probe_perf_noprealloc() != 0;
	if (prealloc) {
		bpf_object__for_each_map(map, ctx->obj) {
			flags = bpf_map__map_flags(map);
			if (!(flags & BPF_F_NO_PREALLOC))
				continue;
			err = bpf_map__set_map_flags(map,
						     flags & ~BPF_F_NO_PREALLOC);
			if (err)
				return err;
		}
	}
	n = opt_num(ctx, "stacks", prealloc ? 4096 : 16384);
	if (n < 0) {
		p_err("%s: --stacks %s: expected 1..16M", ctx->inst,
		      ctx_opt(ctx, "stacks"));
		return -EINVAL;
	}
	map = bpf_object__find_map_by_name(ctx->obj, "stacks");
	err = map ? bpf_map__set_max_entries(map, n) : -ENOENT;
	/*
	 * --stacks-lru: memory bounded by N and never a drop for space; the
	 * kernel's LRU maps are preallocated, and readers show samples whose
	 * stack went as [evicted stack]
	 */
	if (!err && ctx_opt(ctx, "stacks-lru")) {
		err = bpf_map__set_type(map, BPF_MAP_TYPE_LRU_HASH);
		if (!err)
			err = bpf_map__set_map_flags(
				map, bpf_map__map_flags(map) & ~BPF_F_NO_PREALLOC);
	}
	if (err) {
		p_err("%s: cannot size the stacks map: %s", ctx->inst,
		      strerror(-err));
		return err;
	}
	/*
	 * Samples of threads with an OpenTelemetry span, per span and
	 * stack: one row each, so the span ids' cardinality is capped
	 * here; a full map keeps the sample without ids (trace_drops).
	 */
	n = opt_num(ctx, "traces", prealloc ? 4096 : 16384);
	if (n < 0) {
		p_err("%s: --traces %s: expected 1..16M", ctx->inst,
		      ctx_opt(ctx, "traces"));
		return -EINVAL;
	}
	map = bpf_object__find_map_by_name(ctx->obj, "profile_traces");
	err = map ? bpf_map__set_max_entries(map, n) : -ENOENT;
	if (err) {
		p_err("%s: cannot size the profile_traces map: %s", ctx->inst,
		      strerror(-err));
		return err;
	}
	/*
	 * Build-id stacks remember per process where its binaries are mapped
	 * (progs/stacks.bpf.h): one entry per process sampled lately.
	 */
	if (!ctx_opt(ctx, "ip-stacks")) {
		map = bpf_object__find_map_by_name(ctx->obj, "stack_vmas");
		err = map ? bpf_map__set_max_entries(map, 1024) : -ENOENT;
		if (err) {
			p_err("%s: cannot size the stack_vmas map: %s",
			      ctx->inst, strerror(-err));
			return err;
		}
	}
	if (cg) {
		/* On cgroup v2 a cgroup's id is its directory's inode. */
		if (stat(cg, &st) || !S_ISDIR(st.st_mode) || statfs(cg, &sf) ||
		    sf.f_type != CGROUP2_SUPER_MAGIC) {
			p_err("%s: --cgroup %s: not a cgroup v2 directory",
			      ctx->inst, cg);
			return -ENOENT;
		}
		snprintf(id, sizeof(id), "%llu", (unsigned long long)st.st_ino);
		err = rodata_set(ctx->obj, "targ_cgroup", id, why, sizeof(why));
		if (err) {
			p_err("%s: --cgroup: %s", ctx->inst, why);
			return err;
		}
	}
	return 0;
}

static int profile_attach(struct load_ctx *ctx)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.freq = 1,
	};
	const char *what = "cpu-clock";
	struct bpf_program *prog;
	long freq;

	freq = opt_num(ctx, "freq", 99);
	if (freq < 0 || freq > 10000) {
		p_err("%s: --freq %s: expected 1..10000", ctx->inst,
		      ctx_opt(ctx, "freq"));
		return -EINVAL;
	}
	attr.sample_freq = freq;
	if (ctx_opt(ctx, "hw")) {
		attr.type = PERF_TYPE_HARDWARE;
		attr.config = PERF_COUNT_HW_CPU_CYCLES;
		what = "cycles";
	}
	prog = bpf_object__find_program_by_name(ctx->obj, "do_sample");
	if (!prog)
		return -ENOENT;
	return attach_perf_all_cpus(ctx, prog, &attr, what);
}

const struct tool tool_profile = {
	.name = "profile",
	.summary =
		"CPU samples at 99 Hz on every CPU: user+kernel stacks per process and thread",
	.example = "--freq 49",
	.elf_bytes = profile_bpf__elf_bytes,
	.opts = profile_opts,
	.prepare = profile_prepare,
	.attach = profile_attach,
};
