/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pinsight-load --config FILE: the instances to pin at boot, one per line,
 * each written as pinsight-load's own command line (see
 * scripts/pinsight.conf for the format).
 */
#ifndef __LOADER_CONFIG_H
#define __LOADER_CONFIG_H

#include "tools.h"

#define CONFIG_DEFAULT	 "/etc/pinsight/pinsight.conf"
#define CONFIG_MAX_WORDS 64

struct config_entry {
	char *where; /* "FILE:LINE", for every message about it */
	const struct tool *tool;
	char inst[80];
	int argc;
	/* argv[0] is @where, argv[1] the tool word, then its options */
	char *argv[CONFIG_MAX_WORDS + 1];
	char *words; /* what argv[1..] point into */
};

struct config {
	struct config_entry *e;
	int n;
};

/*
 * Parse @path: 0, -ENOENT (no such file, named), or -EINVAL after naming
 * FILE:LINE and the cause of the first bad line.
 */
int config_parse(const char *path, struct config *cfg);
void config_free(struct config *cfg);

/* How main.c loads one instance from a command line (argv[0] unused). */
typedef int (*config_load_fn)(const struct tool *t, int argc, char **argv);

/*
 * `pinsight-load --config FILE [load|check|unload]`, @argv being the
 * positional arguments after the options: load every instance (replacing
 * one of the same name, atomically) with @load, check each with @check
 * (which refuses what a load would, loading nothing), or unload them.
 * Returns the exit code: the first failure's, 0 when every instance
 * succeeded.
 */
int config_main(const char *path, int argc, char **argv, config_load_fn load,
		config_load_fn check);

#endif /* __LOADER_CONFIG_H */
