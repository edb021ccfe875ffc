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
 * one period per CPU. The config's `events` mask says which are counted;
 * readers leave the others out (__if_bit: bit i is enum hwcount_event i).
 */
struct hwcount_val {
	__u64 cycles __if_bit("events", 0) __help("CPU cycles");
	__u64 instructions __if_bit("events", 1)
		__help("Instructions retired");
	__u64 cache_misses __if_bit("events", 2)
		__help("Last-level cache misses");
	__u64 branch_misses __if_bit("events", 3)
		__help("Mispredicted branches");
	__u64 cpu_ns __if_bit("events", 4) __help("Time on CPU (cpu-clock)");
	__u64 page_faults __if_bit("events", 5) __help("Page faults");
	__u64 context_switches __if_bit("events", 6)
		__help("Context switches");
};

/* The tags above spell the bits out: keep them in step with the enum. */
_Static_assert(HWC_CYCLES == 0 && HWC_INSTRUCTIONS == 1 &&
		       HWC_CACHE_MISSES == 2 && HWC_BRANCH_MISSES == 3 &&
		       HWC_CPU_CLOCK == 4 && HWC_PAGE_FAULTS == 5 &&
		       HWC_CONTEXT_SWITCHES == 6,
	       "hwcount_val's __if_bit tags follow enum hwcount_event");

#endif /* __HWCOUNT_H */
