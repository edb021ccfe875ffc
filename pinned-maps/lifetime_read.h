/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An instance's lifetime as maps/lifetime records it (progs/pinsight.h):
 * running, finished (its --pid target exited) or expired (--duration
 * ran out), for `list` to report and `pinsight-load unload --finished`.
 */
#ifndef __PINSIGHT_LIFETIME_READ_H
#define __PINSIGHT_LIFETIME_READ_H

#include <stdbool.h>
#include <linux/types.h>
#include "pinsight.h"

enum pm_life {
	PM_LIFE_NONE, /* no --pid, no --duration: no lifetime map */
	PM_LIFE_RUNNING,
	PM_LIFE_FINISHED,
	PM_LIFE_EXPIRED,
};

struct pm_lifetime {
	enum pm_life state;
	struct pinsight_lifetime rec;
	__u64 now_ns; /* CLOCK_BOOTTIME when read */
};

/* CLOCK_BOOTTIME in ns, the clock of bpf_ktime_get_boot_ns(). */
__u64 pm_boottime_ns(void);
/* Read <root>/@inst/maps/lifetime into @lt: 0 (NONE without it) or -errno. */
int pm_lifetime_read(const char *inst, struct pm_lifetime *lt);
/* "running", "finished", "expired" ("" for NONE). */
const char *pm_life_str(enum pm_life state);
/* Whether `unload --finished` removes it. */
static inline bool pm_life_over(enum pm_life state)
{
	return state == PM_LIFE_FINISHED || state == PM_LIFE_EXPIRED;
}

#endif /* __PINSIGHT_LIFETIME_READ_H */
