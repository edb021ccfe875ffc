/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OpenTelemetry thread context (OTEP 4947): what the loader resolves per
 * process (loader/otel.c) and what BPF reads per event
 * (otel_ctx.bpf.h). Shared with readers.
 */
#ifndef __OTEL_CTX_H
#define __OTEL_CTX_H

#include "pinsight.h"

/* Processes whose context the loader resolved (otel_procs entries). */
#define OTEL_PROCS_MAX 4096

/*
 * How BPF finds a thread's otel_thread_ctx_v1 slot from its thread
 * pointer tp (x86-64: task->thread.fsbase):
 *   OTEL_TLS_STATIC: tp + tp_offset, the variable being in the static TLS
 *     block (the executable's own, local-exec; a library's reached through
 *     an initial-exec TPOFF64 slot or a TLS descriptor resolved to static
 *     TLS);
 *   OTEL_TLS_DTV: the thread's DTV (glibc: *(tp + 8), 16-byte entries,
 *     entry 0 the generation, entry -1 the size) at dtv_module, plus
 *     dtv_offset (legacy general-dynamic DTPMOD64/DTPOFF64 slots, or a
 *     descriptor resolved to dynamic TLS).
 */
enum otel_tls_mode {
	OTEL_TLS_STATIC = 1,
	OTEL_TLS_DTV = 2,
};

/*
 * threadlocal.schema_version of the process context (OTEP 4719):
 * "tls_v1", or "tlsdesc_v1_dev" of the OTEP's drafts, read as the same
 * 28-byte header; any other schema is resolved, and its records skipped
 * and counted as unknown_version.
 */
enum otel_schema {
	OTEL_SCHEMA_UNKNOWN = 0,
	OTEL_SCHEMA_TLS_V1 = 1,
};

/* otel_procs: tgid -> where its threads' context pointer is. */
struct otel_proc {
	__s64 tp_offset __internal;
	__u64 dtv_module __internal;
	__u64 dtv_offset __internal;
	__u32 mode __internal; /* enum otel_tls_mode */
	__u32 schema __internal; /* enum otel_schema */
};

/* The record's fixed header, byte-packed: 28 bytes, 2-byte aligned. */
struct otel_record_hdr {
	__u8 trace_id[16];
	__u8 span_id[8];
	__u8 valid; /* 1: complete; anything else: skip */
	__u8 trace_flags;
	__u16 attrs_data_size;
};

/* The ids one event carries: W3C bytes, big-endian as published. */
struct otel_span {
	__u8 trace_id[16];
	__u8 span_id[8];
};

/*
 * otel_stats: per-CPU counters of context reads, key 0; exported as
 * ebpf_<tool>_otel_<reason>_total.
 */
struct otel_stats {
	__u64 otel_read __help(
		"Events that carried the thread's OpenTelemetry trace and span id");
	__u64 otel_no_span __help(
		"Events of a process publishing OpenTelemetry context while its thread had no span active");
	__u64 otel_invalid __help(
		"OpenTelemetry thread context records skipped: valid flag not 1 (a writer mid-update)");
	__u64 otel_torn __help(
		"OpenTelemetry thread context records skipped: inconsistent (one of trace/span id zero, misaligned)");
	__u64 otel_unknown_version __help(
		"OpenTelemetry thread context records skipped: the process publishes a schema version this pinsight does not read");
	__u64 otel_fault __help(
		"OpenTelemetry thread context reads that faulted (TLS, DTV or record not readable)");
};

#endif /* __OTEL_CTX_H */
