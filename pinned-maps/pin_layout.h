/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pin contract's paths (see PIN-LAYOUT.md):
 *   <root>/<instance>/links/<prog>   bpf_link pins
 *   <root>/<instance>/maps/<map>     maps, incl. rodata (the config)
 *   <root>/<instance>/btf            array map holding the object's BTF
 * root is /sys/fs/bpf/pinsight unless $PINSIGHT_PIN_ROOT says otherwise.
 */
#ifndef __PIN_LAYOUT_H
#define __PIN_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define PIN_ROOT_DEFAULT "/sys/fs/bpf/pinsight"
/* Loader work in progress; any such entry found under the lock is stale. */
#define PIN_TMP_PREFIX "_tmp-" /* bpffs forbids dots in names */
#define PIN_BTF_NAME "btf"
/*
 * <instance>/state/: maps the programs need but no reader shows or
 * exports: the unwind rows (millions of entries of program state), a
 * tool's thread slots, "<tool>_slots" (progs/thread_slot.bpf.h), and the
 * per-CPU work areas "<name>_scratch" (stack_scratch, py_scratch).
 */
#define PIN_STATE_DIR "state"
static inline bool pin_is_state(const char *map_name)
{
	size_t n = strlen(map_name);

	return !strcmp(map_name, "unwind_rows") ||
	       (n > 6 && !strcmp(map_name + n - 6, "_slots")) ||
	       (n > 8 && !strcmp(map_name + n - 8, "_scratch"));
}

const char *pin_root(void);
/* "<tool>" or "<tool>@<name>"; [A-Za-z0-9_-] in both parts, <= 64 chars. */
int inst_name_check(const char *inst);
/* The tool part of an instance name, into @buf. */
int inst_tool(const char *inst, char *buf, size_t sz);
/* snprintf into @buf, -ENAMETOOLONG when it does not fit. */
int path_fmt(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Instances under the root, sorted, temporaries excluded. *names is a
 * NULL-terminated array freed with strv_free(). Returns the count or -errno.
 */
int inst_list(char ***names);
void strv_free(char **v);
/*
 * The attach variant an instance was loaded with (pinsight-load --attach),
 * from its link pins: programs of a variant are named "<variant>__<name>"
 * (loader/instance.c), links/ holds only the loaded variant's, and a tool
 * with one way to attach has no such prefix. "" then; several prefixes
 * are joined by ','. 0 or -errno (links/ unreadable).
 */
int inst_attach(const char *inst_dir, char *buf, size_t sz);
/* Remove a directory tree of pins (unlink files, rmdir dirs). */
int rm_tree(const char *path);
/*
 * Exclusive flock on the pin root, creating it (0700) if needed. Returns
 * the fd to close for unlock, or -errno.
 */
int pin_root_lock(void);

#endif /* __PIN_LAYOUT_H */
