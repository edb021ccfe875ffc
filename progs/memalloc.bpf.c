// SPDX-License-Identifier: GPL-2.0
/*
 * memalloc: outstanding bytes per command and process, by stack, the
 * growth rate of outstanding bytes and an alert when it passes a
 * threshold, counted one of two ways (memalloc.h). Heap mode, the
 * default, is heap_change alone, on the syscalls that change VmData. With
 * --calls: allocations, frees and outstanding bytes per command and per
 * thread, outstanding bytes per allocation stack (leak candidates); the
 * loader attaches the uprobes to the allocators (--lib, or those the
 * target maps, or libc), each entry program with the function's enum
 * memalloc_fn as its cookie; anonymous mmap/munmap outside the allocator
 * come from syscall tracepoints. The rest of this comment is that mode.
 *
 * The allocator calls itself (glibc's realloc(NULL, n) calls malloc,
 * aligned_alloc may call malloc, realloc(p, 0) calls free): only the
 * outermost allocating call of a thread is counted, so each allocation
 * counts once; a free counts wherever it happens, since it removes the
 * block from allocs and nothing can free it twice.
 *
 * A process's exit takes its outstanding bytes back from memalloc_comm
 * (into exited_bytes) and drops its leak candidates: memory of a process
 * that is gone is neither outstanding nor a leak, and a service that
 * restarts would otherwise look like one that grows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "memalloc.h"
#include "alert.bpf.h"
#include "filter.bpf.h"
#include "maps.bpf.h"
#include "stacks.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MAP_ANONYMOUS_ 0x20
#define PAGE_SHIFT_    12 /* x86_64, the one __TARGET_ARCH built */

/* --growth-threshold (bytes per hour; 0: no alert), --growth-window */
const volatile __u64 growth_threshold = 1ULL << 30;
const volatile __u64 growth_window_ns = 60ULL * 1000000000;
const volatile bool no_stacks = false; /* --no-stacks */
/* --calls: probe the allocator's calls (progs/memalloc.h: two ways) */
const volatile bool calls = false;
/* The allocator images probed, as the loader chose them: for readers. */
const volatile char alloc_libs[MEMALLOC_MAX_LIBS][MEMALLOC_LIB_LEN] = {};
/*
 * Which allocations get their stack captured: a user stack walk costs
 * about twice the rest of the accounting, so by default a sample does,
 * while every count and byte total stays exact (memalloc_stacks alone is
 * sampled). --stack-bytes B: an allocation of s bytes is captured with
 * probability min(1, s/B), so every allocation of B bytes or more is, and
 * it stands for max(s, B) bytes and max(1, B/s) allocations in
 * memalloc_stacks: unbiased estimates of each stack's outstanding bytes
 * (the heap-profile sampling of tcmalloc, jemalloc and Go, by Bernoulli
 * trial rather than by interval, so no state is kept). 0: every one.
 * --stack-every N instead: one allocation in N at random, standing for N
 * (1: every one).
 */
const volatile __u32 stack_bytes = 512 * 1024;
const volatile __u32 stack_every = 0;

/* What an allocator call's entry leaves for its return. */
struct memalloc_call {
	__u64 size;
	__u64 old; /* realloc's pointer */
	__u64 memptr; /* posix_memalign's void ** */
	__u64 mmap_len; /* between sys_enter_mmap and sys_exit_mmap */
	__u64 stack_id; /* exit_mmap's, see there */
	__u32 fn;
	__u32 depth; /* allocator calls in progress: 1 = outermost */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct memalloc_call);
} memalloc_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct memalloc_addr);
	__type(value, struct memalloc_rec);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct memalloc_comm_key);
	__type(value, struct memalloc_comm_val);
} memalloc_comm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct memalloc_thread_key);
	__type(value, struct memalloc_thread_val);
} memalloc_thread SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct memalloc_stack_key);
	__type(value, struct memalloc_stack_val);
} memalloc_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct memalloc_proc_key);
	__type(value, struct memalloc_proc_val);
} memalloc_proc SEC(".maps");

static const struct memalloc_comm_val zero_comm ZERO_SEC;
static const struct memalloc_proc_val zero_proc ZERO_SEC;
static const struct memalloc_thread_val zero_thread ZERO_SEC;
static const struct memalloc_stack_val zero_stack ZERO_SEC;

