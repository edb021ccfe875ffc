// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 id -> name. In cgroup v2 a cgroup's id is the inode number of
 * its directory under the cgroup2 mount, and also its kernfs file handle:
 * open_by_handle_at() opens the directory by id and /proc/self/fd names
 * its path, a few microseconds per id, and an id that is gone fails with
 * ESTALE. That needs CAP_DAC_READ_SEARCH, which a --group reader lacks;
 * it walks the tree instead (stat of every directory: ~20 us per cgroup),
 * cached, and walks again for an id it does not know (a cgroup created
 * since) at most once a second, so a scrape of many dead ids stays cheap.
 */
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "grow.h"
#include "log.h"

/* Far beyond a Kubernetes node's cgroups; bounds a walk's time. */
#define MAX_CGROUPS 65536
#define REWALK_NS   1000000000ULL
#define MAX_DEPTH   64 /* systemd and Kubernetes nest 4-6 deep */

struct cg_ent {
	__u64 id;
	char *path; /* under the mount: "/system.slice/nginx.service" */
};

/* Ids resolved by handle, sorted; path NULL: gone (ids are never reused). */
static struct {
	struct cg_ent *e;
	size_t n, cap;
	bool tried; /* mount_fd was opened (or failed to be) */
	int mount_fd; /* the cgroup2 mount; -1: handles do not work here */
} memo;

/* Ids found by walking the tree (when handles are refused), sorted. */
static struct {
	struct cg_ent *e;
	size_t n, cap;
	char root[PATH_MAX];
	size_t root_len;
	unsigned long long walked_ns; /* 0: never */
} cache;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int pm_cgroup2_root(char *buf, size_t sz)
{
	char dir[PATH_MAX], type[64];
	int err = -ENOENT;
	FILE *f = fopen("/proc/self/mounts", "r");

	if (!f)
		return -errno;
	while (fscanf(f, "%*s %4095s %63s %*[^\n]", dir, type) == 2)
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, sz, "%s", dir);
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

static int add_ent(__u64 id, const char *rel)
{
	if (pm_grow(&cache.e, &cache.cap, cache.n + 1, sizeof(*cache.e), 256))
		return -ENOMEM;
	cache.e[cache.n].id = id;
	cache.e[cache.n].path = strdup(*rel ? rel : "/");
	if (!cache.e[cache.n].path)
		return -ENOMEM;
	cache.n++;
	return 0;
}

/*
 * Add directory @dfd (path @rel under the mount) and the ones below it.
 * Only directories are stat'ed: each cgroup holds dozens of control files,
 * and nftw()'s stat of every one made a walk of 2000 cgroups take 0.2 s.
 */
static int walk_dir(int dfd, char *rel, size_t len, int depth)
{
	struct dirent *de;
	struct stat st;
	size_t n;
	DIR *d;
	int fd, err;

	if (fstat(dfd, &st)) {
		close(dfd);
		return -errno;
	}
	err = add_ent(st.st_ino, rel);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err ?: -errno;
	}
	while (!err && depth < MAX_DEPTH && (de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, ".."))
			continue;
		if (cache.n >= MAX_CGROUPS)
			break; /* the rest stay "cgroup:<id>" */
		n = strlen(de->d_name);
		if (len + 1 + n >= PATH_MAX)
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone since readdir, or not ours to read */
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, n + 1);
		err = walk_dir(fd, rel, len + 1 + n, depth + 1);
		rel[len] = '\0';
	}
	closedir(d);
	return err;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct cg_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void walk(void)
{
	char rel[PATH_MAX];
	size_t i;
	int fd, err;

	for (i = 0; i < cache.n; i++)
		free(cache.e[i].path);
	cache.n = 0;
	cache.walked_ns = now_ns();
	if (!cache.root[0]) {
		err = pm_cgroup2_root(cache.root, sizeof(cache.root));
		if (err) {
			p_debug("cgroup: no cgroup2 mount: ids stay numbers");
			return;
		}
		cache.root_len = strlen(cache.root);
	}
	fd = open(cache.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rel[0] = '\0';
	err = fd < 0 ? -errno : walk_dir(fd, rel, 0, 0);
	if (err)
		p_debug("cgroup: %s: walk failed: %s", cache.root,
			strerror(-err));
	qsort(cache.e, cache.n, sizeof(*cache.e), cmp_ent);
}

static const char *lookup(__u64 id)
{
	struct cg_ent k = { .id = id }, *e;

	e = cache.n ? bsearch(&k, cache.e, cache.n, sizeof(k), cmp_ent) : NULL;
	return e ? e->path : NULL;
}

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * A container id in the last path component: "<64hex>" (cgroupfs driver:
 * /docker/<id>, /kubepods/burstable/pod<uid>/<id>) or "<runtime>-<64hex>.scope"
 * (systemd driver: docker-, cri-containerd-, crio-, libpod-).
 */
static const char *container_id(const char *comp)
{
	size_t n = strlen(comp);
	const char *dash;

	if (n == 64 && all_hex(comp, 64))
		return comp;
	if (n < 6 + 64 || strcmp(comp + n - 6, ".scope"))
		return NULL;
	dash = comp + n - 6 - 64 - 1;
	if (*dash != '-' || !all_hex(dash + 1, 64))
		return NULL;
	return dash + 1;
}

static bool is_unit(const char *comp)
{
	static const char *const suffixes[] = { ".service", ".scope", ".slice",
						".socket",  ".mount", ".swap" };
	size_t n = strlen(comp), k, i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		k = strlen(suffixes[i]);
		if (n > k && !strcmp(comp + n - k, suffixes[i]))
			return true;
	}
	return false;
}

