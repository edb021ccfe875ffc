// SPDX-License-Identifier: GPL-2.0
/* An instance's lifetime: --pid's process, --duration (lifetime.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "lifetime.h"
#include "lifetime_read.h"
#include "log.h"
#include "rodata.h"

/*
 * The Tgid of /proc/@pid/status (@pid may be any thread's id) and the
 * process's start in clock ticks since boot (/proc/@pid/stat, field 22).
 * -ESRCH when there is no such task.
 */
static int proc_ids(int pid, int *tgid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	int i, n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Tgid: %d", &n) == 1)
			break;
	fclose(f);
	*tgid = n;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* after the comm: state is field 3, starttime field 22 */
	for (i = 3; p && i <= 22; i++)
		p = strchr(p + 1, ' ');
	if (!p || n <= 0)
		return -EIO;
	*start = strtoull(p + 1, NULL, 10);
	return 0;
}

/* Set the __u64 .rodata variable @var, if the tool has it. */
static bool set_u64(struct bpf_object *obj, const char *var, __u64 val)
{
	size_t sz;
	__u64 *v = rodata_var(obj, var, &sz);

	if (!v || sz != sizeof(*v))
		return false;
	*v = val;
	return true;
}

int lifetime_configure(struct load_ctx *ctx, const struct load_req *req)
{
	struct bpf_program *prog;
	unsigned long long ticks, ns,
		span = 1000000000ULL / sysconf(_SC_CLK_TCK);
	struct bpf_map *map;
	char *end;
	long pid;
	int tgid, err;

	if (req->pid) {
		errno = 0;
		pid = strtol(req->pid, &end, 10);
		if (errno || *end || pid <= 0 || pid > 0x7fffffff) {
			p_err("%s: --pid '%s' is not a process id", ctx->inst,
			      req->pid);
			return -EINVAL;
		}
		err = proc_ids(pid, &tgid, &ticks);
		if (err == -ESRCH) {
			p_err("%s: --pid %s: no such process", ctx->inst,
			      req->pid);
			return err;
		}
		if (err) {
			p_err("%s: --pid %s: cannot read /proc/%ld: %s",
			      ctx->inst, req->pid, pid, strerror(-err));
			return err;
		}
		/* BPF compares tgids: a thread's id would never match */
		if (tgid != pid) {
			p_err("%s: --pid %s is a thread of process %d, not a process: give --pid %d",
			      ctx->inst, req->pid, tgid, tgid);
			return -EINVAL;
		}
		/* [start, start + a tick): /proc/PID/stat's resolution */
		set_u64(ctx->obj, "targ_start_ns", ticks * span);
		set_u64(ctx->obj, "targ_start_span", span);
	}
	if (req->duration) {
		if (parse_duration_ns(req->duration, &ns) || !ns ||
		    ns > (1ULL << 62)) {
			p_err("%s: --duration '%s' is not a duration (e.g. 90s, 10m, 2h)",
			      ctx->inst, req->duration);
			return -EINVAL;
		}
		if (!set_u64(ctx->obj, "targ_deadline_ns",
			     pm_boottime_ns() + ns)) {
			p_err("%s: --duration is not supported by this tool",
			      ctx->inst);
			return -EINVAL;
		}
	}
	prog = bpf_object__find_program_by_name(ctx->obj, LIFETIME_PROG);
	if (prog)
		bpf_program__set_autoload(prog, req->pid != NULL);
	map = bpf_object__find_map_by_name(ctx->obj, "lifetime");
	if (map)
		bpf_map__set_autocreate(map, req->pid || req->duration);
	return 0;
}

int lifetime_attach(struct load_ctx *ctx, const struct load_req *req)
{
	struct bpf_program *prog =
		bpf_object__find_program_by_name(ctx->obj, LIFETIME_PROG);
	struct bpf_map *map =
		bpf_object__find_map_by_name(ctx->obj, "lifetime");
	struct pinsight_lifetime rec = {};
	unsigned long long ticks;
	const __u64 *deadline = rodata_var(ctx->obj, "targ_deadline_ns", NULL);
	const __u64 *start = rodata_var(ctx->obj, "targ_start_ns", NULL);
	const __u64 *span = rodata_var(ctx->obj, "targ_start_span", NULL);
	struct bpf_link *link;
	__u32 key = 0;
	int tgid, err;

	if (!map || !bpf_map__autocreate(map))
		return 0;
	rec.deadline_ns = deadline ? *deadline : 0;
	if (bpf_map_update_elem(bpf_map__fd(map), &key, &rec, 0)) {
		err = -errno;
		p_err("%s: cannot fill its lifetime map: %s", ctx->inst,
		      strerror(errno));
		return err;
	}
	if (!prog || !bpf_program__autoload(prog))
		return 0;
	link = bpf_program__attach(prog);
	if (!link) {
		err = -errno;
		p_err("%s: cannot attach %s: %s", ctx->inst, LIFETIME_PROG,
		      strerror(errno));
		return err;
	}
	err = ctx_pin_link(ctx, link, LIFETIME_PROG);
	if (err)
		return err;
	p_info("%s: finished when process %s exits (list says so; unload --finished removes it)",
	       ctx->inst, req->pid);
	/*
	 * Gone before the program was there to see it: finished now (a pid
	 * taken again since is another process, by its start time).
	 */
	if (proc_ids(atoi(req->pid), &tgid, &ticks) || !start || !span ||
	    ticks * *span != *start) {
		rec.state = LIFETIME_TARGET_EXITED;
		rec.exit_code = -1;
		rec.exited_ns = pm_boottime_ns();
		bpf_map_update_elem(bpf_map__fd(map), &key, &rec, 0);
		p_info("%s: --pid %s exited during the load: finished already",
		       ctx->inst, req->pid);
	}
	return 0;
}
