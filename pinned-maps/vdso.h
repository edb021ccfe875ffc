/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vDSO has no file: every process of a kernel maps the same image,
 * so ours stands for theirs, for the unwind tables (loader) and for
 * symbols (symbolize.c).
 */
#ifndef __PM_VDSO_H
#define __PM_VDSO_H

#include <stddef.h>

/* A copy of this process's vDSO in a memfd: the fd
 * (the caller closes it) with *size set, or -errno. */
int pm_vdso_memfd(size_t *size);

#endif /* __PM_VDSO_H */
