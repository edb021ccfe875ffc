/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unwind tables, shared by every stack-keeping instance (DESIGN.md 5a):
 * compiled in user space from an image's .eh_frame/.debug_frame
 * (pinned-maps/unwind_table.c), read in BPF by the walker in
 * progs/unwind.bpf.h. x86-64 only: the return address is at CFA - 8 and
 * the rules name rsp and rbp.
 *
 * Maps, pinned once under <pin root>/_unwind/ (PIN-LAYOUT.md):
 *   unwind_files   file identity as a mapping shows it -> table id
 *   unwind_tables  table id (build-id hash) -> rows in unwind_rows
 *   unwind_rows    one array of rows, each table a sorted run of it
 *   unwind_wanted  files BPF met without an entry in unwind_files
 *   unwind_state   one slot: rows used so far (the bump allocator)
 */
#ifndef __UNWIND_H
#define __UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "pinsight.h"

#define UNWIND_BUILD_ID_SIZE 20

/* How to find the CFA (the caller's rsp) in a row's address range. */
enum unw_cfa_rule {
	UNW_CFA_RSP = 0, /* rsp + cfa_off */
	UNW_CFA_RBP = 1, /* rbp + cfa_off */
	/* a PLT stub: rsp + 8, plus 8 when (rip & 15) >= cfa_off */
	UNW_CFA_PLT = 2,
	/*
	 * A signal trampoline (__restore_rt): rsp points at the ucontext;
	 * the interrupted rsp, rip and rbp are saved at rsp + cfa_off,
	 * rsp + ra_off and rsp + rbp_off.
	 */
	UNW_CFA_SIGNAL = 3,
	UNW_CFA_END = 4, /* return address undefined: the outermost frame */
	/* no rule here: a gap between FDEs, or CFI we do not understand */
	UNW_CFA_NONE = 5,
};

/* Where the caller's rbp is. */
enum unw_rbp_rule {
	UNW_RBP_SAME = 0, /* unchanged in this frame */
	UNW_RBP_CFA = 1, /* saved at CFA + rbp_off */
	UNW_RBP_UNDEF = 2, /* not recoverable: the caller may not use it */
};

/*
 * One row: from file offset @off (of the image as mapped: a user IP's
 * offset is ip - vm_start + vm_pgoff * PAGE_SIZE) up to the next row's
 * @off. The rows of a table are sorted by @off; a table's last row is
 * always UNW_CFA_NONE, ending the range of the last FDE.
 */
struct unw_row {
	__u32 off;
	__u8 cfa; /* enum unw_cfa_rule */
	__u8 rbp; /* enum unw_rbp_rule */
	__s16 cfa_off;
	__s16 rbp_off;
	__s16 ra_off; /* -8 relative to the CFA, but for UNW_CFA_SIGNAL */
};

/* unwind_files: the key BPF builds from a VMA's file (inode) */
struct unw_file_key {
	__u64 ino __label("ino");
	__u64 size __label("size"); /* i_size: a reused inode number differs */
	__u32 dev __label("dev"); /* the kernel's s_dev: major << 20 | minor */
	__u32 pad __internal;
};

struct unw_file_val {
	__u64 table_id __internal; /* 0: the image has no usable CFI */
	unsigned char build_id[UNWIND_BUILD_ID_SIZE] __internal;
	__u32 build_id_size __internal; /* 0: none, table_id hashes the content */
	/*
	 * A CPython image the loader knows (python.h): py_abis[py_abi] is
	 * its layout, and _PyRuntime is at the mapping's file-offset base
	 * (vm_start - vm_pgoff * PAGE_SIZE) + py_runtime. py_abi 0: none.
	 */
	__u32 py_abi __internal;
	__u32 pad __internal;
	__u64 py_runtime __internal;
};

/*
 * unwind_rows holds rows packed to 8 bytes (an array map rounds values
 * up to 8): the loader packs each struct unw_row as this. UNW_CFA_SIGNAL
 * rows take the x86-64 rt_sigframe offsets, which the compiler checks.
 */
struct unw_krow {
	__u32 off __internal;
	__u8 rules __internal; /* enum unw_cfa_rule | enum unw_rbp_rule << 4 */
	__s8 rbp_off8 __internal; /* rbp_off / 8 */
	__s16 cfa_off __internal;
};

#define UNW_SIG_RSP 160 /* offsetof(struct ucontext, uc_mcontext.sp) */
#define UNW_SIG_RBP 120
#define UNW_SIG_RIP 168

#define UNW_NAME_LEN 48

struct unw_table {
	char name[UNW_NAME_LEN] __internal; /* the file it was compiled from */
	__u32 first __internal; /* index of the first row in unwind_rows */
	__u32 nr __internal; /* rows */
	__u64 text_bytes __internal; /* executable bytes the rows cover */
	__u32 users __internal; /* files that name this table */
	__u32 pad __internal;
};

/* unwind_wanted: where a reader can find the file BPF met */
struct unw_wanted {
	__u32 tgid __internal;
	__u32 pad __internal;
	__u64 vm_start __internal;
};

/* stack_trace.user_end: how a user stack ended (readers name it) */
enum unw_end {
	UNW_END_OK = 0, /* reached the outermost frame, or depth unlimited */
	UNW_END_FP = 1, /* frame pointers only (unwinding off) */
	UNW_END_NO_TABLE = 2, /* [no unwind table]: an image without one */
	UNW_END_ERROR = 3, /* [unwind error]: no rule, bad read, no mapping */
	UNW_END_DEPTH = 4, /* [truncated]: STACK_DEPTH frames kept */
	UNW_END_NR,
};

/* unwind_stats: user stacks walked by tables, by how they ended */
struct unw_stats {
	/* to the outermost frame */
	__u64 unwind_complete
		__help("User stacks walked by unwind tables to the outermost frame");
	/* an image without a table: frame pointers */
	__u64 unwind_no_table
		__help("User stacks that met an image without a table (frame pointers from there)");
	/* a frame with no rule, or a read that failed */
	__u64 unwind_error
		__help("User stacks cut short by a frame without a rule or a failed read");
	/* deeper than STACK_DEPTH */
	__u64 unwind_truncated
		__help("User stacks deeper than the frames kept");
};

#endif /* __UNWIND_H */
