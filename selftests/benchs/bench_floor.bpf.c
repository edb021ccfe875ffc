// SPDX-License-Identifier: GPL-2.0
/*
 * Bench-only programs: the floor each tool's hot program is measured
 * against. "e_*" do nothing, so their cost is the hook's own (trampoline,
 * perf record, uprobe trap); "c_*" add the plainest useful work, one
 * per-CPU counter, to show what a map update costs on top of the hook.
 * bench.c loads only the programs a condition names and attaches them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pinsight.h" /* __help, which maps.bpf.h uses */
#include "maps.bpf.h"
#include "thread_slot.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_cnt SEC(".maps");

/* What one tools-style map update costs: a comm-keyed per-CPU hash entry
 * found or created with lookup_or_init(), like io_comm and funclat_stats.
 */
struct comm_key {
	char comm[16];
	__u32 op;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct comm_key);
	__type(value, __u64);
} bench_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct comm_key);
	__type(value, __u64);
} bench_lru SEC(".maps");

static const __u64 zero SEC(".rodata.zero");

static __always_inline int count_by_comm(void *map)
{
	struct comm_key key = {};
	__u64 *v;

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	v = lookup_or_init(map, &key, &zero);
	if (v)
		*v += 1;
	return 0;
}

static __always_inline int count(void)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&bench_cnt, &zero);

	if (v)
		*v += 1;
	return 0;
}

