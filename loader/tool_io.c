// SPDX-License-Identifier: GPL-2.0
/* io: the tool table entry. Variants are measured in the io note of README. */
#include "io.skel.h"
#include "tools.h"

static const char *const io_variants[] = { "raw", "tp", NULL };

const struct tool tool_io = {
	.name = "io",
	.summary = "read/write/pread64/pwrite64/readv/writev: ops, bytes, errors, latency",
	.example = "--comm vector-studio",
	.elf_bytes = io_bpf__elf_bytes,
	.variants = io_variants,
};
