/* SPDX-License-Identifier: GPL-2.0 */
/* memalloc: allocator accounting. Shared by memalloc.bpf.c, readers, tests. */
#ifndef __MEMALLOC_H
#define __MEMALLOC_H

#include "pinsight.h"

/* Allocator images probed at most, and their names' room in .rodata. */
#define MEMALLOC_MAX_LIBS 4
#define MEMALLOC_LIB_LEN  128

enum memalloc_fn {
	MEMALLOC_MALLOC,
	MEMALLOC_CALLOC,
	MEMALLOC_REALLOC,
	MEMALLOC_FREE,
	MEMALLOC_ALIGNED_ALLOC,
	MEMALLOC_POSIX_MEMALIGN,
	MEMALLOC_MEMALIGN,
	MEMALLOC_FN_NR,
};

/*
 * Two ways to count. By default (heap mode) the kernel's own count of a
 * process's private writable memory (mm->data_vm, /proc/PID/status VmData)
 * is read where it can change: the brk, mmap, munmap, mprotect and mremap
 * syscalls, through tracepoints the process passes anyway. No uprobe, so
 * no trap per call: outstanding bytes are the growth of VmData since the
 * process was first seen, allocated_bytes/freed_bytes what it grew and
 * shrank by, allocs and frees stay 0, and memalloc_stacks holds the bytes
 * grown at each stack (where the heap grew, never taken back). --calls
 * (per-call mode) probes the allocator's functions: every call counted,
 * outstanding bytes of live allocations, leak stacks; each call then
 * costs traps into the kernel.
 *
 * memalloc_comm: per command, never evicted: the Prometheus series.
 * Frees count against the command that made the allocation, so
 * outstanding_bytes = allocated_bytes - freed_bytes per command even when
 * another thread frees. Shared (not per-CPU) because the growth check
 * needs the current total: counters are updated atomically.
 */
struct memalloc_comm_key {
	char comm[TASK_COMM_LEN];
};

struct memalloc_comm_val {
	__u64 allocs; /* malloc, calloc, realloc, aligned_alloc, ... */
	__u64 frees; /* of allocations seen (made while attached) */
	__u64 allocated_bytes;
	__u64 freed_bytes;
	__u64 mmaps; /* anonymous mmap() outside the allocator */
	__u64 munmaps;
	/* of processes alive now: an exit releases its process's share */
	__s64 outstanding_bytes __gauge __metric("ebpf_alloc_bytes");
	/* outstanding bytes released by the exit of their process */
	__u64 exited_bytes;
	/* outstanding growth over the last growth window, bytes per hour */
	__s64 growth_bytes_per_hour __gauge;
	__u64 window_start_ns __internal;
	__s64 window_start_bytes __internal;
	__u64 checked_jiffies __internal; /* when growth was last looked at */
};

/* memalloc_thread: per thread (LRU); exported only with --per-pid. */
struct memalloc_thread_key {
	char comm[TASK_COMM_LEN];
	__u32 tgid;
	__u32 tid;
};

struct memalloc_thread_val {
	__u64 allocs __metric("ebpf_memalloc_thread_allocs");
	__u64 frees __metric("ebpf_memalloc_thread_frees");
	__u64 allocated_bytes __metric("ebpf_memalloc_thread_allocated_bytes");
	__u64 freed_bytes __metric("ebpf_memalloc_thread_freed_bytes");
};

/*
 * memalloc_stacks: outstanding bytes by process and allocation stack
 * (frames in the "stacks" map, progs/stacks.h): the leak candidates.
 */
struct memalloc_stack_key {
	__u64 tgid; /* 64 bits: a key without padding to zero */
	__u64 stack_id __stack("stacks");
};

struct memalloc_stack_val {
	__s64 outstanding_bytes __gauge __metric("ebpf_memalloc_stack_bytes");
	__s64 outstanding_allocs __gauge __metric("ebpf_memalloc_stack_allocs");
};

/*
 * memalloc_proc: outstanding bytes per process and command, for its exit
 * to take back from memalloc_comm (and for `show`: which process holds
 * a command's bytes). @start is the process's start time, folded to 32
 * bits (memalloc_start()): a reused pid is another process.
 */
struct memalloc_proc_key {
	__u32 tgid;
	__u32 start;
	char comm[TASK_COMM_LEN];
};

struct memalloc_proc_val {
	__s64 outstanding_bytes __gauge __metric("ebpf_memalloc_proc_bytes");
	/* heap mode: the process's data bytes (VmData) when last seen */
	__s64 data_bytes __gauge __internal;
};

/*
 * allocs: one entry per live allocation, for frees to find. Entries of
 * a process that exited are left for `pinsight-load refresh` to drop
 * (their tgid and start have no memalloc_proc row any more); no later
 * process matches them, as its start differs.
 */
struct memalloc_addr {
	__u32 tgid;
	__u32 start;
	__u64 addr;
};

struct memalloc_rec {
	__u64 size;
	__u64 stack_id;
	char comm[TASK_COMM_LEN];
	__u32 flags; /* 1: an mmap() */
	__u32 pad;
};

#endif /* __MEMALLOC_H */
