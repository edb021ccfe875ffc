// SPDX-License-Identifier: GPL-2.0
/*
 * runqlat: run-queue latency (from wakeup, or from preemption, to getting a
 * CPU) as a log2 histogram, in all, per comm or per cgroup (--per-comm,
 * --per-cgroup); CPU migrations and on-CPU time per comm.
 *
 * sched_switch runs on every context switch, so the cost per event is what
 * matters here. Every kernel with CONFIG_SCHED_INFO (delay accounting and
 * /proc/PID/schedstat need it; Debian's kernels have it) already
 * keeps per task what runqlat measures, in the scheduler's own clock:
 * sched_info.run_delay, the sum of its run-queue waits (a wait is added when
 * the task gets the CPU, its parts on other CPUs when it migrates while
 * queued), sched_info.pcount, how many times it got the CPU, and
 * se.sum_exec_runtime, its CPU time. So runqlat watches only tasks leaving
 * the CPU (prev of sched_switch): the wait that came before the stint now
 * ending is how much run_delay grew since the task last left the CPU. No
 * clock read, no look at next, no sched_wakeup program (the loader does not
 * attach them when /proc/self/schedstat exists). A wait shows in the
 * histogram when the stint after it ends, not when it ends; a task that ran
 * before the load shows from its second wait on.
 *
 * The numbers are the scheduler's own, as in /proc/PID/schedstat: on-CPU
 * time leaves out IRQ and steal time where the kernel accounts those, and
 * the run-queue clock is not read afresh at every switch, so a wait shorter
 * than the time since its last update reads as 0 (a pipe ping-pong here:
 * 42 % of the waits, which --timestamps puts at 256 ns-1 us; from 1 us up
 * both agree).
 *
 * Without sched_info (the fields are missing from the kernel's BTF), or
 * with --timestamps, it times waits itself: sched_wakeup/sched_wakeup_new
 * and preemption stamp the task (bpf_ktime_get_ns), sched_switch turns the
 * stamp into a wait when the task gets the CPU and sums its time on the
 * CPU. That is exact to the ns for short waits, at about twice the cost.
 *
 * Either way:
 *   - per-task state lives in task storage (no hash insert/delete per
 *     event, nothing left behind by dead tasks), created only for tasks the
 *     filters want, so unwanted tasks cost one failed storage lookup;
 *   - the aggregate maps are per-CPU: no atomics, no shared cache lines;
 *   - filters are .rodata constants, so unset ones are compiled away.
 *
 * Two attach variants (pinsight-load runqlat --attach):
 *   btf: tp_btf programs: typed task pointers, direct loads, task storage.
 *   raw: raw_tp programs for kernels without tp_btf; task pointers are plain
 *        numbers there, which task storage does not take, so the state goes
 *        to an LRU hash keyed by tid (raw__runq_start).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "runqlat.h"
#include "hist.bpf.h"
#include "maps.bpf.h"
#include "task_filter.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* How runq_latency is keyed: both false gives one histogram in all. */
const volatile bool per_comm = false;
const volatile bool per_cgroup = false;
/* --timestamps: the fallback's clock even where sched_info exists */
const volatile bool timestamps = false;

/* State, not metrics (raw__runq_start is pinned: __internal hides them). */
struct runq_task {
	/* with sched_info: its values when the task last left the CPU */
	__u64 run_delay __internal;
	__u64 pcount __internal;
	__u64 cpu_ns __internal; /* se.sum_exec_runtime added to runq_comm */
	/* without: timestamps */
	__u64 enq_ts __internal; /* when it became runnable; 0: not waiting */
	__u64 on_ts __internal; /* when it got the CPU; 0: unknown */
	__u64 oncpu_ns __internal; /* not yet added to runq_comm */
};

/*
 * On-CPU time is added to runq_comm once a task has gathered this much,
 * and when it exits: one hash update per 10 ms of CPU rather than one per
 * switch. Readers see a task's time up to 10 ms late.
 */
#define ONCPU_FLUSH_NS 10000000ULL
#define TASK_DEAD      0x80

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct runq_task);
} btf__runq_task SEC(".maps");

