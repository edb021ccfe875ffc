/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unwind-table compiler (DESIGN.md 5a): an ELF image's .eh_frame and
 * .debug_frame (its own or a separate debug file's) turned into the sorted
 * struct unw_row runs the BPF walker binary-searches (progs/unwind.h).
 * x86-64 images only.
 */
#ifndef __UNWIND_TABLE_H
#define __UNWIND_TABLE_H

#include <stddef.h>
#include <linux/types.h>
#include "unwind.h"

struct unw_image {
	struct unw_row *rows; /* sorted by off; the last row is UNW_CFA_NONE */
	size_t nr;
	unsigned char build_id[UNWIND_BUILD_ID_SIZE];
	size_t build_id_size; /* 0: none */
	/* never 0: a hash of the build-id, else of the CFI sections' bytes */
	__u64 table_id;
	__u64 text_bytes; /* bytes in the executable PT_LOAD segments */
	unsigned int nr_fde; /* FDEs read, from both sections */
	/* rows made UNW_CFA_NONE because their CFI was not understood */
	unsigned int nr_unsupported;
	const char
		*source; /* "eh_frame", "debug_frame", "eh_frame+debug_frame" */
};

/*
 * Compile the table of the ELF file at @path. Returns 0, -ENOENT (no such
 * file), -ENOEXEC (not an ELF file), -ENOTSUP (not x86-64), -ENODATA (no
 * CFI for any executable byte), or -errno. @img is zeroed first, and left
 * zeroed on error.
 */
int unw_image_compile(const char *path, struct unw_image *img);
/*
 * Same from an open @fd (e.g. /proc/PID/map_files/...): the file's name,
 * for its .gnu_debuglink, is taken from /proc/self/fd. @fd stays open.
 */
int unw_image_compile_fd(int fd, struct unw_image *img);
void unw_image_free(struct unw_image *img);

/*
 * The row covering file offset @off: the last one with row->off <= @off
 * (the BPF walker's search), or NULL when @off precedes every row.
 */
const struct unw_row *unw_image_find(const struct unw_image *img, __u32 off);

#endif /* __UNWIND_TABLE_H */
