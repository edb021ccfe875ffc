// SPDX-License-Identifier: GPL-2.0
/*
 * Log2 histograms (struct hist): the one printer every tool uses, and the
 * bucket bounds Prometheus sees. Slot k holds [2^k, 2^(k+1)); slot 0 also
 * holds 0; the last slot holds everything above.
 */
#include <math.h>
#include <stdio.h>
#include "pinmaps.h"

double pm_unit_scale(enum pm_unit unit)
{
	switch (unit) {
	case PM_UNIT_NS:
		return 1e-9;
	case PM_UNIT_US:
		return 1e-6;
	default:
		return 1;
	}
}

double pm_hist_le(unsigned int slot, unsigned int nslots, enum pm_unit unit)
{
	/*
	 * The largest integer slot k holds, so a value v in slot k has
	 * v <= le(k) < every value of slot k+1 (ebpf_exporter #488 used 2^k
	 * here and put every sample one bucket too low).
	 */
	if (slot + 1 >= nslots || slot >= 63)
		return INFINITY;
	return (double)((2ULL << slot) - 1) * pm_unit_scale(unit);
}

/* A slot bound in a readable unit: 1.02us, 64KiB. */
static void human(char *buf, size_t sz, unsigned long long v, enum pm_unit unit)
{
	static const char *const tns[] = { "ns", "us", "ms", "s" };
	static const char *const tbytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	const char *const *names;
	double d = v, step;
	int i = 0, max;

	switch (unit) {
	case PM_UNIT_NS:
	case PM_UNIT_US:
		names = tns + (unit == PM_UNIT_US);
		max = unit == PM_UNIT_US ? 2 : 3;
		step = 1000;
		break;
	case PM_UNIT_BYTES:
		names = tbytes;
		max = 4;
		step = 1024;
		break;
	default:
		snprintf(buf, sz, "%llu", v);
		return;
	}
	while (d >= step && i < max) {
		d /= step;
		i++;
	}
	snprintf(buf, sz, "%.3g%s", d, names[i]);
}

static void print_stars(FILE *f, __u64 val, __u64 val_max, int width)
{
	int stars, i;

	stars = val_max ? (int)((val < val_max ? val : val_max) * width /
				val_max) :
			  0;
	for (i = 0; i < width; i++)
		putc(i < stars ? '*' : ' ', f);
	if (val > val_max)
		putc('+', f);
}

/*
 * libbpf-tools' print_log2_hist, with 64-bit counts and unit-scaled
 * ranges. Unitless histograms keep its inclusive integer ranges; with a
 * unit, each range reads [low, high) in a readable unit, because the
 * inclusive upper bound (2047ns) rounds to the next range's lower bound.
 */
void pm_print_log2_hist(FILE *f, const __u64 *slots, unsigned int nslots,
			enum pm_unit unit)
{
	static const char *const unit_name[] = {
		[PM_UNIT_NONE] = "value",
		[PM_UNIT_NS] = "nsecs",
		[PM_UNIT_US] = "usecs",
		[PM_UNIT_BYTES] = "bytes",
	};
	int idx_max = -1, i, width = 10, stars = 40;
	unsigned long long low, high;
	char lo[32], hi[32];
	__u64 val_max = 0;

	for (i = 0; i < (int)nslots; i++) {
		if (slots[i])
			idx_max = i;
		if (slots[i] > val_max)
			val_max = slots[i];
	}
	if (idx_max < 0) {
		fprintf(f, "     (no samples)\n");
		return;
	}
	fprintf(f, "%*s%-*s : count    distribution\n", 5, "", 19,
		unit_name[unit]);
	for (i = 0; i <= idx_max; i++) {
		low = i ? 1ULL << i : 0;
		if (unit == PM_UNIT_NONE) {
			high = (2ULL << i) - 1;
			snprintf(lo, sizeof(lo), "%llu", low);
			snprintf(hi, sizeof(hi), "%llu", high);
		} else {
			human(lo, sizeof(lo), low, unit);
			if (i + 1 == (int)nslots)
				snprintf(hi, sizeof(hi), "inf");
			else
				human(hi, sizeof(hi), 2ULL << i, unit);
		}
		fprintf(f, "%*s -> %-*s : %-8llu |", width, lo, width, hi,
			(unsigned long long)slots[i]);
		print_stars(f, slots[i], val_max, stars);
		fputs("|\n", f);
	}
}
