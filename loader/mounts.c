// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <libgen.h>
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

/* The nearest existing ancestor of the pin root must be on bpffs. */
static int check_root_fs(const char *root)
{
	char path[PATH_MAX];
	struct statfs st;

	if (path_fmt(path, sizeof(path), "%s", root))
		return -ENAMETOOLONG;
	while (statfs(path, &st)) {
		if (errno != ENOENT || !strcmp(path, "/"))
			break;
		dirname(path);
	}
	if ((unsigned long)st.f_type != BPF_FS_MAGIC) {
		p_err("%s: not on a bpf filesystem (mount -t bpf bpf %s)",
		      root, path);
		return -EPERM;
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
	return check_root_fs(pin_root());
}
