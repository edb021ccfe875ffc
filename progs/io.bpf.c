// SPDX-License-Identifier: GPL-2.0
/*
 * io: ops, bytes, errors and a latency histogram per command (io_comm), and
 * with --per-pid ops, bytes, errors per process (io_proc), for read, write,
 * pread64, pwrite64, readv and writev.
 *
 * Three attach variants, chosen at load (pinsight-load io --attach):
 *   fentry: fentry/fexit on the six syscalls' own functions (__x64_sys_read
 *        ...), the first choice where the kernel allows tracing programs:
 *        a trampoline call per hook, no perf record, and no syscall slow
 *        path for the other calls. 64-bit syscalls only (not ia32's).
 *   tp:  syscalls:sys_{enter,exit}_<op>, where fentry does not load. Fires
 *        only on the six calls, though each costs ~200 ns even when empty
 *        (the tracepoint copies every argument into a perf record first),
 *        and enabling them sends every syscall down the slow path.
 *   raw: raw_tp sys_enter/sys_exit. ~70 ns per event, but on every syscall
 *        of every process: measured, it is cheaper only on a host whose
 *        syscalls are nearly all I/O (selftests/benchs/RESULTS.md).
 *
 * The start time lives in the thread's slot in io_slots while the call is
 * in flight (thread_slot.bpf.h: an array lookup), else, when another
 * thread holds that slot, in task storage: no hash insert/delete per
 * call, and nothing to leak when a thread dies mid-call.
 *
 * Per call, the two clock reads and the io_comm lookup are most of the
 * work (selftests/benchs/RESULTS.md 2a counts each part); everything else
 * reads the task directly (tgid, comm) rather than through helpers: see
 * task_comm() in filter.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "io.h"
#include "filter.bpf.h"
#include "hist.bpf.h"
#include "maps.bpf.h"
#include "alert.bpf.h"
#include "exemplar.bpf.h"
#include "thread_slot.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Calls slower than this raise ALERT_LATENCY (--alert-latency; 0: off). */
const volatile __u64 alert_latency_ns = 0;
/*
 * io_proc too (--per-pid): a second map update per call, ~90 ns on this
 * VM, for a breakdown most hosts do not read; off by default.
 */
const volatile bool per_pid = false;

static const char io_op_names[IO_OP_NR][10] = {
	"read", "write", "pread64", "pwrite64", "readv", "writev",
};

/* program state (io_slots pins under state/): no field is a metric */
struct io_start {
	__u64 owner __internal; /* io_slots: slot_owner() of the holder */
	__u64 ts __internal; /* 0: no call in flight for this task */
	__u32 op __internal;
	__u32 pad __internal;
	/* the thread's (the slot's) last look for one (exemplar_gate) */
	__u64 exemplar_ns __internal;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct io_start);
} io_start SEC(".maps");

/* Threads in a traced call at once, for the cheap path. */
DECLARE_THREAD_SLOTS(io_slots, struct io_start, 4096);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct io_proc_key);
	__type(value, struct io_proc_val);
} io_proc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct io_comm_key);
	__type(value, struct io_comm_val);
} io_comm SEC(".maps");

DECLARE_EXEMPLARS(io_exemplars, struct io_exemplar_key);

static const struct io_proc_val zero_proc ZERO_SEC;
static const struct io_comm_val zero_comm ZERO_SEC;

static __always_inline int io_enter(enum io_op op)
{
	struct task_struct *p = bpf_get_current_task_btf();
	struct io_start *start;
	__u64 me;

	if (!task_wanted(p))
		return 0;
	me = slot_owner(p);
	start = thread_slot(&io_slots, me);
	if (!start || !slot_take(&start->owner, me))
		start = bpf_task_storage_get(&io_start, p, 0,
					     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!start) {
		count_drop();
		return 0;
	}
	start->op = op;
	start->ts = bpf_ktime_get_ns();
	return 0;
}

/*
 * Off the hot path: only calls over the threshold get here. @sp: the
 * caller's OpenTelemetry span, NULL when it published none.
 */
static __noinline void io_alert(__u32 op, __u64 delta,
				const struct otel_span *sp)
{
	struct alert *a = alert_reserve(ALERT_LATENCY);

	if (!a)
		return;
	a->value = delta;
	a->threshold = alert_latency_ns;
	if (op < IO_OP_NR)
		__builtin_memcpy(a->what, io_op_names[op],
				 sizeof(io_op_names[0]));
	if (sp)
		alert_set_span(a, sp->trace_id, sp->span_id);
	alert_submit(a);
}