void pm_cgroup_path_name(const char *path, char *buf, size_t sz)
{
	const char *comp = strrchr(path, '/'), *cid;

	comp = comp ? comp + 1 : path;
	cid = container_id(comp);
	if (cid)
		snprintf(buf, sz, "%.12s", cid);
	else if (is_unit(comp))
		snprintf(buf, sz, "%s", comp);
	else
		snprintf(buf, sz, "%s", path);
}

/* FILEID_KERNFS (include/linux/exportfs.h): the handle is the 64-bit id. */
#define FILEID_KERNFS 0xfe

/*
 * @id's path under the mount through its file handle: 0 and *path (NULL
 * if the cgroup is gone), or -errno when handles cannot be used here.
 */
static int by_handle(__u64 id, char **path)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh = { .handle_bytes = sizeof(__u64),
			.handle_type = FILEID_KERNFS } };
	char link[64], target[PATH_MAX];
	ssize_t n;
	int fd;

	if (!memo.tried) {
		memo.tried = true;
		memo.mount_fd = -1;
		if (!pm_cgroup2_root(cache.root, sizeof(cache.root))) {
			cache.root_len = strlen(cache.root);
			memo.mount_fd = open(
				cache.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
	}
	if (memo.mount_fd < 0)
		return -EOPNOTSUPP;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(memo.mount_fd, &h.fh,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*path = NULL;
		return errno == ESTALE || errno == ENOENT ? 0 : -errno;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	close(fd);
	/* a cgroup outside our view of the mount (another namespace's) */
	if (n < (ssize_t)cache.root_len ||
	    strncmp(target, cache.root, cache.root_len))
		return -ENOENT;
	target[n] = '\0';
	*path = strdup(target[cache.root_len] ? target + cache.root_len : "/");
	return *path ? 0 : -ENOMEM;
}

static int memo_add(__u64 id, char *path)
{
	size_t i;

	if (pm_grow(&memo.e, &memo.cap, memo.n + 1, sizeof(*memo.e), 64))
		return -ENOMEM;
	for (i = memo.n; i && memo.e[i - 1].id > id; i--)
		;
	memmove(&memo.e[i + 1], &memo.e[i], (memo.n - i) * sizeof(*memo.e));
	memo.e[i] = (struct cg_ent){ .id = id, .path = path };
	memo.n++;
	return 0;
}

/* @id's path, or NULL when the cgroup is gone or cannot be found. */
static const char *resolve(__u64 id)
{
	struct cg_ent k = { .id = id }, *e;
	const char *path;
	char *p;
	int err;

	e = memo.n ? bsearch(&k, memo.e, memo.n, sizeof(k), cmp_ent) : NULL;
	if (e)
		return e->path;
	if (!memo.tried || memo.mount_fd >= 0) {
		err = by_handle(id, &p);
		if (!err) {
			if (memo_add(id, p)) {
				free(p);
				return NULL;
			}
			return p;
		}
		if (err == -ENOENT)
			return NULL; /* outside our view: a walk misses it too
				      */
		if (memo.mount_fd >= 0) {
			/* EPERM without CAP_DAC_READ_SEARCH: walk instead */
			p_debug("cgroup: open_by_handle_at: %s: walking %s instead",
				strerror(-err), cache.root);
			close(memo.mount_fd);
			memo.mount_fd = -1;
		}
	}
	if (!cache.walked_ns)
		walk();
	path = lookup(id);
	if (!path && now_ns() - cache.walked_ns >= REWALK_NS) {
		walk();
		path = lookup(id);
	}
	return path;
}

void pm_cgroup_name(__u64 id, char *buf, size_t sz)
{
	const char *path;

	if (!id) {
		snprintf(buf, sz, "%s", "");
		return;
	}
	path = resolve(id);
	if (path)
		pm_cgroup_path_name(path, buf, sz);
	else
		snprintf(buf, sz, "cgroup:%llu", (unsigned long long)id);
}
