// SPDX-License-Identifier: GPL-2.0
/*
 * hwcount: the tool table entry. --events picks the counters; hardware
 * ones are probed before anything loads, so a machine without a PMU gets
 * "hardware counters not available" and exit 7, never silent zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "attach_perf.h"
#include "hwcount.h"
#include "hwcount.skel.h"
#include "rodata.h"
#include "log.h"
#include "tools.h"

static const struct hwc_event {
	const char *name; /* --events name, and the program on_<name> */
	const char *prog;
	__u32 type;
	__u64 config;
	__u64 period; /* events per sample: the counts' granularity */
} hwc_events[HWC_NR] = {
	[HWC_CYCLES] = { "cycles", "on_cycles", PERF_TYPE_HARDWARE,
			 PERF_COUNT_HW_CPU_CYCLES, 1000000 },
	[HWC_INSTRUCTIONS] = { "instructions", "on_instructions",
			       PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS,
			       1000000 },
	[HWC_CACHE_MISSES] = { "cache-misses", "on_cache_misses",
			       PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES,
			       10000 },
	[HWC_BRANCH_MISSES] = { "branch-misses", "on_branch_misses",
				PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES,
				10000 },
	[HWC_CPU_CLOCK] = { "cpu-clock", "on_cpu_clock", PERF_TYPE_SOFTWARE,
			    PERF_COUNT_SW_CPU_CLOCK, 1000000 /* ns */ },
	[HWC_PAGE_FAULTS] = { "page-faults", "on_page_faults",
			      PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS,
			      1 },
	[HWC_CONTEXT_SWITCHES] = { "context-switches", "on_context_switches",
				   PERF_TYPE_SOFTWARE,
				   PERF_COUNT_SW_CONTEXT_SWITCHES, 1 },
};

static const char hwc_default[] =
	"cycles,instructions,cache-misses,branch-misses";

static const struct tool_opt hwcount_opts[] = {
	{ "events", "LIST", NULL,
	  "counters, comma-separated (default cycles,instructions,cache-misses,"
	  "branch-misses; software: cpu-clock,page-faults,context-switches)" },
	{ "by-cgroup", NULL, "by_cgroup",
	  "count per cgroup instead of per command" },
	{},
};

/* The --events list as a mask of enum hwcount_event, or -EINVAL. */
static long parse_events(struct load_ctx *ctx)
{
	const char *list = ctx_opt(ctx, "events") ?: hwc_default, *p;
	long mask = 0;
	size_t len;
	int i;

	for (p = list; *p; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		for (i = 0; i < HWC_NR; i++)
			if (strlen(hwc_events[i].name) == len &&
			    !strncmp(hwc_events[i].name, p, len))
				break;
		if (i == HWC_NR) {
			p_err("%s: --events: unknown event '%.*s'", ctx->inst,
			      (int)len, p);
			return -EINVAL;
		}
		mask |= 1L << i;
	}
	if (!mask) {
		/* every refusal says why, an empty list too */
		p_err("%s: --events: no event given (e.g. --events cycles,instructions)",
		      ctx->inst);
		return -EINVAL;
	}
	return mask;
}

static int hwcount_prepare(struct load_ctx *ctx)
{
	struct bpf_program *prog;
	char why[128], val[24];
	long mask;
	int i, err;

	mask = parse_events(ctx);
	if (mask < 0)
		return mask;
	for (i = 0; i < HWC_NR; i++) {
		if (!(mask & (1L << i)))
			continue;
		if (hwc_events[i].type == PERF_TYPE_HARDWARE &&
		    (err = perf_hw_probe(hwc_events[i].config))) {
			p_err("%s: hardware counters not available on this machine "
			      "(%s: %s); software events: --events cpu-clock,"
			      "page-faults,context-switches",
			      ctx->inst, hwc_events[i].name, strerror(-err));
			return -EOPNOTSUPP;
		}
	}
	/* Only the programs of the counters asked for load. */
	bpf_object__for_each_program (prog, ctx->obj) {
		for (i = 0; i < HWC_NR; i++)
			if (!strcmp(bpf_program__name(prog),
				    hwc_events[i].prog))
				break;
		bpf_program__set_autoload(prog,
					  i < HWC_NR && (mask & (1L << i)));
	}
	snprintf(val, sizeof(val), "%ld", mask);
	err = rodata_set(ctx->obj, "events", val, why, sizeof(why));
	if (err)
		p_err("%s: events: %s", ctx->inst, why);
	return err;
}

static int hwcount_attach(struct load_ctx *ctx)
{
	struct bpf_program *prog;
	int i, err;

	for (i = 0; i < HWC_NR; i++) {
		struct perf_event_attr attr = {
			.type = hwc_events[i].type,
			.config = hwc_events[i].config,
			.sample_period = hwc_events[i].period,
		};

		prog = bpf_object__find_program_by_name(ctx->obj,
							hwc_events[i].prog);
		if (!prog || !bpf_program__autoload(prog))
			continue;
		err = attach_perf_all_cpus(ctx, prog, &attr,
					   hwc_events[i].name);
		if (err)
			return err;
	}
	return 0;
}

const struct tool tool_hwcount = {
	.name = "hwcount",
	.summary =
		"cycles, instructions, cache and branch misses per command or cgroup",
	/* software events: loads on machines without a PMU too */
	.example = "--events cpu-clock,page-faults,context-switches",
	.elf_bytes = hwcount_bpf__elf_bytes,
	.opts = hwcount_opts,
	.prepare = hwcount_prepare,
	.attach = hwcount_attach,
};
