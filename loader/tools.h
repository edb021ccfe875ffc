/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The loader's tool table. Adding a tool means adding progs/<tool>.bpf.c,
 * progs/<tool>.h and loader/tool_<tool>.c with its entry; hooks are only
 * for attach points bpf_program__attach() cannot do from the section name.
 */
#ifndef __LOADER_TOOLS_H
#define __LOADER_TOOLS_H

#include <limits.h>
#include <stdbool.h>
#include <bpf/libbpf.h>

#define MAX_TOOL_OPTS 32

/*
 * An option sets the .rodata variable @var (parsed by its BTF type: ints
 * are sizes, and durations when @var ends in _ns, both read by units.h;
 * char arrays take strings; bools take no argument). Options without @var
 * are for the tool's hooks, which read them with ctx_opt().
 */
struct tool_opt {
	const char *name;
	const char *arg; /* metavar; NULL for a flag */
	const char *var;
	const char *help;
};

struct load_ctx;

struct tool {
	const char *name;
	const char *summary;
	/* Options that load on any host: shown by --help, used by the tests. */
	const char *example;
	const void *(*elf_bytes)(size_t *sz);
	const struct tool_opt *opts; /* NULL-name terminated */
	/* Options that must be given, comma-separated ("binary,func"):
	 * checked before anything loads, exit 2 when one is missing.
	 */
	const char *required;
	/*
	 * Attach variants in order of preference: programs named
	 * "<variant>__<name>" load only with their variant (maps so named
	 * are created only with it); the first one that loads wins unless
	 * --attach names one.
	 */
	const char *const *variants;
	/*
	 * Bytes of state the hooks keep from prepare to attach, at
	 * ctx->priv: zeroed before each prepare (a variant tried anew starts
	 * clean) and freed with the load, so nothing outlives one load in a
	 * process that makes several (doctor, --config). 0: none.
	 */
	size_t priv_size;
	int (*prepare)(struct load_ctx *ctx); /* after open, before load */
	int (*attach)(struct load_ctx *ctx); /* NULL: attach by section */
	/* Undo attachments that have no bpf_link (libxdp, netlink TC). */
	int (*detach)(const char *inst_dir);
	/*
	 * What `pinsight-load refresh` does for an instance: tidy up state
	 * its programs cannot (memalloc: entries of processes that exited).
	 * Prints one line (or JSON object) of what it did; 0 or -errno.
	 */
	int (*refresh)(const char *inst, const char *inst_dir);
};

struct load_ctx {
	const struct tool *tool;
	struct bpf_object *obj;
	const char *inst;
	const char *variant;
	char dir[PATH_MAX]; /* the temporary instance directory */
	const char *vals[MAX_TOOL_OPTS]; /* by index in tool->opts */
	int nr_links;
	void *priv; /* tool->priv_size bytes for its hooks */
};

extern const struct tool *const *tools; /* NULL-terminated */
const struct tool *tool_find(const char *name);
/* The value given for the option @name of ctx->tool, or NULL. */
const char *ctx_opt(const struct load_ctx *ctx, const char *name);
/* Pin @link as links/<name> in the instance and drop our reference. */
int ctx_pin_link(struct load_ctx *ctx, struct bpf_link *link,
		 const char *name);
/* The same for a link the caller made by fd (and still has to close). */
int ctx_pin_link_fd(struct load_ctx *ctx, int fd, const char *name);
/*
 * Attach every loaded program by its section name and pin its link: what
 * the loader does without an attach hook, for hooks that do more after.
 */
int ctx_attach_programs(struct load_ctx *ctx);

#endif /* __LOADER_TOOLS_H */
