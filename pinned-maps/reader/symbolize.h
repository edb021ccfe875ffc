/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbolize: addresses to function names, for every reader that shows
 * stacks (pinsight profile, memalloc's leak stacks). One symbolizer caches
 * everything it opened (kallsyms once, each ELF file once per build-id), so
 * a frame seen twice costs a hash lookup.
 *
 *   kernel frames   /proc/kallsyms, with [module] names;
 *   user frames     ELF .symtab/.dynsym and DWARF (libdw's dwfl), found by
 *                   - build-id + file offset (struct bpf_stack_build_id,
 *                     status VALID): works after the process exited;
 *                   - absolute address + pid, through /proc/PID/maps while
 *                     the process lives;
 *                   the file itself or its separate debug file (build-id
 *                   path under /usr/lib/debug/.build-id, .gnu_debuglink),
 *                   and debuginfod when DEBUGINFOD_URLS is set;
 *   C++ names       demangled;
 *   unresolved      never dropped: "module+0xoffset", or "[unknown]".
 *
 * Returned strings belong to the symbolizer and live until sym_free().
 */
#ifndef __SYMBOLIZE_H
#define __SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "stacks.h"

struct symbolizer;

struct sym_opts {
	/*
	 * Extra places to find binaries by build-id when no live process
	 * maps them (like pprof's PPROF_BINARY_PATH): ELF files, or
	 * directories scanned one level deep. NULL-terminated, may be NULL.
	 */
	const char *const *search_path;
	bool no_demangle;
	/* sym_stack() leaves Python frames out (the interpreter loop stays) */
	bool no_python;
};

struct sym_frame {
	const char *name; /* function, demangled; NULL when unresolved */
	const char *module; /* "[kernel]" or "[ext4]", a file's basename,
			       "[unknown]" */
	__u64 addr; /* as captured: kernel address, user address or file offset
		     */
	__u64 offset; /* into the function when name, else into the module */
	const char *src_file; /* DWARF source file (Python: the code's), or NULL */
	int src_line; /* Python: the function's first line */
	bool kernel;
	bool python; /* a Python function (module "", its name ends "[py]") */
};

/* Frames sym_stack() may return: user, Python, kernel, an end marker. */
#define SYM_STACK_MAX (2 * STACK_DEPTH + PY_DEPTH + 1)

struct symbolizer *sym_new(const struct sym_opts *opts);
void sym_free(struct symbolizer *s);

/* A kernel address. Always fills @f (unresolved: name NULL); 0 or -errno. */
int sym_kernel(struct symbolizer *s, __u64 ip, struct sym_frame *f);
/* An absolute user address in live process @tgid (via /proc/tgid/maps). */
int sym_user(struct symbolizer *s, __u32 tgid, __u64 ip, struct sym_frame *f);
/* A user frame as the kernel records it (build-id + offset, or an IP). */
int sym_user_frame(struct symbolizer *s, __u32 tgid,
		   const struct bpf_stack_build_id *fr, struct sym_frame *f);
/*
 * Make the file at @path known by its build-id (e.g. a process's
 * executable from stack_procs): 0, or -errno when it cannot be read.
 */
int sym_add_file(struct symbolizer *s, const char *path);
/* Join a stack_proc's components into a path; @buf on success, else NULL. */
const char *sym_proc_path(const struct stack_proc *p, char *buf, size_t sz);

/*
 * The py_codes map (progs/python.h) of the instance whose stacks are
 * read, by fd (kept open by the caller): without it, Python frames show
 * as their code ids.
 */
void sym_set_py_codes(struct symbolizer *s, int fd);

/*
 * Every frame of @st, root first: user frames from the outermost to the
 * innermost, then kernel frames likewise (so kernel frames sit on top of
 * the user frames in a flame graph). Python frames (st->py) replace the
 * native interpreter-loop frames (_PyEval_EvalFrameDefault) that ran
 * them, as "qualname (dir/file.py:firstline) [py]" with python set. Returns
 * the number written to @out (SYM_STACK_MAX fits any stack).
 */
int sym_stack(struct symbolizer *s, __u32 tgid, const struct stack_trace *st,
	      struct sym_frame *out, int max);

/* "name", or "module+0xoffset" for an unresolved frame, into @buf. */
const char *sym_frame_str(const struct sym_frame *f, char *buf, size_t sz);
/* The same, kept by the symbolizer (valid until sym_free()). */
const char *sym_frame_name(struct symbolizer *s, const struct sym_frame *f);

#endif /* __SYMBOLIZE_H */
