/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An instance's pin tree, for instance.c's load and unload transactions
 * (pins.c). Each returns 0 or -errno after printing what failed, unless
 * said otherwise.
 */
#ifndef __LOADER_PINS_H
#define __LOADER_PINS_H

#include <stdbool.h>
#include <sys/types.h>

struct bpf_map;
struct load_ctx;

/* Whether a map of the loaded object is pinned for readers. */
bool map_wanted(const struct bpf_map *map);
/* Its name under maps/ (internal maps by section, without the dot). */
const char *map_pin_name(const struct bpf_map *map);
/* <dir>/ with links/, maps/ and state/; -errno, nothing printed. */
int make_dirs(const char *dir);
/* Every wanted map under maps/ (or state/), then the btf pin. */
int pin_maps(struct load_ctx *ctx);
int pin_btf(struct load_ctx *ctx);
/* --group NAME or GID. */
int group_id(const char *inst, const char *name, gid_t *gid);
/* The tree at @path, then the pin root, readable by @gid; -errno, silent. */
int grant_group(const char *path, gid_t gid);
int open_root_to_group(gid_t gid);
/*
 * Refuse (-EBADMSG, exit 6) a tree at @path that pinsight did not make;
 * @depth 0 for an instance directory.
 */
int check_ours(const char *inst, const char *path, int depth);
/* Undo an instance's link-less attachments (the tool's detach hook). */
int detach_tree(const char *inst, const char *dir);
/* detach_tree(), then remove the tree, as far as either goes. */
int remove_tree(const char *inst, const char *dir);
/*
 * Root only: mount what is needed, lock the pin root and finish what dead
 * loaders left. The lock's fd (close() unlocks), or -errno.
 */
int lock_root(void);

#endif /* __LOADER_PINS_H */
