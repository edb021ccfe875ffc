/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OpenTelemetry thread context (progs/otel_ctx.h): the loader's side.
 * At load, for each target process that publishes an OTEP 4719 process
 * context naming a thread-local schema, find otel_thread_ctx_v1 in the
 * executable or a library's .dynsym and how its threads reach it (static
 * TLS offset or DTV module), and leave that in the instance's otel_procs.
 */
#ifndef __LOADER_OTEL_H
#define __LOADER_OTEL_H

#include <sys/types.h>
#include "tools.h"
#include "../progs/otel_ctx.h"

/*
 * How process @pid's threads reach otel_thread_ctx_v1 into @out: 0;
 * -ENOENT when it publishes no process context, no thread-local schema,
 * or no such TLS symbol; -ENOTSUP when the symbol is there but its
 * access could not be classified; -errno when the process could not be
 * read. A schema other than tls_v1 still resolves, as OTEL_SCHEMA_UNKNOWN.
 */
int otel_resolve(pid_t pid, struct otel_proc *out);

/*
 * After load, for an object with an otel_procs map (a tool including
 * progs/otel_ctx.bpf.h): resolve process @pid (> 0), the processes
 * named @comm, or every process (neither). Per-process failures are
 * reported with -v only: that process's events carry no trace ids.
 * Returns 0, or -errno when the map cannot be written.
 */
int otel_fill(struct load_ctx *ctx, int pid, const char *comm);

/*
 * `pinsight-load refresh`, for an instance (pinned at @dir) with a
 * maps/otel_procs pin, whatever its tool: its targets (targ_tgid,
 * targ_comm of its pinned rodata, as at load) started since the load get
 * entries; entries of processes that exited, stopped publishing, or whose
 * pid now belongs to another process are deleted or resolved again.
 * Prints one count line (-j: one JSON object). 0 (also without the pin),
 * or -errno when the pins cannot be read or the map is full.
 */
int otel_refresh(const char *inst, const char *dir);

#endif /* __LOADER_OTEL_H */
