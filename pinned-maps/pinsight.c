// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight: read what pinsight-load pinned. Everything is decoded from BTF
 * (PIN-LAYOUT.md), so this file knows commands, not tools.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pin_layout.h"
#include "cmd.h"
#include "http.h"
#include "pinmaps.h"

bool pretty;

static const char usage_main[] =
	"Usage: pinsight [-j|-p] [-v] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  list                          instances, programs, maps, config\n"
	"  show INSTANCE [MAP]           decode an instance's pinned maps\n"
	"  metrics [--per-pid] [--http | --textfile FILE.prom] [INSTANCE...]\n"
	"                                Prometheus text exposition\n"
	"  alerts [--follow] [INSTANCE...]  print (and consume) pending alerts\n"
	"  profile INSTANCE [--top N] [--folded] [--svg F] [--pprof F]\n"
	"                                symbolized CPU profile, flame graph\n"
	"\n"
	"Options:\n"
	"  -j, --json     JSON output (errors as {\"error\": ...})\n"
	"  -p, --pretty   indented JSON (implies -j)\n"
	"  -v, --verbose  libbpf debug output\n"
	"  -h, --help     this help; `pinsight COMMAND --help` for a command's\n"
	"Options may also follow the command.\n"
	"\n"
	"Pins are read from $PINSIGHT_PIN_ROOT, default " PIN_ROOT_DEFAULT
	".\n" EXIT_CODES_HELP;

const char usage_list[] =
	"Usage: pinsight [-j|-p] list\n"
	"\n"
	"Every instance: its programs (link pins: link type, attach point,\n"
	"program id, run count and average run time when\n"
	"kernel.bpf_stats_enabled=1), its maps (type, entries in use) and its\n"
	"config (the rodata variables).\n" EXIT_CODES_HELP;

const char usage_show[] =
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

const char usage_metrics[] =
	"Usage: pinsight metrics [--per-pid] [--http | --textfile FILE.prom] [INSTANCE...]\n"
	"\n"
	"Prometheus text exposition of every instance (or those named):\n"
	"key fields are labels, value fields counters (_total), gauges or\n"
	"histograms (_bucket, _sum, _count; _ns and _us in seconds).\n"
	"  --per-pid   keep pid/tgid/tid labels (default: summed away, since\n"
	"              an unbounded pid label is a cardinality trap)\n"
	"  --http      answer one HTTP request on stdin/stdout (inetd style,\n"
	"              for pinsight-metrics.socket): GET /metrics, else 404\n"
	"  --textfile FILE.prom\n"
	"              write FILE.prom atomically (node_exporter textfile)\n" EXIT_CODES_HELP;

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

int cmd_getopt(int argc, char **argv, const char *extra_short,
	       const struct option *extra, const char *usage)
{
	static const struct option common[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option all[64];
	char shorts[64];
	size_t n = 0, i;
	int c;

	for (i = 0; extra && extra[i].name && n < 59; i++)
		all[n++] = extra[i];
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		all[n++] = common[i];
	all[n] = (struct option){};
	snprintf(shorts, sizeof(shorts), "jpvh%s", extra_short ?: "");
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
		case 'h':
			fputs(usage, stdout);
			return CMD_HELP;
		case '?':
		case ':':
			cmd_usage_err(usage, "%s: unknown option or missing value '%s'",
				      argv[0], argv[optind - 1]);
			return CMD_BAD;
		default:
			return c;
		}
	}
}

