// SPDX-License-Identifier: GPL-2.0
/* runqlat: the tool table entry. */
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
	{}
};

static int runqlat_prepare(struct load_ctx *ctx)
{
	const char *cg = ctx_opt(ctx, "cgroup");

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
