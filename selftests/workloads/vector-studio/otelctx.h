/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workloads' own OpenTelemetry context writer: what an SDK following
 * OTEP 4947 (Thread Context) and OTEP 4719 (Process Context) publishes for
 * out-of-process readers. Not part of pinsight: a target for its reader.
 *
 * Each thread owns one fixed record that otel_thread_ctx_v1 points to from
 * the thread's first attach on; attach and detach flip its valid flag
 * (the OTEP's "fixed record, mutate valid" writer), with compiler fences
 * only, as the OTEP asks (readers see the thread stopped).
 *
 * otelctx.c is built into vector-studio itself (the TLS symbol in the
 * executable: local-exec) and into libotelctx.so (TLSDESC) and
 * libotelctx-gd.so (legacy general-dynamic) for the -otelso/-otelgd
 * binaries.
 */
#ifndef VS_OTELCTX_H
#define VS_OTELCTX_H
#include <stdint.h>

/* The schema OTEP 4947 names in the process context. */
#define OTEL_SCHEMA_TLS_V1 "tls_v1"

/*
 * Publish the process context (an "OTEL_CTX" memfd mapping, header
 * version 2, a protobuf Resource) with service.name @service and
 * threadlocal.schema_version @schema. 0, or -errno.
 */
int otel_process_ctx_publish(const char *service, const char *schema);
/*
 * Take the last published process context away (unmapped): readers that
 * look again find none, as in a process that never published.
 */
void otel_process_ctx_unpublish(void);

/* The thread's record says this span is active (valid = 1). */
void otel_thread_attach(const uint8_t trace_id[16], const uint8_t span_id[8]);
/*
 * As attach, but leave valid = 0: a writer stopped half-way through an
 * update, which readers must skip (the tests' "torn" request).
 */
void otel_thread_attach_torn(const uint8_t trace_id[16],
			     const uint8_t span_id[8]);
/* No span active on this thread any more (valid = 0). */
void otel_thread_detach(void);

#endif
