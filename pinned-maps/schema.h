/* SPDX-License-Identifier: GPL-2.0 */
/* libpinmaps internals: the BTF walk that turns a map's types into fields. */
#ifndef __PM_SCHEMA_H
#define __PM_SCHEMA_H

#include <stddef.h>
#include <linux/types.h>

struct btf;
struct pm_map;

/* Fill m->key and m->value from m->btf (see PIN-LAYOUT.md, "BTF is the
 * schema"). m->info and the type ids must be set.
 */
int pm_schema_build(struct pm_map *m);
/* "struct io_comm_val", "DATASEC .bss", "unsigned int": for messages. */
void pm_btf_type_desc(const struct btf *btf, __u32 id, char *buf, size_t sz);

#endif /* __PM_SCHEMA_H */
