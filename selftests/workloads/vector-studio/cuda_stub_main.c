// SPDX-License-Identifier: GPL-2.0
/*
 * cuda-stub: calls cudaLaunchKernel from libcudastub.so in a loop, so uprobes
 * on a shared-library symbol (found via rpath $ORIGIN) can be tested.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cudastub.h"
#include "workload.h"

/* Stands in for the host-side kernel stub CUDA passes as 'func'. */
static void saxpy_kernel(void)
{
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cuda-stub [options]\n"
		"  -n, --iterations N  kernel launches (default 1000)\n"
		"  -s, --sleep-us N    sleep between launches (default 0)\n"
		"  -e, --elements N    vector length per launch (default 4096)\n"
		"  -h, --help          this text\n");
}

int main(int argc, char **argv)
{
	long iters = 1000, sleep_us = 0, calls = 0;
	float alpha = 0.5f, *x, *y;
	void *args[4];
	int n = 4096;

	if (stub_parse_args(argc, argv, usage, &iters, &sleep_us, &n))
		return 2;
	x = calloc(n, sizeof(*x));
	y = calloc(n, sizeof(*y));
	if (!x || !y)
		return 1;
	for (int i = 0; i < n; i++)
		x[i] = i % 7;
	args[0] = &alpha;
	args[1] = &x;
	args[2] = &y;
	args[3] = &n;
	for (long i = 0; i < iters; i++) {
		if (cudaLaunchKernel((const void *)saxpy_kernel, (n + 255) / 256,
				     256, args, 1024, NULL) == 0)
			calls++;
		if (sleep_us)
			usleep(sleep_us);
	}
	printf("cuda-stub: %ld calls to cudaLaunchKernel (y[1] = %.1f)\n",
	       calls, y[n > 1 ? 1 : 0]);
	free(x);
	free(y);
	return calls == iters ? 0 : 1;
}
