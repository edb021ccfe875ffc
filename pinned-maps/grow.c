// SPDX-License-Identifier: GPL-2.0
/* Growing arrays (grow.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "grow.h"

int pm_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
	void **arr = arrp, *p;
	size_t n = *cap ? *cap : first;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}
