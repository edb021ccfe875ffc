/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An instance's lifetime without a daemon: --pid checked to be a process
 * (not a thread) and told from a later one with its pid by its start
 * time; --duration as a deadline the programs honour; a program on the
 * target's exit that marks the instance finished (progs/filter.bpf.h,
 * maps/lifetime); `unload --finished` to remove finished and expired
 * instances.
 */
#ifndef __LOADER_LIFETIME_H
#define __LOADER_LIFETIME_H

#include "instance.h"
#include "tools.h"

/* The program on the target's exit (filter.bpf.h). */
#define LIFETIME_PROG "pinsight_target_exit"

/*
 * Before load: check --pid, set the target's start and --duration's
 * deadline in .rodata, and choose whether the exit program and the
 * lifetime map exist. 0 or -errno after printing why (-EINVAL: a usage
 * error, -ESRCH: no such process).
 */
int lifetime_configure(struct load_ctx *ctx, const struct load_req *req);
/*
 * After the tool's own attach: fill maps/lifetime, attach and pin the exit
 * program, and mark the instance finished at once if the target exited
 * during the load. 0 or -errno.
 */
int lifetime_attach(struct load_ctx *ctx, const struct load_req *req);
/* Remove every finished or expired instance: 0 or the first -errno. */
int lifetime_reap(void);

#endif /* __LOADER_LIFETIME_H */
