// SPDX-License-Identifier: GPL-2.0
/*
 * Why a variant asked for with --attach failed: this kernel cannot do it
 * (exit 7), or the failure is the tool's own or a missing privilege (the
 * error stands). Decided by probing what each of the variant's programs
 * needs, as doctor does, never by kernel version: a trivial program of
 * the same type (at the same BTF attach point for fentry, tp_btf and
 * lsm), the kprobe or uprobe PMU a probe attaches through, the tracefs
 * event a tracepoint names.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/btf.h>
#include "instance.h"
#include "log.h"
#include "probe.h"
#include "variant.h"

#define ENOTSUPP 524 /* the kernel's, not in user-space errno.h */

/*
 * With CAP_SYS_ADMIN, bpf() and perf refuse nothing for lack of
 * privilege: an EPERM then comes from lockdown or an LSM, the kernel's
 * say. Without it, the same EPERM may just be a missing capability.
 */
static bool cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	return !syscall(SYS_capget, &h, d) &&
	       (d[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) & 1;
}

/* kprobe/uprobe programs attach through a PMU, or tracefs on old kernels. */
static int probe_pmu(const char *pmu, char *why, size_t sz)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s", pmu);
	if (!access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "/sys/kernel/tracing/%s_events", pmu);
	if (!access(path, F_OK))
		return 0;
	snprintf(why, sz, "no %s PMU nor %s_events: a kernel without %s", pmu,
		 pmu,
		 !strcmp(pmu, "kprobe") ? "CONFIG_KPROBES" :
					  "CONFIG_UPROBE_EVENTS");
	return -ENOENT;
}

/*
 * What this kernel says to a program like @prog: 0, or -errno with the
 * cause in @why. -EPERM is a refusal that may be privilege.
 */
static int probe_like(const struct bpf_program *prog, char *why, size_t sz)
{
	enum bpf_prog_type type = bpf_program__type(prog);
	enum bpf_attach_type eat = bpf_program__expected_attach_type(prog);
	const char *sec = bpf_program__section_name(prog);
	const char *target = strchr(sec, '/');
	char name[128], path[PATH_MAX];
	int err, kind = BTF_KIND_FUNC;

	target = target ? target + 1 : "";
	switch (type) {
	case BPF_PROG_TYPE_TRACING:
	case BPF_PROG_TYPE_LSM:
		if (eat == BPF_TRACE_RAW_TP)
			kind = BTF_KIND_TYPEDEF;
		snprintf(name, sizeof(name), "%s%s",
			 eat == BPF_TRACE_RAW_TP ? "btf_trace_" :
			 type == BPF_PROG_TYPE_LSM ? "bpf_lsm_" : "",
			 target);
		err = probe_btf_prog(type, eat, name, kind);
		if (err == -ENOENT)
			snprintf(why, sz, "no BTF for %s in this kernel", name);
		else if (err == -ENOTSUPP)
			snprintf(why, sz, "no BPF trampoline on this kernel");
		else if (err)
			snprintf(why, sz, "%s", strerror(-err));
		return err == -EACCES ? -EPERM : err;
	case BPF_PROG_TYPE_KPROBE:
		err = probe_pmu(sec[0] == 'u' ? "uprobe" : "kprobe", why, sz);
		if (err)
			return err;
		break;
	case BPF_PROG_TYPE_TRACEPOINT:
		/* "tracepoint/<category>/<name>"; tracefs is mounted by now */
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s",
			 target);
		if (*target && !access("/sys/kernel/tracing/events", F_OK) &&
		    access(path, F_OK)) {
			snprintf(why, sz, "no tracepoint %s in this kernel",
				 target);
			return -ENOENT;
		}
		break;
	default:
		break;
	}
	if (libbpf_probe_bpf_prog_type(type, NULL) == 1)
		return 0;
	snprintf(why, sz, "program type refused");
	return -EPERM;
}

bool variant_unsupported(const struct load_ctx *ctx)
{
	const char *works = NULL;
	struct bpf_program *prog;
	char why[256], kind[32];
	const char *sec;
	int err = 0;

	bpf_object__for_each_program(prog, ctx->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		err = probe_like(prog, why, sizeof(why));
		if (err)
			break;
	}
	if (!err || (err == -EPERM && !cap_sys_admin()))
		return false;
	sec = bpf_program__section_name(prog);
	snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(sec, "/"), sec);
	/* Which variant does load here? A trial load of each, as doctor. */
	if (tool_probe(ctx->tool, NULL, &works) || !works ||
	    !strcmp(works, ctx->variant))
		works = NULL;
	p_err("%s: --attach %s: this kernel cannot run %s programs (%s: %s%s)%s%s%s",
	      ctx->inst, ctx->variant, kind, sec, why,
	      err == -EPERM ? ", even with CAP_SYS_ADMIN: lockdown or an LSM" :
			      "",
	      works ? "; the default, --attach " : "", works ?: "",
	      works ? ", loads here" : "");
	return true;
}