/* syscalls: io's two variants */
SEC("raw_tp/sys_enter")
int e_raw_sys_enter(void *ctx) { return 0; }
SEC("raw_tp/sys_exit")
int e_raw_sys_exit(void *ctx) { return 0; }
SEC("raw_tp/sys_enter")
int c_raw_sys_enter(void *ctx) { return count(); }
SEC("raw_tp/sys_enter")
int h_raw_sys_enter(void *ctx) { return count_by_comm(&bench_hash); }
SEC("raw_tp/sys_enter")
int l_raw_sys_enter(void *ctx) { return count_by_comm(&bench_lru); }
SEC("tracepoint/syscalls/sys_enter_read")
int e_tp_enter_read(void *ctx) { return 0; }
SEC("tracepoint/syscalls/sys_exit_read")
int e_tp_exit_read(void *ctx) { return 0; }
SEC("tracepoint/syscalls/sys_enter_read")
int c_tp_enter_read(void *ctx) { return count(); }
/* io's fentry variant: the syscalls' own functions, where the kernel allows */
#define E_FENTRY(name)                                                         \
	SEC("fentry/__x64_sys_" #name)                                         \
	int e_fentry_##name(void *ctx) { return 0; }                           \
	SEC("fexit/__x64_sys_" #name)                                          \
	int e_fexit_##name(void *ctx) { return 0; }
E_FENTRY(read)
E_FENTRY(write)
E_FENTRY(pread64)
E_FENTRY(pwrite64)
E_FENTRY(readv)
E_FENTRY(writev)
/*
 * Empty programs on every tracepoint io attaches (read's are above): what
 * enabling the syscall tracepoints costs before io does any work, on the
 * traced calls and, through the syscall slow path they switch every task
 * to, on all the others.
 */
#define E_TP_SYSCALL(name)                                                     \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int e_tp_enter_##name(void *ctx) { return 0; }                         \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int e_tp_exit_##name(void *ctx) { return 0; }
E_TP_SYSCALL(write)
E_TP_SYSCALL(pread64)
E_TP_SYSCALL(pwrite64)
E_TP_SYSCALL(readv)
E_TP_SYSCALL(writev)

/* uprobes (memalloc, funclat): the target is given at attach time */
SEC("uprobe")
int e_uprobe(void *ctx) { return 0; }
SEC("uretprobe")
int e_uretprobe(void *ctx) { return 0; }
SEC("uprobe")
int c_uprobe(void *ctx) { return count(); }

/*
 * The building blocks of funclat's and io's per-call paths, each alone on
 * one uprobe (icount-events.sh's "blocks"): what each costs by itself, to
 * tell where a tool's instructions per call go.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} bench_task SEC(".maps");

__u64 bench_sink;

SEC("uprobe")
int k_ktime(void *ctx)
{
	bench_sink = bpf_ktime_get_ns();
	return 0;
}
SEC("uprobe")
int k_cookie(void *ctx)
{
	bench_sink = bpf_get_attach_cookie(ctx);
	return 0;
}
struct k_slot {
	__u64 owner;
	__u64 ts;
};
DECLARE_THREAD_SLOTS(bench_slots, struct k_slot, 4096);

/* a thread slot taken, written and given back (io, funclat) */
SEC("uprobe")
int k_slot(void *ctx)
{
	__u64 me = slot_owner(bpf_get_current_task_btf());
	struct k_slot *s = thread_slot(&bench_slots, me);

	if (s && slot_take(&s->owner, me)) {
		s->ts += 1;
		slot_release(&s->owner);
	}
	return 0;
}

SEC("uprobe")
int k_task_storage(void *ctx)
{
	__u64 *v = bpf_task_storage_get(&bench_task, bpf_get_current_task_btf(),
					0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (v)
		*v += 1;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} bench_hash8 SEC(".maps");

/* bpf_get_current_comm(): the tools read task->comm directly instead */
SEC("uprobe")
int k_comm(void *ctx)
{
	char c[16];

	bpf_get_current_comm(c, sizeof(c));
	bench_sink = c[0];
	return 0;
}

/* io_comm's and funclat_stats' lookup: a 20-byte comm+op key */
SEC("uprobe")
int k_hash20(void *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct comm_key key = {};
	__u64 *v;

	__builtin_memcpy(key.comm, t->comm, 16);
	v = bpf_map_lookup_elem(&bench_hash, &key);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&bench_hash, &key, &zero, 0);
	return 0;
}

/* the same map type with an 8-byte key: what the key's length costs */
SEC("uprobe")
int k_hash8(void *ctx)
{
	__u64 key = 1, *v = bpf_map_lookup_elem(&bench_hash8, &key);

	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&bench_hash8, &key, &zero, 0);
	return 0;
}

SEC("uprobe")
int k_counter(void *ctx) { return count(); }

/* profile */
SEC("perf_event")
int e_perf(void *ctx) { return 0; }

/*
 * What any sampler of user stacks pays beyond the hook: the kernel's
 * frame-pointer walk of the user stack (bpf_get_stack; bpftrace's ustack
 * takes the same walk through bpf_get_stackid), for the bench loop only,
 * as the tools and bpftrace sample only it in that bench.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[127]);
} bench_ustack SEC(".maps");

SEC("perf_event")
int w_perf(void *ctx)
{
	static const char want[16] = "pinsight-bench";
	char comm[16];
	__u32 zero = 0;
	void *buf;

	bpf_get_current_comm(comm, sizeof(comm));
	if (__builtin_memcmp(comm, want, sizeof(comm)))
		return 0;
	buf = bpf_map_lookup_elem(&bench_ustack, &zero);
	if (buf)
		bpf_get_stack(ctx, buf, 127 * 8, BPF_F_USER_STACK);
	return 0;
}

/* runqlat */
SEC("tp_btf/sched_switch")
int e_btf_sched_switch(void *ctx) { return 0; }
SEC("tp_btf/sched_wakeup")
int e_btf_sched_wakeup(void *ctx) { return 0; }
SEC("raw_tp/sched_switch")
int e_raw_sched_switch(void *ctx) { return 0; }
SEC("raw_tp/sched_wakeup")
int e_raw_sched_wakeup(void *ctx) { return 0; }
SEC("tp_btf/sched_switch")
int c_btf_sched_switch(void *ctx) { return count(); }

/* tcpconnlat */
SEC("tracepoint/sock/inet_sock_set_state")
int e_tp_sock_state(void *ctx) { return 0; }
SEC("tracepoint/sock/inet_sock_set_state")
int c_tp_sock_state(void *ctx) { return count(); }
SEC("tp_btf/inet_sock_set_state")
int e_btf_sock_state(void *ctx) { return 0; }

/* execmon */
SEC("tracepoint/sched/sched_process_exec")
int e_tp_exec(void *ctx) { return 0; }
SEC("tracepoint/sched/sched_process_fork")
int e_tp_fork(void *ctx) { return 0; }
SEC("tracepoint/sched/sched_process_exit")
int e_tp_exit(void *ctx) { return 0; }
