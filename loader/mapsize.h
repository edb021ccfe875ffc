/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a map of a given size costs the kernel, and whether the kernel and
 * this host can take it: checked before a load, since the kernel either
 * refuses a size with a bare E2BIG at load time ("Argument list too long",
 * naming no map) or takes it and spends minutes allocating gigabytes of
 * memory that is never swapped out.
 */
#ifndef __LOADER_MAPSIZE_H
#define __LOADER_MAPSIZE_H

#include <stddef.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

/*
 * Bytes of kernel memory @map takes with @entries entries: preallocated
 * elements, buckets and per-CPU copies, as the kernel's map_mem_usage()
 * counts them (0 for types that allocate as they fill).
 */
__u64 map_mem_estimate(const struct bpf_map *map, __u64 entries);
/*
 * 0 when @map may have @entries entries here; else -E2BIG with the reason
 * in @why: more than the map type allows, or more memory than half of
 * what the host has available.
 */
int map_size_check(const struct bpf_map *map, __u64 entries, char *why,
		   size_t why_sz);

#endif /* __LOADER_MAPSIZE_H */
