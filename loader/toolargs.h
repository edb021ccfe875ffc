/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_TOOLARGS_H
#define __LOADER_TOOLARGS_H

#include <stddef.h>
#include <stdio.h>
#include "instance.h"
#include "tools.h"

/* TOOL --help, to @f (@t is the struct tool). */
void tool_usage(FILE *f, const void *t);
/*
 * Parse @t's command line (argv[0] is the tool word; @name is the NAME of
 * a TOOL@NAME word, or NULL) into @req, whose strings point into @argv and
 * whose inst is written to @inst. Returns -1 when @req is ready, else the
 * exit code after printing what was wrong (EXIT_OK after --help).
 */
int tool_args(const struct tool *t, const char *name, int argc, char **argv,
	      struct load_req *req, char *inst, size_t inst_sz);

#endif /* __LOADER_TOOLARGS_H */
