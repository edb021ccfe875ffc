/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user stack walker from unwind tables (DESIGN.md 5a), for
 * stacks.bpf.h. Binaries built without frame pointers (Debian's libc,
 * libstdc++, python3 and most packaged servers) leave rbp to the
 * compiler, so a frame-pointer walk returns the leaf and then whatever
 * the stack holds. The walker instead finds, for each frame, the mapping
 * that holds its IP, the row of that image's table (progs/unwind.h), and
 * from the row the caller's rsp, rip and rbp.
 *
 * Mappings are found by walking the mm's maple tree without locks, as
 * find_vma() would: perf_event programs run in IRQ context, where
 * bpf_find_vma() can take mmap_lock once per program run only (its unlock
 * goes through one per-CPU irq_work). A lookup that a concurrent
 * mmap/munmap tears is caught by checking that the VMA found is of this
 * mm and holds the IP; it then ends the stack as an unwind error.
 *
 * An image without a table (not compiled yet: a new exec or dlopen after
 * load) is noted in unwind_wanted for `pinsight-load refresh`, and the
 * rest of the stack is walked by frame pointers, ending where a return
 * address leaves the executable mappings: never a garbage frame from a
 * table-less walk past an address the process does not execute.
 */
#ifndef __UNWIND_BPF_H
#define __UNWIND_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "unwind.h"

#define UNW_VM_EXEC 0x4 /* VM_EXEC, a #define vmlinux.h lacks */
#define UNW_PAGE_SHIFT 12
/* maple tree: levels walked at most, pivots per node (maple_range_64) */
#define UNW_MT_LEVELS 8
#define UNW_MT_PIVOTS 15
/* binary search steps: tables of up to 2^24 rows */
#define UNW_SEARCH_STEPS 24

/* Frame pointers only: set by the loader where tables cannot work. */
const volatile bool stack_fp_only = false;
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct unw_file_key);
	__type(value, struct unw_file_val);
} unwind_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct unw_table);
} unwind_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the loader sizes it: the user's bound */
	__type(key, __u32);
	__type(value, struct unw_krow);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, struct unw_file_key);
	__type(value, struct unw_wanted);
} unwind_wanted SEC(".maps");

/* How the user stacks walked ended (enum unw_end): counters, one slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unw_stats);
} unwind_stats SEC(".maps");

#define UNW_M_FILE (1U << 0) /* unwind_files knows the file */
#define UNW_M_BUILD_ID (1U << 1) /* build_id valid */
#define UNW_M_TABLE (1U << 2) /* first/nr are the file's rows */

/* The mapping of the frame last looked up, reused by the next frames. */
struct unw_map {
	__u64 lo, hi; /* [vm_start, vm_end) */
	__u64 base; /* vm_start - vm_pgoff * PAGE_SIZE: file offset = ip - base */
	__u32 first, nr;
	__u32 flags; /* UNW_M_* */
	unsigned char build_id[UNWIND_BUILD_ID_SIZE];
};

/* A walk in progress: per CPU, in stack_scratch (the BPF stack is small). */
struct unw_walk {
	__u64 ip, sp, bp; /* the registers of the frame being unwound */
	__u32 end; /* enum unw_end */
	__u32 fp; /* walking by frame pointers from here on */
	__u32 signal; /* ip is exact (interrupted), not a return address */
	__u32 fp_at; /* the frame the frame-pointer walk began at */
	__u32 leaf_call; /* the leaf's IP follows a syscall: look before it */
	__u32 py_abi; /* a CPython image met on the way (python.h), or 0 */
	__u64 py_runtime; /* its _PyRuntime in this process */
	__u64 fr_ip; /* the IP of the frame just unwound */
	struct unw_map m;
	struct unw_krow row;
	struct bpf_stack_build_id fr; /* the frame just unwound */
	unsigned long piv[UNW_MT_PIVOTS];
};

/*
 * Fill w->m with the executable mapping of the current task that holds
 * @ip: 0, or -1 when there is none (or the walk was torn). The node
 * layout (maple_tree.h, lib/maple_tree.c): the root is a node when bit 1
 * is set; a node pointer keeps its type in bits 3-6 (1: leaf, 2: range,
 * 3: allocation range) and the node in the bits above 8; range and leaf
 * nodes have 15 pivots and 16 slots, allocation-range nodes (the inner
 * nodes of an mm) 9 and 10; a leaf's slots hold the entries.
 */
