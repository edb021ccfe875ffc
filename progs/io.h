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

/* Per process: exact counts. Keyed by tgid so a thread pool sums up. */
struct io_key {
	char comm[TASK_COMM_LEN];
	__u32 tgid;
	enum io_op op;
};

struct io_stats {
	__u64 ops;
	__u64 bytes; /* from return values, so short reads count as done */
	__u64 errors; /* calls that returned a negative errno */
};

/* Per command: latency. No tgid in the key keeps this map small. */
struct io_lat_key {
	char comm[TASK_COMM_LEN];
	enum io_op op;
};

struct io_lat {
	struct hist duration_ns;
};

#endif /* __IO_H */
