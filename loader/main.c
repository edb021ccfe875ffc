// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight-load: load a tool, set its .rodata, attach, pin, exit.
 * The programs keep running; readers find everything under the pin root.
 *
 * The grammar is cmdline.h's: global options, then a command of the
 * table below or a tool (TOOL or TOOL@NAME), then its arguments, with
 * -j -p -v -h anywhere. A new command is one entry in commands[].
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"
#include "config.h"
#include "doctor.h"
#include "instance.h"
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"
#include "toolargs.h"
#include "tools.h"
#include "unwind.h"

enum { OPT_ALL = 256, OPT_FINISHED };

static const char usage_list[] =
	"Usage: pinsight-load [-j|-p] list\n"
	"\n"
	"Instances, their programs, attach points, run counts and config.\n"
	"\n" EXIT_CODES_HELP;

static const char usage_unload[] =
	"Usage: pinsight-load [-j|-p] unload INSTANCE... | --all | --finished\n"
	"\n"
	"Remove exactly what the instances pinned; their programs detach.\n"
	"--finished: only the instances whose --pid process exited or whose\n"
	"--duration ran out (list says finished, expired); none is no error.\n"
	"A timer or cron runs it: pinsight-refresh.service does.\n"
	"\n" EXIT_CODES_HELP;

static const char usage_doctor[] =
	"Usage: pinsight-load [-j|-p] doctor\n"
	"\n"
	"What this kernel offers (BTF, bpffs, JIT, attach types, privileges)\n"
	"and which attach variant each tool takes here, by trial loads with\n"
	"the example options of TOOL --help (nothing is attached). Exits 0\n"
	"when every tool loads so, 7 when one or more cannot; the report says\n"
	"which and why.\n"
	"\n" EXIT_CODES_HELP;

static const char usage_config[] =
	"Usage: pinsight-load [-j|-p] --config FILE [load|check|unload]\n"
	"\n"
	"Load every instance FILE lists (one per line, written as this\n"
	"command line), only check them (options, values, attach variants and\n"
	"map sizes, as a load would, without loading), or unload them.\n"
	"\n" EXIT_CODES_HELP;

static const char usage_refresh[] =
	"Usage: pinsight-load [-j|-p] refresh\n"
	"\n"
	"Compile the unwind tables of the images that profile and memalloc\n"
	"instances met since they were loaded (a new exec, a dlopen), drop\n"
	"memalloc's entries of processes that exited, resolve the\n"
	"OpenTelemetry thread context of profile, funclat and io targets\n"
	"started since (dropping those that exited), and exit;\n"
	"pinsight-refresh.timer runs it every 30 s.\n"
	"\n" EXIT_CODES_HELP;

static char *usage_main;

static void usage(FILE *f)
{
	const struct tool *const *tp, *t;

	fprintf(f,
		"Usage: pinsight-load [-v] [-j|-p] TOOL[@NAME] [--name NAME] [--pid PID]\n"
		"                     [--comm COMM] [--attach VARIANT] [--replace]\n"
		"                     [--group GROUP] [--max-entries MAP=N]... [--duration DURATION]\n"
		"                     [TOOL OPTIONS]\n"
		"       pinsight-load [-j|-p] list\n"
		"       pinsight-load [-j|-p] unload INSTANCE... | --all | --finished\n"
		"       pinsight-load [-j|-p] --config FILE [load|check|unload]\n"
		"       pinsight-load [-j|-p] doctor\n"
		"       pinsight-load [-j|-p] refresh\n"
		"       pinsight-load help [COMMAND|TOOL]\n"
		"       pinsight-load --version\n\n"
		"Loads TOOL, attaches it, pins it under %s/<instance>\n"
		"(instance = TOOL or TOOL@NAME) and exits; the programs keep running.\n"
		"Commands may be abbreviated (unl = unload); options may follow them.\n\n"
		"Tools:\n",
		pin_root());
	for (tp = tools; (t = *tp); tp++)
		fprintf(f, "  %-12s %s\n", t->name, t->summary);
	fprintf(f,
		"\n  -v, --verbose  libbpf debug output (the verifier log on failure)\n"
		"  -j, --json     JSON output, -p, --pretty indented JSON\n"
		"  -h, --help     this help; COMMAND --help or TOOL --help for one\n"
		"  -V, --version  the version and the libbpf in use\n\n" EXIT_CODES_HELP);
}

static void print_main_usage(FILE *f, const void *arg)
{
	(void)arg;
	usage(f);
}

/*
 * Load @t from its command line; @name is the NAME of a TOOL@NAME word.
 * With @check, stop before loading: options, values, attach variant and
 * map sizes are then checked as a load would check them.
 */
static int load_tool(const struct tool *t, const char *name, bool check,
		     int argc, char **argv)
{
	struct load_req req = { .check = check };
	char inst[80];
	int code = tool_args(t, name, argc, argv, &req, inst, sizeof(inst));

	if (code != -1)
		return code;
	return exit_code_for(instance_load(&req));
}

/* How --config loads a line (config_load_fn). */
static int config_load(const struct tool *t, int argc, char **argv)
{
	return load_tool(t, NULL, false, argc, argv);
}

static int config_check(const struct tool *t, int argc, char **argv)
{
	return load_tool(t, NULL, true, argc, argv);
}

static int do_list(int argc, char **argv)
{
	int err = cmd_args(argc, argv, usage_list, 0, 0);

	if (err != -1)
		return err;
	return exit_code_for(pm_list(json_output));
}

static int do_doctor(int argc, char **argv)
{
	int err = cmd_args(argc, argv, usage_doctor, 0, 0);

	if (err != -1)
		return err;
	return cmd_doctor(pretty);
}

