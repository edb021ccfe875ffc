/* SPDX-License-Identifier: GPL-2.0 */
/* runqlat: run-queue latency, migrations, on-CPU time. Shared with tests. */
#ifndef __RUNQLAT_H
#define __RUNQLAT_H

#include "pinsight.h"

/* Keyed by what --per-comm/--per-cgroup ask for; the rest stays zero. */
struct runq_key {
	char comm[TASK_COMM_LEN];
	/* cgroup v2 id (the directory's inode number) */
	__u64 cgroup __fmt_cgroup;
};

struct runq_val {
	/* wakeup (or preemption) to on-CPU */
	struct hist latency_ns
		__help("Time a task waited on a run queue, from wakeup or preemption to running");
};

struct runq_comm_key {
	char comm[TASK_COMM_LEN];
};

struct runq_comm_val {
	/* sched_migrate_task */
	__u64 migrations __help("Moves of the command's tasks to another CPU");
	/* time on CPU, added per 10 ms a task gathers and at exit */
	__u64 oncpu_ns __help("Time the command's tasks ran on a CPU");
};

#endif /* __RUNQLAT_H */
