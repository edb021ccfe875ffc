// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "log.h"
#include "pin_layout.h"
#include "rodata.h"
#include "target.h"

/* cgroup2's root directory is kernfs node 1 */
#define CGROUP_ROOT_INO 1

int target_cgroup(struct load_ctx *ctx, const char *path)
{
	char dir[PATH_MAX], val[32], why[128];
	unsigned int level = 0;
	struct statfs sfs;
	struct stat st;
	__u64 id;
	int err;

	if (!realpath(path, dir) || stat(dir, &st)) {
		p_err("%s: --cgroup %s: %s", ctx->inst, path, strerror(errno));
		return -ENOENT;
	}
	if (statfs(dir, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC ||
	    !S_ISDIR(st.st_mode)) {
		p_err("%s: --cgroup %s: not a cgroup v2 directory", ctx->inst,
		      path);
		return -EINVAL;
	}
	/* A cgroup v2 id is its directory's inode number (kernfs node id). */
	id = st.st_ino;
	/* Its level: how many directories below the root it lies. */
	while (st.st_ino != CGROUP_ROOT_INO) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir || level > 255) {
			p_err("%s: --cgroup %s: cannot find the cgroup2 root",
			      ctx->inst, path);
			return -EINVAL;
		}
		*slash = '\0';
		if (stat(dir, &st))
			return -errno;
		level++;
	}
	snprintf(val, sizeof(val), "%llu", (unsigned long long)id);
	err = rodata_set(ctx->obj, "targ_cgid", val, why, sizeof(why));
	snprintf(val, sizeof(val), "%u", level);
	if (!err)
		err = rodata_set(ctx->obj, "targ_cglevel", val, why,
				 sizeof(why));
	if (err)
		p_err("%s: --cgroup: %s", ctx->inst, why);
	return err;
}

static int walk_children(pid_t pid, target_fn fn, void *data, int depth)
{
	char path[320], buf[4096], *p, *end;
	struct dirent *de;
	int err = 0;
	DIR *d;

	err = fn(pid, data);
	if (err || depth > 64)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0; /* gone meanwhile */
	while (!err && (de = readdir(d))) {
		FILE *f;
		size_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		for (p = buf; !err && *p; p = end) {
			long child = strtol(p, &end, 10);

			if (end == p)
				break;
			err = walk_children(child, fn, data, depth + 1);
		}
	}
	closedir(d);
	return err;
}

int target_walk_tree(pid_t pid, target_fn fn, void *data)
{
	return walk_children(pid, fn, data, 0);
}

int target_walk_comm(const char *comm, target_fn fn, void *data)
{
	char path[64], buf[32];
	struct dirent *de;
	int err = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		pid_t pid = atoi(de->d_name);
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (!strcmp(buf, comm))
				err = fn(pid, data);
		}
		fclose(f);
	}
	closedir(d);
	return err;
}

int target_walk_cgroup(const char *path, target_fn fn, void *data)
{
	char sub[PATH_MAX];
	struct dirent *de;
	int err = 0;
	FILE *f;
	DIR *d;

	if (path_fmt(sub, sizeof(sub), "%s/cgroup.procs", path))
		return -ENAMETOOLONG;
	f = fopen(sub, "r");
	if (!f)
		return -errno;
	while (!err && fgets(sub, sizeof(sub), f))
		err = fn(atoi(sub), data);
	fclose(f);
	d = opendir(path);
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (!path_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name))
			err = target_walk_cgroup(sub, fn, data);
	}
	closedir(d);
	return err;
}

/* The process's comm is @comm (the kernel keeps 15 characters). */
bool target_comm_is(int pid, const char *comm)
{
	char path[64], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	/* the kernel keeps 15 characters of a comm */
	return !strncmp(buf, comm, 15);
}
