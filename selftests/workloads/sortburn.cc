// SPDX-License-Identifier: GPL-2.0
/*
 * sortburn: CPU time spent in comparators called from inside sorting code
 * that has no frame pointers: libc's qsort() calling qsort_cmp(), and
 * std::sort calling sort_less(). The profile tests need callers above code
 * the kernel's frame-pointer walk cannot cross. Built without frame
 * pointers itself (Makefile), like the packaged binaries it stands for.
 */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>
#include <getopt.h>
#include <sys/prctl.h>

#define BURN_FN __attribute__((noinline, used))

static const char usage[] =
	"Usage: sortburn [--comm COMM] [--seconds S] [--mode qsort|stdsort|both]\n"
	"Sorts arrays of 4096 doubles for S seconds of CPU time (default 2),\n"
	"with qsort() and std::sort (both: alternating, same work each).\n";

volatile unsigned long sort_work = 40;

/* A comparison made costly, so most samples land in the comparators. */
static inline int slow_compare(double a, double b)
{
	unsigned long i, x = (unsigned long)a;

	for (i = 0; i < sort_work; i++)
		x = x * 6364136223846793005UL + i;
	if (x == 42)
		std::puts("");
	return (a > b) - (a < b);
}

extern "C" BURN_FN int qsort_cmp(const void *a, const void *b)
{
	return slow_compare(*(const double *)a, *(const double *)b);
}

struct SortLess {
	BURN_FN bool operator()(double a, double b) const
	{
		return slow_compare(a, b) < 0;
	}
};

static void fill(std::vector<double> &v, unsigned int *seed)
{
	for (double &d : v)
		d = rand_r(seed);
}

extern "C" BURN_FN void run_qsort(std::vector<double> &v, unsigned int *seed)
{
	fill(v, seed);
	qsort(v.data(), v.size(), sizeof(double), qsort_cmp);
}

extern "C" BURN_FN void run_stdsort(std::vector<double> &v,
				    unsigned int *seed)
{
	fill(v, seed);
	std::sort(v.begin(), v.end(), SortLess());
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comm", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	std::vector<double> v(4096);
	const char *mode = "both";
	double seconds = 2, end;
	unsigned int seed = 1;
	long rounds = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:s:m:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			prctl(PR_SET_NAME, optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'm':
			mode = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (strcmp(mode, "qsort") && strcmp(mode, "stdsort") &&
	    strcmp(mode, "both")) {
		fprintf(stderr, "sortburn: --mode %s: expected qsort, stdsort or both\n",
			mode);
		return 2;
	}
	end = cpu_seconds() + seconds;
	while (cpu_seconds() < end) {
		if (strcmp(mode, "stdsort"))
			run_qsort(v, &seed);
		if (strcmp(mode, "qsort"))
			run_stdsort(v, &seed);
		rounds++;
	}
	printf("sortburn: %ld rounds in %.1f s\n", rounds, seconds);
	return 0;
}
