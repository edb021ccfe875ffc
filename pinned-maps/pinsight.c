// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight: read what pinsight-load pinned. Everything is decoded from BTF
 * (PIN-LAYOUT.md), so this file knows commands, not tools.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"

static bool pretty;
static bool per_pid;

static const char usage_main[] =
	"Usage: pinsight [-j|-p] [-v] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  list                          instances, programs, maps, config\n"
	"  show INSTANCE [MAP]           decode an instance's pinned maps\n"
	"  metrics [--per-pid] [INSTANCE...]\n"
	"                                Prometheus text exposition\n"
	"\n"
	"Options:\n"
	"  -j, --json     JSON output (errors as {\"error\": ...})\n"
	"  -p, --pretty   indented JSON (implies -j)\n"
	"  -v, --verbose  libbpf debug output\n"
	"  -h, --help     this help; `pinsight COMMAND --help` for a command's\n"
	"\n"
	"Pins are read from $PINSIGHT_PIN_ROOT, default " PIN_ROOT_DEFAULT
	".\n" EXIT_CODES_HELP;

static const char usage_list[] =
	"Usage: pinsight [-j|-p] list\n"
	"\n"
	"Every instance: its programs (link pins: link type, attach point,\n"
	"program id, run count and average run time when\n"
	"kernel.bpf_stats_enabled=1), its maps (type, entries in use) and its\n"
	"config (the rodata variables).\n" EXIT_CODES_HELP;

static const char usage_show[] =
	"Usage: pinsight [-j|-p] show INSTANCE [MAP]\n"
	"\n"
	"Decode every pinned map of INSTANCE (or only MAP) from its BTF. Hash\n"
	"and array maps are tables, key fields first, sorted by the first\n"
	"value column, descending; histograms are log2 tables, one per row;\n"
	"bss/data are name = value; rodata is the config. Per-CPU values are\n"
	"summed over CPUs.\n"
	"\n"
	"With -j: [{\"map\", \"type\", \"entries\": [{\"key\", \"value\"}]}], keys and\n"
	"values as in `bpftool map dump -j`'s \"formatted\" objects, except that\n"
	"per-CPU maps have the summed \"value\" instead of \"values\" per CPU.\n" EXIT_CODES_HELP;

static const char usage_metrics[] =
	"Usage: pinsight metrics [--per-pid] [INSTANCE...]\n"
	"\n"
	"Prometheus text exposition of every instance (or those named):\n"
	"key fields are labels, value fields counters (_total), gauges or\n"
	"histograms (_bucket, _sum, _count; _ns and _us in seconds).\n"
	"  --per-pid   keep pid/tgid/tid labels (default: summed away, since\n"
	"              an unbounded pid label is a cardinality trap)\n" EXIT_CODES_HELP;

static int usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_err(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p_err("%s", buf);
	fputs(usage_main, stderr);
	return EXIT_USAGE;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* we report failures ourselves; libbpf's own lines only with -v */
	if (!verbose && level != LIBBPF_WARN)
		return 0;
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int cmd_list(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_err("list: unexpected argument '%s'", argv[0]);
	return exit_code_for(pm_list(json_output, pretty));
}

static int show_one(const struct pm_instance *in, struct pm_map *m,
		    json_writer_t *jw)
{
	int err;

	if (m->decodable) {
		err = pm_map_read(m);
		if (err)
			return err;
	}
	if (jw)
		return pm_render_json(jw, m);
	return pm_render_table(stdout, in, m);
}

static int cmd_show(int argc, char **argv)
{
	struct pm_instance *in = NULL;
	json_writer_t *jw = NULL;
	struct pm_map *m;
	int i, err, ret = 0;

	if (argc < 1 || argc > 2)
		return usage_err("show: expected INSTANCE [MAP]");
	err = pm_instance_open(argv[0], &in);
	if (err)
		return err == -EINVAL ? EXIT_USAGE : exit_code_for(err);
	if (argc == 2) {
		m = pm_instance_map(in, argv[1]);
		if (!m) {
			p_err("%s: maps/%s: no such map", in->name, argv[1]);
			ret = -ENOENT;
			goto cleanup;
		}
		if (!m->decodable) {
			/* asked for by name: say why there is nothing */
			ret = pm_map_read(m);
			goto cleanup;
		}
	}
	if (json_output) {
		jw = jsonw_new(stdout, pretty);
		if (!jw) {
			ret = -ENOMEM;
			goto cleanup;
		}
		jsonw_start_array(jw);
	}
	for (i = 0; i < in->map_cnt; i++) {
		m = in->maps[i];
		if (argc == 2 && strcmp(m->name, argv[1]))
			continue;
		if (!jw && i && argc == 1)
			putchar('\n');
		err = show_one(in, m, jw);
		if (err && !ret)
			ret = err;
	}
	if (jw) {
		jsonw_end_array(jw);
		jsonw_destroy(&jw);
	}
cleanup:
	pm_instance_close(in);
	return exit_code_for(ret);
}

static int cmd_metrics(int argc, char **argv)
{
	struct pm_instance *in;
	struct pm_prom *p;
	char **names = NULL;
	int i, n, err, ret = 0;

	if (json_output)
		return usage_err("metrics: no JSON output (-j/-p)");
	p = pm_prom_new(per_pid);
	if (!p)
		return EXIT_FAIL;
	if (argc) {
		names = argv;
		n = argc;
	} else {
		n = inst_list(&names);
		if (n < 0) {
			p_err("%s: %s", pin_root(), strerror(-n));
			ret = n;
			goto cleanup;
		}
	}
	for (i = 0; i < n; i++) {
		err = pm_instance_open(names[i], &in);
		if (err == -EINVAL) {
			ret = ret ? ret : err;
			goto cleanup;
		}
		if (!err) {
			err = pm_prom_add_instance(p, in);
			pm_instance_close(in);
		}
		/* print what could be read; the exit code tells the rest */
		if (err && !ret)
			ret = err;
	}
	err = pm_prom_print(p, stdout);
	if (err && !ret)
		ret = err;
cleanup:
	if (!argc)
		strv_free(names);
	pm_prom_free(p);
	return ret == -EINVAL ? EXIT_USAGE : exit_code_for(ret);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "list", cmd_list, usage_list },
	{ "show", cmd_show, usage_show },
	{ "metrics", cmd_metrics, usage_metrics },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "per-pid", no_argument, NULL, 'P' },
		{}
	};
	bool help = false;
	size_t i;
	int c;

	prog_name = "pinsight";
	/* options may follow the command (pinsight show io -j): getopt
	 * permutes them to the front
	 */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jpvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = pretty = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			help = true;
			break;
		case 'P':
			per_pid = true;
			break;
		default:
			return usage_err("unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	libbpf_set_print(libbpf_print);
	argc -= optind;
	argv += optind;
	if (!argc) {
		if (help) {
			fputs(usage_main, stdout);
			return EXIT_OK;
		}
		return usage_err("no command given");
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name))
			continue;
		if (help) {
			fputs(cmds[i].usage, stdout);
			return EXIT_OK;
		}
		if (per_pid && cmds[i].fn != cmd_metrics)
			return usage_err(
				"%s: --per-pid is an option of metrics",
				argv[0]);
		return cmds[i].fn(argc - 1, argv + 1);
	}
	if (!strcmp(argv[0], "help")) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	return usage_err("%s: unknown command", argv[0]);
}
