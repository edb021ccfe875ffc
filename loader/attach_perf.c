// SPDX-License-Identifier: GPL-2.0
/* One perf event per online CPU, a bpf_link on each, pinned per CPU. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "attach_perf.h"
#include "log.h"

static int perf_open(struct perf_event_attr *attr, int cpu)
{
	int fd;

	attr->size = sizeof(*attr);
	fd = syscall(__NR_perf_event_open, attr, -1, cpu, -1,
		     PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Online CPUs from sysfs ("0-3,5"); possible CPUs may be offline. */
static int online_cpus(bool **mask, int *n)
{
	int a, b, i, cnt = libbpf_num_possible_cpus();
	char buf[1024], *p;
	FILE *f;

	if (cnt < 0)
		return cnt;
	*n = cnt;
	*mask = calloc(cnt, sizeof(**mask));
	if (!*mask)
		return -ENOMEM;
	f = fopen("/sys/devices/system/cpu/online", "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		for (i = 0; i < cnt; i++) /* assume all are, as libbpf does */
			(*mask)[i] = true;
		return 0;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		if (sscanf(p, "%d-%d", &a, &b) != 2) {
			if (sscanf(p, "%d", &a) != 1)
				break;
			b = a;
		}
		for (i = a; i <= b && i < cnt; i++)
			(*mask)[i] = true;
		p += strcspn(p, ",\n");
		if (*p == ',')
			p++;
	}
	return 0;
}

int attach_perf_all_cpus(struct load_ctx *ctx, struct bpf_program *prog,
			 struct perf_event_attr *attr, const char *what)
{
	struct bpf_link *link;
	bool *online = NULL;
	char name[128];
	int cpu, ncpu, fd, lfd, err;

	err = online_cpus(&online, &ncpu);
	if (err) {
		p_err("%s: cannot list online CPUs: %s", ctx->inst,
		      strerror(-err));
		return err;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		if (!online[cpu])
			continue;
		fd = perf_open(attr, cpu);
		if (fd < 0) {
			err = fd;
			p_err("%s: perf event %s on CPU %d: %s%s", ctx->inst,
			      what, cpu, strerror(-err),
			      err == -ENOENT || err == -EOPNOTSUPP
				      ? " (not available on this machine)"
				      : "");
			if (err == -ENOENT)
				err = -EOPNOTSUPP;
			goto cleanup;
		}
		link = bpf_program__attach_perf_event(prog, fd);
		if (!link) {
			err = -errno;
			close(fd);
			p_err("%s: cannot attach %s to %s on CPU %d: %s",
			      ctx->inst, bpf_program__name(prog), what, cpu,
			      strerror(-err));
			goto cleanup;
		}
		/*
		 * libbpf's detach would disable the event (and the pinned
		 * link would keep a silent one): disconnect, pin, close our
		 * fds.
		 */
		lfd = bpf_link__fd(link);
		bpf_link__disconnect(link);
		snprintf(name, sizeof(name), "%s-%d", bpf_program__name(prog),
			 cpu);
		err = ctx_pin_link(ctx, link, name);
		close(lfd);
		close(fd);
		if (err)
			goto cleanup;
	}
cleanup:
	free(online);
	return err;
}

int perf_hw_probe(__u64 config)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.config = config,
		.disabled = 1,
	};
	int fd = perf_open(&attr, 0);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}
