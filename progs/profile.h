/* SPDX-License-Identifier: GPL-2.0 */
/* profile: CPU samples by process, thread and stack. Shared with readers. */
#ifndef __PROFILE_H
#define __PROFILE_H

#include "pinsight.h"
#include "stacks.h"

/*
 * profile_counts: samples per thread and stack (the stack's frames are in
 * the "stacks" map under stack_id; 0 means they could not be stored, which
 * is also counted in drops, so totals stay right).
 */
struct profile_key {
	__u32 tgid;
	__u32 pid;
	char comm[TASK_COMM_LEN];
	__u64 stack_id __pinsight_tag("pinsight:fmt=hex");
	/* cgroup v2 id, so a window's pprof can label container/unit */
	__u64 cgroup __pinsight_tag("pinsight:fmt=cgroup");
	/* the window (struct profile_window.epoch) the samples fell in;
	 * 64 bits so that the key has no padding (and no "pad" label) */
	__u64 epoch;
};

struct profile_val {
	__u64 samples __metric("ebpf_profile_thread_samples")
		__help("CPU samples of the thread in this stack");
};

/*
 * profile_traces: the samples of profile_counts whose thread had an
 * OpenTelemetry span active (progs/otel_ctx.bpf.h), beside them: the
 * same thread, stack and window, and the trace and span id. A sample
 * counts in profile_counts either way; rows here are capped by the map's
 * size (--traces), and a sample that finds it full keeps no ids and is
 * counted in trace_drops.
 */
struct profile_trace_key {
	__u32 tgid;
	__u32 pid;
	__u64 stack_id __pinsight_tag("pinsight:fmt=hex");
	__u64 epoch;
	__u8 trace_id[16] __pinsight_tag("pinsight:fmt=hex");
	__u8 span_id[8] __pinsight_tag("pinsight:fmt=hex");
};

/*
 * profile_window: one entry, mmapable, that `pinsight profile --drain`
 * flips to start a new window without stopping the sampling. The samples
 * of one run of do_sample go to the epoch it read; inflight[] counts the
 * runs under way per epoch parity, so a drainer that has moved epoch on
 * knows when no sample can still land in the old one (do_sample counts
 * itself in, then reads epoch again: with both sides' atomics being full
 * barriers, either it sees the new epoch or the drainer sees it in
 * flight). samples[] is the BPF side's own total per window, the check on
 * what a drain reads back; start_ns[] (CLOCK_REALTIME) and drops_start[]
 * are written by the drainer when the window starts.
 */
struct profile_window {
	__u32 epoch __internal;
	__u32 pad __internal;
	__u64 inflight[2] __internal;
	__u64 samples[2] __internal;
	__u64 start_ns[2] __internal;
	__u64 drops_start[2] __internal;
};

/* profile_comm: samples per command, never evicted: the Prometheus series. */
struct profile_comm_key {
	char comm[TASK_COMM_LEN];
};

struct profile_comm_val {
	__u64 samples __help("CPU samples taken while the command ran");
	/* taken while in the kernel */
	__u64 kernel_samples __help("CPU samples taken while the command ran in the kernel");
};

#endif /* __PROFILE_H */
