// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cmdline.h"
#include "json_writer.h"
#include "log.h"
#include "version.h"

bool pretty;
const char pinsight_version[] = PINSIGHT_VERSION;

void cmd_print_version(void)
{
	json_writer_t *jw;
	char libbpf[32];

	snprintf(libbpf, sizeof(libbpf), "v%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	if (!json_output) {
		printf("%s %s\nusing libbpf %s\n", prog_name, pinsight_version,
		       libbpf);
		return;
	}
	jw = jsonw_new(stdout, pretty);
	if (!jw)
		return;
	jsonw_start_object(jw);
	jsonw_string_field(jw, "name", prog_name);
	jsonw_string_field(jw, "version", pinsight_version);
	jsonw_string_field(jw, "libbpf", libbpf);
	jsonw_end_object(jw);
	jsonw_destroy(&jw);
}

int cmd_json_array_begin(bool json, json_writer_t **jw)
{
	*jw = NULL;
	if (!json)
		return 0;
	*jw = jsonw_new(stdout, pretty);
	if (!*jw)
		return -ENOMEM;
	jsonw_start_array(*jw);
	return 0;
}

void cmd_json_array_end(json_writer_t **jw)
{
	if (!*jw)
		return;
	jsonw_end_array(*jw);
	jsonw_destroy(jw);
}

const struct cmd *cmd_find(const struct cmd *cmds, const char *word,
			   bool *ambiguous)
{
	const struct cmd *c, *found = NULL;
	size_t len = strlen(word);

	*ambiguous = false;
	if (!len)
		return NULL;
	for (c = cmds; c->name; c++) {
		if (!strcmp(c->name, word))
			return c;
		if (strncmp(c->name, word, len))
			continue;
		if (found)
			*ambiguous = true;
		found = c;
	}
	return *ambiguous ? NULL : found;
}

void cmd_json_prescan(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			json_output = true;
		if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			json_output = pretty = true;
	}
}

int cmd_usage_err(const char *usage, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p_err("%s", buf);
	fputs(usage, stderr);
	return EXIT_USAGE;
}

/*
 * Both parses: a command's (@help NULL: options anywhere, -h prints
 * @usage) and the global one before the command (@help set: stop at the
 * first word, -h only noted, messages without a command's name).
 */
static int getopt_common(int argc, char **argv, const char *extra_short,
			 const struct option *extra, const char *usage,
			 bool *help)
{
	static const struct option common[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
	};
	const char *who = help ? "" : argv[0], *sep = help ? "" : ": ";
	struct option all[64];
	char shorts[64];
	size_t n = 0, i;
	int c;

	for (i = 0; extra && extra[i].name && n < 59; i++)
		all[n++] = extra[i];
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		all[n++] = common[i];
	all[n] = (struct option){};
	/*
	 * "+": the global parse stops at the command, which parses the rest.
	 * ':' tells a missing value (':') from an unknown option ('?').
	 */
	snprintf(shorts, sizeof(shorts), "%s:jpvhV%s", help ? "+" : "",
		 extra_short ?: "");
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, shorts, all, NULL);
		switch (c) {
		case 'j':
			json_output = true;
			continue;
		case 'p':
			json_output = pretty = true;
			continue;
		case 'v':
			verbose = true;
			continue;
		case 'V':
			/* like -h: the command does nothing else */
			cmd_print_version();
			return help ? CMD_VERSION : CMD_HELP;
		case 'h':
			if (help) {
				*help = true;
				continue;
			}
			fputs(usage, stdout);
			return CMD_HELP;
		case ':':
			cmd_usage_err(usage,
				      "%s%soption '%s' requires an argument",
				      who, sep, argv[optind - 1]);
			return CMD_BAD;
		case '?':
			if (optopt && optopt < 256)
				cmd_usage_err(usage, "%s%sunknown option '-%c'",
					      who, sep, optopt);
			else
				cmd_usage_err(usage, "%s%sunknown option '%s'",
					      who, sep, argv[optind - 1]);
			return CMD_BAD;
		default:
			return c;
		}
	}
}

int cmd_getopt(int argc, char **argv, const char *extra_short,
	       const struct option *extra, const char *usage)
{
	return getopt_common(argc, argv, extra_short, extra, usage, NULL);
}

int cmd_global_getopt(int argc, char **argv, const struct option *extra,
		      const char *usage, bool *help)
{
	return getopt_common(argc, argv, NULL, extra, usage, help);
}

int cmd_args(int argc, char **argv, const char *usage, int min, int max)
{
	int c = cmd_getopt(argc, argv, NULL, NULL, usage), n;

	if (c == CMD_HELP)
		return EXIT_OK;
	if (c != -1)
		return EXIT_USAGE;
	n = argc - optind;
	if (n < min)
		return cmd_usage_err(usage, "%s: expected more arguments",
				     argv[0]);
	if (max >= 0 && n > max)
		return cmd_usage_err(usage, "%s: unexpected argument '%s'",
				     argv[0], argv[optind + max]);
	return -1;
}

char *usage_string(void (*print)(FILE *f, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t sz;
	FILE *f = open_memstream(&buf, &sz);

	if (!f)
		return NULL;
	print(f, arg);
	fclose(f);
	return buf;
}
