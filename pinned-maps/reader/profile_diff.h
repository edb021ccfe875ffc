/* SPDX-License-Identifier: GPL-2.0 */
/* pinsight profile --diff BASE NEW (profile_diff.c says what it reads). */
#ifndef __PROFILE_DIFF_H
#define __PROFILE_DIFF_H

#include <stdbool.h>

struct profile_diff_opts {
	const char *svg; /* a differential flame graph here */
	bool folded; /* "stack base new" lines on stdout (also without svg) */
	bool normalize; /* scale BASE to NEW's total sample count */
	bool no_comm; /* pprof input: no "comm" label as the root frame */
	const char *title;
};

/* 0, or -errno after an error naming the file (bad content: -EINVAL). */
int profile_diff(const char *base, const char *new,
		 const struct profile_diff_opts *o);

#endif /* __PROFILE_DIFF_H */
