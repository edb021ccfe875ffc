/* SPDX-License-Identifier: GPL-2.0 */
/* funclat: per-function calls and latency. Shared by funclat.bpf.c and tests.
 */
#ifndef __FUNCLAT_H
#define __FUNCLAT_H

#include "pinsight.h"

#define FUNCLAT_MAX_FUNCS 32 /* a power of two: indexes are masked */
#define FUNCLAT_NAME_LEN  64
/* Nested probed calls tracked per thread (recursion, f calling g). */
#define FUNCLAT_DEPTH 16

/*
 * funclat_stats: per command and function. func indexes the .rodata array
 * func_names[] (the names as given on the command line), which readers
 * show in its place, so a function is a small integer in the hot path.
 * It takes the byte of comm's NUL (a comm has at most 15 characters): a
 * 16-byte key is two words to hash and compare, where 20 bytes were three.
 */
struct funclat_key {
	char comm[TASK_COMM_LEN - 1];
	__u8 func __names("func_names");
};
_Static_assert(FUNCLAT_MAX_FUNCS <= 256, "func is a byte");

struct funclat_val {
	__u64 calls __help("Calls of the function that returned");
	/* calls that took threshold_ns or longer */
	__u64 breaches __help("Calls that took the --threshold or longer");
	struct hist latency_ns __help("Time from entry to return of a call")
		__exemplars("funclat_exemplars");
};

/*
 * funclat_exemplars: per series and latency bucket, the last call made
 * under an OpenTelemetry context (progs/exemplar.bpf.h).
 */
struct funclat_exemplar_key {
	struct funclat_key series;
	__u32 slot;
};

#endif /* __FUNCLAT_H */
