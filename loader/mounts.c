// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "log.h"
#include "mounts.h"
#include "pin_layout.h"

static int mount_if_missing(const char *dir, const char *fstype,
			    unsigned long magic, const char *data)
{
	struct statfs st;

	if (!statfs(dir, &st) && (unsigned long)st.f_type == magic)
		return 0;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		p_err("%s: cannot create mount point: %s", dir, strerror(errno));
		return -errno;
	}
	if (mount(fstype, dir, fstype, 0, data)) {
		int err = -errno;

		p_err("%s: cannot mount %s: %s", dir, fstype, strerror(errno));
		return err;
	}
	p_debug("mounted %s on %s", fstype, dir);
	return 0;
}

/*
 * The pin root must be absolute: a relative one would name another place
 * for every working directory the loader and the readers run in. Its
 * nearest existing ancestor must be on bpffs; what is missing below that
 * is created (0700, like the root itself), so a root several levels deep
 * works as the top one does, and a failure names the directory.
 */
static int ensure_root_dirs(const char *root)
{
	char path[PATH_MAX], *slash;
	struct statfs st;
	size_t have;
	int err;

	if (root[0] != '/') {
		p_err("PINSIGHT_PIN_ROOT=%s: not an absolute path", root);
		return -EINVAL;
	}
	if (path_fmt(path, sizeof(path), "%s", root)) {
		p_err("PINSIGHT_PIN_ROOT: path too long");
		return -ENAMETOOLONG;
	}
	/* not dirname(): it may return "." without shortening @path */
	while (statfs(path, &st)) {
		err = -errno;
		if (err != -ENOENT) {
			p_err("%s: %s", path, strerror(-err));
			return err;
		}
		slash = strrchr(path, '/');
		slash[slash == path] = '\0'; /* "/" itself always exists */
	}
	if ((unsigned long)st.f_type != BPF_FS_MAGIC) {
		p_err("%s: not on a bpf filesystem (mount -t bpf bpf %s)",
		      root, path);
		return -EPERM;
	}
	/* create the missing directories, top down */
	have = strlen(path);
	path_fmt(path, sizeof(path), "%s", root);
	for (slash = path + have; (slash = strchr(slash + 1, '/'));) {
		*slash = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			err = -errno;
			p_err("%s: cannot create %s: %s", root, path,
			      strerror(errno));
			return err;
		}
		*slash = '/';
	}
	return 0;
}

int ensure_mounts(void)
{
	int err;

	err = mount_if_missing("/sys/fs/bpf", "bpf", BPF_FS_MAGIC,
			       "mode=0700");
	if (err)
		return err;
	/* libbpf 1.1 reads tracepoint ids from tracefs */
	err = mount_if_missing("/sys/kernel/tracing", "tracefs",
			       TRACEFS_MAGIC, NULL);
	if (err)
		return err;
	return ensure_root_dirs(pin_root());
}
