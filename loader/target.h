/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target selection shared by the tools that filter tasks other than the
 * current one (progs/task_filter.bpf.h): --cgroup, and seeding a map of
 * target processes with the ones that exist at load.
 */
#ifndef __LOADER_TARGET_H
#define __LOADER_TARGET_H

#include <stdbool.h>
#include <sys/types.h>
#include "tools.h"

/*
 * Set targ_cgid/targ_cglevel from a cgroup v2 directory. -ENOENT (no such
 * directory), -EINVAL (not on cgroup2), with the message printed.
 */
int target_cgroup(struct load_ctx *ctx, const char *path);

/* Called for each process found; nonzero stops the walk. */
typedef int (*target_fn)(pid_t tgid, void *data);

/* @pid and all its descendants (from /proc/<pid>/task/<tid>/children). */
int target_walk_tree(pid_t pid, target_fn fn, void *data);
/* Every process whose comm is @comm. */
int target_walk_comm(const char *comm, target_fn fn, void *data);
bool target_comm_is(int pid, const char *comm);
/* Every process in the cgroup v2 directory @path or below it. */
int target_walk_cgroup(const char *path, target_fn fn, void *data);

#endif /* __LOADER_TARGET_H */
