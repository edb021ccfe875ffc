/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stacks as tools keep them (see stacks.bpf.h for the BPF side): one
 * "stacks" hash map from a 64-bit stack id (our own hash of the frames) to
 * the user and kernel frames, shared by every sample or event that has the
 * same stack. Readers symbolize them with pinned-maps/reader/symbolize.h.
 *
 * User frames use the kernel's struct bpf_stack_build_id layout even when
 * captured as plain addresses, so a reader has one format: status
 * BPF_STACK_BUILD_ID_VALID means build_id + file offset (resolvable after
 * the process exited, as long as the binary or its debug file exists),
 * BPF_STACK_BUILD_ID_IP means an absolute address in the process.
 */
#ifndef __STACKS_H
#define __STACKS_H

#ifndef __VMLINUX_H__
#include <linux/bpf.h>
#include <linux/types.h>
#endif
#include "pinsight.h"
#include "python.h"

/* Frames kept per side; deeper stacks keep their innermost frames. */
#define STACK_DEPTH 64
/* Exe path components kept per process (see struct stack_proc). */
#define STACK_PATH_COMPS 16
#define STACK_COMP_LEN	 64

/* stack_capture() flags */
#define STACK_F_USER	 (1U << 0)
#define STACK_F_KERNEL	 (1U << 1)
#define STACK_F_BUILD_ID (1U << 2) /* user frames as build-id + offset */

/* Stacks are data for `pinsight profile`/`show`, not metrics: __internal. */
struct stack_trace {
	__u32 user_nr __internal; /* frames used in user[], innermost first */
	__u32 kern_nr __internal; /* frames used in kern[], innermost first */
	__u32 flags __internal; /* STACK_F_* it was captured with */
	__u32 user_end __internal; /* enum unw_end: how the user walk ended */
	/*
	 * A second 64-bit hash of the frames, independent of the id: two
	 * stacks are taken as equal when both hashes and the frame counts
	 * agree (a false match needs a 128-bit collision).
	 */
	__u64 check __internal;
	struct bpf_stack_build_id user[STACK_DEPTH];
	__u64 kern[STACK_DEPTH];
	/* Python frames (python.h), innermost first; py_nr 0 without */
	__u32 py_nr __internal;
	__u32 py_end __internal; /* enum py_end */
	__u64 py[PY_DEPTH] __internal;
};

/*
 * stack_procs: the executable of each process seen with a user stack, as
 * path components from the file up (comp[0] is the file name; an empty
 * one marks a mount point crossed, and adds nothing), so readers
 * can find a binary by path after the process exited. start_time (mixed
 * with the exec count, which exec bumps) tells a reused pid or an exec apart.
 */
struct stack_proc {
	__u64 start_time __internal;
	__u32 depth __internal; /* components used */
	__u32 pad __internal;
	char comp[STACK_PATH_COMPS][STACK_COMP_LEN];
};

#endif /* __STACKS_H */
