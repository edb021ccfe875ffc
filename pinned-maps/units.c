// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "units.h"

struct unit {
	const char *name;
	unsigned long long mul;
};

/*
 * "<digits>[.<digits>]<unit>" into @v, exactly: the fraction is scaled by
 * the unit in integers, and refused unless the result is whole.
 */
static int parse_scaled(const char *s, unsigned long long *v,
			const struct unit *units, bool unit_needed)
{
	unsigned long long ip = 0, fp = 0, fdiv = 1, mul;
	const char *p = s;
	const struct unit *u;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
		char *end;

		/* hex: a plain number, as a C programmer writes a mask */
		if (!s[2] || s[2] == '-' || s[2] == '+' || unit_needed)
			return -EINVAL;
		errno = 0;
		ip = strtoull(s + 2, &end, 16);
		if (errno || *end)
			return errno ? -errno : -EINVAL;
		*v = ip;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (ip > (~0ULL - (*p - '0')) / 10)
			return -ERANGE;
		ip = ip * 10 + (*p - '0');
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (fdiv >= 1000000000000000000ULL)
				return -EINVAL; /* more digits than any unit */
			fp = fp * 10 + (*p - '0');
			fdiv *= 10;
		}
	}
	for (u = units; u->name && strcmp(p, u->name); u++)
		;
	if (!u->name)
		return -EINVAL;
	/* a bare number has the unit "" */
	if (unit_needed && !*p && (ip || fp))
		return -EINVAL;
	mul = u->mul;
	if (ip && mul > ~0ULL / ip)
		return -ERANGE;
	/* fp < fdiv <= 1e18 and mul <= 2^42: the product fits in 128 bits */
	if ((unsigned __int128)fp * mul % fdiv)
		return -EINVAL;
	fp = (unsigned __int128)fp * mul / fdiv;
	if (ip * mul > ~0ULL - fp)
		return -ERANGE;
	*v = ip * mul + fp;
	return 0;
}

int parse_duration_ns(const char *s, unsigned long long *ns)
{
	static const struct unit u[] = {
		{ "", 1 }, /* 0 only */
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000ULL },
		{ "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
		{},
	};

	return parse_scaled(s, ns, u, true);
}

int parse_size(const char *s, unsigned long long *v)
{
	static const struct unit u[] = {
		{ "", 1 },	     { "k", 1ULL << 10 },
		{ "K", 1ULL << 10 }, { "m", 1ULL << 20 },
		{ "M", 1ULL << 20 }, { "g", 1ULL << 30 },
		{ "G", 1ULL << 30 }, { "t", 1ULL << 40 },
		{ "T", 1ULL << 40 }, {},
	};

	return parse_scaled(s, v, u, false);
}
