// SPDX-License-Identifier: GPL-2.0
/*
 * otel-dlopen LIB SECONDS READY_FILE: the OpenTelemetry context writer
 * loaded with dlopen(), after start, as a plugin or a language runtime
 * would load an SDK: the TLS block of LIB is then allocated by ld.so at
 * run time rather than in the initial static TLS. Publishes the process
 * context, attaches trace 6f74656c2d646c6f70656e0000000001 ("otel-dlopen")
 * span 00000000000000aa on the main thread, writes READY_FILE, waits for
 * SIGUSR1 (a profiler loads meanwhile) and burns SECONDS of CPU time in
 * dl_burn().
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "otelctx.h"
#include "workload.h"

static const uint8_t trace[16] = "otel-dlopen\0\0\0\0\1";
static const uint8_t span[8] = { 0, 0, 0, 0, 0, 0, 0, 0xaa };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

PROBE_TARGET double dl_burn(double seconds)
{
	double end = now() + seconds, x = 1;

	while (now() < end)
		for (int i = 0; i < 10000; i++)
			x = x * 1.0000001 + 1e-9;
	return x;
}

int main(int argc, char **argv)
{
	int (*publish)(const char *, const char *);
	void (*attach)(const uint8_t *, const uint8_t *);
	sigset_t usr1;
	void *lib;
	FILE *f;
	int sig;

	if (argc != 4) {
		fprintf(stderr, "Usage: otel-dlopen LIB SECONDS READY_FILE\n");
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "otel-dlopen: %s\n", dlerror());
		return 1;
	}
	publish = (int (*)(const char *, const char *))dlsym(
		lib, "otel_process_ctx_publish");
	attach = (void (*)(const uint8_t *, const uint8_t *))dlsym(
		lib, "otel_thread_attach");
	if (!publish || !attach || publish("otel-dlopen", OTEL_SCHEMA_TLS_V1)) {
		fprintf(stderr, "otel-dlopen: %s: no writer\n", argv[1]);
		return 1;
	}
	attach(trace, span);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	f = fopen(argv[3], "w");
	if (!f || fclose(f))
		return 1;
	sigwait(&usr1, &sig);
	printf("%f\n", dl_burn(atof(argv[2])));
	return 0;
}
