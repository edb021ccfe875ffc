// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight-load: load a tool, set its .rodata, attach, pin, exit.
 * The programs keep running; readers find everything under the pin root.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "doctor.h"
#include "instance.h"
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"
#include "tools.h"

enum { OPT_NAME = 256, OPT_PID, OPT_COMM, OPT_REPLACE, OPT_ATTACH,
       OPT_GROUP, OPT_MAX_ENTRIES, OPT_TOOL_BASE = 512 };

static void usage(FILE *f)
{
	const struct tool *const *tp, *t;

	fprintf(f,
		"Usage: pinsight-load [-v] [-j|-p] TOOL [--name NAME] [--pid PID] [--comm COMM]\n"
		"                     [--attach VARIANT] [--replace] [--group GROUP]\n"
		"                     [--max-entries MAP=N]... [TOOL OPTIONS]\n"
		"       pinsight-load [-j|-p] list\n"
		"       pinsight-load unload INSTANCE... | --all\n"
		"       pinsight-load --config FILE [check|unload]   (see pinsight-load(8))\n"
		"       pinsight-load [-j|-p] doctor\n"
		"       pinsight-load TOOL --help\n\n"
		"Loads TOOL, attaches it, pins it under %s/<instance>\n"
		"(instance = TOOL or TOOL@NAME) and exits; the programs keep running.\n\n"
		"Tools:\n", pin_root());
	for (tp = tools; (t = *tp); tp++)
		fprintf(f, "  %-12s %s\n", t->name, t->summary);
	fprintf(f, "\n  -v  libbpf debug output (the verifier log on failure)\n"
		   "  -j  JSON output, -p pretty JSON\n\n" EXIT_CODES_HELP);
}

static void tool_usage(const struct tool *t)
{
	const char *const *v;
	const struct tool_opt *o;

	printf("Usage: pinsight-load %s [--name NAME] [--pid PID] [--comm COMM] [--replace]",
	       t->name);
	if (t->variants)
		printf(" [--attach VARIANT]");
	printf(" [options]\n%s\n", t->summary);
	if (t->example)
		printf("Example: pinsight-load %s %s\n", t->name, t->example);
	printf("\n");
	for (o = t->opts; o && o->name; o++) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s%s%s", o->name,
			 o->arg ? " " : "", o->arg ?: "");
		printf("  %-26s %s\n", flag, o->help);
	}
	if (t->variants) {
		printf("  %-26s one of:", "--attach VARIANT");
		for (v = t->variants; *v; v++)
			printf(" %s", *v);
		printf(" (default: the first that loads)\n");
	}
	printf("  %-26s pins readable (not writable) by GROUP; default root only\n"
	       "  %-26s size MAP for N entries (repeatable; at most what\n"
	       "  %-26s the map type and half the free memory allow)\n",
	       "--group GROUP", "--max-entries MAP=N", "");
	printf("\n" EXIT_CODES_HELP);
}

static int cmd_tool(const struct tool *t, int argc, char **argv)
{
	struct option longopts[MAX_TOOL_OPTS + 10] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "replace", no_argument, NULL, OPT_REPLACE },
		{ "attach", required_argument, NULL, OPT_ATTACH },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "help", no_argument, NULL, 'h' },
	};
	struct load_req req = { .tool = t };
	const char *name = NULL;
	char inst[80];
	int i, n = 8, opt, code;

	for (i = 0; t->opts && t->opts[i].name; i++, n++) {
		if (i >= MAX_TOOL_OPTS)
			return EXIT_FAIL;
		longopts[n] = (struct option){
			t->opts[i].name,
			t->opts[i].arg ? required_argument : no_argument, NULL,
			OPT_TOOL_BASE + i
		};
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_NAME: name = optarg; break;
		case OPT_PID: req.pid = optarg; break;
		case OPT_COMM: req.comm = optarg; break;
		case OPT_REPLACE: req.replace = true; break;
		case OPT_ATTACH: req.variant = optarg; break;
		case OPT_GROUP: req.group = optarg; break;
		case OPT_MAX_ENTRIES:
			if (req.nr_max_entries == MAX_TOOL_OPTS) {
				p_err("%s: too many --max-entries", t->name);
				return EXIT_USAGE;
			}
			req.max_entries[req.nr_max_entries++] = optarg;
			break;
		case 'h':
			tool_usage(t);
			return EXIT_OK;
		default:
			if (opt >= OPT_TOOL_BASE) {
				req.vals[opt - OPT_TOOL_BASE] = optarg ?: "1";
				break;
			}
			fprintf(stderr, "Try 'pinsight-load %s --help'.\n",
				t->name);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		p_err("%s: unexpected argument '%s'", t->name, argv[optind]);
		return EXIT_USAGE;
	}
	for (i = 0; t->required && t->opts && t->opts[i].name; i++) {
		char words[256], word[80];

		snprintf(words, sizeof(words), ",%s,", t->required);
		snprintf(word, sizeof(word), ",%s,", t->opts[i].name);
		if (strstr(words, word) && !req.vals[i]) {
			p_err("%s: --%s %s is required", t->name,
			      t->opts[i].name, t->opts[i].arg ?: "");
			return EXIT_USAGE;
		}
	}
	if (snprintf(inst, sizeof(inst), "%s%s%s", t->name, name ? "@" : "",
		     name ?: "") >= (int)sizeof(inst) ||
	    inst_name_check(inst)) {
		p_err("%s: --name '%.80s' is not valid (use [A-Za-z0-9_-], at most 64 characters in all)",
		      t->name, name ?: "");
		return EXIT_USAGE;
	}
	req.inst = inst;
	instance_load(&req, &code);
	return code;
}

static int cmd_unload(int argc, char **argv)
{
	int i, code = EXIT_OK, c;

	if (argc < 2) {
		p_err("unload: name an instance, or --all");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--all")) {
		instance_unload_all(&code);
		return code;
	}
	for (i = 1; i < argc; i++) {
		instance_unload(argv[i], &c);
		if (c)
			code = c;
	}
	return code;
}

int main(int argc, char **argv)
{
	const struct tool *t;
	const char *config = NULL;
	bool pretty = false;
	int opt;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{},
	};

	prog_name = "pinsight-load";
	while ((opt = getopt_long(argc, argv, "+vjph", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v': verbose = true; break;
		case 'p': /* fall through: pretty implies JSON */
		case 'j': json_output = true; pretty |= opt == 'p'; break;
		case 'c': config = optarg; break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (config) /* boot-time pinning: config.c */
		return config_main(config, argc - optind, argv + optind,
				   cmd_tool);
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argv += optind;
	argc -= optind;
	if (!strcmp(argv[0], "list"))
		return exit_code_for(pm_list(json_output, pretty));
	if (!strcmp(argv[0], "doctor"))
		return cmd_doctor(pretty);
	if (!strcmp(argv[0], "unload"))
		return cmd_unload(argc, argv);
	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	t = tool_find(argv[0]);
	if (!t) {
		p_err("%.80s: unknown tool (see pinsight-load --help)", argv[0]);
		return EXIT_NOENT;
	}
	return cmd_tool(t, argc, argv);
}
