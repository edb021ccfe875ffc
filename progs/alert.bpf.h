/* SPDX-License-Identifier: GPL-2.0 */
/* Raise an alert: count it, then offer it to the ring buffer. */
#ifndef __ALERT_BPF_H
#define __ALERT_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "alert.h"
#include "maps.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} alerts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, ALERT_KIND_NR);
	__type(key, struct alert_key);
	__type(value, struct alert_count);
} alert_counts SEC(".maps");

static const struct alert_count zero_alert_count ZERO_SEC;
/*
 * Records are reserved as untyped memory, so nothing would put struct
 * alert into the object's BTF; this (unused) constant does, and readers
 * (`pinsight alerts`) decode the ring buffer with it.
 */
static const struct alert alert_btf_anchor ZERO_SEC __attribute__((used));

/*
 * Reserve an alert with kind, ids (parent's too), uid, comm and time
 * filled in; needs vmlinux.h included first. The caller
 * fills value/threshold/what (and the call's span: alert_set_span()) and
 * calls alert_submit(). Counted even when the ring buffer is full (then
 * NULL, and a drop is counted).
 */
static __always_inline struct alert *alert_reserve(enum alert_kind kind)
{
	struct alert_key key = { .kind = kind };
	struct alert_count *cnt;
	struct alert *a;
	__u64 id;

	cnt = lookup_or_init(&alert_counts, &key, &zero_alert_count);
	if (cnt)
		cnt->alerts++;
	a = bpf_ringbuf_reserve(&alerts, sizeof(*a), 0);
	if (!a) {
		count_drop();
		return NULL;
	}
	id = bpf_get_current_pid_tgid();
	a->ts_ns = bpf_ktime_get_boot_ns();
	a->kind = kind;
	a->tgid = id >> 32;
	a->pid = (__u32)id;
	a->ppid = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),
				real_parent, tgid);
	a->uid = (__u32)bpf_get_current_uid_gid();
	a->value = 0;
	a->threshold = 0;
	a->what[0] = '\0';
	__builtin_memset(a->trace_id, 0, sizeof(a->trace_id));
	__builtin_memset(a->span_id, 0, sizeof(a->span_id));
	bpf_get_current_comm(a->comm, sizeof(a->comm));
	return a;
}

/*
 * The OpenTelemetry span of the call that raised @a (NULL: the thread
 * published none). Callers read the context only once an alert fires.
 */
static __always_inline void alert_set_span(struct alert *a,
					   const __u8 *trace_id,
					   const __u8 *span_id)
{
	if (!trace_id)
		return;
	__builtin_memcpy(a->trace_id, trace_id, sizeof(a->trace_id));
	__builtin_memcpy(a->span_id, span_id, sizeof(a->span_id));
}

static __always_inline void alert_submit(struct alert *a)
{
	bpf_ringbuf_submit(a, 0);
}

#endif /* __ALERT_BPF_H */
