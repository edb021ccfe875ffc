// SPDX-License-Identifier: GPL-2.0
/*
 * otelread: one slow read() made under an OpenTelemetry span, so a test
 * knows which trace and span id the io tool must attach to it.
 *
 * It publishes its process context (OTEP 4719) first, then waits for
 * SIGUSR1 without any I/O call: the test loads io --pid meanwhile, and
 * the loader resolves otel_thread_ctx_v1 for a process that already
 * exists. On the signal, it attaches the span (OTEP 4947 record valid),
 * reads a timerfd that fires after --slow-ms, detaches and exits.
 * --untraced publishes nothing and attaches nothing: a process of the
 * kind most hosts run, whose alerts must carry no ids. --count N makes N
 * fast reads of /dev/zero before the slow one, under the same span: the
 * per-call cost of the context read and exemplar (bpf_stats).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "otelctx.h"

static const char usage[] =
	"Usage: otelread [--untraced] [--slow-ms MS] [--trace HEX32] [--span HEX16]\n"
	"                [--count N]\n"
	"Publish an OpenTelemetry process context, wait for SIGUSR1, then read\n"
	"a timerfd that fires after MS (default 50) with span HEX16 of trace\n"
	"HEX32 active on the thread, after N reads of /dev/zero (default 0).\n"
	"--untraced: no context at all.\n";

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

/* @hex, 2 * @n hex digits, into @out; -EINVAL when it is not that. */
static int parse_hex(const char *hex, uint8_t *out, size_t n)
{
	unsigned int b;
	size_t i;

	if (strlen(hex) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = b;
	}
	return 0;
}

static int fast_reads(long n)
{
	char buf[64];
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (n-- > 0)
		if (read(fd, buf, sizeof(buf)) != sizeof(buf))
			break;
	close(fd);
	return n < 0 ? 0 : -EIO;
}

static int slow_read(int ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000L },
	};
	unsigned long long ticks;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), ret = 0;

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL))
		return -errno;
	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		ret = -errno;
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "untraced", no_argument, NULL, 'u' },
		{ "slow-ms", required_argument, NULL, 'm' },
		{ "trace", required_argument, NULL, 't' },
		{ "span", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{},
	};
	uint8_t trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
			      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	uint8_t span[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, old;
	bool traced = true;
	int c, ms = 50, err;
	long count = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'u':
			traced = false;
			break;
		case 'm':
			ms = atoi(optarg);
			break;
		case 'c':
			count = atol(optarg);
			break;
		case 't':
			if (parse_hex(optarg, trace, sizeof(trace)))
				goto bad;
			break;
		case 's':
			if (parse_hex(optarg, span, sizeof(span)))
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (ms <= 0)
		goto bad;
	if (traced) {
		err = otel_process_ctx_publish("otelread", OTEL_SCHEMA_TLS_V1);
		if (err) {
			fprintf(stderr, "otelread: process context: %s\n",
				strerror(-err));
			return 1;
		}
	}
	/* blocked until sigsuspend(): a signal sent early is not lost */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGUSR1, &sa, NULL);
	while (!go)
		sigsuspend(&old);
	if (traced)
		otel_thread_attach(trace, span);
	err = fast_reads(count) ?: slow_read(ms);
	if (traced)
		otel_thread_detach();
	if (err) {
		fprintf(stderr, "otelread: read: %s\n", strerror(-err));
		return 1;
	}
	return 0;
bad:
	fputs(usage, stderr);
	return 2;
}
