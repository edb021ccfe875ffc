/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OpenTelemetry thread context (OTEP 4947) for the tools that run in the
 * thread they observe (a profile sample, a uprobe, a syscall exit): the
 * trace and span id the process published for the current thread.
 *
 * The loader (loader/otel.c) resolves otel_thread_ctx_v1 at load for the
 * target processes that publish an OTEP 4719 process context, and leaves
 * one otel_procs entry per such process; a process without one costs a
 * single hash lookup. The reading follows the OTEP: the pointer (NULL: no
 * record), the 28-byte header, valid == 1, ids both set or both zero. The
 * thread is stopped while its own event runs, so one read is consistent;
 * what a writer left half-done is its valid flag, which is checked.
 * Every skip is counted in otel_stats by reason.
 */
#ifndef __OTEL_CTX_BPF_H
#define __OTEL_CTX_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "otel_ctx.h"

#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef EFAULT
#define EFAULT 14
#endif

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OTEL_PROCS_MAX);
	__type(key, __u32); /* tgid */
	__type(value, struct otel_proc);
} otel_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct otel_stats);
} otel_stats SEC(".maps");

/*
 * How many entries otel_procs holds, set by the loader after each fill
 * and refresh. A lookup in an array by a constant key is a few loads once
 * the verifier inlines it, where a miss in otel_procs hashes the tgid:
 * while no target publishes a context, the tools pay no more than they
 * did before they read one.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} otel_nprocs SEC(".maps");

static __always_inline bool otel_any_proc(void)
{
	__u32 zero = 0, *n = bpf_map_lookup_elem(&otel_nprocs, &zero);

	return n && *n;
}

/* glibc x86-64: tcbhead_t.dtv right after tcbhead_t.tcb */
#define OTEL_TCB_DTV 8
/* sizeof(dtv_t): { void *val; void *to_free; } */
#define OTEL_DTV_ENTRY 16
/* TLS_DTV_UNALLOCATED: a module's block not yet allocated in this thread */
#define OTEL_DTV_UNALLOCATED ((__u64)-1)

/*
 * The address of the thread's otel_thread_ctx_v1 into *slot: 0, else
 * -ENOENT (no block for it in this thread) or -EFAULT, counted.
 */
static __always_inline int otel_slot(const struct otel_proc *p,
				     struct otel_stats *st, __u64 *slot)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 tp, dtv, blk, size;

	/* past exit_mm(), in do_exit(): no user memory left to read */
	if (!BPF_CORE_READ(task, mm))
		return -ENOENT;
#if defined(__TARGET_ARCH_x86)
	tp = BPF_CORE_READ(task, thread.fsbase);
#else
	/* other arches keep tp elsewhere: not resolved by this pinsight */
	tp = 0;
#endif
	if (!tp)
		goto fault;
	if (p->mode == OTEL_TLS_STATIC) {
		*slot = tp + p->tp_offset;
		return 0;
	}
	if (p->mode != OTEL_TLS_DTV)
		goto fault;
	if (bpf_probe_read_user(&dtv, sizeof(dtv),
				(void *)(tp + OTEL_TCB_DTV)) ||
	    !dtv)
		goto fault;
	/* a module loaded after this thread's DTV was last resized */
	if (bpf_probe_read_user(&size, sizeof(size),
				(void *)(dtv - OTEL_DTV_ENTRY)) ||
	    p->dtv_module > size)
		goto fault;
	if (bpf_probe_read_user(&blk, sizeof(blk),
				(void *)(dtv + p->dtv_module * OTEL_DTV_ENTRY)))
		goto fault;
	/* never touched here: the thread cannot have published anything */
	if (!blk || blk == OTEL_DTV_UNALLOCATED) {
		st->otel_no_span++;
		return -ENOENT;
	}
	*slot = blk + p->dtv_offset;
	return 0;
fault:
	st->otel_fault++;
	return -EFAULT;
}

/*
 * The current thread's trace and span id into @out: 0; otherwise *out is
 * zeroed and the result says why: -ENOENT when the process publishes no
 * context or the thread has no span active, -EINVAL when the record was
 * skipped (invalid, torn, unknown schema), -EFAULT when a read faulted.
 * The skips are counted in otel_stats; a process without an otel_procs
 * entry costs one lookup and counts nothing.
 *
 * A subprogram, not inlined: its locals (the record header, the slot)
 * then live in its own frame, called from the tool's program alone,
 * rather than in the program's frame, which counts in every chain of
 * calls below it. Inlined, profile's do_sample frame grew from 160 to
 * 272 bytes, and with the unwinder's calls under it passed the 512-byte
 * combined stack limit of kernels without private stacks (6.12:
 * "combined stack size of 5 calls is 544. Too large").
 */
static __noinline int otel_ctx_read(struct otel_span *out)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	struct otel_record_hdr h;
	struct otel_stats *st;
	struct otel_proc *p;
	__u64 slot, rec, t0, t1, s;
	int err;

	__builtin_memset(out, 0, sizeof(*out));
	if (!otel_any_proc())
		return -ENOENT;
	p = bpf_map_lookup_elem(&otel_procs, &tgid);
	if (!p)
		return -ENOENT;
	st = bpf_map_lookup_elem(&otel_stats, &zero);
	if (!st)
		return -ENOENT;
	if (p->schema != OTEL_SCHEMA_TLS_V1) {
		st->otel_unknown_version++;
		return -EINVAL;
	}
	err = otel_slot(p, st, &slot);
	if (err)
		return err;
	if (bpf_probe_read_user(&rec, sizeof(rec), (void *)slot)) {
		st->otel_fault++;
		return -EFAULT;
	}
	if (!rec) {
		st->otel_no_span++;
		return -ENOENT;
	}
	/* the OTEP: records start 2-byte aligned */
	if (rec & 1) {
		st->otel_torn++;
		return -EINVAL;
	}
	if (bpf_probe_read_user(&h, sizeof(h), (void *)rec)) {
		st->otel_fault++;
		return -EFAULT;
	}
	if (h.valid != 1) {
		st->otel_invalid++;
		return -EINVAL;
	}
	__builtin_memcpy(&t0, h.trace_id, 8);
	__builtin_memcpy(&t1, h.trace_id + 8, 8);
	__builtin_memcpy(&s, h.span_id, 8);
	/* all zero: valid, no span; one set without the other: torn */
	if (!(t0 | t1) && !s) {
		st->otel_no_span++;
		return -ENOENT;
	}
	if (!(t0 | t1) || !s) {
		st->otel_torn++;
		return -EINVAL;
	}
	__builtin_memcpy(out->trace_id, h.trace_id, sizeof(out->trace_id));
	__builtin_memcpy(out->span_id, h.span_id, sizeof(out->span_id));
	st->otel_read++;
	return 0;
}

#endif /* __OTEL_CTX_BPF_H */
