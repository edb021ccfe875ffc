// SPDX-License-Identifier: GPL-2.0
/* io: the tool table entry. Variants are measured in the io note of README. */
#include "io.skel.h"
#include "tools.h"

static const char *const io_variants[] = { "raw", "tp", NULL };

static const struct tool_opt io_opts[] = {
	{ "alert-latency", "DURATION", "alert_latency_ns",
	  "alert on calls slower than DURATION (e.g. 100ms; 0: off)" },
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