#define REC_MMAP 1

static __always_inline struct memalloc_call *call_state(bool create)
{
	return bpf_task_storage_get(
		&memalloc_calls, bpf_get_current_task_btf(), 0,
		create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/*
 * Growth over the last window, checked on allocations only (frees cannot
 * make memory grow). The CPU that moves window_start_ns on computes it.
 * The clock is read at most once per jiffy and command: reading it on
 * every allocation cost ~60 ns (7 % of the accounting) on this VM, and a
 * window now ends at most a jiffy late.
 */
static __always_inline void growth_check(struct memalloc_comm_val *v,
					 __s64 outstanding, const char *comm)
{
	__u64 now, start, ms, rate, j = bpf_jiffies64();
	__s64 prev, delta;
	struct alert *a;

	if (v->checked_jiffies == j)
		return;
	v->checked_jiffies = j;
	now = bpf_ktime_get_ns();
	start = v->window_start_ns;
	if (start && now - start < growth_window_ns)
		return;
	if (__sync_val_compare_and_swap(&v->window_start_ns, start, now) !=
	    start)
		return;
	prev = v->window_start_bytes;
	v->window_start_bytes = outstanding;
	ms = (now - start) / 1000000;
	if (!start || !ms)
		return;
	delta = outstanding - prev;
	/* unsigned division: signed division needs BPF v4 (6.6+) */
	rate = (delta < 0 ? -delta : delta) * 3600000ULL / ms;
	v->growth_bytes_per_hour = delta < 0 ? -(__s64)rate : (__s64)rate;
	if (delta <= 0 || !growth_threshold || rate <= growth_threshold)
		return;
	a = alert_reserve(ALERT_MEM_GROWTH);
	if (!a)
		return;
	a->value = rate;
	a->threshold = growth_threshold;
	__builtin_memcpy(a->what, comm, TASK_COMM_LEN);
	alert_submit(a);
}

static __always_inline void thread_add(__u64 id, const char *comm, bool alloc,
				       __u64 size)
{
	struct memalloc_thread_key tk = { .tgid = id >> 32, .tid = (__u32)id };
	struct memalloc_thread_val *tv;

	__builtin_memcpy(tk.comm, comm, TASK_COMM_LEN);
	tv = lookup_or_init(&memalloc_thread, &tk, &zero_thread);
	if (!tv)
		return;
	if (alloc) {
		tv->allocs++;
		tv->allocated_bytes += size;
	} else {
		tv->frees++;
		tv->freed_bytes += size;
	}
}

/* Whether to capture the stack of an allocation of @size bytes. */
static __always_inline bool stack_wanted(__u64 size)
{
	if (no_stacks)
		return false;
	if (stack_every)
		return stack_every == 1 ||
		       !(bpf_get_prandom_u32() % stack_every);
	if (!stack_bytes || size >= stack_bytes)
		return true;
	return bpf_get_prandom_u32() % stack_bytes < size;
}

/*
 * Add (@sign 1) or take back (-1) what a captured allocation of @size
 * bytes stands for: the same on both sides, so a stack whose allocations
 * are all freed is back at zero.
 */
static __always_inline void stack_add(__u32 tgid, __u64 stack_id, __u64 size,
				      __s64 sign)
{
	struct memalloc_stack_key sk = { .tgid = tgid, .stack_id = stack_id };
	struct memalloc_stack_val *sv;
	__u64 bytes = size, n = 1;

	if (!stack_id)
		return;
	if (stack_every > 1) {
		bytes = size * stack_every;
		n = stack_every;
	} else if (!stack_every && size < stack_bytes) {
		/* captured with probability size/stack_bytes (size > 0) */
		bytes = stack_bytes;
		n = size ? (stack_bytes + size / 2) / size : 1;
	}
	sv = lookup_or_init(&memalloc_stacks, &sk, &zero_stack);
	if (!sv)
		return;
	__sync_fetch_and_add(&sv->outstanding_bytes, sign * (__s64)bytes);
	__sync_fetch_and_add(&sv->outstanding_allocs, sign * (__s64)n);
}

/*
 * The uretprobe's stack capture as a global function: the verifier checks
 * a global function once, on its own, where the inlined capture was
 * checked again on each path alloc_return takes to it (realloc,
 * posix_memalign, the others): ~20 ms more CPU per load here, and
 * 0.3-1.4 s of wall time on a busy 2-CPU VM (15-90 ms now). exit_mmap
 * keeps it inline: before 6.7 a tracepoint program cannot pass its
 * context to a global function.
 */
__noinline __u64 memalloc_ustack(bpf_user_pt_regs_t *ctx)
{
	return stack_capture(ctx, STACK_F_USER);
}

/*
 * The start time of @p's process, folded to 32 bits: with the tgid, it
 * tells a process from a later one that reuses its pid.
 */
static __always_inline __u32 memalloc_start(const struct task_struct *p)
{
	__u64 t = p->group_leader->start_time;

	return t ^ (t >> 32);
}

/* @stack_id: the allocation's stack, or 0 */
static __always_inline void record(__u64 ptr, __u64 size, __u32 flags,
				   __u64 stack_id)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct memalloc_addr key = {
		.tgid = id >> 32,
		.start = memalloc_start(bpf_get_current_task_btf()),
		.addr = ptr,
	};
	struct memalloc_rec rec = { .size = size,
				    .stack_id = stack_id,
				    .flags = flags };
	struct memalloc_proc_key pk = { .tgid = key.tgid, .start = key.start };
	struct memalloc_comm_val *cv;
	struct memalloc_proc_val *pv;
	__s64 out;

	current_comm(rec.comm);
	/*
	 * The process's row first: refresh drops an allocs entry that has
	 * none, so it must exist before the entry does. Without it or the
	 * entry, not counted: neither an exit nor a free could take it back.
	 */
	__builtin_memcpy(pk.comm, rec.comm, TASK_COMM_LEN);
	pv = lookup_or_init(&memalloc_proc, &pk, &zero_proc);
	if (!pv)
		return;
	if (bpf_map_update_elem(&allocs, &key, &rec, BPF_ANY)) {
		count_drop();
		return;
	}
	__sync_fetch_and_add(&pv->outstanding_bytes, size);
	cv = lookup_or_init(&memalloc_comm, rec.comm, &zero_comm);
	if (cv) {
		__sync_fetch_and_add(
			flags & REC_MMAP ? &cv->mmaps : &cv->allocs, 1);
		__sync_fetch_and_add(&cv->allocated_bytes, size);
		out = __sync_fetch_and_add(&cv->outstanding_bytes, size) + size;
		growth_check(cv, out, rec.comm);
	}
	if (!(flags & REC_MMAP))
		thread_add(id, rec.comm, true, size);
	stack_add(key.tgid, rec.stack_id, size, 1);
}

static __always_inline void forget(__u64 ptr, bool munmap)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct memalloc_addr key = {
		.tgid = id >> 32,
		.start = memalloc_start(bpf_get_current_task_btf()),
		.addr = ptr,
	};
	struct memalloc_proc_key pk = { .tgid = key.tgid, .start = key.start };
	struct memalloc_comm_val *cv;
	struct memalloc_proc_val *pv;
	struct memalloc_rec *r, rec;
	char comm[TASK_COMM_LEN];

	r = bpf_map_lookup_elem(&allocs, &key);
	if (!r || (munmap && !(r->flags & REC_MMAP)))
		return;
	rec = *r;
	/* two threads freeing one pointer: only one gets to count it */
	if (bpf_map_delete_elem(&allocs, &key))
		return;
	/* against the allocating command: its outstanding bytes go down */
	cv = lookup_or_init(&memalloc_comm, rec.comm, &zero_comm);
	if (cv) {
		__sync_fetch_and_add(munmap ? &cv->munmaps : &cv->frees, 1);
		__sync_fetch_and_add(&cv->freed_bytes, rec.size);
		__sync_fetch_and_add(&cv->outstanding_bytes, -rec.size);
	}
	__builtin_memcpy(pk.comm, rec.comm, TASK_COMM_LEN);
	pv = bpf_map_lookup_elem(&memalloc_proc, &pk);
	if (pv)
		__sync_fetch_and_add(&pv->outstanding_bytes, -rec.size);
	if (!munmap) {
		current_comm(comm);
		thread_add(id, comm, false, rec.size);
	}
	stack_add(key.tgid, rec.stack_id, rec.size, -1);
}

