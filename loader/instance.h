/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_INSTANCE_H
#define __LOADER_INSTANCE_H

#include <stdbool.h>
#include "tools.h"

struct load_req {
	const struct tool *tool;
	const char *inst;
	const char *variant; /* --attach; NULL: first that loads */
	const char *pid;
	const char *comm;
	const char *duration; /* --duration: stop counting, then reap */
	const char *vals[MAX_TOOL_OPTS];
	bool replace;
	/* --group: pins readable by this group (name or gid); NULL: root only */
	const char *group;
	/* --max-entries MAP=N, in the order given */
	const char *max_entries[MAX_TOOL_OPTS];
	int nr_max_entries;
	/*
	 * Check only (--config FILE check): open and configure the object
	 * as a load would, refusing what a load refuses before the kernel
	 * sees it; load, lock and pin nothing.
	 */
	bool check;
};

/*
 * Each returns 0 or -errno after printing what failed, the errno chosen so
 * that exit_code_for() gives the documented exit code (a kernel's EINVAL
 * at load is returned as -EIO: a failure, not a usage error). They take
 * the pin root lock themselves.
 */
int instance_load(const struct load_req *req);
int instance_unload(const char *inst);
int instance_unload_all(void);
/*
 * Unload every instance whose --pid target exited or whose --duration
 * ran out (lifetime_read.h); nothing else. 0 or the first -errno.
 */
int instance_unload_finished(void);
/* Each instance's tool->refresh hook, under the pin root lock. */
int instance_refresh_all(void);
/*
 * Open and load @t with the options of @opts (NULL: defaults), attach
 * nothing, pin nothing: which attach variant would this kernel take?
 * 0 and *variant, or -errno.
 */
int tool_probe(const struct tool *t, const struct load_req *opts,
	       const char **variant);

#endif /* __LOADER_INSTANCE_H */