__noinline int unw_find_vma(struct unw_walk *w, __u64 ip)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct unw_wanted wanted;
	struct unw_file_key key;
	struct vm_area_struct *vma;
	struct unw_file_val *fv;
	struct unw_table *t;
	struct mm_struct *mm;
	unsigned long entry, node, slots, pgoff;
	struct inode *inode;
	struct file *file;
	__u32 lvl, j, np, type;

	if (!w || !bpf_core_field_exists(struct mm_struct, mm_mt))
		return -1;
	mm = BPF_CORE_READ(task, mm);
	if (!mm)
		return -1;
	entry = (unsigned long)BPF_CORE_READ(mm, mm_mt.ma_root);
	/* a root that is a node has bit 1 set; anything else is no tree */
	if ((entry & 3) != 2 || entry <= 4096)
		return -1;
	for (lvl = 0; lvl < UNW_MT_LEVELS; lvl++) {
		node = entry & ~0xffUL;
		type = (entry >> 3) & 0xf;
		if (type == 3) { /* maple_arange_64 */
			np = 9;
			slots = node + bpf_core_field_offset(struct maple_arange_64,
							     slot);
		} else if (type == 1 || type == 2) { /* leaf_64, range_64 */
			np = UNW_MT_PIVOTS;
			slots = node + bpf_core_field_offset(struct maple_range_64,
							     slot);
		} else {
			return -1;
		}
		if (bpf_probe_read_kernel(
			    w->piv, sizeof(w->piv),
			    (void *)(node + bpf_core_field_offset(
						    struct maple_range_64,
						    pivot))))
			return -1;
		/* the first slot whose pivot (its last index) is >= ip; a
		 * zero pivot past the first ends the node's data */
		for (j = 0; j < UNW_MT_PIVOTS; j++) {
			if (j >= np || w->piv[j] >= ip || (j && !w->piv[j]))
				break;
		}
		if (bpf_probe_read_kernel(&entry, sizeof(entry),
					  (void *)(slots + j * 8)))
			return -1;
		if (type == 1)
			break; /* a leaf's slots hold the VMAs */
	}
	vma = (void *)entry;
	if (!vma || BPF_CORE_READ(vma, vm_mm) != mm)
		return -1;
	w->m.lo = BPF_CORE_READ(vma, vm_start);
	w->m.hi = BPF_CORE_READ(vma, vm_end);
	if (ip < w->m.lo || ip >= w->m.hi ||
	    !(BPF_CORE_READ(vma, vm_flags) & UNW_VM_EXEC)) {
		w->m.lo = w->m.hi = 0;
		return -1;
	}
	pgoff = BPF_CORE_READ(vma, vm_pgoff);
	w->m.base = w->m.lo - (pgoff << UNW_PAGE_SHIFT);
	w->m.flags = 0;
	w->m.nr = 0;
	/* on the stack: before 6.3 helpers take no global function's
	 * memory argument as a key */
	key.pad = 0;
	file = BPF_CORE_READ(vma, vm_file);
	if (file) {
		inode = BPF_CORE_READ(file, f_inode);
		key.ino = BPF_CORE_READ(inode, i_ino);
		key.size = BPF_CORE_READ(inode, i_size);
		key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	} else if (bpf_core_field_exists(mm->context.vdso) &&
		   w->m.lo == (unsigned long)BPF_CORE_READ(mm, context.vdso)) {
		/* the vDSO: one image per kernel, keyed by its size alone */
		key.ino = 0;
		key.size = w->m.hi - w->m.lo;
		key.dev = 0;
	} else {
		return 0; /* anonymous code (a JIT) */
	}
	fv = bpf_map_lookup_elem(&unwind_files, &key);
	if (!fv && !file)
		return 0; /* the loader adds the vDSO's at every fill */
	if (!fv) {
		/* for `pinsight-load refresh`; LRU: never full */
		wanted.tgid = BPF_CORE_READ(task, tgid);
		wanted.pad = 0;
		wanted.vm_start = w->m.lo;
		bpf_map_update_elem(&unwind_wanted, &key, &wanted, BPF_NOEXIST);
		return 0;
	}
	w->m.flags = UNW_M_FILE;
	if (fv->py_abi) {
		w->py_abi = fv->py_abi;
		w->py_runtime = w->m.base + fv->py_runtime;
	}
	if (fv->build_id_size) {
		__builtin_memcpy(w->m.build_id, fv->build_id,
				 UNWIND_BUILD_ID_SIZE);
		w->m.flags |= UNW_M_BUILD_ID;
	}
	if (!fv->table_id)
		return 0;
	t = bpf_map_lookup_elem(&unwind_tables, &fv->table_id);
	if (t && t->nr) {
		w->m.first = t->first;
		w->m.nr = t->nr;
		w->m.flags |= UNW_M_TABLE;
	}
	return 0;
}

