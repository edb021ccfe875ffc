/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A table of distinct strings, each with an index in the order added, found
 * by a hash index: pprof's string table, Prometheus' label sets. The
 * strings share one buffer, so a table of many short ones costs a few
 * allocations, not one per string.
 */
#ifndef __PINSIGHT_STRTAB_H
#define __PINSIGHT_STRTAB_H

#include <stddef.h>

struct strtab {
	char *buf; /* the strings back to back, each NUL-terminated */
	size_t len, buf_cap;
	size_t *off; /* where string i starts in buf, i in the order added */
	size_t n, cap;
	size_t *idx; /* open addressing: index + 1, 0 free */
	size_t idx_cap;
};

static inline const char *strtab_str(const struct strtab *t, size_t i)
{
	return t->buf + t->off[i];
}

/* The index of @s, a copy added when new; -1 on ENOMEM. */
long strtab_add(struct strtab *t, const char *s);
/*
 * The strings as an array (the caller frees it, not them), valid until
 * the next strtab_add(); NULL on ENOMEM.
 */
char **strtab_array(const struct strtab *t);
void strtab_free(struct strtab *t);

#endif /* __PINSIGHT_STRTAB_H */
