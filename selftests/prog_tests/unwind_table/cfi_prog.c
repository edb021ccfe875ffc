// SPDX-License-Identifier: GPL-2.0
/*
 * Built at test time by prog_tests/unwind_table.c, twice: with
 * -O2 -fomit-frame-pointer (.eh_frame) and with
 * -fno-asynchronous-unwind-tables -fno-exceptions -g (.debug_frame). Each
 * function is there for a CFI shape: plain rsp offsets, saved registers
 * with rbp among them, an rbp-based CFA (the VLA), and calls through the
 * PLT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Uses enough callee-saved registers that rbp is pushed and restored. */
__attribute__((noinline)) long cfi_saves(long a, long b, long c, long d)
{
	long r[8];
	int i;

	for (i = 0; i < 8; i++)
		r[i] = (a * i) ^ (b + i) ^ (c << i) ^ (d >> i);
	for (i = 0; i < 8; i++)
		a += r[i] * strlen(getenv("PATH") ?: "");
	return a + b + c + d;
}

/* A VLA needs rbp as frame pointer, so the CFA becomes rbp + 16. */
__attribute__((noinline)) int cfi_vla(int n)
{
	volatile char buf[n];
	int i, s = 0;

	for (i = 0; i < n; i++)
		buf[i] = i;
	for (i = 0; i < n; i++)
		s += buf[i];
	return s;
}

int main(int argc, char **argv)
{
	long v = cfi_saves(argc, argc + 1, argc + 2, argc + 3);

	printf("%ld %d %s\n", v, cfi_vla(argc * 64), argv[0]);
	return 0;
}
