/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thread slots: per-thread state for the few instructions of an array
 * lookup, where task storage costs a helper call (bpf_task_storage_get():
 * ~120 instructions a call on 6.12, counted in selftests/benchs/RESULTS.md
 * 2a's building blocks), twice per timed call for io and funclat.
 *
 * A tool declares an array of N slots (a power of two), named
 * "<tool>_slots" (the loader pins it under state/, with the program state
 * no reader shows), whose values each begin with `__u64 owner`. A thread's slot
 * is the one its tid indexes (masked); it holds it only while it has state
 * there (a syscall or a probed call in flight): slot_take() claims a free slot
 * with a compare-and-swap and slot_release() frees it. A thread whose slot
 * another thread holds keeps its state in task storage, as before: a collision
 * costs speed, never a wrong time. The owner is the tid and the low half of the
 * thread's start time, so a recycled tid is not taken for the thread that held
 * the slot (a thread that dies holding one leaves it taken: its tid's later
 * threads then use task storage).
 */
#ifndef __THREAD_SLOT_BPF_H
#define __THREAD_SLOT_BPF_H

#include <bpf/bpf_helpers.h>

#define DECLARE_THREAD_SLOTS(name, vtype, n)      \
	struct {                                  \
		__uint(type, BPF_MAP_TYPE_ARRAY); \
		__uint(max_entries, n);           \
		__type(key, __u32);               \
		__type(value, vtype);             \
	} name SEC(".maps")

/* The current thread's owner id: never 0, as no user thread has tid 0. */
static __always_inline __u64 slot_owner(const struct task_struct *p)
{
	return (__u64)(__u32)p->start_time << 32 | (__u32)p->pid;
}

/*
 * The slot @me indexes in @map, NULL if there is none: the mask is the
 * map's own size as loaded, so --max-entries MAP=1 puts every thread on
 * one slot (the tests' collisions); a size not a power of two leaves the
 * indexes past it to task storage.
 */
static __always_inline void *thread_slot(void *map, __u64 me)
{
	__u32 i = (__u32)me & (((const struct bpf_map *)map)->max_entries - 1);

	return bpf_map_lookup_elem(map, &i);
}

/* Whether the thread @me holds @owner's slot now, claiming it if free. */
static __always_inline bool slot_take(__u64 *owner, __u64 me)
{
	__u64 old = *owner;

	return old == me ||
	       (!old && __sync_bool_compare_and_swap(owner, 0, me));
}

/*
 * Free the slot, after the holder's last read of it: the exchange orders
 * those reads before the next holder's writes on any architecture.
 */
static __always_inline void slot_release(__u64 *owner)
{
	__sync_lock_test_and_set(owner, 0);
}

#endif /* __THREAD_SLOT_BPF_H */
