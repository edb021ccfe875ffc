/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by libcudastub.so and cuda-stub so the two cannot disagree. */
#ifndef CUDASTUB_H
#define CUDASTUB_H
#include <stddef.h>

/* Kernel arguments: args[0] -> float alpha, [1] -> float *x, [2] -> float *y, [3] -> int n */
int cudaLaunchKernel(const void *func, unsigned int gridx, unsigned int blockx,
		     void **args, size_t sharedMem, void *stream);

#endif
