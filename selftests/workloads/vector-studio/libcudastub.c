// SPDX-License-Identifier: GPL-2.0
/*
 * libcudastub.so: a CPU stand-in for the CUDA runtime's cudaLaunchKernel so
 * pinsight's uprobe tools can be tested on a library symbol without a GPU.
 * The "kernel" is always saxpy (y = alpha * x + y), run by gridx * blockx
 * simulated threads.
 */
#include <stdlib.h>
#include "cudastub.h"

enum { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2 };

__attribute__((visibility("default"), noinline))
int cudaLaunchKernel(const void *func, unsigned int gridx, unsigned int blockx,
		     void **args, size_t sharedMem, void *stream)
{
	unsigned long threads = (unsigned long)gridx * blockx;
	float alpha, *x, *y;
	void *shared = NULL;
	int n;

	(void)stream;
	if (!func || !args || !threads)
		return cudaErrorInvalidValue;
	alpha = *(float *)args[0];
	x = *(float **)args[1];
	y = *(float **)args[2];
	n = *(int *)args[3];
	/* Real launches reserve shared memory; give malloc tools a trace. */
	if (sharedMem) {
		shared = calloc(1, sharedMem);
		if (!shared)
			return cudaErrorMemoryAllocation;
	}
	/* Grid-stride loop, as a CUDA saxpy kernel would be written. */
	for (unsigned long t = 0; t < threads; t++)
		for (long i = t; i < n; i += threads)
			y[i] = alpha * x[i] + y[i];
	free(shared);
	return cudaSuccess;
}
