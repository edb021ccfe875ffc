/* SPDX-License-Identifier: GPL-2.0 */
/* hwcount: perf counter events per command or cgroup. Shared with readers. */
#ifndef __HWCOUNT_H
#define __HWCOUNT_H

#include "pinsight.h"

enum hwcount_event {
	HWC_CYCLES,
	HWC_INSTRUCTIONS,
	HWC_CACHE_MISSES,
	HWC_BRANCH_MISSES,
	HWC_CPU_CLOCK, /* software: where there is no PMU */
	HWC_PAGE_FAULTS,
	HWC_CONTEXT_SWITCHES,
	HWC_NR,
};

/* comm is empty with --by-cgroup, cgroup_id 0 without it. */
struct hwcount_key {
	char comm[TASK_COMM_LEN];
	__u64 cgroup_id __label("cgroup") __fmt_cgroup;
};

/*
 * Each counter overflows every sample_period events and the program adds
 * the period to the task it interrupted, so counts are exact to within
 * one period per CPU. Events not asked for stay 0: the config's
 * `events` mask says which are counted.
 */
struct hwcount_val {
	__u64 cycles;
	__u64 instructions;
	__u64 cache_misses;
	__u64 branch_misses;
	__u64 cpu_ns;
	__u64 page_faults;
	__u64 context_switches;
};

#endif /* __HWCOUNT_H */
