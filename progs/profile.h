/* SPDX-License-Identifier: GPL-2.0 */
/* profile: CPU samples by process, thread and stack. Shared with readers. */
#ifndef __PROFILE_H
#define __PROFILE_H

#include "pinsight.h"
#include "stacks.h"

/*
 * profile_counts: samples per thread and stack (the stack's frames are in
 * the "stacks" map under stack_id; 0 means they could not be stored, which
 * is also counted in drops, so totals stay right).
 */
struct profile_key {
	__u32 tgid;
	__u32 pid;
	char comm[TASK_COMM_LEN];
	__u64 stack_id __pinsight_tag("pinsight:fmt=hex");
};

struct profile_val {
	__u64 samples __metric("ebpf_profile_thread_samples")
		__help("CPU samples of the thread in this stack");
};

/* profile_comm: samples per command, never evicted: the Prometheus series. */
struct profile_comm_key {
	char comm[TASK_COMM_LEN];
};

struct profile_comm_val {
	__u64 samples __help("CPU samples taken while the command ran");
	/* taken while in the kernel */
	__u64 kernel_samples __help("CPU samples taken while the command ran in the kernel");
};

#endif /* __PROFILE_H */
