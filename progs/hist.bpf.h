/* SPDX-License-Identifier: GPL-2.0 */
/* Log2 histogram updates, shared by every tool that keeps a struct hist. */
#ifndef __HIST_BPF_H
#define __HIST_BPF_H

#include "pinsight.h"

/* floor(log2(v)) for v > 0, 0 for v == 0; branch-light, no loop. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* The slot (bucket) value @v falls in. */
static __always_inline __u32 hist_slot(__u64 v)
{
	__u32 slot = log2_u64(v);

	return slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;
}

/*
 * Add one value. The caller owns the slot memory: per-CPU map values need no
 * atomics, shared ones must use hist_add_atomic().
 */
static __always_inline void hist_add(struct hist *h, __u64 v)
{
	h->slots[hist_slot(v)]++;
	h->sum += v;
}

static __always_inline void hist_add_atomic(struct hist *h, __u64 v)
{
	__sync_fetch_and_add(&h->slots[hist_slot(v)], 1);
	__sync_fetch_and_add(&h->sum, v);
}

#endif /* __HIST_BPF_H */