static __always_inline int enter(__u32 fn, __u64 size, __u64 old, __u64 memptr)
{
	struct memalloc_call *c;

	if (!task_wanted(bpf_get_current_task_btf()))
		return 0;
	c = call_state(true);
	if (!c) {
		count_drop();
		return 0;
	}
	if (c->depth++)
		return 0; /* the allocator calling itself */
	c->fn = fn;
	c->size = size;
	c->old = old;
	c->memptr = memptr;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size)
{
	return enter(MEMALLOC_MALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 n, __u64 size)
{
	return enter(MEMALLOC_CALLOC, n * size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 ptr, __u64 size)
{
	return enter(MEMALLOC_REALLOC, size, ptr, 0);
}

/* aligned_alloc(align, size), memalign(align, size) */
SEC("uprobe")
int BPF_KPROBE(memalign_enter, __u64 align, __u64 size)
{
	return enter(MEMALLOC_ALIGNED_ALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 memptr, __u64 align, __u64 size)
{
	return enter(MEMALLOC_POSIX_MEMALIGN, size, 0, memptr);
}

/* One return program for all: the entry left the function's kind. */
SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	struct memalloc_call *c = call_state(false);
	__u64 ptr = ret;

	if (!c || !c->depth || --c->depth)
		return 0;
	switch (c->fn) {
	case MEMALLOC_REALLOC:
		/* realloc(p, 0) frees p; a failed realloc leaves p alone */
		if (c->old && (ret || !c->size))
			forget(c->old, false);
		break;
	case MEMALLOC_POSIX_MEMALIGN:
		ptr = 0;
		if ((int)ret == 0 &&
		    bpf_probe_read_user(&ptr, sizeof(ptr), (void *)c->memptr))
			ptr = 0;
		break;
	}
	if (ptr)
		record(ptr, c->size, 0,
		       stack_wanted(c->size) ? memalloc_ustack(ctx) : 0);
	return 0;
}

/*
 * Frees inside the allocator's own calls (realloc(p, 0) calling free(p))
 * are counted here too, with no per-thread state to look up: the pointer
 * is gone from allocs afterwards, so the outer call's forget() finds
 * nothing and each block is still freed once.
 */
SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	if (lifetime_over())
		return 0;
	if (ptr)
		forget(ptr, false);
	return 0;
}

/* Anonymous mappings made by the program itself, not by the allocator. */
SEC("tracepoint/syscalls/sys_enter_mmap")
int enter_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct memalloc_call *c;

	if (!(ctx->args[3] & MAP_ANONYMOUS_) ||
	    !task_wanted(bpf_get_current_task_btf()))
		return 0;
	c = call_state(true);
	if (c && !c->depth)
		c->mmap_len = ctx->args[1];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	struct memalloc_call *c = call_state(false);
	__u64 len, stack_id;
	long ret = ctx->ret;

	if (!c || !c->mmap_len)
		return 0;
	len = c->mmap_len;
	c->mmap_len = 0;
	if ((unsigned long)ret >= -4095UL)
		return 0;
	/*
	 * Through memory: read back, the id is one unknown value for the
	 * verifier whichever of the capture's many exits it came from, so it
	 * checks record() once rather than once per exit.
	 */
	c->stack_id = stack_wanted(len) ? stack_capture(ctx, STACK_F_USER) : 0;
	stack_id = c->stack_id;
	record(ret, len, REC_MMAP, stack_id);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	/*
	 * Every process's munmap comes here: with --pid, others have no
	 * entries in allocs (keyed by tgid), so skip the lookup. With --comm
	 * a thread of another name may unmap the target's mapping: look.
	 */
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	if (lifetime_over())
		return 0;
	forget(ctx->args[0], true);
	return 0;
}

