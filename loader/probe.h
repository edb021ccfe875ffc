/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_PROBE_H
#define __LOADER_PROBE_H

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

#endif /* __LOADER_PROBE_H */
