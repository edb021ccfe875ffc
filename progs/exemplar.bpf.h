/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Histogram exemplars: the trace a bucket's recent observation belonged
 * to, for tools whose histograms time a call in the caller's own thread
 * (funclat, io), where the OpenTelemetry thread context (OTEP 4947) of
 * that thread names the request. A tool declares, beside its stats map,
 *
 *	struct { struct <stats key> series; __u32 slot; } key;
 *	hash map <name>_exemplars: key -> struct hist_exemplar
 *
 * and tags the histogram field __exemplars("<name>_exemplars"); readers
 * pair each entry with its series by the key prefix (PIN-LAYOUT.md).
 *
 * Nothing is written for a thread without a valid context, so untraced
 * processes pay only otel_ctx_read()'s miss. An entry is replaced whole by
 * bpf_map_update_elem() (a new element, the old one freed after RCU: the
 * map is not preallocated), never written in place, so a scrape cannot
 * pair one call's trace id with another call's value.
 */
#ifndef __EXEMPLAR_BPF_H
#define __EXEMPLAR_BPF_H

#include <bpf/bpf_helpers.h>
#include "pinsight.h"
#include "otel_ctx.bpf.h"

/*
 * Entries: series x buckets that saw a traced call. Bounded like the stats
 * maps; when full, buckets without an exemplar stay without one.
 */
#define EXEMPLAR_MAX_ENTRIES 4096

#define DECLARE_EXEMPLARS(name, key_type)                                      \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                               \
		__uint(map_flags, BPF_F_NO_PREALLOC);                          \
		__uint(max_entries, EXEMPLAR_MAX_ENTRIES);                     \
		__type(key, key_type);                                         \
		__type(value, struct hist_exemplar);                           \
	} name SEC(".maps")

/* Keep @sp as the exemplar of the bucket @key names, for value @v. */
static __always_inline void exemplar_put(void *map, const void *key, __u64 v,
					 const struct otel_span *sp)
{
	struct hist_exemplar ex;

	__builtin_memcpy(ex.trace_id, sp->trace_id, sizeof(ex.trace_id));
	__builtin_memcpy(ex.span_id, sp->span_id, sizeof(ex.span_id));
	ex.value = v;
	ex.ts_ns = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(map, key, &ex, BPF_ANY);
}

#endif /* __EXEMPLAR_BPF_H */
