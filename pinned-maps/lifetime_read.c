// SPDX-License-Identifier: GPL-2.0
/* An instance's lifetime from its maps/lifetime pin (lifetime_read.h). */
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "lifetime_read.h"
#include "pin_layout.h"

__u64 pm_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int pm_lifetime_read(const char *inst, struct pm_lifetime *lt)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char path[4096];
	__u32 key = 0;
	int fd, err;

	*lt = (struct pm_lifetime){ .state = PM_LIFE_NONE };
	err = path_fmt(path, sizeof(path), "%s/%s/maps/lifetime", pin_root(),
		       inst);
	if (err)
		return err;
	if (access(path, F_OK))
		return errno == ENOENT ? 0 : -errno;
	fd = bpf_obj_get_opts(path, &ro);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &key, &lt->rec) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	lt->now_ns = pm_boottime_ns();
	if (lt->rec.state == LIFETIME_TARGET_EXITED)
		lt->state = PM_LIFE_FINISHED;
	else if (lt->rec.deadline_ns && lt->now_ns > lt->rec.deadline_ns)
		lt->state = PM_LIFE_EXPIRED;
	else
		lt->state = PM_LIFE_RUNNING;
	return 0;
}

const char *pm_life_str(enum pm_life state)
{
	switch (state) {
	case PM_LIFE_RUNNING:
		return "running";
	case PM_LIFE_FINISHED:
		return "finished";
	case PM_LIFE_EXPIRED:
		return "expired";
	default:
		return "";
	}
}
