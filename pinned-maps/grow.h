/* SPDX-License-Identifier: GPL-2.0 */
/* Growing arrays: one doubling rule for the reader's tables. */
#ifndef __PM_GROW_H
#define __PM_GROW_H

#include <stddef.h>

/*
 * Make room for @need elements of @elem bytes in the array at *@arrp
 * (a T ** passed as void *) holding *@cap: capacity doubles from @first
 * until it fits. On failure both stay as they were, so the caller's
 * array is still whole. Returns 0 or -ENOMEM.
 */
int pm_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first);

#endif /* __PM_GROW_H */
