// SPDX-License-Identifier: GPL-2.0
/*
 * The tool table. Each loader/tool_<name>.c defines "const struct tool
 * tool_<name>"; the Makefile lists them in tools.def, so adding a tool
 * touches no shared file.
 */
#include <string.h>
#include "tools.h"

#define TOOL(name) extern const struct tool tool_##name;
#include "tools.def"
#undef TOOL

static const struct tool *const table[] = {
#define TOOL(name) &tool_##name,
#include "tools.def"
#undef TOOL
	NULL
};

const struct tool *const *tools = table;

const struct tool *tool_find(const char *name)
{
	const struct tool *const *t;

	for (t = tools; *t; t++)
		if (!strcmp((*t)->name, name))
			return *t;
	return NULL;
}
