/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pinsight's commands. Each lives in its own file as
 *	int cmd_<name>(int argc, char **argv);  (argv[0] is the command name)
 *	extern const char usage_<name>[];
 * and has one line in pinsight.c's table. Commands parse their own options
 * with cmd_getopt() (cmdline.h), which also takes the common -j -p -v -h
 * anywhere.
 */
#ifndef __PINSIGHT_CMD_H
#define __PINSIGHT_CMD_H

#include "cmdline.h"

#define PINSIGHT_CMD(name)                                                     \
	int cmd_##name(int argc, char **argv);                                 \
	extern const char usage_##name[]

PINSIGHT_CMD(list);
PINSIGHT_CMD(show);
PINSIGHT_CMD(metrics);
PINSIGHT_CMD(alerts);
PINSIGHT_CMD(profile);
PINSIGHT_CMD(reset);

#endif /* __PINSIGHT_CMD_H */
