// SPDX-License-Identifier: GPL-2.0
/*
 * profile: a perf_event program the loader attaches to one sampling event
 * per CPU (cpu-clock at 99 Hz by default, so samples never beat with
 * 100 Hz timers; cycles with --hw). Each sample counts once per thread and
 * stack, with user and kernel stacks stored by stacks.bpf.h, which loses
 * nothing silently. The idle task (pid 0) is skipped unless --idle.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "profile.h"
#include "filter.bpf.h"
#include "maps.bpf.h"
#include "otel_ctx.bpf.h"
#include "stacks.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Read by the loader's attach hook; here so that readers see them. */
const volatile __u32 sample_freq = 99;
const volatile bool use_hw = false;
const volatile bool targ_idle = false;
const volatile __u64 targ_cgroup = 0;
/* User frames as plain addresses: cheaper, but unresolvable after exit. */
const volatile bool ip_stacks = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* allocated on insert, as "stacks" (stacks.bpf.h says why) */
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct profile_key);
	__type(value, struct profile_val);
} profile_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* allocated on insert; sized by the loader (--traces) */
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct profile_trace_key);
	__type(value, struct profile_val);
} profile_traces SEC(".maps");

__u64 trace_drops SEC(".bss")
	__help("CPU samples whose OpenTelemetry trace id was not kept (profile_traces full)");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	/* the drainer flips the epoch with an atomic op on its mapping */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct profile_window);
} profile_window SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct profile_comm_key);
	__type(value, struct profile_comm_val);
} profile_comm SEC(".maps");

static const struct profile_val zero_val ZERO_SEC;
_Static_assert(sizeof(struct profile_key) == 48,
	       "profile_key: no padding (do_sample sets every field, and only)");
static const struct profile_comm_val zero_comm ZERO_SEC;

#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))

/*
 * An atomic add whose result is used, so clang emits BPF_FETCH, which every
 * JIT makes a full barrier (a plain BPF_ADD is not one on arm64).
 */
static __always_inline void add_full(__u64 *p, __s64 v)
{
	__u64 old = __sync_fetch_and_add(p, v);

	barrier_var(old);
}

/*
 * Enter the current window: count this run in flight for its epoch, then
 * check the epoch did not move meanwhile (profile.h says why that is
 * enough). A drainer waits for the old epoch to have none in flight, so
 * two flips inside one retry cannot happen; the bound is for the verifier.
 */
static __always_inline __u32 window_enter(struct profile_window *w)
{
	__u32 e = READ_ONCE(w->epoch), i;

	add_full(&w->inflight[e & 1], 1);
	for (i = 0; i < 3 && READ_ONCE(w->epoch) != e; i++) {
		add_full(&w->inflight[e & 1], -1);
		e = READ_ONCE(w->epoch);
		add_full(&w->inflight[e & 1], 1);
	}
	return e;
}

/*
 * The sample's trace and span id beside its stack, when the process
 * publishes OpenTelemetry thread context and the thread has a span.
 * A global function, so verified once on its own: inlined, its key and
 * record would sit in do_sample's frame under every call stack_capture
 * makes, past the 512-byte combined stack of kernels without private
 * stacks (< 6.13); static, it is verified again on every path of
 * do_sample, which took --idle past the 1M instructions the verifier
 * walks.
 */
__noinline int count_trace(__u32 tgid, __u32 pid, __u64 stack_id, __u64 epoch)
{
	struct profile_trace_key tk = {};
	struct otel_span span;
	struct profile_val *v;
	long err;

	/* here, not around the call, where the unwinder is verified: a
	 * branch in do_sample doubles the paths the verifier walks (--idle
	 * went past 1M instructions) */
	if (!otel_any_proc() || otel_ctx_read(&span))
		return 0;
	__builtin_memcpy(tk.trace_id, span.trace_id, sizeof(tk.trace_id));
	__builtin_memcpy(tk.span_id, span.span_id, sizeof(tk.span_id));
	tk.tgid = tgid;
	tk.pid = pid;
	tk.stack_id = stack_id;
	tk.epoch = epoch;
	v = bpf_map_lookup_elem(&profile_traces, &tk);
	if (!v) {
		err = bpf_map_update_elem(&profile_traces, &tk, &zero_val,
					  BPF_NOEXIST);
		if (err && err != -17 /* EEXIST */) {
			__sync_fetch_and_add(&trace_drops, 1);
			return 0;
		}
		v = bpf_map_lookup_elem(&profile_traces, &tk);
	}
	if (v)
		__sync_fetch_and_add(&v->samples, 1);
	return 0;
}

/* bpf_get_current_cgroup_id() of @task by plain loads: no helper call */
static __always_inline __u64 task_cgroup_id(const struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id;
}

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	/* ids and comm by plain loads from it, not helper calls */
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 pid = task->pid;
	__u64 cgroup = 0, comm[2];
	struct profile_window *w;
	struct profile_comm_val *cv;
	struct profile_key key; /* every field is set: no padding to clear */
	struct profile_val *v;
	__u32 flags = STACK_F_USER | STACK_F_KERNEL;
	__u32 zero = 0, epoch;
	bool in_kernel;

	if (!pid && !targ_idle)
		return 0;
	/* the cgroup read waits until a sample is wanted, unless it decides */
	if (targ_cgroup) {
		cgroup = task_cgroup_id(task);
		if (cgroup != targ_cgroup)
			return 0;
	}
	if (!task_wanted(task))
		return 0;
	if (!targ_cgroup)
		cgroup = task_cgroup_id(task);
	if (!ip_stacks)
		flags |= STACK_F_BUILD_ID;
	/* Kernel addresses are the upper half on x86-64 and arm64. */
	in_kernel = (long)PT_REGS_IP(&ctx->regs) < 0;
	if (!in_kernel)
		flags |= STACK_F_USER_MODE; /* no kernel stack to walk */

	w = bpf_map_lookup_elem(&profile_window, &zero);
	if (!w)
		return 0;
	epoch = window_enter(w);
	key.tgid = task->tgid;
	key.pid = pid;
	task_comm(task, comm);
	__builtin_memcpy(key.comm, comm, TASK_COMM_LEN);
	key.cgroup = cgroup;
	key.epoch = epoch;
	key.stack_id = stack_capture(ctx, flags);
	v = lookup_or_init(&profile_counts, &key, &zero_val);
	if (v)
		__sync_fetch_and_add(&v->samples, 1);
	/*
	 * Inside the window: a drain takes these rows with their samples.
	 * With frame pointers only, the verifier walks far fewer paths and
	 * affords the branch that saves the call while no target publishes
	 * a context.
	 */
	if (!stack_fp_only || otel_any_proc())
		count_trace(key.tgid, key.pid, key.stack_id, key.epoch);
	__sync_fetch_and_add(&w->samples[epoch & 1], 1);
	/* last: after this the drainer may read and delete the window */
	add_full(&w->inflight[epoch & 1], -1);

	cv = lookup_or_init(&profile_comm, key.comm, &zero_comm);
	if (cv) {
		cv->samples++;
		if (in_kernel)
			cv->kernel_samples++;
	}
	return 0;
}
