/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way pinsight-load and pinsight read a duration or a size from a
 * command line or a config file, so "1.5s" or "1g" means the same in every
 * option that takes one.
 *
 * Duration: a decimal number with a unit, ns us ms s m h ("100ms", "1.5s");
 * a bare number is refused (is "100" ns or seconds?) except 0.
 * Size or count: a decimal (or 0x hex) number with an optional binary
 * suffix k M G T, either case ("64k" = 65536, "1.5G"); fractions must
 * come out whole.
 */
#ifndef __PINSIGHT_UNITS_H
#define __PINSIGHT_UNITS_H

/* 0, -EINVAL (not a duration) or -ERANGE (over 2^64-1 ns). */
int parse_duration_ns(const char *s, unsigned long long *ns);
/* 0, -EINVAL (not a size) or -ERANGE (over 2^64-1). */
int parse_size(const char *s, unsigned long long *v);

#endif /* __PINSIGHT_UNITS_H */
