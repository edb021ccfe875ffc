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
#include <linux/bpf.h>
#include "log.h"
#include "pin_layout.h"
#include "cmd.h"
#include "http.h"
#include "pinmaps.h"

static const char usage_main[] =
	"Usage: pinsight [-j|-p] [-v] COMMAND [ARGS]\n"
	"       pinsight --version\n"
	"\n"
	"Commands:\n"
	"  list                          instances, programs, maps, config\n"
	"  show INSTANCE [MAP] [--interval DURATION [--count N]]\n"
	"                                decode an instance's pinned maps, or\n"
	"                                what changed every DURATION\n"
	"  reset INSTANCE [MAP]          zero counters, without a reload\n"
	"  metrics [--per-pid] [--openmetrics] [--http | --textfile FILE.prom]\n"
	"          [INSTANCE...]         Prometheus or OpenMetrics exposition\n"
	"  alerts [--follow] [INSTANCE...]  print (and consume) pending alerts\n"
	"  profile INSTANCE [--top N] [--folded] [--svg F] [--pprof F]\n"
	"                                symbolized CPU profile, flame graph\n"
	"  help [COMMAND]                this help, or a command's\n"
	"\n"
	"Options:\n"
	"  -j, --json     JSON output (errors as {\"error\": ...})\n"
	"  -p, --pretty   indented JSON (implies -j)\n"
	"  -v, --verbose  libbpf debug output\n"
	"  -h, --help     this help; `pinsight COMMAND --help` for a command's\n"
	"  -V, --version  the version and the libbpf in use\n"
	"Options may also follow the command; a command may be abbreviated.\n"
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

const char usage_metrics[] =
	"Usage: pinsight metrics [--per-pid] [--openmetrics] [--http | --textfile FILE.prom]\n"
	"                        [INSTANCE...]\n"
	"\n"
	"Prometheus text exposition of every instance (or those named):\n"
	"key fields are labels, value fields counters (_total), gauges or\n"
	"histograms (_bucket, _sum, _count; _ns and _us in seconds).\n"
	"  --per-pid   keep pid/tgid/tid labels (default: summed away, since\n"
	"              an unbounded pid label is a cardinality trap)\n"
	"  --openmetrics\n"
	"              OpenMetrics 1.0 text instead, whose histogram buckets\n"
	"              carry exemplars: the trace id of a recent call in them\n"
	"              made under an OpenTelemetry context (funclat, io)\n"
	"  --http      answer one HTTP request on stdin/stdout (inetd style,\n"
	"              for pinsight-metrics.socket): GET /metrics, else 404;\n"
	"              OpenMetrics when the Accept header prefers it\n"
	"  --textfile FILE.prom\n"
	"              write FILE.prom atomically (node_exporter textfile)\n" EXIT_CODES_HELP;

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
	int c = cmd_args(argc, argv, usage_list, 0, 0);

	if (c != -1)
		return c;
	return exit_code_for(pm_list(json_output));
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "per-pid", no_argument, NULL, 'P' },
		{ "http", no_argument, NULL, 'H' },
		{ "textfile", required_argument, NULL, 'T' },
		{ "openmetrics", no_argument, NULL, 'O' },
		{},
	};
	struct pm_instance *in;
	struct pm_prom *p;
	char **names = NULL;
	const char *textfile = NULL;
	bool per_pid = false, http = false, om = false, asked_om, head;
	int i, n, err, ret = 0;

	while ((err = cmd_getopt(argc, argv, NULL, opts, usage_metrics)) != -1) {
		if (err == CMD_HELP)
			return EXIT_OK;
		if (err == CMD_BAD)
			return EXIT_USAGE;
		per_pid |= err == 'P';
		http |= err == 'H';
		om |= err == 'O';
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
	/* node_exporter's textfile collector reads the text format only */
	if (om && textfile)
		return cmd_usage_err(
			usage_metrics,
			"metrics: --textfile is the text format: no --openmetrics");
	/* the request first: a 404 or a timeout costs no map reads */
	if (http) {
		signal(SIGPIPE, SIG_IGN); /* a vanished client is an EPIPE */
		err = pm_http_request(STDIN_FILENO, STDOUT_FILENO, &head,
				      &asked_om);
		if (err)
			return err < 0 ? EXIT_FAIL : EXIT_OK;
		om |= asked_om;
	}
	p = pm_prom_new(per_pid);
	if (!p)
		return EXIT_FAIL;
	pm_prom_set_openmetrics(p, om);
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
	return exit_code_for(ret);
}

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "list", cmd_list, usage_list },
	{ "show", cmd_show, usage_show },
	{ "reset", cmd_reset, usage_reset },
	{ "metrics", cmd_metrics, usage_metrics },
	{ "alerts", cmd_alerts, usage_alerts },
	{ "profile", cmd_profile, usage_profile },
	{ "help", cmd_help, usage_main },
	{},
};

/* pinsight help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;
	bool ambiguous;
	int err = cmd_args(argc, argv, usage_main, 0, 1);

	if (err != -1)
		return err;
	if (optind == argc) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	c = cmd_find(cmds, argv[optind], &ambiguous);
	if (!c)
		return cmd_usage_err(usage_main, "%s: %s command", argv[optind],
				     ambiguous ? "ambiguous" : "unknown");
	fputs(c->usage, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;
	bool help = false, ambiguous;
	int c;

	prog_name = "pinsight";
	cmd_json_prescan(argc, argv);
	while ((c = cmd_global_getopt(argc, argv, NULL, usage_main, &help)) !=
	       -1) {
		if (c == CMD_BAD)
			return EXIT_USAGE;
		if (c == CMD_VERSION)
			return EXIT_OK;
	}
	libbpf_set_print(libbpf_print);
	argc -= optind;
	argv += optind;
	if (!argc) {
		if (help) {
			fputs(usage_main, stdout);
			return EXIT_OK;
		}
		return cmd_usage_err(usage_main, "no command given");
	}
	cmd = cmd_find(cmds, argv[0], &ambiguous);
	if (!cmd)
		return cmd_usage_err(usage_main, "%s: %s command", argv[0],
				     ambiguous ? "ambiguous" : "unknown");
	if (help) {
		fputs(cmd->usage, stdout);
		return EXIT_OK;
	}
	/* 0, not 1: glibc then forgets the "+" of the scan above */
	optind = 0;
	return cmd->fn(argc, argv);
}
