/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target filters every tool shares. The loader sets these .rodata values
 * before load; the verifier sees them as constants, so an unset filter
 * costs nothing at run time (its branch is removed as dead code).
 */
#ifndef __FILTER_BPF_H
#define __FILTER_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pinsight.h"

const volatile __u32 targ_tgid = 0;
const volatile char targ_comm[TASK_COMM_LEN] = {};
/*
 * The --pid target's start (CLOCK_BOOTTIME ns, as /proc/PID/stat gives it:
 * in [targ_start_ns, targ_start_ns + targ_start_span) since it is in clock
 * ticks there): a later process that reuses the pid is not the target.
 * 0 span: not checked.
 */
const volatile __u64 targ_start_ns = 0;
const volatile __u64 targ_start_span = 0;
/* --duration: CLOCK_BOOTTIME ns after which nothing counts; 0: none */
const volatile __u64 targ_deadline_ns = 0;
/*
 * Set by the loader where the kernel itself runs the programs only in the
 * --pid process (uprobes attached with that pid, funclat's): task_wanted()
 * skips the tgid and start checks the kernel has made, and a pid reused
 * after the target exits never matches, since the attachment holds the
 * target's task.
 */
const volatile bool targ_by_hook = false;
/*
 * Set by the loader where __set_task_comm() NUL-pads the name
 * (strscpy_pad(), in every kernel from 6.1): comm's words are then the
 * key as they stand, and task_comm() need not cut them at the NUL.
 */
const volatile bool comm_padded = false;

/* Only with --pid or --duration is it created (by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pinsight_lifetime);
} lifetime SEC(".maps");

/* Whether --duration has run out: then nothing is counted. */
static __always_inline bool lifetime_over(void)
{
	return targ_deadline_ns && bpf_ktime_get_boot_ns() > targ_deadline_ns;
}

/* Whether a process that started at @start_boottime is the --pid one. */
static __always_inline bool target_start_is(__u64 start_boottime)
{
	return !targ_start_span ||
	       start_boottime - targ_start_ns < targ_start_span;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "filter.bpf.h: task_comm() reads comm as little-endian words"
#endif

/* Mask of the bytes before the first NUL in @w (little-endian), ~0 if none. */
static __always_inline __u64 bytes_before_nul(__u64 w)
{
	/* The lowest 0x80 left is exact: borrows only run upwards. */
	__u64 t = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;

	return ((t & -t) >> 7) - 1;
}

/* The two words of a comm, cut at its first NUL and NUL-padded. */
static __always_inline void comm_words(__u64 lo, __u64 hi, __u64 w[2])
{
	__u64 m = bytes_before_nul(lo);

	w[0] = lo & m;
	w[1] = ~m ? 0 : hi & bytes_before_nul(hi) & 0x00ffffffffffffffULL;
}

/*
 * @p's comm into @w exactly as bpf_get_current_comm() gives it (at most 15
 * characters, NUL-padded: the key every map and reader agrees on), but
 * read as two words from a trusted task pointer (bpf_get_current_task_btf(),
 * tp_btf arguments): no helper call and no loop. Unless comm_padded says
 * the kernel pads, the padding is done here: kernels before strscpy_pad()
 * in __set_task_comm() (5.17) leave a longer old name's tail after the NUL
 * when a task renames itself (prctl(PR_SET_NAME), /proc/PID/comm).
 * Nothing is cached: a rename or an exec counts under the new comm at once.
 */
static __always_inline void task_comm(const struct task_struct *p, __u64 w[2])
{
	const __u64 *src = (const __u64 *)p->comm;

	if (comm_padded) {
		w[0] = src[0];
		w[1] = src[1];
		return;
	}
	comm_words(src[0], src[1], w);
}

/* bpf_get_current_comm(@comm, TASK_COMM_LEN) without the helper call. */
static __always_inline void current_comm(char *comm)
{
	__u64 w[2];

	task_comm(bpf_get_current_task_btf(), w);
	__builtin_memcpy(comm, w, TASK_COMM_LEN);
}

/*
 * --comm as two word compares. targ_comm is NUL-padded (.rodata starts
 * zeroed) and read a word at a time: unaligned loads are fine on x86 and
 * arm64, the architectures the tools build for.
 */
static __always_inline bool comm_is_target(const __u64 w[2])
{
	const volatile __u64 *targ = (const volatile __u64 *)targ_comm;

	return w[0] == targ[0] && w[1] == targ[1];
}

/*
 * Whether @p is a target (--pid, --comm): a trusted task pointer, most
 * often bpf_get_current_task_btf().
 */
static __always_inline bool task_wanted(const struct task_struct *p)
{
	__u64 comm[2];

	if (lifetime_over())
		return false;
	if (!targ_by_hook && targ_tgid &&
	    (p->tgid != (int)targ_tgid ||
	     !target_start_is(p->group_leader->start_boottime)))
		return false;
	if (!targ_comm[0])
		return true;
	task_comm(p, comm);
	return comm_is_target(comm);
}

/*
 * The --pid target's last thread exits: the instance marks itself
 * finished in maps/lifetime, for `list` to say so and `unload --finished`
 * to remove it. The loader loads and attaches this only with --pid.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(pinsight_target_exit, struct task_struct *p)
{
	struct pinsight_lifetime *lt;
	__u32 zero = 0;

	if (!targ_tgid || p->tgid != (int)targ_tgid ||
	    p->signal->live.counter ||
	    !target_start_is(p->group_leader->start_boottime))
		return 0;
	lt = bpf_map_lookup_elem(&lifetime, &zero);
	if (!lt || lt->state != LIFETIME_RUNNING)
		return 0;
	lt->exit_code = p->exit_code;
	lt->exited_ns = bpf_ktime_get_boot_ns();
	lt->state = LIFETIME_TARGET_EXITED;
	return 0;
}

#endif /* __FILTER_BPF_H */
