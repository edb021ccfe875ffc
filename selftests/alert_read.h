/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tests read alerts straight from an instance's pinned ring buffer, with
 * libbpf's ring_buffer API: what `pinsight alerts` shows, minus the reader.
 */
#ifndef __ALERT_READ_H
#define __ALERT_READ_H

#include "alert.h"

struct alert_list {
	struct alert *a;
	int n;
};

/*
 * Drain <root>/<inst>/maps/alerts into @l (appending; free l->a), keeping
 * only alerts of @kind (0: all). Returns the number added or -errno.
 */
int alerts_drain(const char *inst, enum alert_kind kind, struct alert_list *l);
/* The instance's alert_counts entry for @kind: raised alerts (0 if none). */
__u64 alerts_counted(const char *inst, enum alert_kind kind);

#endif /* __ALERT_READ_H */
