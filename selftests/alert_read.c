// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "alert_read.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"

struct drain_ctx {
	struct alert_list *l;
	enum alert_kind kind;
	int added;
	int err;
};

static int on_alert(void *data, void *raw, size_t sz)
{
	struct drain_ctx *c = data;
	struct alert *a = raw, *n;

	if (sz < sizeof(*a) || (c->kind && a->kind != c->kind))
		return 0;
	n = realloc(c->l->a, (c->l->n + 1) * sizeof(*n));
	if (!n) {
		c->err = -ENOMEM;
		return -ENOMEM;
	}
	n[c->l->n++] = *a;
	c->l->a = n;
	c->added++;
	return 0;
}

int alerts_drain(const char *inst, enum alert_kind kind, struct alert_list *l)
{
	struct drain_ctx c = { .l = l, .kind = kind };
	struct ring_buffer *rb = NULL;
	char path[4096];
	int fd, err;

	/* Read-write: consuming moves the consumer position. */
	snprintf(path, sizeof(path), "%s/%s/maps/alerts", pin_root(), inst);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	rb = ring_buffer__new(fd, on_alert, &c, NULL);
	if (!rb) {
		err = -errno;
		goto cleanup;
	}
	err = ring_buffer__consume(rb);
	err = c.err ?: err < 0 ? err : c.added;
cleanup:
	ring_buffer__free(rb);
	close(fd);
	return err;
}

__u64 alerts_counted(const char *inst, enum alert_kind kind)
{
	struct alert_key key = { .kind = kind };
	struct alert_count cnt = {};
	int fd = pin_open(inst, "maps/alert_counts");

	if (fd < 0)
		return 0;
	if (map_lookup_sum(fd, &key, &cnt, sizeof(cnt)))
		cnt.alerts = 0;
	close(fd);
	return cnt.alerts;
}
