// SPDX-License-Identifier: GPL-2.0
/*
 * funclat: calls, a latency histogram and threshold breaches for a list of
 * user functions. The loader attaches funclat_entry/funclat_return as a
 * uprobe/uretprobe pair on each function with the function's index as the
 * BPF cookie, so one pair of programs serves any number of functions.
 *
 * Entry times live in a small per-thread stack, so nested and recursive
 * calls of probed functions each get their own duration. The stack is the
 * thread's slot in funclat_slots while it has calls in flight there
 * (thread_slot.bpf.h: an array lookup), else in task storage, where a
 * thread whose slot another holds keeps it: the slot's frames are always
 * the newest, so returns pop the slot first and the storage after.
 *
 * Where the kernel has uprobe sessions (6.13+: a uprobe_multi link of
 * attach type BPF_TRACE_UPROBE_SESSION), the loader attaches funclat_session
 * instead, and leaves the pair unloaded: one program runs at entry and at
 * return, and keeps the entry time in the session cookie, the kernel's
 * per-call slot. No task storage then, no stack to keep in step with the
 * returns (the kernel pairs them, nesting and longjmp included), and an
 * entry that is filtered out skips its return probe altogether.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "funclat.h"
#include "alert.bpf.h"
#include "exemplar.bpf.h"
#include "filter.bpf.h"
#include "hist.bpf.h"
#include "maps.bpf.h"
#include "thread_slot.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader: --threshold, and the names the reader shows. */
const volatile __u64 threshold_ns = 0;
const volatile char func_names[FUNCLAT_MAX_FUNCS][FUNCLAT_NAME_LEN] = {};

/* program state (funclat_slots pins under state/): no field is a metric */
struct funclat_start {
	__u64 owner __internal; /* funclat_slots: slot_owner() of the holder */
	__u64 ts[FUNCLAT_DEPTH] __internal;
	__u32 func[FUNCLAT_DEPTH] __internal;
	/* may exceed FUNCLAT_DEPTH: those calls go untimed */
	__u32 depth __internal;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct funclat_start);
} funclat_start SEC(".maps");

/* Threads inside probed functions at once, for the cheap path. */
#define FUNCLAT_SLOTS 1024
DECLARE_THREAD_SLOTS(funclat_slots, struct funclat_start, FUNCLAT_SLOTS);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct funclat_key);
	__type(value, struct funclat_val);
} funclat_stats SEC(".maps");

DECLARE_EXEMPLARS(funclat_exemplars, struct funclat_exemplar_key);

static const struct funclat_val zero_val ZERO_SEC;

_Static_assert(sizeof(struct funclat_key) == 2 * sizeof(__u64),
	       "record() builds the key as two words");

/* weak: a kernel without them (6.1) loads the pair, never funclat_session */
extern bool bpf_session_is_return(void) __ksym __weak;
extern __u64 *bpf_session_cookie(void) __ksym __weak;

SEC("uprobe")
int BPF_KPROBE(funclat_entry)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct funclat_start *s;
	__u64 me;
	__u32 d;

	if (!task_wanted(task))
		return 0;
	me = slot_owner(task);
	s = thread_slot(&funclat_slots, me);
	if (!s || !slot_take(&s->owner, me))
		s = bpf_task_storage_get(&funclat_start, task, 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count_drop();
		return 0;
	}
	d = s->depth++;
	if (d >= FUNCLAT_DEPTH) {
		count_drop();
		return 0;
	}
	s->func[d] = bpf_get_attach_cookie(ctx);
	s->ts[d] = bpf_ktime_get_ns();
	return 0;
}

/* @sp: the caller's OpenTelemetry span, NULL when it published none */
static __always_inline void breach(__u32 func, __u64 delta,
				   const struct otel_span *sp)
{
	struct alert *a = alert_reserve(ALERT_LATENCY);

	if (!a)
		return;
	a->value = delta;
	a->threshold = threshold_ns;
	bpf_probe_read_kernel_str(a->what, sizeof(a->what),
				  (const void *)func_names[func]);
	if (sp)
		alert_set_span(a, sp->trace_id, sp->span_id);
	alert_submit(a);
}

