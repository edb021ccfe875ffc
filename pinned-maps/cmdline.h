/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one command-line grammar of pinsight-load and pinsight, in bpftool's
 * style: global options, then a command from a table (its full name or a
 * prefix of it alone), then the command's arguments, with the common -j -p
 * -v -h -V taken in any position and anything a command does not know refused
 * before it does anything.
 */
#ifndef __PINSIGHT_CMDLINE_H
#define __PINSIGHT_CMDLINE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include "json_writer.h"

extern bool pretty; /* -p */

struct cmd {
	const char *name;
	/* argv[0] is the command's word; returns the exit code */
	int (*fn)(int argc, char **argv);
	const char *usage; /* its --help: synopsis first */
};

enum { CMD_HELP = -2, CMD_BAD = -3, CMD_VERSION = -4 };

/*
 * The entry of @cmds ({}-terminated) that @word names: its full name, or a
 * prefix that only one name has. NULL when none does; *ambiguous then
 * says whether several did.
 */
const struct cmd *cmd_find(const struct cmd *cmds, const char *word,
			   bool *ambiguous);

/*
 * Set json_output before any parsing when -j/-p/--json/--pretty appear
 * anywhere before "--", so that an error about an earlier argument is
 * already a JSON object.
 */
void cmd_json_prescan(int argc, char **argv);

/*
 * getopt_long() over @extra (NULL or {}-terminated) plus the common
 * options, in any order with the positional arguments (set optind = 0
 * before the first call of a command). Returns an extra option's val, -1
 * at the end (positional arguments are then argv[optind..]), CMD_HELP
 * after printing @usage (-h) or the version (-V) to stdout (exit 0), or CMD_BAD after printing the
 * error and @usage to stderr (exit EXIT_USAGE).
 */
int cmd_getopt(int argc, char **argv, const char *extra_short,
	       const struct option *extra, const char *usage);
/*
 * The options before the command, the same in both binaries: the common
 * ones (-h sets *help), -V/--version and @extra. Returns an extra option's
 * val, -1 at the command (argv[optind], or none), CMD_VERSION after
 * printing the version (exit 0), or CMD_BAD after printing the error and
 * @usage to stderr. Reset optind to 0 before the command's own
 * parse: glibc then forgets this parse's "+".
 */
int cmd_global_getopt(int argc, char **argv, const struct option *extra,
		      const char *usage, bool *help);
/*
 * "<prog_name> <version>" and the libbpf it runs with, the same lines in
 * both binaries; with -j {"name", "version", "libbpf"}.
 */
void cmd_print_version(void);
/* The version the build was made from (Makefile: git describe). */
extern const char pinsight_version[];

/* p_err() the message, then @usage to stderr; returns EXIT_USAGE. */
int cmd_usage_err(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * For commands without options of their own: parse the common ones and
 * take at least @min and at most @max positional arguments (-1: any).
 * Returns -1 to go on (arguments at argv[optind..]), else the exit code.
 */
int cmd_args(int argc, char **argv, const char *usage, int min, int max);

/*
 * With @json, a writer of stdout's document (indented with -p) whose
 * top-level array is begun, in *@jw; without, NULL there. 0, or -ENOMEM.
 */
int cmd_json_array_begin(bool json, json_writer_t **jw);
/* End cmd_json_array_begin()'s array and free its writer, if there is one. */
void cmd_json_array_end(json_writer_t **jw);

/*
 * A usage text that a function prints, as a malloc()ed string for
 * cmd_getopt() and cmd_usage_err(); NULL without memory.
 */
char *usage_string(void (*print)(FILE *f, const void *arg), const void *arg);

#endif /* __PINSIGHT_CMDLINE_H */
