// SPDX-License-Identifier: GPL-2.0
/*
 * profile: a perf_event program the loader attaches to one sampling event
 * per CPU (cpu-clock at 99 Hz by default, so samples never beat with
 * 100 Hz timers; cycles with --hw). Each sample counts once per thread and
 * stack, with user and kernel stacks stored by stacks.bpf.h, which loses
 * nothing silently. The idle task (pid 0) is skipped unless --idle.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "profile.h"
#include "filter.bpf.h"
#include "maps.bpf.h"
#include "stacks.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Read by the loader's attach hook; here so that readers see them. */
const volatile __u32 sample_freq = 99;
const volatile bool use_hw = false;
const volatile bool targ_idle = false;
const volatile __u64 targ_cgroup = 0;
/* User frames as plain addresses: cheaper, but unresolvable after exit. */
const volatile bool ip_stacks = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* allocated on insert, as "stacks" (stacks.bpf.h says why) */
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct profile_key);
	__type(value, struct profile_val);
} profile_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct profile_comm_key);
	__type(value, struct profile_comm_val);
} profile_comm SEC(".maps");

static const struct profile_val zero_val ZERO_SEC;
static const struct profile_comm_val zero_comm ZERO_SEC;

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct profile_comm_val *cv;
	struct profile_key key = {};
	struct profile_val *v;
	__u32 flags = STACK_F_USER | STACK_F_KERNEL;
	bool in_kernel;

	if (!(__u32)id && !targ_idle)
		return 0;
	if (targ_cgroup && bpf_get_current_cgroup_id() != targ_cgroup)
		return 0;
	if (!task_wanted(bpf_get_current_task_btf()))
		return 0;
	if (!ip_stacks)
		flags |= STACK_F_BUILD_ID;
	/* Kernel addresses are the upper half on x86-64 and arm64. */
	in_kernel = (long)PT_REGS_IP(&ctx->regs) < 0;
	if (!in_kernel)
		flags |= STACK_F_USER_MODE; /* no kernel stack to walk */

	key.tgid = id >> 32;
	key.pid = (__u32)id;
	current_comm(key.comm);
	key.stack_id = stack_capture(ctx, flags);
	v = lookup_or_init(&profile_counts, &key, &zero_val);
	if (v)
		__sync_fetch_and_add(&v->samples, 1);

	cv = lookup_or_init(&profile_comm, key.comm, &zero_comm);
	if (cv) {
		cv->samples++;
		if (in_kernel)
			cv->kernel_samples++;
	}
	return 0;
}
