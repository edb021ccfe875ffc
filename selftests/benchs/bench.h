/* SPDX-License-Identifier: GPL-2.0 */
/* The benchmark helper's parts: loops that fire a hook, conditions, fills. */
#ifndef __BENCH_H
#define __BENCH_H

#include <stdbool.h>

/*
 * A tight loop that makes one hook fire once (or a known few times) per
 * iteration: "read" (read(2) of 1 byte), "malloc" (malloc+free), "func"
 * (a call of bench_uprobe_target()), "connect" (a loopback TCP connect,
 * accept, close), "switch" (a pipe round trip between two threads), "cpu"
 * (1000 integer operations, for the sampling profiler), "exec" (fork,
 * exec /bin/true, wait), "getppid" (a syscall io does not trace).
 */
struct loop;
int loop_new(const char *kind, struct loop **out);
/* Run @n iterations; ns per iteration by the monotonic clock. */
int loop_run(struct loop *l, long n, double *ns_per_op);
void loop_free(struct loop *l);

int cmd_loop(int argc, char **argv);
int cmd_event(int argc, char **argv);
int cmd_fill(int argc, char **argv);
int cmd_hold(int argc, char **argv);

#endif /* __BENCH_H */
