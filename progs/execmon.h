/* SPDX-License-Identifier: GPL-2.0 */
/* execmon: exec/fork/exit of a target, with alerts. Shared with the tests. */
#ifndef __EXECMON_H
#define __EXECMON_H

#include "pinsight.h"

#define EXEC_PATH_LEN  128
#define EXEC_ARGS_LEN  256
#define EXEC_ALLOW_MAX 32 /* paths in --allow */
#define EXEC_ALLOW_LEN 1024 /* --allow as given, shown as config */

/*
 * exec_log: the last EXEC_LOG_LEN execs by targets, a ring in an array:
 * exec number n goes to slot n % max_entries, overwriting the oldest. An
 * array slot is written in place, where an LRU hash insert takes a bucket
 * lock and a free-list pop, and costs nothing to evict. Unused slots are
 * all zero (readers skip them). A reader may see a slot half overwritten
 * by a new exec: ts_ns then disagrees with the rest, rarely enough for a
 * log. Records hold pid and strings, no measurement: shown by
 * `pinsight show`, not exported.
 */
#define EXEC_LOG_LEN 1024

/* Attributes, not measurements: __internal keeps them out of metrics. */
struct exec_rec {
	__u64 ts_ns __internal; /* CLOCK_BOOTTIME */
	__u32 pid __internal; /* tgid of the process that exec'd */
	__u32 cpu __internal;
	__u32 ppid __internal;
	__u32 uid __internal;
	__u32 gid __internal;
	__u32 euid __internal;
	__u32 alerted __internal; /* 1: not on the allowlist */
	char comm[TASK_COMM_LEN]; /* after the exec */
	char filename[EXEC_PATH_LEN]; /* as passed to execve */
	/*
	 * argv as the process has it, NUL-separated, cut at EXEC_ARGS_LEN - 1
	 * bytes and ended by two NULs; readers join the arguments with spaces
	 * (an empty argument ends the list early).
	 */
	char args[EXEC_ARGS_LEN] __fmt_argv;
};

/*
 * targets: the processes watched, with the credentials last seen. Every
 * fork, exec and exit on the host looks a tgid up there, so its size
 * matters: up to 2048 entries the bucket array (16 bytes a bucket) fits
 * one 32 KiB kmalloc block, while a bigger one is vmalloc'd page by page,
 * and in a VM the TLB misses on it cost ~150 ns per lookup (measured:
 * an exec by a non-target 460 -> 310 ns, a fork by a target 500 -> 350).
 * With a filter 2048 target processes is plenty; with none every process
 * is one, and the loader sizes it for a whole host.
 */
#define EXEC_TARGETS_FILTERED 2048
#define EXEC_TARGETS_ALL      8192
struct target_key {
	__u32 tgid;
};

struct target_val {
	__u32 uid __internal;
	__u32 euid __internal;
	__u32 gid __internal;
	__u32 egid __internal;
	__u64 execs __metric("ebpf_execmon_process_execs")
		__help("Execs by the target process");
};

/*
 * target_bins: the executables targets run, by inode, watched for writes.
 * dev is the kernel's encoding (major << 20 | minor). The value holds no
 * number, so readers show it but export nothing.
 */
#define EXEC_NAME_LEN 32

struct bin_key {
	__u64 dev;
	__u64 ino;
};

struct bin_val {
	char name[EXEC_NAME_LEN]; /* the file's name (last path component) */
};

/* FNV-1a, 64 bit: how --allow paths reach BPF (see execmon.bpf.c). */
#define EXEC_FNV_OFFSET 0xcbf29ce484222325ULL
#define EXEC_FNV_PRIME	0x100000001b3ULL

#endif /* __EXECMON_H */
