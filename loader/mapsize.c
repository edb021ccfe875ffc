// SPDX-License-Identifier: GPL-2.0
/*
 * The size rules of the map types pinsight uses, from the kernel's own
 * checks (kernel/bpf/hashtab.c, arraymap.c, ringbuf.c, stackmap.c), and
 * what each costs, from their map_mem_usage().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "mapsize.h"

/* struct htab_elem and struct bucket on 64-bit kernels, without lockdep */
#define HTAB_ELEM_SIZE	 48
#define HTAB_BUCKET_SIZE 16
/* hashtab.c: n_buckets, a power of two, times a bucket must fit a u32 */
#define HTAB_MAX_BUCKETS (1ULL << 27)
/* ringbuf.c: a power of two below UINT_MAX (less the header) */
#define RINGBUF_MAX (1ULL << 31)

static __u64 round8(__u64 n)
{
	return (n + 7) & ~7ULL;
}

static __u64 pow2_roundup(__u64 n)
{
	__u64 p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static bool is_hash(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

__u64 map_mem_estimate(const struct bpf_map *map, __u64 entries)
{
	enum bpf_map_type t = bpf_map__type(map);
	__u64 key = round8(bpf_map__key_size(map));
	__u64 val = round8(bpf_map__value_size(map));
	int ncpus = libbpf_num_possible_cpus();
	bool percpu;

	if (ncpus < 1)
		ncpus = 1;
	switch (t) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: {
		__u64 buckets = pow2_roundup(entries) * HTAB_BUCKET_SIZE;

		percpu = t == BPF_MAP_TYPE_PERCPU_HASH ||
			 t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
		/* without preallocation, elements cost only once inserted */
		if (bpf_map__map_flags(map) & BPF_F_NO_PREALLOC)
			return buckets;
		if (percpu)
			return buckets + entries * (HTAB_ELEM_SIZE + key + 8 +
						    val * ncpus);
		return buckets + entries * (HTAB_ELEM_SIZE + key + val);
	}
	case BPF_MAP_TYPE_ARRAY:
		return entries * val;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return entries * (8 + val * ncpus);
	case BPF_MAP_TYPE_RINGBUF:
		return entries;
	case BPF_MAP_TYPE_STACK_TRACE:
		/* a bucket pointer and a bucket (header + value) per slot */
		return pow2_roundup(entries) * (8 + 16 + val);
	default:
		return 0;
	}
}

/* MemAvailable in bytes, or 0 when /proc/meminfo does not say. */
static __u64 mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

int map_size_check(const struct bpf_map *map, __u64 entries, char *why,
		   size_t why_sz)
{
	enum bpf_map_type t = bpf_map__type(map);
	__u64 cost, avail;

	if (is_hash(t) && entries > HTAB_MAX_BUCKETS) {
		snprintf(why, why_sz,
			 "more than the %llu entries a hash map can have",
			 HTAB_MAX_BUCKETS);
		return -E2BIG;
	}
	if (t == BPF_MAP_TYPE_RINGBUF && entries > RINGBUF_MAX) {
		snprintf(why, why_sz,
			 "more than the %llu bytes a ring buffer can have",
			 RINGBUF_MAX);
		return -E2BIG;
	}
	if (t == BPF_MAP_TYPE_STACK_TRACE && entries > (1ULL << 31)) {
		snprintf(why, why_sz,
			 "more than the %llu entries a stack map can have",
			 1ULL << 31);
		return -E2BIG;
	}
	/*
	 * Map memory is the kernel's and is never swapped out: more than
	 * half of what is available would starve the host (and take minutes
	 * to allocate) before the tool counted anything.
	 */
	cost = map_mem_estimate(map, entries);
	avail = mem_available();
	if (avail && cost > avail / 2) {
		snprintf(
			why, why_sz,
			"the map would take %.1f GiB of kernel memory, more than half of the %.1f GiB available",
			cost / 1073741824.0, avail / 1073741824.0);
		return -E2BIG;
	}
	return 0;
}
