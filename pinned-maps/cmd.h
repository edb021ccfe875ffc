/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pinsight's commands. Each lives in its own file as
 *	int cmd_<name>(int argc, char **argv);  (argv[0] is the command name)
 *	extern const char usage_<name>[];
 * and has one line in pinsight.c's table. Commands parse their own options
 * with cmd_getopt(), which also takes the common -j -p -v -h anywhere.
 */
#ifndef __PINSIGHT_CMD_H
#define __PINSIGHT_CMD_H

#include <getopt.h>
#include <stdbool.h>

extern bool pretty; /* -p */

enum { CMD_HELP = -2, CMD_BAD = -3 };

/*
 * getopt_long() over @extra (NULL or {}-terminated) plus the common
 * options. Returns an extra option's val, -1 at the end (positional
 * arguments are then argv[optind..]), CMD_HELP after printing @usage to
 * stdout (exit 0), or CMD_BAD after printing the error and @usage to
 * stderr (exit EXIT_USAGE).
 */
int cmd_getopt(int argc, char **argv, const char *extra_short,
	       const struct option *extra, const char *usage);
/* p_err() the message, then @usage to stderr; returns EXIT_USAGE. */
int cmd_usage_err(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define PINSIGHT_CMD(name)                                                     \
	int cmd_##name(int argc, char **argv);                                 \
	extern const char usage_##name[]

PINSIGHT_CMD(list);
PINSIGHT_CMD(show);
PINSIGHT_CMD(metrics);
PINSIGHT_CMD(alerts);
PINSIGHT_CMD(profile);

#endif /* __PINSIGHT_CMD_H */
