/* SPDX-License-Identifier: GPL-2.0 */
/* io: read/write syscall accounting. Shared by io.bpf.c and the tests. */
#ifndef __IO_H
#define __IO_H

#include "pinsight.h"

enum io_op {
	IO_OP_READ,
	IO_OP_WRITE,
	IO_OP_PREAD64,
	IO_OP_PWRITE64,
	IO_OP_READV,
	IO_OP_WRITEV,
	IO_OP_NR,
};

/*
 * io_proc: per process (LRU: dead processes make room for new ones). Keyed
 * by tgid so a thread pool sums up; filled only when loaded with --per-pid,
 * exported only by `pinsight metrics --per-pid`.
 */
struct io_proc_key {
	char comm[TASK_COMM_LEN];
	__u32 tgid;
	enum io_op op;
};

struct io_proc_val {
	__u64 ops __metric("ebpf_io_process_ops")
		__help("Read/write system calls completed by the process");
	__u64 bytes __metric("ebpf_io_process_bytes")
		__help("Bytes the process's read/write calls returned");
	__u64 errors __metric("ebpf_io_process_errors")
		__help("Read/write calls of the process that returned an error");
};

/* io_comm: per command, never evicted: the Prometheus series. */
struct io_comm_key {
	char comm[TASK_COMM_LEN];
	enum io_op op;
};

struct io_comm_val {
	__u64 ops __help("Read/write system calls completed");
	/* from return values, so short reads count as done */
	__u64 bytes __help("Bytes read/write calls returned (short reads as done)");
	/* calls that returned a negative errno */
	__u64 errors __help("Read/write calls that returned an error");
	struct hist duration_ns
		__help("Time from entry to return of a read/write call")
		__exemplars("io_exemplars");
};

/*
 * io_exemplars: per io_comm series and duration bucket, the last call made
 * under an OpenTelemetry context (progs/exemplar.bpf.h).
 */
struct io_exemplar_key {
	struct io_comm_key series;
	__u32 slot;
};

#endif /* __IO_H */