/* w->row = the last row of the mapping's table at or before @off: 0 or -1. */
__noinline int unw_find_row(struct unw_walk *w, __u32 off)
{
	struct unw_krow *r;
	__u32 lo = 0, hi, mid, idx, k;

	if (!w)
		return -1;
	hi = w->m.nr;
	for (k = 0; k < UNW_SEARCH_STEPS; k++) {
		if (lo >= hi)
			break;
		mid = lo + (hi - lo) / 2;
		idx = w->m.first + mid;
		r = bpf_map_lookup_elem(&unwind_rows, &idx);
		if (!r)
			return -1;
		if (r->off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || lo < hi)
		return -1;
	idx = w->m.first + lo - 1;
	r = bpf_map_lookup_elem(&unwind_rows, &idx);
	if (!r)
		return -1;
	w->row = *r;
	return 0;
}

static __always_inline int unw_read(__u64 *v, __u64 addr)
{
	return bpf_probe_read_user(v, sizeof(*v), (void *)addr);
}

/* Step results */
#define UNW_STOP_BAD 0 /* the frame is not in an executable mapping */
#define UNW_STOP 1 /* the frame is good, and the last (w->end says why) */
#define UNW_NEXT 2 /* the frame is good; w holds its caller's registers */

/*
 * Frame @i: w->ip's mapping into w->fr, then its caller's registers into
 * w. The IP of a caller is a return address: its call is the byte before
 * it (a noreturn call may end a function), so that is what is looked up.
 */
__noinline int unw_step(struct unw_walk *w, __u32 i)
{
	__u64 ip, look, cfa, ra, bp, sp, v;
	__u32 rule;

	if (!w)
		return UNW_STOP_BAD;
	ip = w->ip;
	sp = w->sp;
	bp = w->bp;
	look = (i && !w->signal) || w->leaf_call ? ip - 1 : ip;
	w->signal = 0;
	w->leaf_call = 0;
	w->fr_ip = ip;
	w->fr.status = BPF_STACK_BUILD_ID_IP;
	w->fr.ip = ip;
	if (look < w->m.lo || look >= w->m.hi) {
		if (unw_find_vma(w, look)) {
			/* by frame pointers, the expected way to end */
			if (!w->fp)
				w->end = UNW_END_ERROR;
			return UNW_STOP_BAD;
		}
	}
	if (w->m.flags & UNW_M_BUILD_ID) {
		w->fr.status = BPF_STACK_BUILD_ID_VALID;
		__builtin_memcpy(w->fr.build_id, w->m.build_id,
				 UNWIND_BUILD_ID_SIZE);
		w->fr.offset = ip - w->m.base;
	}

	if (w->fp || !(w->m.flags & UNW_M_TABLE)) {
		if (!w->fp) {
			w->fp = 1;
			w->fp_at = i;
			w->end = UNW_END_NO_TABLE;
		}
		/* push rbp; mov rsp, rbp: [rbp] is the caller's rbp, [rbp+8]
		 * the return address */
		if (!bp || unw_read(&ra, bp + 8) || unw_read(&v, bp) || !ra)
			return UNW_STOP;
		w->ip = ra;
		w->sp = bp + 16;
		w->bp = v;
		return UNW_NEXT;
	}
	if (look - w->m.base > 0xffffffffULL ||
	    unw_find_row(w, look - w->m.base)) {
		w->end = UNW_END_ERROR;
		return UNW_STOP;
	}
	rule = w->row.rules & 0xf;
	if (rule == UNW_CFA_SIGNAL) {
		/* the interrupted registers, from the kernel's rt_sigframe */
		if (unw_read(&ra, sp + UNW_SIG_RIP) ||
		    unw_read(&v, sp + UNW_SIG_RSP) ||
		    unw_read(&bp, sp + UNW_SIG_RBP)) {
			w->end = UNW_END_ERROR;
			return UNW_STOP;
		}
		w->ip = ra;
		w->sp = v;
		w->bp = bp;
		w->signal = 1;
		return UNW_NEXT;
	}
	if (rule == UNW_CFA_RSP)
		cfa = sp + w->row.cfa_off;
	else if (rule == UNW_CFA_RBP)
		cfa = bp + w->row.cfa_off;
	else if (rule == UNW_CFA_PLT)
		cfa = sp + 8 + ((ip & 15) >= (__u64)w->row.cfa_off ? 8 : 0);
	else if (rule == UNW_CFA_END)
		return UNW_STOP; /* w->end stays UNW_END_OK */
	else {
		w->end = UNW_END_ERROR;
		return UNW_STOP;
	}
	if (unw_read(&ra, cfa - 8)) {
		w->end = UNW_END_ERROR;
		return UNW_STOP;
	}
	rule = w->row.rules >> 4;
	if (rule == UNW_RBP_CFA) {
		if (unw_read(&bp, cfa + (__s64)w->row.rbp_off8 * 8)) {
			w->end = UNW_END_ERROR;
			return UNW_STOP;
		}
	} else if (rule == UNW_RBP_UNDEF) {
		bp = 0;
	}
	if (!ra)
		return UNW_STOP; /* the outermost frame */
	w->ip = ra;
	w->sp = cfa;
	w->bp = bp;
	return UNW_NEXT;
}

static __always_inline void unw_count(__u32 end)
{
	__u32 zero = 0;
	struct unw_stats *v = bpf_map_lookup_elem(&unwind_stats, &zero);

	if (!v)
		return;
	if (end == UNW_END_OK)
		v->unwind_complete++;
	else if (end == UNW_END_NO_TABLE)
		v->unwind_no_table++;
	else if (end == UNW_END_ERROR)
		v->unwind_error++;
	else if (end == UNW_END_DEPTH)
		v->unwind_truncated++;
}

#endif /* __UNWIND_BPF_H */
