// SPDX-License-Identifier: GPL-2.0
/* io: the tool table entry. */
#include "io.skel.h"
#include "tools.h"

/*
 * By measurement (selftests/benchs/RESULTS.md 2a): fentry first, where the
 * kernel allows tracing programs: its hooks add a fraction of what the
 * syscall tracepoints' perf records do, and nothing to other syscalls.
 * Then tp: raw_tp saves ~120 ns per traced call but taxes every other
 * syscall of every process ~170 ns, so it wins only while the host makes
 * fewer than ~0.7 other syscalls per traced one. --attach raw for such an
 * I/O-only host.
 */
static const char *const io_variants[] = { "fentry", "tp", "raw", NULL };

static const struct tool_opt io_opts[] = {
	{ "alert-latency", "DURATION", "alert_latency_ns",
	  "alert on calls slower than DURATION (e.g. 100ms; 0: off)" },
	{ "per-pid", NULL, "per_pid",
	  "also count per process in io_proc (one more map update per call)" },
	{}
};

const struct tool tool_io = {
	.name = "io",
	.summary = "read/write/pread64/pwrite64/readv/writev: ops, bytes, errors, latency",
	.example = "--comm vector-studio",
	.elf_bytes = io_bpf__elf_bytes,
	.opts = io_opts,
	.variants = io_variants,
};
