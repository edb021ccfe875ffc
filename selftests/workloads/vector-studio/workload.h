/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the vector-studio workloads, C and C++ alike: how a probe target
 * is declared, how -h and unknown options end, and the onnx/cuda stubs'
 * options.
 */
#ifndef VS_WORKLOAD_H
#define VS_WORKLOAD_H
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * noclone as well as noinline: with -O2 GCC may otherwise call a private
 * .isra/.constprop copy, and a uprobe on the exported symbol would never fire.
 * clang has no noclone (and would warn), and does not clone exported functions.
 */
#if defined(__clang__)
#define PROBE_TARGET __attribute__((noinline))
#else
#define PROBE_TARGET __attribute__((noinline, noclone))
#endif

/*
 * getopt's @c that no case took: -h prints usage to stdout and exits 0,
 * anything else prints it to stderr and returns -1 (bad arguments).
 */
static inline int workload_usage(int c, void (*usage)(FILE *))
{
	if (c == 'h') {
		usage(stdout);
		exit(0);
	}
	usage(stderr);
	return -1;
}

/*
 * The stubs' options: -n ITERATIONS, -s SLEEP_US (up to 10 s) and, when
 * elements is not NULL, -e ELEMENTS (1..2^24); -h prints usage and exits 0.
 * Returns 0, or -1 after printing usage for bad arguments.
 */
static inline int stub_parse_args(int argc, char **argv, void (*usage)(FILE *),
				  long *iters, long *sleep_us, int *elements)
{
	struct option lo[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "sleep-us", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "elements", required_argument, NULL, 'e' },
		{},
	};
	int c;

	/* A stub without -e must not know --elements either. */
	if (!elements)
		memset(&lo[3], 0, sizeof(lo[3]));
	while ((c = getopt_long(argc, argv, elements ? "n:s:e:h" : "n:s:h", lo,
				NULL)) != -1) {
		switch (c) {
		case 'n':
			*iters = atol(optarg);
			break;
		case 's':
			*sleep_us = atol(optarg);
			break;
		case 'e':
			*elements = atoi(optarg);
			break;
		default:
			return workload_usage(c, usage);
		}
	}
	if (*iters < 0 || *sleep_us < 0 || *sleep_us > 10000000 ||
	    (elements && (*elements < 1 || *elements > (1 << 24)))) {
		usage(stderr);
		return -1;
	}
	return 0;
}

#endif
