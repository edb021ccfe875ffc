/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elf_syms: find functions by name in an ELF file's .symtab and .dynsym,
 * for the loader's uprobes (funclat, memalloc). Names may be given as in
 * the ELF (C, or mangled C++) or demangled, with or without the parameter
 * list: "onnx::InferenceSession::Run" finds
 * _ZN4onnx16InferenceSession3RunERKSt6vectorIfSaIfEERS3_.
 *
 * Addresses go the other way (address -> name) in symbolize.h; this file
 * only does the lookup a uprobe needs: name -> file offset.
 */
#ifndef __ELF_SYMS_H
#define __ELF_SYMS_H

#include <stddef.h>
#include <linux/types.h>

#define ELF_SYM_NAME_LEN 512

struct elf_func {
	char name[ELF_SYM_NAME_LEN]; /* as in the ELF (mangled) */
	__u64 addr; /* st_value */
	__u64 size; /* st_size */
	__u64 offset; /* file offset of the first instruction: uprobe's */
};

/*
 * Functions in @path whose name, or demangled name, is @func; distinct by
 * offset (aliases and the .symtab/.dynsym copies count once). Up to @max go
 * to @out. Returns how many matched (0: none), or -ENOENT when @path cannot
 * be opened, -ENOEXEC when it is not an ELF file, -errno otherwise.
 */
int elf_find_func(const char *path, const char *func, struct elf_func *out,
		  int max);

/*
 * The demangled form of a C++ symbol, malloc()ed, or NULL when @sym is not
 * a mangled name or no demangler is available (libstdc++'s __cxa_demangle
 * is looked up at run time, so C-only hosts still work).
 */
char *elf_demangle(const char *sym);

/*
 * The path of the C library this process runs with (where uprobes on
 * malloc reach every dynamically linked program): @buf, or NULL.
 */
const char *elf_libc_path(char *buf, size_t sz);

#endif /* __ELF_SYMS_H */
