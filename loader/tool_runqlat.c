// SPDX-License-Identifier: GPL-2.0
/* runqlat: the tool table entry. */
#include <string.h>
#include <unistd.h>
#include "rodata.h"
#include "runqlat.skel.h"
#include "target.h"
#include "tools.h"

static const char *const runqlat_variants[] = { "btf", "raw", NULL };

static const struct tool_opt runqlat_opts[] = {
	{ "per-comm", NULL, "per_comm", "one latency histogram per comm" },
	{ "per-cgroup", NULL, "per_cgroup",
	  "one latency histogram per cgroup v2 (by id)" },
	{ "cgroup", "PATH", NULL,
	  "only tasks in this cgroup v2 directory or below it" },
	{ "timestamps", NULL, "timestamps",
	  "time waits from sched_wakeup with bpf_ktime_get_ns, not the "
	  "kernel's sched_info: exact short waits, about twice the cost" },
	{}
};

/*
 * /proc/PID/schedstat exists with CONFIG_SCHED_INFO, the per-task run-queue
 * accounting that the programs then read at sched_switch (unless
 * --timestamps): the sched_wakeup programs would only return, so they are
 * not loaded (one hook fewer on every wakeup). Without /proc they stay and
 * return at once.
 */
static void runqlat_skip_wakeups(struct load_ctx *ctx)
{
	const bool *ts = rodata_var(ctx->obj, "timestamps", NULL);
	struct bpf_program *prog;

	if ((ts && *ts) || access("/proc/self/schedstat", F_OK))
		return;
	bpf_object__for_each_program(prog, ctx->obj)
		if (strstr(bpf_program__name(prog), "__sched_wakeup"))
			bpf_program__set_autoload(prog, false);
}

static int runqlat_prepare(struct load_ctx *ctx)
{
	const char *cg = ctx_opt(ctx, "cgroup");

	runqlat_skip_wakeups(ctx);
	return cg ? target_cgroup(ctx, cg) : 0;
}

const struct tool tool_runqlat = {
	.name = "runqlat",
	.summary =
		"run-queue latency histogram; CPU migrations and on-CPU time per comm",
	.example = "--per-comm",
	.elf_bytes = runqlat_bpf__elf_bytes,
	.opts = runqlat_opts,
	.variants = runqlat_variants,
	.prepare = runqlat_prepare,
};