/*
 * Heap mode: the bytes a growth at one stack stands for, as a call of its
 * own so that the verifier checks it once, not once for each of the stack
 * capture's exits.
 */
__noinline int heap_stack_add(__u32 tgid, __u64 stack_id, __u64 bytes)
{
	stack_add(tgid, stack_id, bytes, 1);
	return 0;
}

/*
 * Heap mode, on entry to and exit from brk, mmap, munmap, mprotect and
 * mremap (one program, attached to each: the sys_enter and sys_exit
 * records are not read). VmData is compared with what the process had
 * when last seen: the entry of a process's first such call sets where it
 * starts, so its growth in that very call counts; other entries find no
 * change unless another thread's call raced this one (the exchange gives
 * each change to one of them). The process's own name (its leader's)
 * keys the rows: VmData is the process's, whichever thread moved it.
 */
SEC("tracepoint/syscalls/sys_exit_brk")
int heap_change(void *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct memalloc_proc_key pk = {};
	struct memalloc_comm_val *cv;
	struct memalloc_proc_val *pv;
	__s64 data, old, delta, out;
	__u64 comm[2];

	if (!task_wanted(t) || !t->mm)
		return 0;
	data = (__s64)(t->mm->data_vm << PAGE_SHIFT_);
	pk.tgid = t->tgid;
	pk.start = memalloc_start(t);
	task_comm(t->group_leader, comm);
	__builtin_memcpy(pk.comm, comm, TASK_COMM_LEN);
	pv = lookup_or_init(&memalloc_proc, &pk, &zero_proc);
	if (!pv)
		return 0;
	old = __sync_lock_test_and_set(&pv->data_bytes, data);
	if (!old || old == data)
		return 0; /* first seen: where its growth starts */
	delta = data - old;
	__sync_fetch_and_add(&pv->outstanding_bytes, delta);
	cv = lookup_or_init(&memalloc_comm, pk.comm, &zero_comm);
	if (!cv)
		return 0;
	if (delta < 0) {
		__sync_fetch_and_add(&cv->freed_bytes, -delta);
		__sync_fetch_and_add(&cv->outstanding_bytes, delta);
		return 0;
	}
	__sync_fetch_and_add(&cv->allocated_bytes, delta);
	out = __sync_fetch_and_add(&cv->outstanding_bytes, delta) + delta;
	growth_check(cv, out, pk.comm);
	if (stack_wanted(delta))
		heap_stack_add(pk.tgid, stack_capture(ctx, STACK_F_USER),
			       delta);
	return 0;
}