/* keyed by a "tid" field: per-task detail, which readers do not export */
struct runq_tid {
	__u32 tid;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct runq_tid);
	__type(value, struct runq_task);
} raw__runq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct runq_key);
	__type(value, struct runq_val);
} runq_latency SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct runq_comm_key);
	__type(value, struct runq_comm_val);
} runq_comm SEC(".maps");

static const struct runq_task zero_task ZERO_SEC;
static const struct runq_val zero_val ZERO_SEC;
static const struct runq_comm_val zero_comm_val ZERO_SEC;

/* task_struct.state became __state in 5.14 */
struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *p, const bool btf)
{
	if (bpf_core_field_exists(p->__state))
		return btf ? p->__state : BPF_CORE_READ(p, __state);
	return BPF_CORE_READ((struct task_struct___o *)p, state);
}

/* CONFIG_SCHED_INFO and no --timestamps: a constant once loaded */
static __always_inline bool have_sched_info(struct task_struct *p)
{
	return !timestamps && bpf_core_field_exists(p->sched_info.run_delay);
}

static __always_inline void comm_of(char *comm, struct task_struct *p,
				    const bool btf)
{
	int i;

	if (!btf) {
		BPF_CORE_READ_INTO((char(*)[TASK_COMM_LEN])comm, p, comm);
		return;
	}
	for (i = 0; i < TASK_COMM_LEN; i++)
		comm[i] = p->comm[i];
}

/*
 * @btf is a constant at every call site: each variant keeps only its own
 * branch (the raw one would not verify in a tp_btf program and vice versa).
 */
