/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf_event attachment for tools whose programs run on perf events
 * (profile, hwcount): one event per online CPU, each with the program
 * attached through a bpf_link pinned as links/<prog>-<cpu>
 * (bpffs refuses dots in names).
 */
#ifndef __LOADER_ATTACH_PERF_H
#define __LOADER_ATTACH_PERF_H

#include <stdbool.h>
#include <linux/perf_event.h>
#include "tools.h"

/*
 * Open @attr on every online CPU (all tasks) and attach @prog to each.
 * Errors name the event (@what, e.g. "cpu-clock") and the CPU; ENOENT or
 * EOPNOTSUPP from the kernel (no such event here) come back as
 * -EOPNOTSUPP, which the loader reports as "unsupported" (exit 7).
 */
int attach_perf_all_cpus(struct load_ctx *ctx, struct bpf_program *prog,
			 struct perf_event_attr *attr, const char *what);

/*
 * Whether this machine can count hardware event @config
 * (PERF_COUNT_HW_*): 0, or -errno from a trial perf_event_open on CPU 0.
 */
int perf_hw_probe(__u64 config);

#endif /* __LOADER_ATTACH_PERF_H */
