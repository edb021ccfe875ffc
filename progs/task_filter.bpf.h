/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target filters for a task other than the current one (the task woken up
 * or switched in, the child of a fork): the tgid and comm filters of
 * filter.bpf.h, plus a cgroup v2 filter (the cgroup and its descendants).
 * Needs vmlinux.h. The loader sets targ_cgid/targ_cglevel from --cgroup.
 */
#ifndef __TASK_FILTER_BPF_H
#define __TASK_FILTER_BPF_H

#include <bpf/bpf_core_read.h>
#include "filter.bpf.h"

const volatile __u64 targ_cgid = 0; /* 0: no cgroup filter */
const volatile __u32 targ_cglevel = 0; /* its depth below the root */

/* Kernels before 6.1 keep ancestor ids, not pointers. */
struct cgroup___old {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

static __always_inline __u64 task_cgroup_id(struct task_struct *p)
{
	return BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id);
}

/* Whether @p is in the target cgroup or below it. */
static __always_inline bool task_in_cgroup(struct task_struct *p)
{
	struct cgroup *cg = BPF_CORE_READ(p, cgroups, dfl_cgrp);
	__u32 lvl = targ_cglevel & 0xff;
	struct cgroup *anc = NULL;
	__u64 id = 0;

	if (!cg || BPF_CORE_READ(cg, level) < (int)lvl)
		return false;
	if (bpf_core_field_exists(cg->ancestors)) {
		bpf_probe_read_kernel(
			&anc, sizeof(anc),
			(void *)cg + bpf_core_field_offset(cg->ancestors) +
				lvl * sizeof(anc));
		id = BPF_CORE_READ(anc, kn, id);
	} else {
		struct cgroup___old *old = (void *)cg;

		bpf_probe_read_kernel(
			&id, sizeof(id),
			(void *)old + bpf_core_field_offset(old->ancestor_ids) +
				lvl * sizeof(id));
	}
	return id == targ_cgid;
}

/*
 * Whether @p is a target: --pid (its tgid), --comm, --cgroup. @btf says
 * that @p is a trusted BTF pointer (tp_btf arguments, bpf_get_current_
 * task_btf()): then fields are read with plain loads, not helper calls,
 * which matters on hot paths such as sched_switch. It must be a constant.
 */
static __always_inline bool task_wanted_task(struct task_struct *p,
					     const bool btf)
{
	__u64 comm[2];

	if (lifetime_over())
		return false;
	if (targ_tgid &&
	    ((btf ? p->tgid : BPF_CORE_READ(p, tgid)) != (int)targ_tgid ||
	     !target_start_is(btf ? p->group_leader->start_boottime :
				    BPF_CORE_READ(p, group_leader,
						  start_boottime))))
		return false;
	if (targ_comm[0] && btf) {
		task_comm(p, comm);
		if (!comm_is_target(comm))
			return false;
	} else if (targ_comm[0]) {
		BPF_CORE_READ_INTO(&comm, p, comm);
		if (!comm_padded)
			comm_words(comm[0], comm[1], comm);
		if (!comm_is_target(comm))
			return false;
	}
	if (targ_cgid && !task_in_cgroup(p))
		return false;
	return true;
}

#endif /* __TASK_FILTER_BPF_H */