struct exit_ctx {
	__u32 tgid;
	__u32 start;
	bool found;
};

/* for_each callback: release one of the exiting process's rows */
static long release_proc(struct bpf_map *map, struct memalloc_proc_key *k,
			 struct memalloc_proc_val *v, struct exit_ctx *x)
{
	struct memalloc_comm_key ck;
	struct memalloc_comm_val *cv;
	__s64 bytes = v->outstanding_bytes;

	if (k->tgid != x->tgid || k->start != x->start)
		return 0;
	x->found = true;
	__builtin_memcpy(ck.comm, k->comm, TASK_COMM_LEN);
	/* deleted first: one exit event takes the bytes back, once */
	if (bpf_map_delete_elem(map, k))
		return 0;
	cv = bpf_map_lookup_elem(&memalloc_comm, &ck);
	if (cv && bytes > 0) {
		__sync_fetch_and_add(&cv->outstanding_bytes, -bytes);
		__sync_fetch_and_add(&cv->exited_bytes, bytes);
	}
	return 0;
}

/* for_each callback: drop one of the exiting process's stack rows */
static long drop_stack(struct bpf_map *map, struct memalloc_stack_key *k,
		       struct memalloc_stack_val *v, struct exit_ctx *x)
{
	if (k->tgid == x->tgid)
		bpf_map_delete_elem(map, k);
	return 0;
}

/*
 * The last thread of a process exits (signal->live is 0 by then): its
 * live allocations are gone with its address space. Both walks are over
 * maps bounded by their max_entries, and the second runs only for a
 * process that allocated while traced; the start in the key keeps a
 * later process with the same pid out of it. --comm is not checked:
 * the last thread may have another name than the ones that allocated.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(memalloc_exit, struct task_struct *p)
{
	struct exit_ctx x = { .tgid = p->tgid };

	if (p->signal->live.counter)
		return 0;
	if (targ_tgid && p->tgid != (int)targ_tgid)
		return 0;
	x.start = memalloc_start(p);
	bpf_for_each_map_elem(&memalloc_proc, release_proc, &x, 0);
	if (x.found)
		bpf_for_each_map_elem(&memalloc_stacks, drop_stack, &x, 0);
	return 0;
}
