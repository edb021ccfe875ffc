/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_PROBE_H
#define __LOADER_PROBE_H

#include <stdbool.h>
#include <bpf/bpf.h>

/*
 * Trial-load a two-instruction program of @type attached (by BTF) to the
 * kernel type @target of BTF kind @kind: does this kernel take it? Lists
 * and versions lie (this host lists "bpf" among its LSMs yet refuses BPF
 * LSM programs, as it refuses fentry). 0, or -errno (-ENOENT: no BTF or
 * no such target).
 */
int probe_btf_prog(enum bpf_prog_type type, enum bpf_attach_type eat,
		   const char *target, int kind);

/*
 * Does this kernel let perf_event programs use hash maps that allocate on
 * update (BPF_F_NO_PREALLOC)? Since 6.1 (bpf_mem_alloc) it does; before,
 * the verifier refused them for NMI safety. 0, or -errno.
 */
int probe_perf_noprealloc(void);

/*
 * Does this kernel have uprobe sessions (6.13+): a kprobe-type program of
 * expected attach type UPROBE_SESSION_ATTACH_TYPE that calls the
 * bpf_session_is_return() kfunc? The verifier allows the kfunc only there
 * (6.10-6.12 only for kprobe sessions; 6.1 has none). 0, or -errno.
 */
int probe_uprobe_session(void);
#define UPROBE_SESSION_ATTACH_TYPE 57 /* BPF_TRACE_UPROBE_SESSION */

/*
 * Does this kernel's __set_task_comm() NUL-pad the name (strscpy_pad(),
 * 5.17)? Judged by the release uname(2) gives: 6.1 or later, the oldest
 * kernel the tests run on (io/comm_rename checks it there); user space
 * cannot see the bytes after the NUL to probe it.
 */
bool kernel_pads_comm(void);

#endif /* __LOADER_PROBE_H */
