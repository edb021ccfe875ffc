// SPDX-License-Identifier: GPL-2.0
/*
 * An instance's pins: the directory tree a load builds (maps, the btf pin,
 * --group ownership), the pin root's lock, and removing a tree only when
 * it is pinsight's (PIN-LAYOUT.md). instance.c runs the transactions that
 * use these; link pins are made through hook_api.c.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "mounts.h"
#include "pin_layout.h"
#include "pins.h"
#include "tools.h"

#define PBTF_MAGIC 0x46544250 /* "PBTF", see PIN-LAYOUT.md */

bool map_wanted(const struct bpf_map *map)
{
	const char *sec = strrchr(bpf_map__name(map), '.');

	if (!bpf_map__autocreate(map))
		return false; /* another attach variant's */
	/* Of the internal maps, readers want the config and the counters. */
	if (bpf_map__is_internal(map))
		return sec && (!strcmp(sec, ".rodata") || !strcmp(sec, ".bss") ||
			       !strcmp(sec, ".data"));
	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_TASK_STORAGE:
	case BPF_MAP_TYPE_INODE_STORAGE:
	case BPF_MAP_TYPE_SK_STORAGE:
	case BPF_MAP_TYPE_PROG_ARRAY:
		return false; /* kernel-side state, nothing to read */
	default:
		return true;
	}
}

/* Internal maps ("io_bpf.rodata") pin by section name without the dot. */
const char *map_pin_name(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

	if (bpf_map__is_internal(map) && strrchr(name, '.'))
		return strrchr(name, '.') + 1;
	return name;
}

int pin_maps(struct load_ctx *ctx)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, ctx->obj) {
		if (!map_wanted(map))
			continue;
		/* state no reader wants (unwind rows) stays out of maps/ */
		err = path_fmt(path, sizeof(path), "%s/%s/%s", ctx->dir,
			       pin_is_state(bpf_map__name(map)) ?
				       PIN_STATE_DIR :
				       "maps",
			       map_pin_name(map));
		if (!err)
			err = bpf_obj_pin(bpf_map__fd(map), path);
		if (err) {
			err = err < 0 ? err : -errno;
			p_err("%s: cannot pin map %s: %s", ctx->inst,
			      map_pin_name(map), strerror(-err));
			return err;
		}
	}
	return 0;
}

/* A frozen array map with the object's BTF, for unprivileged readers. */
int pin_btf(struct load_ctx *ctx)
{
	const struct btf *btf = bpf_object__btf(ctx->obj);
	char path[PATH_MAX];
	__u32 sz, key = 0;
	const void *raw;
	__u32 *val = NULL;
	int fd = -1, err;

	raw = btf ? btf__raw_data(btf, &sz) : NULL;
	if (!raw) {
		p_err("%s: the BPF object has no BTF", ctx->inst);
		return -ENOENT;
	}
	val = calloc(1, 8 + sz + 8);
	if (!val)
		return -ENOMEM;
	val[0] = PBTF_MAGIC;
	val[1] = sz;
	memcpy(val + 2, raw, sz);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pinsight_btf", 4,
			    (8 + sz + 7) & ~7U, 1, NULL);
	if (fd < 0) {
		err = fd;
		goto cleanup;
	}
	err = bpf_map_update_elem(fd, &key, val, 0);
	if (!err)
		err = bpf_map_freeze(fd);
	if (!err)
		err = path_fmt(path, sizeof(path), "%s/%s", ctx->dir,
			       PIN_BTF_NAME);
	if (!err)
		err = bpf_obj_pin(fd, path);
cleanup:
	if (err)
		p_err("%s: cannot pin its BTF: %s", ctx->inst, strerror(-err));
	if (fd >= 0)
		close(fd);
	free(val);
	return err;
}

/* --group NAME or GID. */
int group_id(const char *inst, const char *name, gid_t *gid)
{
	struct group *gr;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && !errno && n < (gid_t)-1) {
		*gid = n;
		return 0;
	}
	gr = getgrnam(name);
	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	p_err("%s: --group %s: no such group", inst, name);
	return -ENOENT;
}

/*
 * --group: the group may read every pin and search every directory of the
 * instance, never write: bpffs checks these modes on BPF_OBJ_GET, readers
 * ask for BPF_F_RDONLY, and links (which the kernel opens only read-write)
 * stay out of the group's reach, so it cannot detach them.
 */
int grant_group(const char *path, gid_t gid)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int err = 0;
	DIR *d;

	if (lstat(path, &st) || chown(path, -1, gid) ||
	    chmod(path, S_ISDIR(st.st_mode) ? 0750 : 0640))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return 0;
	d = opendir(path);
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		err = path_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (!err)
			err = grant_group(sub, gid);
	}
	closedir(d);
	return err;
}

/*
 * Group readers must also list the pin root and pass the bpffs directories
 * above it (/sys/fs/bpf is usually mounted 0700): the root goes to the
 * group (the last --group wins), those above get search-only permission
 * for others, which lists nothing.
 */