static __always_inline struct runq_task *task_get(struct task_struct *p,
						  bool create, const bool btf)
{
	struct runq_tid key;
	struct runq_task *t;

	if (btf)
		return bpf_task_storage_get(
			&btf__runq_task, p, 0,
			create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	key.tid = BPF_CORE_READ(p, pid);
	t = bpf_map_lookup_elem(&raw__runq_start, &key);
	if (t || !create)
		return t;
	return lookup_or_init(&raw__runq_start, &key, &zero_task);
}

/*
 * @p's state, created (*@fresh set) when there is none and the filters want
 * @p; NULL when they do not, or when the map is full (counted).
 */
static __always_inline struct runq_task *task_want(struct task_struct *p,
						   bool *fresh, const bool btf)
{
	struct runq_task *t = task_get(p, false, btf);

	if (t || !task_wanted_task(p, btf))
		return t;
	t = task_get(p, true, btf);
	if (t)
		*fresh = true;
	else
		count_drop();
	return t;
}

static __always_inline __u32 task_pid(struct task_struct *p, const bool btf)
{
	return btf ? p->pid : BPF_CORE_READ(p, pid);
}

static __always_inline struct runq_comm_val *comm_val(struct task_struct *p,
						      const bool btf)
{
	struct runq_comm_key key;

	comm_of(key.comm, p, btf);
	return lookup_or_init(&runq_comm, &key, &zero_comm_val);
}

static __always_inline void record_latency(struct task_struct *p, __u64 delta,
					   const bool btf)
{
	struct runq_key key = {};
	struct runq_val *v;

	if (per_comm)
		comm_of(key.comm, p, btf);
	if (per_cgroup)
		key.cgroup = task_cgroup_id(p);
	v = lookup_or_init(&runq_latency, &key, &zero_val);
	if (v)
		hist_add(&v->latency_ns, delta);
}

static __always_inline int on_wakeup(struct task_struct *p, const bool btf)
{
	struct runq_task *t;

	/* sched_info keeps the wait: attached only if /proc is missing */
	if (have_sched_info(p))
		return 0;
	if (!task_pid(p, btf) || !task_wanted_task(p, btf))
		return 0;
	t = task_get(p, true, btf);
	if (!t) {
		count_drop();
		return 0;
	}
	t->enq_ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void flush_oncpu(struct task_struct *p, __u64 ns,
					const bool btf)
{
	struct runq_comm_val *cv = comm_val(p, btf);

	if (cv)
		cv->oncpu_ns += ns;
}

/* With sched_info: everything from prev, see the header comment. */
static __always_inline int on_switch_out(struct task_struct *prev,
					 const bool btf)
{
	__u64 delay, runs, cpu;
	struct runq_task *t;
	bool fresh = false;
	long state;

	if (!task_pid(prev, btf))
		return 0;
	t = task_want(prev, &fresh, btf);
	if (!t)
		return 0;
	if (btf) {
		delay = prev->sched_info.run_delay;
		runs = prev->sched_info.pcount;
		cpu = prev->se.sum_exec_runtime;
	} else {
		delay = BPF_CORE_READ(prev, sched_info.run_delay);
		runs = BPF_CORE_READ(prev, sched_info.pcount);
		cpu = BPF_CORE_READ(prev, se.sum_exec_runtime);
	}
	/*
	 * New state is zero, right for a task on its first stint (its one
	 * wait and all its CPU time are this stint's); an older task's
	 * counters began before we looked: start from them.
	 */
	if (fresh && runs > 1) {
		t->run_delay = delay;
		t->pcount = runs;
		t->cpu_ns = cpu;
		return 0;
	}
	/* no arrival counted since (nothing queued it): no wait to show */
	if (runs != t->pcount)
		record_latency(prev, delay - t->run_delay, btf);
	t->run_delay = delay;
	t->pcount = runs;
	state = task_state(prev, btf);
	if (cpu - t->cpu_ns >= ONCPU_FLUSH_NS ||
	    (state & TASK_DEAD && cpu != t->cpu_ns)) {
		flush_oncpu(prev, cpu - t->cpu_ns, btf);
		t->cpu_ns = cpu;
	}
	return 0;
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev,
				     struct task_struct *next, const bool btf)
{
	bool runnable, fresh = false;
	struct runq_task *t;
	__u64 now = 0;
	long state;

	if (have_sched_info(prev))
		return on_switch_out(prev, btf);
	/* prev leaves the CPU; still runnable if preempted */
	if (task_pid(prev, btf)) {
		state = preempt ? 0 : task_state(prev, btf);
		runnable = state == 0;
		t = task_get(prev, false, btf);
		if (!t && runnable && task_wanted_task(prev, btf))
			t = task_get(prev, true, btf);
		if (t) {
			now = bpf_ktime_get_ns();
			if (t->on_ts)
				t->oncpu_ns += now - t->on_ts;
			if (t->oncpu_ns >= ONCPU_FLUSH_NS ||
			    (state & TASK_DEAD && t->oncpu_ns)) {
				flush_oncpu(prev, t->oncpu_ns, btf);
				t->oncpu_ns = 0;
			}
			t->on_ts = 0;
			t->enq_ts = runnable ? now : 0;
		}
	}

	/* next gets the CPU */
	if (!task_pid(next, btf))
		return 0;
	t = task_want(next, &fresh, btf);
	if (!t)
		return 0;
	if (!now)
		now = bpf_ktime_get_ns();
	if (t->enq_ts) {
		record_latency(next, now - t->enq_ts, btf);
		t->enq_ts = 0;
	}
	t->on_ts = now;
	return 0;
}

static __always_inline int on_migrate(struct task_struct *p, const bool btf)
{
	struct runq_comm_val *cv;

	if (!task_pid(p, btf) || !task_wanted_task(p, btf))
		return 0;
	cv = comm_val(p, btf);
	if (cv)
		cv->migrations++;
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf__sched_wakeup, struct task_struct *p)
{
	return on_wakeup(p, true);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(btf__sched_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p, true);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf__sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return on_switch(preempt, prev, next, true);
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(btf__sched_migrate_task, struct task_struct *p, int dest_cpu)
{
	return on_migrate(p, true);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw__sched_wakeup, struct task_struct *p)
{
	return on_wakeup(p, false);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(raw__sched_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p, false);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw__sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return on_switch(preempt, prev, next, false);
}

SEC("raw_tp/sched_migrate_task")
int BPF_PROG(raw__sched_migrate_task, struct task_struct *p, int dest_cpu)
{
	return on_migrate(p, false);
}