/* The common loop for commands with no options of their own. */
static int no_opts(int argc, char **argv, const char *usage)
{
	int c = cmd_getopt(argc, argv, NULL, NULL, usage);

	if (c == CMD_HELP)
		return EXIT_OK;
	if (c != -1)
		return EXIT_USAGE;
	return -1;
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

int cmd_list(int argc, char **argv)
{
	int c = no_opts(argc, argv, usage_list);

	if (c != -1)
		return c;
	if (optind < argc)
		return cmd_usage_err(usage_list, "list: unexpected argument '%s'",
				     argv[optind]);
	return exit_code_for(pm_list(json_output, pretty));
}

static int show_one(const struct pm_instance *in, struct pm_map *m,
		    json_writer_t *jw)
{
	int err;

	if (jw) /* streams the map: memory is a batch, not the map */
		return pm_render_json(jw, m);
	/* a table is sorted: it needs every row */
	if (m->decodable) {
		err = pm_map_read(m);
		if (err)
			return err;
	}
	return pm_render_table(stdout, in, m);
}

int cmd_show(int argc, char **argv)
{
	struct pm_instance *in = NULL;
	json_writer_t *jw = NULL;
	struct pm_map *m;
	int i, err, ret = 0;

	err = no_opts(argc, argv, usage_show);
	if (err != -1)
		return err;
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		return cmd_usage_err(usage_show, "show: expected INSTANCE [MAP]");
	err = pm_instance_open(argv[0], &in);
	if (err)
		return err == -EINVAL ? EXIT_USAGE : exit_code_for(err);
	if (argc == 2) {
		m = pm_instance_map(in, argv[1]);
		if (!m) {
			/* a pin that failed to open was named already */
			if (!in->err)
				p_err("%s: maps/%.80s: no such map", in->name,
				      argv[1]);
			ret = in->err ?: -ENOENT;
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
	if (!ret)
		ret = in->err;
cleanup:
	pm_instance_close(in);
	return exit_code_for(ret);
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "per-pid", no_argument, NULL, 'P' },
		{ "http", no_argument, NULL, 'H' },
		{ "textfile", required_argument, NULL, 'T' },
		{},
	};
	struct pm_instance *in;
	struct pm_prom *p;
	char **names = NULL;
	const char *textfile = NULL;
	bool per_pid = false, http = false, head;
	int i, n, err, ret = 0;

	while ((err = cmd_getopt(argc, argv, NULL, opts, usage_metrics)) != -1) {
		if (err == CMD_HELP)
			return EXIT_OK;
		if (err == CMD_BAD)
			return EXIT_USAGE;
		per_pid |= err == 'P';
		http |= err == 'H';
		textfile = err == 'T' ? optarg : textfile;
	}
	argc -= optind;
	argv += optind;
	if (json_output)
		return cmd_usage_err(usage_metrics,
				     "metrics: no JSON output (-j/-p)");
	if (http && textfile)
		return cmd_usage_err(usage_metrics,
				     "metrics: --http or --textfile, not both");
	/* the request first: a 404 or a timeout costs no map reads */
	if (http) {
		signal(SIGPIPE, SIG_IGN); /* a vanished client is an EPIPE */
		err = pm_http_request(STDIN_FILENO, STDOUT_FILENO, &head);
		if (err)
			return err < 0 ? EXIT_FAIL : EXIT_OK;
	}
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
		int j;

		/* an instance named twice is one set of series, not two */
		for (j = 0; j < i && strcmp(names[j], names[i]); j++)
			;
		if (j < i)
			continue;
		err = pm_instance_open(names[i], &in);
		if (err == -EINVAL) {
			ret = ret ? ret : err;
			goto cleanup;
		}
		if (!err) {
			err = pm_prom_add_instance(p, in) ?: in->err;
			pm_instance_close(in);
		}
		/* print what could be read; the exit code tells the rest */
		if (err && !ret)
			ret = err;
	}
	if (http)
		err = pm_http_send_metrics(p, STDOUT_FILENO, head);
	else if (textfile)
		err = pm_textfile_write(p, textfile);
	else
		err = pm_prom_print(p, stdout);
	http = false; /* answered */
	if (err && !ret)
		ret = err;
cleanup:
	if (http)
		pm_http_error(STDOUT_FILENO, 500);
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
	{ "alerts", cmd_alerts, usage_alerts },
	{ "profile", cmd_profile, usage_profile },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool help = false;
	size_t i;
	int c;

	prog_name = "pinsight";
	opterr = 0;
	/* Global options stop at the command, which parses its own. */
	while ((c = getopt_long(argc, argv, "+jpvh", opts, NULL)) != -1) {
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
		default:
			return cmd_usage_err(usage_main, "unknown option '%s'",
					     argv[optind - 1]);
		}
	}
	libbpf_set_print(libbpf_print);
	argc -= optind;
	argv += optind;
	if (!argc || !strcmp(argv[0], "help")) {
		if (help || argc) {
			fputs(usage_main, stdout);
			return EXIT_OK;
		}
		return cmd_usage_err(usage_main, "no command given");
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name))
			continue;
		if (help) {
			fputs(cmds[i].usage, stdout);
			return EXIT_OK;
		}
		/* 0, not 1: glibc then forgets the "+" of the scan above */
		optind = 0;
		return cmds[i].fn(argc, argv);
	}
	return cmd_usage_err(usage_main, "%s: unknown command", argv[0]);
}
