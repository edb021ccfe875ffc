// SPDX-License-Identifier: GPL-2.0
/* Interned strings with a hash index (strtab.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "grow.h"
#include "strtab.h"

static size_t str_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static int strtab_grow(struct strtab *t)
{
	size_t cap = t->idx_cap ? t->idx_cap * 2 : 1024, i, j;
	size_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		for (j = str_hash(strtab_str(t, i)) & (cap - 1); idx[j];
		     j = (j + 1) & (cap - 1))
			;
		idx[j] = i + 1;
	}
	free(t->idx);
	t->idx = idx;
	t->idx_cap = cap;
	return 0;
}

/* Room for @n more bytes of strings and one more offset. */
static int strtab_room(struct strtab *t, size_t n)
{
	if (pm_grow(&t->off, &t->cap, t->n + 1, sizeof(*t->off), 256) ||
	    pm_grow(&t->buf, &t->buf_cap, t->len + n, 1, 4096))
		return -ENOMEM;
	return 0;
}

long strtab_add(struct strtab *t, const char *s)
{
	size_t j, len = strlen(s) + 1;

	if ((t->n + 1) * 2 > t->idx_cap && strtab_grow(t))
		return -1;
	for (j = str_hash(s) & (t->idx_cap - 1); t->idx[j];
	     j = (j + 1) & (t->idx_cap - 1))
		if (!strcmp(strtab_str(t, t->idx[j] - 1), s))
			return t->idx[j] - 1;
	if (strtab_room(t, len))
		return -1;
	memcpy(t->buf + t->len, s, len);
	t->off[t->n] = t->len;
	t->len += len;
	t->idx[j] = ++t->n;
	return t->n - 1;
}

char **strtab_array(const struct strtab *t)
{
	char **a = calloc(t->n ? t->n : 1, sizeof(*a));
	size_t i;

	for (i = 0; a && i < t->n; i++)
		a[i] = t->buf + t->off[i];
	return a;
}

void strtab_free(struct strtab *t)
{
	free(t->buf);
	free(t->off);
	free(t->idx);
}
