/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target filters every tool shares. The loader sets these .rodata values
 * before load; the verifier sees them as constants, so an unset filter
 * costs nothing at run time (its branch is removed as dead code).
 */
#ifndef __FILTER_BPF_H
#define __FILTER_BPF_H

#include <bpf/bpf_helpers.h>
#include "pinsight.h"

const volatile __u32 targ_tgid = 0;
const volatile char targ_comm[TASK_COMM_LEN] = {};

static __always_inline bool comm_matches(void)
{
	char comm[TASK_COMM_LEN];
	int i;

	if (!targ_comm[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < TASK_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* Whether the current task is a target; @id is bpf_get_current_pid_tgid(). */
static __always_inline bool task_wanted(__u64 id)
{
	if (targ_tgid && (__u32)(id >> 32) != targ_tgid)
		return false;
	return comm_matches();
}

#endif /* __FILTER_BPF_H */
