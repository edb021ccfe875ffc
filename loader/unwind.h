/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unwind tables for the stack-keeping tools (DESIGN.md 5a): the maps are
 * created by the first instance whose object has them and reused by every
 * later one (found through any instance's pins, so they live as long as
 * one instance does); tables are compiled for the images the targets map
 * at load, and for the images BPF noted since by `pinsight-load refresh`.
 */
#ifndef __LOADER_UNWIND_H
#define __LOADER_UNWIND_H

#include "tools.h"

/* The options every stack-keeping tool takes (its opts[] lists them). */
#define UNWIND_TOOL_OPTS                                                      \
	{ "fp-stacks", NULL, "stack_fp_only",                                 \
	  "user stacks by frame pointers only, no unwind tables" },          \
	{ "no-python", NULL, "stack_no_python",                               \
	  "no Python frames: CPython processes keep the interpreter loop" },  \
	{                                                                     \
		"unwind-mem", "SIZE", NULL,                                   \
		"bound on the unwind tables all instances share (default 32M; the first instance sets it)" \
	}

/*
 * Before load: reuse the shared maps another instance pinned, or size
 * them for this one; turn tables off where the kernel cannot walk them.
 */
int unwind_prepare(struct load_ctx *ctx);
/*
 * After load: tables for the images that process @pid (> 0), processes
 * named @comm, or every process (neither) map now. Failures to read one
 * image are reported with -v only: its frames fall back to frame pointers.
 */
int unwind_fill(struct load_ctx *ctx, int pid, const char *comm);
/* `pinsight-load refresh`: tables for what BPF noted in unwind_wanted. */
int unwind_refresh(void);

#endif /* __LOADER_UNWIND_H */
