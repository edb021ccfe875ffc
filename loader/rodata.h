/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_RODATA_H
#define __LOADER_RODATA_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include "units.h" /* parse_duration_ns(), parse_size() */

/* Whether the object's .rodata declares @var. */
bool rodata_has(struct bpf_object *obj, const char *var);
/*
 * Parse @val by @var's BTF type and store it in .rodata before load.
 * Returns -ENOENT (no such variable), -EINVAL or -ERANGE (bad value); the
 * caller names the option in its message, this names the cause.
 */
int rodata_set(struct bpf_object *obj, const char *var, const char *val,
	       char *why, size_t why_sz);
/*
 * The bytes of .rodata variable @var (writable until load, for values no
 * option string can express, e.g. arrays of names), or NULL.
 */
void *rodata_var(struct bpf_object *obj, const char *var, size_t *size);

#endif /* __LOADER_RODATA_H */
