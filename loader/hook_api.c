// SPDX-License-Identifier: GPL-2.0
/*
 * What a tool's hooks (loader/tool_<name>.c, struct tool in tools.h) call
 * on their load context: their option values, and pinning the links they
 * make, each under links/ of the instance being built.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lifetime.h"
#include "log.h"
#include "pin_layout.h"
#include "tools.h"

const char *ctx_opt(const struct load_ctx *ctx, const char *name)
{
	const struct tool_opt *o;
	int i;

	for (i = 0, o = ctx->tool->opts; o && o->name; i++, o++)
		if (!strcmp(o->name, name))
			return ctx->vals[i];
	return NULL;
}

int ctx_pin_link_fd(struct load_ctx *ctx, int fd, const char *name)
{
	char path[PATH_MAX];
	int err;

	err = path_fmt(path, sizeof(path), "%s/links/%s", ctx->dir, name);
	if (!err)
		err = bpf_obj_pin(fd, path);
	if (err)
		p_err("%s: cannot pin link %s: %s", ctx->inst, name,
		      strerror(-err));
	else
		ctx->nr_links++;
	return err;
}

int ctx_pin_link(struct load_ctx *ctx, struct bpf_link *link,
		 const char *name)
{
	int err = ctx_pin_link_fd(ctx, bpf_link__fd(link), name);

	/* A pinned link outlives this fd: closing it does not detach. */
	bpf_link__destroy(link);
	return err;
}

int ctx_attach_programs(struct load_ctx *ctx)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	int err;

	bpf_object__for_each_program(prog, ctx->obj) {
		/* lifetime_attach() attaches it, for every tool */
		if (!bpf_program__autoload(prog) ||
		    !strcmp(bpf_program__name(prog), LIFETIME_PROG))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			p_err("%s: cannot attach %s (%s): %s", ctx->inst,
			      bpf_program__name(prog),
			      bpf_program__section_name(prog), strerror(-err));
			return err;
		}
		err = ctx_pin_link(ctx, link, bpf_program__name(prog));
		if (err)
			return err;
	}
	return 0;
}