/*
 * One timed call of function @func by @task, the current one, ended at
 * @now. The thread's OpenTelemetry context is read only for a call over
 * the threshold (its alert) or one its bucket wants as exemplar
 * (exemplar_due()), once for both.
 */
static __always_inline void record(const struct task_struct *task, __u32 func,
				   __u64 delta, __u64 now)
{
	struct funclat_exemplar_key ekey; /* no padding: every byte is set */
	struct funclat_val *v;
	struct otel_span sp;
	bool over, traced;
	__u64 key[2];

	/* the key: comm's two words, the function in the NUL's byte */
	task_comm(task, key);
	key[1] |= (__u64)func << 56;
	__builtin_memcpy(&ekey.series, key, sizeof(ekey.series));
	v = lookup_or_init(&funclat_stats, &ekey.series, &zero_val);
	if (!v)
		return;
	v->calls++;
	hist_add(&v->latency_ns, delta);
	over = threshold_ns && delta >= threshold_ns;
	/* the common call: not over, and no target publishes a context */
	if (!over && !otel_any_proc())
		return;
	ekey.slot = hist_slot(delta);
	traced = (over || exemplar_due(&funclat_exemplars, &ekey, now)) &&
		 !otel_ctx_read(&sp);
	if (traced)
		exemplar_put(&funclat_exemplars, &ekey, delta, now, &sp);
	if (over) {
		v->breaches++;
		breach(func, delta, traced ? &sp : NULL);
	}
}

/*
 * The entry time of @func's call, popped from @s whose top frame, @d, is
 * not @func's: 0 when it cannot be found. Returns come in reverse order of
 * calls, unless a probed frame was left without returning (longjmp, an
 * exception): looking one frame further resyncs after one such frame;
 * deeper damage costs samples (drops), never wrong times.
 */
static __always_inline __u64 pop_unmatched(struct funclat_start *s, __u32 d,
					   __u32 func)
{
	__u32 below = d - 1;

	s->depth = d;
	if (d >= FUNCLAT_DEPTH)
		return 0; /* a call deeper than the stack: untimed */
	/* keep the mask: clang would drop it, and the verifier needs it */
	asm volatile("" : "+r"(below));
	below &= FUNCLAT_DEPTH - 1;
	if (d && s->func[below] == func) {
		s->depth = below;
		return s->ts[below];
	}
	count_drop();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(funclat_return)
{
	__u64 now = bpf_ktime_get_ns(), ts;
	__u32 func = bpf_get_attach_cookie(ctx) & (FUNCLAT_MAX_FUNCS - 1);
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 me = slot_owner(task);
	struct funclat_start *s;
	bool slot = true;
	__u32 d;

	s = thread_slot(&funclat_slots, me);
	if (!s || s->owner != me) {
		s = bpf_task_storage_get(&funclat_start, task, 0, 0);
		slot = false;
	}
	if (!s || !s->depth)
		return 0;
	d = s->depth - 1;
	/*
	 * Bound d itself: clang would test depth, which 6.12's verifier
	 * does not carry over to d.
	 */
	asm volatile("" : "+r"(d));
	if (d < FUNCLAT_DEPTH && s->func[d] == func) {
		/* the common return: the call on top of the stack */
		ts = s->ts[d];
		s->depth = d;
	} else {
		ts = pop_unmatched(s, d, func);
	}
	if (slot && !s->depth)
		slot_release(&s->owner);
	if (ts)
		record(task, func, now - ts, now);
	return 0;
}

/* Entry (returns 0: run me at return too) and return of one call. */
SEC("uprobe")
int BPF_KPROBE(funclat_session)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 *ts = bpf_session_cookie(), now;

	if (!bpf_session_is_return()) {
		if (!task_wanted(task))
			return 1;
		*ts = bpf_ktime_get_ns();
		return 0;
	}
	now = bpf_ktime_get_ns();
	record(task, bpf_get_attach_cookie(ctx) & (FUNCLAT_MAX_FUNCS - 1),
	       now - *ts, now);
	return 0;
}
