/* SPDX-License-Identifier: GPL-2.0 */
/* Map helpers shared by the tools. */
#ifndef __MAPS_BPF_H
#define __MAPS_BPF_H

#include <bpf/bpf_helpers.h>
#include "pinsight.h" /* __help */

/*
 * Every tool that includes this keeps a "drops" counter in .bss: each event
 * that could not be stored (a full map, a full ring buffer) is counted there
 * and readers export it, so no loss is silent.
 */
__u64 drops SEC(".bss")
	__help("Events that could not be stored (a full map or ring buffer)");

static __always_inline void count_drop(void)
{
	__sync_fetch_and_add(&drops, 1);
}

/*
 * Initial values for lookup_or_init() go here rather than in .rodata, which
 * readers show as the tool's configuration.
 */
#define ZERO_SEC SEC(".rodata.zero")

/*
 * Look a key up and insert @init when it is absent. BPF_NOEXIST makes a
 * concurrent insert on another CPU harmless (-EEXIST: look up again). A full
 * map gives NULL and counts a drop.
 */
static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		count_drop();
		return NULL;
	}
	val = bpf_map_lookup_elem(map, key);
	if (!val)
		count_drop();
	return val;
}

#endif /* __MAPS_BPF_H */
