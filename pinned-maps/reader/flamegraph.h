/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A symbolized profile as `pinsight profile` builds it from the pins, and
 * the writers that take it: the self-contained SVG flame graph here and
 * pprof in pprof.h. Frame names are interned: equal names, equal pointers.
 */
#ifndef __FLAMEGRAPH_H
#define __FLAMEGRAPH_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct prof_frame {
	const char *name; /* function, or "module+0xoffset" */
	const char *module;
	__u64 addr; /* as captured (kernel address, or file offset) */
	bool kernel;
	const char *file; /* a Python frame's source file, else NULL */
	int line; /* its function's first line */
};

struct prof_stack {
	struct prof_frame *frames; /* root first */
	int n;
	__u64 count;
	const char *comm;
	const char *cgroup; /* container id, unit or path; NULL: unknown */
	__u32 tgid, pid;
	__s64 delta; /* --diff: count in NEW minus count in BASE */
	/* OpenTelemetry ids (32 and 16 hex digits) the samples ran under,
	 * or NULL: pprof labels trace_id and span_id */
	const char *trace_id, *span_id;
};

struct prof_data {
	struct prof_stack *stacks;
	size_t n;
	__u64 total; /* samples */
	__u64 drops;
	/* stacks a --stacks-lru map evicted since load; -1: not LRU */
	__s64 evictions;
	__u32 freq; /* sampling frequency, Hz */
	const char *title;
	/* the time the samples cover, CLOCK_REALTIME ns; 0: unknown */
	__u64 start_ns, end_ns;
	const char *host; /* a pprof comment "host=..." when set */
	/* a differential graph: widths from count, colour from delta */
	bool diff;
};

/*
 * An interactive SVG flame graph (zoom, search, tooltips), no externals.
 * With d->diff, frames are coloured as Brendan Gregg's differential flame
 * graphs: red for growth, blue for shrinkage, white for none, deeper for
 * a larger share of the largest change.
 */
int flamegraph_svg(FILE *f, const struct prof_data *d);

#endif /* __FLAMEGRAPH_H */
