// SPDX-License-Identifier: GPL-2.0
/*
 * tcpconnlat: the tool table entry. The tracepoint variants come first:
 * they load everywhere; fentry and kprobe are there for --attach on
 * kernels that allow them (see progs/tcpconnlat.bpf.c).
 */
#include "tcpconnlat.skel.h"
#include "tools.h"

static const char *const tcpconnlat_variants[] = { "btf", "tp", "fentry",
						   "kprobe", NULL };

const struct tool tool_tcpconnlat = {
	.name = "tcpconnlat",
	.summary = "TCP connect latency and failures (refused, timeout) per command and destination",
	.example = "--comm vector-studio",
	.elf_bytes = tcpconnlat_bpf__elf_bytes,
	.variants = tcpconnlat_variants,
};