int open_root_to_group(gid_t gid)
{
	char path[PATH_MAX], *p;
	struct statfs sfs;
	struct stat st;

	if (chown(pin_root(), -1, gid) || chmod(pin_root(), 0750))
		return -errno;
	if (path_fmt(path, sizeof(path), "%s", pin_root()))
		return -ENAMETOOLONG;
	for (p = dirname(path); strcmp(p, "/") && strcmp(p, ".");
	     p = dirname(p)) {
		if (statfs(p, &sfs) || (unsigned long)sfs.f_type != BPF_FS_MAGIC)
			break;
		if (stat(p, &st))
			return -errno;
		if (st.st_mode & S_IXOTH)
			continue;
		if (chmod(p, (st.st_mode & 07777) | S_IXOTH))
			return -errno;
		p_info("%s: made searchable (o+x) for --group readers", p);
	}
	return 0;
}

int make_dirs(const char *dir)
{
	char sub[PATH_MAX];

	if (mkdir(dir, 0700))
		return -errno;
	if (path_fmt(sub, sizeof(sub), "%s/links", dir) || mkdir(sub, 0700))
		return -errno;
	if (path_fmt(sub, sizeof(sub), "%s/maps", dir) || mkdir(sub, 0700))
		return -errno;
	if (path_fmt(sub, sizeof(sub), "%s/" PIN_STATE_DIR, dir) ||
	    mkdir(sub, 0700))
		return -errno;
	return 0;
}

/* Undo an instance's link-less attachments (see struct tool's detach). */
int detach_tree(const char *inst, const char *dir)
{
	const struct tool *t;
	char tool[65];

	if (!inst_tool(inst, tool, sizeof(tool)) && (t = tool_find(tool)) &&
	    t->detach)
		return t->detach(dir);
	return 0;
}

/* Remove an instance tree, detaching first, as far as either goes. */
int remove_tree(const char *inst, const char *dir)
{
	detach_tree(inst, dir);
	return rm_tree(dir);
}

/* Under the lock, any temporary is a dead loader's: finish its work. */
static void clean_stale(void)
{
	char path[PATH_MAX], inst[80];
	struct dirent *de;
	DIR *d;

	d = opendir(pin_root());
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *dash;

		if (strncmp(de->d_name, PIN_TMP_PREFIX, strlen(PIN_TMP_PREFIX)))
			continue;
		snprintf(inst, sizeof(inst), "%s",
			 de->d_name + strlen(PIN_TMP_PREFIX));
		dash = strrchr(inst, '-');
		if (dash)
			*dash = '\0';
		if (path_fmt(path, sizeof(path), "%s/%s", pin_root(),
			     de->d_name))
			continue;
		p_debug("removing stale %s", path);
		remove_tree(inst, path);
	}
	closedir(d);
}

int lock_root(void)
{
	int fd, err;

	if (geteuid() != 0) {
		p_err("%s: root is needed to load and pin BPF programs",
		      pin_root());
		return -EPERM;
	}
	/*
	 * -EINVAL: a pin root setting that is no path to use; any other
	 * failure to mount or make the root is the documented exit 5.
	 */
	err = ensure_mounts();
	if (err)
		return err == -EINVAL ? err : -EPERM;
	fd = pin_root_lock();
	if (fd < 0) {
		p_err("%s: cannot lock the pin root: %s", pin_root(),
		      strerror(-fd));
		return -EPERM;
	}
	clean_stale();
	return fd;
}

/*
 * Refuse to remove or replace what pinsight does not make: the instance is
 * a directory holding links/ and maps/ (directories of pins) and btf.
 */
int check_ours(const char *inst, const char *path, int depth)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int err = 0;
	DIR *d;

	d = opendir(path);
	if (!d) {
		err = -errno;
		if (err == -ENOTDIR)
			p_err("%s: %s is not a directory, so not made by pinsight; not touching it",
			      inst, path);
		else
			p_err("%s: %s: %s", inst, path, strerror(-err));
		return err == -ENOTDIR ? -EBADMSG : err;
	}
	while (!err && (de = readdir(d))) {
		bool dir_ok, file_ok;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		err = path_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (err || lstat(sub, &st)) {
			err = err ?: -errno;
			break;
		}
		dir_ok = !depth && (!strcmp(de->d_name, "links") ||
				    !strcmp(de->d_name, "maps") ||
				    !strcmp(de->d_name, PIN_STATE_DIR));
		file_ok = depth || !strcmp(de->d_name, PIN_BTF_NAME);
		if (S_ISDIR(st.st_mode) && dir_ok) {
			err = check_ours(inst, sub, depth + 1);
			continue;
		}
		if (S_ISREG(st.st_mode) && file_ok)
			continue;
		p_err("%s: %s was not made by pinsight; not removing it", inst,
		      sub);
		err = -EBADMSG;
	}
	closedir(d);
	return err;
}
