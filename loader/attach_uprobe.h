/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Uprobes for tools that probe user functions (funclat, memalloc): find a
 * binary and its functions, attach with a BPF cookie, pin each link as
 * links/<prog>-<n>. Errors name the binary and the symbol; a missing one
 * is -ENOENT (exit code 3).
 */
#ifndef __LOADER_ATTACH_UPROBE_H
#define __LOADER_ATTACH_UPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tools.h"

/*
 * @arg as a path to probe: "libc" is the C library of this host (what
 * every dynamically linked program maps); anything else must exist and
 * is made absolute, since uprobes resolve it once, by inode.
 */
int uprobe_binary(const char *inst, const char *arg, char *buf, size_t sz);

/*
 * The file offset of function @func (as in the ELF, or demangled) in
 * @path. -ENOENT when there is none (printed unless @optional) or @path
 * is not an ELF file, -EINVAL when a demangled name matches several
 * functions (the candidates are printed).
 */
int uprobe_resolve(const char *inst, const char *path, const char *func,
		   bool optional, __u64 *offset);

/*
 * For an entry-only probe whose program ignores calls with a NULL first
 * argument (free): move *@offset past an opening "[endbr64;] test %rdi,
 * %rdi; je ..." (glibc's free), onto the non-NULL path with %rdi intact.
 * x86 uprobes single-step such a test out of line, a second trap that
 * costs ~10x an emulated instruction on this VM. No-op elsewhere, and
 * never for uretprobes, which must sit on the first instruction.
 */
void uprobe_skip_null_test(const char *path, __u64 *offset);

/*
 * Attach @prog as a uprobe (or uretprobe) at @path + @offset with BPF
 * cookie @cookie, limited to the process in .rodata targ_tgid if set, and
 * pin it as links/<prog name>-<n>.
 */
int uprobe_attach_pin(struct load_ctx *ctx, struct bpf_program *prog,
		      const char *path, __u64 offset, bool retprobe,
		      __u64 cookie, unsigned int n);

/*
 * Whether this kernel has uprobe_multi links with process-wide --pid
 * filtering (6.9+; 6.6-6.8 filtered by thread). A program meant for them
 * must be loaded with expected attach type UPROBE_MULTI_ATTACH_TYPE.
 * PINSIGHT_NO_UPROBE_MULTI in the environment says no (tests use it to
 * cover the per-function perf event uprobes of older kernels).
 */
bool uprobe_multi_supported(void);
#define UPROBE_MULTI_ATTACH_TYPE 48 /* BPF_TRACE_UPROBE_MULTI */

/*
 * Attach @prog to the @cnt functions of @path at @offsets (BPF cookies
 * @cookies, or NULL) with one uprobe_multi link, limited to .rodata
 * targ_tgid if set, and pin it as links/@name. One syscall registers every
 * uprobe, and without perf events: no wait for the tracing event_mutex,
 * which other tracers on the host hold across RCU grace periods. The link
 * is of @prog's expected attach type: UPROBE_MULTI_ATTACH_TYPE, or
 * UPROBE_SESSION_ATTACH_TYPE (probe.h; @retprobe false) for a session.
 */
int uprobe_multi_attach_pin(struct load_ctx *ctx, struct bpf_program *prog,
			    const char *path, const __u64 *offsets,
			    const __u64 *cookies, unsigned int cnt,
			    bool retprobe, const char *name);

#endif /* __LOADER_ATTACH_UPROBE_H */