static __always_inline int io_exit(long ret)
{
	struct task_struct *p = bpf_get_current_task_btf();
	/* aligned: task_comm() stores words into its series.comm */
	struct io_exemplar_key ekey __attribute__((aligned(8)));
	struct io_comm_key *ckey = &ekey.series;
	struct io_proc_key pkey;
	__u64 ts, now, delta, me = slot_owner(p);
	bool over, look, traced = false;
	struct io_start *start;
	struct io_proc_val *pv;
	struct io_comm_val *cv;
	struct otel_span sp;
	bool slot;

	start = thread_slot(&io_slots, me);
	slot = start && start->owner == me;
	/* Cheap for tasks we never saw: their task has no storage at all. */
	if (!slot)
		start = bpf_task_storage_get(&io_start, p, 0, 0);
	if (!start || !start->ts)
		return 0;
	ts = start->ts;
	start->ts = 0;
	ckey->op = start->op;
	now = bpf_ktime_get_ns();
	delta = now - ts;
	over = alert_latency_ns && delta > alert_latency_ns;
	look = over || (otel_any_proc() &&
			exemplar_gate(&start->exemplar_ns, now));
	if (slot)
		slot_release(&start->owner);

	task_comm(p, (__u64 *)ckey->comm);
	/*
	 * The thread's OpenTelemetry context, read only for a call over the
	 * threshold (its alert) or one its bucket wants as exemplar
	 * (exemplar_due()), once for both; nothing of it while no target
	 * publishes one and the call is not over.
	 */
	if (look) {
		ekey.slot = hist_slot(delta);
		traced = (over || exemplar_due(&io_exemplars, &ekey, now)) &&
			 !otel_ctx_read(&sp);
	}
	if (over)
		io_alert(ckey->op, delta, traced ? &sp : NULL);
	if (traced)
		exemplar_put(&io_exemplars, &ekey, delta, now, &sp);

	cv = lookup_or_init(&io_comm, ckey, &zero_comm);
	if (cv) {
		cv->ops++;
		if (ret < 0)
			cv->errors++;
		else
			cv->bytes += ret;
		hist_add(&cv->duration_ns, delta);
	}

	if (!per_pid)
		return 0;
	__builtin_memcpy(pkey.comm, ckey->comm, sizeof(pkey.comm));
	pkey.tgid = p->tgid;
	pkey.op = ckey->op;
	pv = lookup_or_init(&io_proc, &pkey, &zero_proc);
	if (pv) {
		pv->ops++;
		if (ret < 0)
			pv->errors++;
		else
			pv->bytes += ret;
	}
	return 0;
}

/* x86-64 syscall numbers; raw_tp sees the number, not the name. */
#if defined(__TARGET_ARCH_x86)
#define NR_read 0
#define NR_write 1
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#elif defined(__TARGET_ARCH_arm64)
#define NR_read 63
#define NR_write 64
#define NR_pread64 67
#define NR_pwrite64 68
#define NR_readv 65
#define NR_writev 66
#else
#error "io.bpf.c: syscall numbers for this architecture are missing"
#endif

/* The syscalls' own functions, for fentry: the arch's wrapper names. */
#if defined(__TARGET_ARCH_x86)
#define SYS_FUNC(name) "__x64_sys_" #name
#elif defined(__TARGET_ARCH_arm64)
#define SYS_FUNC(name) "__arm64_sys_" #name
#endif

SEC("raw_tp/sys_enter")
int BPF_PROG(raw__sys_enter, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_read: return io_enter(IO_OP_READ);
	case NR_write: return io_enter(IO_OP_WRITE);
	case NR_pread64: return io_enter(IO_OP_PREAD64);
	case NR_pwrite64: return io_enter(IO_OP_PWRITE64);
	case NR_readv: return io_enter(IO_OP_READV);
	case NR_writev: return io_enter(IO_OP_WRITEV);
	}
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw__sys_exit, struct pt_regs *regs, long ret)
{
	return io_exit(ret);
}

#define IO_TP(name, op)                                                        \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int tp__enter_##name(void *ctx)                                         \
	{                                                                      \
		return io_enter(op);                                           \
	}                                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int tp__exit_##name(struct trace_event_raw_sys_exit *ctx)               \
	{                                                                      \
		return io_exit(ctx->ret);                                      \
	}

IO_TP(read, IO_OP_READ)
IO_TP(write, IO_OP_WRITE)
IO_TP(pread64, IO_OP_PREAD64)
IO_TP(pwrite64, IO_OP_PWRITE64)
IO_TP(readv, IO_OP_READV)
IO_TP(writev, IO_OP_WRITEV)

#define IO_FENTRY(name, op)                                                    \
	SEC("fentry/" SYS_FUNC(name))                                          \
	int BPF_PROG(fentry__enter_##name)                                     \
	{                                                                      \
		return io_enter(op);                                           \
	}                                                                      \
	SEC("fexit/" SYS_FUNC(name))                                           \
	int BPF_PROG(fentry__exit_##name, const struct pt_regs *regs, long ret) \
	{                                                                      \
		return io_exit(ret);                                           \
	}

IO_FENTRY(read, IO_OP_READ)
IO_FENTRY(write, IO_OP_WRITE)
IO_FENTRY(pread64, IO_OP_PREAD64)
IO_FENTRY(pwrite64, IO_OP_PWRITE64)
IO_FENTRY(readv, IO_OP_READV)
IO_FENTRY(writev, IO_OP_WRITEV)
