// SPDX-License-Identifier: GPL-2.0
/*
 * bench: the C half of `make bench` (bench.sh is the other half). Each
 * subcommand measures one thing in-process, where a shell would add noise:
 *   bench loop KIND N [COMM]      N iterations of a hook-firing loop: ns/op
 *   bench event [OPTS] COND...    per-event cost, conditions interleaved
 *   bench fill INST MAP NEW N     instance NEW holding a copy of MAP, N keys
 *   bench hold [-O OBJ] [-p PID] SPEC   keep floor programs (or bare perf
 *                                 events); -p: uprobes in PID, not in bench
 *                                 attached until stdin closes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include "bench.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench loop KIND N [COMM]\n"
		"       bench event [-r REPS] [-n ITERS] [-c COMM] [-l KIND] [-O BPF_OBJ] COND...\n"
		"       bench fill INSTANCE MAP NEW_INSTANCE KEYS\n"
		"       bench hold [-O BPF_OBJ] [-p PID] PROG[@BIN:FUNC][,...] | perf\n"
		"KIND: read malloc func func5 connect switch cpu exec getppid\n"
		"COND: NAME=none | NAME=progs:PROG[@BINARY:FUNC[+N]],... |\n"
		"      NAME=sh:SETUP%%%%TEARDOWN | NAME=bpftrace:[-p PID ]SCRIPT\n"
		"      (@PID@ in a SPEC is replaced by the pid of the loop);\n"
		"      NAME=otel+COND: the loop publishes an OpenTelemetry context\n"
		"      (OTEP 4719 process context, OTEP 4947 span) while COND runs\n");
}

int cmd_loop(int argc, char **argv)
{
	struct loop *l;
	double ns;
	long n;
	int err;

	if (argc < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	n = atol(argv[2]);
	if (argc > 3)
		prctl(PR_SET_NAME, argv[3]);
	err = loop_new(argv[1], &l);
	if (err)
		return exit_code_for(err);
	err = loop_run(l, n, &ns);
	loop_free(l);
	if (err)
		return exit_code_for(err);
	printf("%.1f\n", ns);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	prog_name = "bench";
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "loop"))
		return cmd_loop(argc - 1, argv + 1);
	if (!strcmp(argv[1], "event"))
		return cmd_event(argc - 1, argv + 1);
	if (!strcmp(argv[1], "fill"))
		return cmd_fill(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(argc - 1, argv + 1);
	usage(strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? stderr :
								     stdout);
	return strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? EXIT_USAGE :
								     EXIT_OK;
}
