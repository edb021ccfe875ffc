// SPDX-License-Identifier: GPL-2.0
/* The tool table: one entry per progs/<tool>.bpf.c. */
#include <string.h>
#include "skels.h"
#include "tools.h"

static const char *const io_variants[] = { "raw", "tp", NULL };

const struct tool tools[] = {
	{
		.name = "io",
		.summary = "read/write/pread64/pwrite64/readv/writev: ops, bytes, "
			   "errors, latency",
		.elf_bytes = io_bpf__elf_bytes,
		.variants = io_variants,
		.opts = (const struct tool_opt[]){ {} },
	},
	{}
};

const struct tool *tool_find(const char *name)
{
	const struct tool *t;

	for (t = tools; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
