// SPDX-License-Identifier: GPL-2.0
/*
 * hwcount: one perf_event program per counter kind; the loader opens the
 * counter on every CPU with a sample period and attaches the program, which
 * adds the period to the command (or cgroup) it interrupted.
 *
 * Why not bpf_perf_event_read_value() from a sched_switch hook: the perf
 * events would live in a PERF_EVENT_ARRAY, whose entries the kernel
 * removes when the map fd that stored them is closed, i.e. when the
 * loader exits. A pinned perf_event link keeps its event alive instead.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "hwcount.h"
#include "filter.bpf.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Bit i set: event i (enum hwcount_event) is counted. Set by the loader. */
const volatile __u32 events = 0;
const volatile bool by_cgroup = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct hwcount_key);
	__type(value, struct hwcount_val);
} hwcount SEC(".maps");

static const struct hwcount_val zero_val ZERO_SEC;

static __always_inline int count(struct bpf_perf_event_data *ctx,
				 enum hwcount_event ev)
{
	struct hwcount_key key = {};
	struct hwcount_val *v;
	__u64 n = ctx->sample_period;

	if (!task_wanted(bpf_get_current_task_btf()))
		return 0;
	if (by_cgroup)
		key.cgroup_id = bpf_get_current_cgroup_id();
	else
		current_comm(key.comm);
	v = lookup_or_init(&hwcount, &key, &zero_val);
	if (!v)
		return 0;
	switch (ev) {
	case HWC_CYCLES:
		v->cycles += n;
		break;
	case HWC_INSTRUCTIONS:
		v->instructions += n;
		break;
	case HWC_CACHE_MISSES:
		v->cache_misses += n;
		break;
	case HWC_BRANCH_MISSES:
		v->branch_misses += n;
		break;
	case HWC_CPU_CLOCK:
		v->cpu_ns += n;
		break;
	case HWC_PAGE_FAULTS:
		v->page_faults += n;
		break;
	case HWC_CONTEXT_SWITCHES:
		v->context_switches += n;
		break;
	default:
		break;
	}
	return 0;
}

#define HWC_PROG(name, ev)                             \
	SEC("perf_event")                              \
	int on_##name(struct bpf_perf_event_data *ctx) \
	{                                              \
		return count(ctx, ev);                 \
	}

HWC_PROG(cycles, HWC_CYCLES)
HWC_PROG(instructions, HWC_INSTRUCTIONS)
HWC_PROG(cache_misses, HWC_CACHE_MISSES)
HWC_PROG(branch_misses, HWC_BRANCH_MISSES)
HWC_PROG(cpu_clock, HWC_CPU_CLOCK)
HWC_PROG(page_faults, HWC_PAGE_FAULTS)
HWC_PROG(context_switches, HWC_CONTEXT_SWITCHES)
