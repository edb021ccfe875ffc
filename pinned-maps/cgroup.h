/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup v2 ids as the names people know: systemd units, container ids. */
#ifndef __PM_CGROUP_H
#define __PM_CGROUP_H

#include <stddef.h>
#include <linux/types.h>

/*
 * The label of cgroup v2 id @id (pinsight:fmt=cgroup, PIN-LAYOUT.md):
 * the container id (12 hex digits, as `docker ps` shows it) of a
 * container's cgroup, the unit name of a systemd unit's, else the path
 * under the cgroup2 mount; "cgroup:<id>" for a cgroup that is gone, ""
 * for id 0 (the tool was not keyed by cgroup).
 */
void pm_cgroup_name(__u64 id, char *buf, size_t sz);
/* Only the naming rule, for a path under the cgroup2 mount ("/a/b"). */
void pm_cgroup_path_name(const char *path, char *buf, size_t sz);
/*
 * The cgroup2 mount point (/sys/fs/cgroup, or .../unified on a hybrid
 * host) into @buf: 0, or -ENOENT when none is mounted.
 */
int pm_cgroup2_root(char *buf, size_t sz);

#endif /* __PM_CGROUP_H */
