// SPDX-License-Identifier: GPL-2.0
/*
 * A tool's command line, TOOL[@NAME] [options], into a load request: the
 * one parse behind a load, a config line and doctor's trial loads, so
 * they accept and refuse the same things.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"
#include "log.h"
#include "pin_layout.h"
#include "toolargs.h"

enum {
	OPT_NAME = 256,
	OPT_PID,
	OPT_COMM,
	OPT_REPLACE,
	OPT_ATTACH,
	OPT_GROUP,
	OPT_MAX_ENTRIES,
	OPT_DURATION,
	OPT_TOOL_BASE = 512
};

void tool_usage(FILE *f, const void *arg)
{
	const struct tool *t = arg;
	const char *const *v;
	const struct tool_opt *o;

	fprintf(f,
		"Usage: pinsight-load %s[@NAME] [--name NAME] [--pid PID] [--comm COMM] [--duration DURATION] [--replace]",
		t->name);
	if (t->variants)
		fprintf(f, " [--attach VARIANT]");
	fprintf(f, " [options]\n%s\n", t->summary);
	if (t->example)
		fprintf(f, "Example: pinsight-load %s %s\n", t->name,
			t->example);
	fprintf(f, "\n");
	for (o = t->opts; o && o->name; o++) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s%s%s", o->name,
			 o->arg ? " " : "", o->arg ?: "");
		fprintf(f, "  %-26s %s\n", flag, o->help);
	}
	if (t->variants) {
		fprintf(f, "  %-26s one of:", "--attach VARIANT");
		for (v = t->variants; *v; v++)
			fprintf(f, " %s", *v);
		fprintf(f, " (default: the first that loads)\n");
	}
	fprintf(f,
		"  %-26s pins readable (not writable) by GROUP; default root only\n"
		"  %-26s size MAP for N entries (repeatable; at most what\n"
		"  %-26s the map type and half the free memory allow)\n"
		"  %-26s stop counting after DURATION (10m, 2h), then the\n"
		"  %-26s instance is expired: unload --finished removes it\n"
		"  %-26s (as it does one whose --pid process exited)\n",
		"--group GROUP", "--max-entries MAP=N", "",
		"--duration DURATION", "", "");
	fprintf(f, "\n" EXIT_CODES_HELP);
}

int tool_args(const struct tool *t, const char *name, int argc, char **argv,
	      struct load_req *req, char *inst, size_t inst_sz)
{
	struct option longopts[MAX_TOOL_OPTS + 10] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "replace", no_argument, NULL, OPT_REPLACE },
		{ "attach", required_argument, NULL, OPT_ATTACH },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "duration", required_argument, NULL, OPT_DURATION },
	};
	const char *at_name = name;
	char *usage_t;
	int i, n = 8, opt, code = EXIT_USAGE;

	req->tool = t;
	for (i = 0; t->opts && t->opts[i].name; i++, n++) {
		if (i >= MAX_TOOL_OPTS)
			return EXIT_FAIL;
		longopts[n] =
			(struct option){ t->opts[i].name,
					 t->opts[i].arg ? required_argument
							: no_argument,
					 NULL, OPT_TOOL_BASE + i };
	}
	usage_t = usage_string(tool_usage, t);
	if (!usage_t)
		return EXIT_FAIL;
	optind = 0;
	while ((opt = cmd_getopt(argc, argv, NULL, longopts, usage_t)) != -1) {
		switch (opt) {
		case CMD_HELP:
			code = EXIT_OK;
			goto cleanup;
		case CMD_BAD:
			goto cleanup;
		case OPT_NAME:
			if (at_name) {
				p_err("%s@%s: TOOL@NAME and --name both name the instance",
				      t->name, at_name);
				goto cleanup;
			}
			name = optarg;
			break;
		case OPT_PID:
			req->pid = optarg;
			break;
		case OPT_COMM:
			req->comm = optarg;
			break;
		case OPT_REPLACE:
			req->replace = true;
			break;
		case OPT_ATTACH:
			req->variant = optarg;
			break;
		case OPT_GROUP:
			req->group = optarg;
			break;
		case OPT_DURATION:
			req->duration = optarg;
			break;
		case OPT_MAX_ENTRIES:
			if (req->nr_max_entries == MAX_TOOL_OPTS) {
				p_err("%s: too many --max-entries", t->name);
				goto cleanup;
			}
			req->max_entries[req->nr_max_entries++] = optarg;
			break;
		default:
			req->vals[opt - OPT_TOOL_BASE] = optarg ?: "1";
			break;
		}
	}
	if (optind < argc) {
		cmd_usage_err(usage_t, "%s: unexpected argument '%s'", t->name,
			      argv[optind]);
		goto cleanup;
	}
	for (i = 0; t->required && t->opts && t->opts[i].name; i++) {
		char words[256], word[80];

		snprintf(words, sizeof(words), ",%s,", t->required);
		snprintf(word, sizeof(word), ",%s,", t->opts[i].name);
		if (strstr(words, word) && !req->vals[i]) {
			p_err("%s: --%s %s is required", t->name,
			      t->opts[i].name, t->opts[i].arg ?: "");
			goto cleanup;
		}
	}
	if (snprintf(inst, inst_sz, "%s%s%s", t->name, name ? "@" : "",
		     name ?: "") >= (int)inst_sz ||
	    inst_name_check(inst)) {
		if (at_name)
			p_err("%s@%.80s: not a valid instance name (use [A-Za-z0-9_-], at most 64 characters in all)",
			      t->name, name);
		else
			p_err("%s: --name '%.80s' is not valid (use [A-Za-z0-9_-], at most 64 characters in all)",
			      t->name, name ?: "");
		goto cleanup;
	}
	req->inst = inst;
	code = -1;
cleanup:
	free(usage_t);
	return code;
}
