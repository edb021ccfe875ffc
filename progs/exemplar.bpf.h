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
 * Cost: a process the loader found no context in pays one otel_procs
 * lookup (a miss) per look, as for otel_ctx_read() alone. A traced one
 * reads its context (and rewrites the exemplar) only when the bucket's
 * exemplar is missing or older than EXEMPLAR_REFRESH_NS, or the call is
 * over the alert threshold: a busy bucket costs a second lookup per look,
 * not a context read and a map update (measured: ~160 ns on io's exit).
 * A tool with per-thread state gates the looks (exemplar_gate()).
 *
 * An entry is replaced whole by
 * bpf_map_update_elem() (a new element, the old one freed after RCU: the
 * map is not preallocated), never written in place, so a scrape cannot
 * pair one call's trace id with another call's value.
 */
#ifndef __EXEMPLAR_BPF_H
#define __EXEMPLAR_BPF_H

#include <bpf/bpf_helpers.h>
#include "pinsight.h"
#include "otel_ctx.bpf.h"

/* A bucket's exemplar is refreshed at most this often (1 s). */
#define EXEMPLAR_REFRESH_NS 1000000000ULL

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

/*
 * A thread looks for a due exemplar at most once per EXEMPLAR_GATE_NS
 * (*last: when it last looked, in the tool's per-thread state): a thread
 * making many short calls pays exemplar_due()'s two lookups on one call
 * per gate, not on each (on io's exit they were ~190 instructions of its
 * ~450), while a call at least that long always gets its look, as its
 * thread's last look came before it began: the slow calls whose buckets
 * an exemplar matters most for.
 */
#define EXEMPLAR_GATE_NS 10000000ULL /* 10 ms */

static __always_inline bool exemplar_gate(__u64 *last, __u64 now)
{
	if (now - *last < EXEMPLAR_GATE_NS)
		return false;
	*last = now;
	return true;
}

/*
 * Whether a call that ended at @now (bpf_ktime_get_ns()) should read its
 * thread's context for the exemplar of the bucket @key names: its process
 * publishes one (an otel_procs entry: the one lookup untraced processes
 * pay while any target publishes; none while none does) and the bucket has no exemplar younger than EXEMPLAR_REFRESH_NS.
 */
static __always_inline bool exemplar_due(void *map, const void *key, __u64 now)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct hist_exemplar *ex;

	if (!otel_any_proc() || !bpf_map_lookup_elem(&otel_procs, &tgid))
		return false;
	ex = bpf_map_lookup_elem(map, key);
	return !ex || now - ex->ts_ns >= EXEMPLAR_REFRESH_NS;
}

/*
 * Keep @sp as the exemplar of the bucket @key names: a call of value @v
 * that ended at @now (bpf_ktime_get_ns(), the clock the tool timed it by).
 */
static __always_inline void exemplar_put(void *map, const void *key, __u64 v,
					 __u64 now, const struct otel_span *sp)
{
	struct hist_exemplar ex;

	__builtin_memcpy(ex.trace_id, sp->trace_id, sizeof(ex.trace_id));
	__builtin_memcpy(ex.span_id, sp->span_id, sizeof(ex.span_id));
	ex.value = v;
	ex.ts_ns = now;
	bpf_map_update_elem(map, key, &ex, BPF_ANY);
}

#endif /* __EXEMPLAR_BPF_H */