static int do_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "finished", no_argument, NULL, OPT_FINISHED },
		{},
	};
	int i, err, first = 0, opt;
	bool all = false, finished = false;

	/* every argument is checked before anything is unloaded */
	while ((opt = cmd_getopt(argc, argv, NULL, opts, usage_unload)) != -1) {
		if (opt == CMD_HELP)
			return EXIT_OK;
		if (opt == CMD_BAD)
			return EXIT_USAGE;
		if (opt == OPT_ALL)
			all = true;
		else
			finished = true;
	}
	if ((all || finished) == (optind < argc) || (all && finished))
		return cmd_usage_err(
			usage_unload,
			"unload: name an instance, or --all, or --finished");
	if (finished)
		return exit_code_for(instance_unload_finished());
	for (i = optind; i < argc; i++) {
		if (inst_name_check(argv[i]))
			return cmd_usage_err(usage_unload,
					     "%s: not a valid instance name",
					     argv[i]);
	}
	if (all)
		return exit_code_for(instance_unload_all());
	/* each instance is tried; the first failure's code is the exit */
	for (i = optind; i < argc; i++) {
		err = instance_unload(argv[i]);
		if (err && !first)
			first = err;
	}
	return exit_code_for(first);
}

static int do_refresh(int argc, char **argv)
{
	int err = cmd_args(argc, argv, usage_refresh, 0, 0);

	if (err != -1)
		return err;
	err = unwind_refresh();
	if (!err)
		err = instance_refresh_all();
	return exit_code_for(err);
}

static int do_help(int argc, char **argv);

static const struct cmd commands[] = {
	{ "list", do_list, usage_list },
	{ "unload", do_unload, usage_unload },
	{ "doctor", do_doctor, usage_doctor },
	{ "refresh", do_refresh, usage_refresh },
	{ "help", do_help, NULL /* usage_main */ },
	{},
};

/* TOOL or TOOL@NAME: the tool, and the name in *name (or NULL). */
static const struct tool *tool_word(const char *word, const char **name)
{
	char tool[65];
	const char *at = strchr(word, '@');

	*name = at ? at + 1 : NULL;
	snprintf(tool, sizeof(tool), "%.*s",
		 at ? (int)(at - word) : (int)strlen(word), word);
	return tool_find(tool);
}

/* The command or tool @word names; EXIT_* after an error is printed. */
static int select_cmd(const char *word, const struct cmd **cmd,
		      const struct tool **t, const char **name)
{
	bool ambiguous;

	*cmd = NULL;
	/* tools by their full names, before prefixes of commands */
	*t = tool_word(word, name);
	if (*t)
		return 0;
	*cmd = cmd_find(commands, word, &ambiguous);
	if (*cmd)
		return 0;
	if (ambiguous) {
		p_err("%.80s: ambiguous command (see pinsight-load --help)",
		      word);
		return EXIT_USAGE;
	}
	p_err("%.80s: unknown tool or command (see pinsight-load --help)",
	      word);
	return EXIT_NOENT;
}

/* pinsight-load help [COMMAND|TOOL] */
static int do_help(int argc, char **argv)
{
	const struct cmd *cmd;
	const struct tool *t;
	const char *name;
	int err = cmd_args(argc, argv, usage_main, 0, 1);

	if (err != -1)
		return err;
	if (optind == argc) {
		usage(stdout);
		return EXIT_OK;
	}
	err = select_cmd(argv[optind], &cmd, &t, &name);
	if (err)
		return err;
	if (t)
		tool_usage(stdout, t);
	else if (cmd->usage)
		fputs(cmd->usage, stdout);
	else
		usage(stdout);
	return EXIT_OK;
}

static int do_config(const char *path, int argc, char **argv)
{
	int err;

	/* argv[0] is the last global option: a command name for getopt */
	err = cmd_args(argc, argv, usage_config, 0, 1);
	if (err != -1)
		return err;
	return config_main(path, argc - optind, argv + optind, config_load,
			   config_check);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{},
	};
	const struct cmd *cmd;
	const struct tool *t;
	const char *config = NULL, *name;
	bool help = false;
	int opt, err;

	prog_name = "pinsight-load";
	cmd_json_prescan(argc, argv);
	usage_main = usage_string(print_main_usage, NULL);
	if (!usage_main)
		return EXIT_FAIL;
	while ((opt = cmd_global_getopt(argc, argv, longopts, usage_main,
					&help)) != -1) {
		if (opt == CMD_BAD)
			return EXIT_USAGE;
		if (opt == CMD_VERSION)
			return EXIT_OK;
		config = optarg; /* 'c', the only extra */
	}
	if (config) { /* boot-time pinning: config.c */
		if (help) {
			fputs(usage_config, stdout);
			return EXIT_OK;
		}
		/*
		 * What follows the global options, behind a word of ours
		 * for argv[0], which getopt skips: the last global option's
		 * slot (@config still points at its string).
		 */
		argv[optind - 1] = "--config";
		argc -= optind - 1;
		argv += optind - 1;
		optind = 0;
		return do_config(config, argc, argv);
	}
	if (optind >= argc) {
		if (help) {
			usage(stdout);
			return EXIT_OK;
		}
		/* a message too, so that -j has its error object */
		return cmd_usage_err(usage_main, "no tool or command given");
	}
	argv += optind;
	argc -= optind;
	err = select_cmd(argv[0], &cmd, &t, &name);
	if (err)
		return err;
	if (help) {
		char *h[] = { "help", argv[0], NULL };

		optind = 0;
		return do_help(2, h);
	}
	optind = 0; /* 0, not 1: glibc then forgets the "+" of the scan above */
	if (t)
		return load_tool(t, name, false, argc, argv);
	return cmd->fn(argc, argv);
}
