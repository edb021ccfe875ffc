/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Alerts: threshold breaches and anomalies. Every tool that raises them
 * includes alert.bpf.h, which gives it a pinned ring buffer "alerts" (for
 * `pinsight alerts --follow`) and pinned counters "alert_counts" (so a
 * Prometheus scrape sees alerts nobody followed). One layout for all tools:
 * the reader decodes alerts without per-tool code.
 */
#ifndef __ALERT_H
#define __ALERT_H

#include "pinsight.h"

enum alert_kind {
	ALERT_LATENCY = 1, /* value: latency ns, threshold: ns */
	ALERT_MEM_GROWTH, /* value: bytes per hour, threshold: bytes/h */
	ALERT_EXEC, /* an exec not on the allowlist; what: filename */
	ALERT_SETUID, /* uid/gid change; value: new uid, threshold: old */
	ALERT_PTRACE, /* ptrace attach to a target; ids: the tracer's;
		       * value: the target pid */
	ALERT_BINARY_WRITE, /* write to the target's own binary; what: path;
			     * value: inode, 0 if refused (ETXTBSY) */
	ALERT_KIND_NR,
};

#define ALERT_WHAT_LEN 64

struct alert {
	__u64 ts_ns; /* CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) */
	__u64 value;
	__u64 threshold;
	enum alert_kind kind;
	__u32 tgid;
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	char comm[TASK_COMM_LEN];
	char what[ALERT_WHAT_LEN]; /* function, filename, ... */
	/*
	 * The OpenTelemetry trace and span the slow call belonged to, when
	 * its thread published a valid context (OTEP 4947); all zero when
	 * not, or for kinds that are not about a call.
	 */
	__u8 trace_id[16] __fmt_hex;
	__u8 span_id[8] __fmt_hex;
};

struct alert_key {
	enum alert_kind kind;
};

struct alert_count {
	/* raised, whether or not the ring buffer took them */
	__u64 alerts __help("Alerts raised, whether or not the ring buffer had room");
};

#endif /* __ALERT_H */
