// SPDX-License-Identifier: GPL-2.0
/*
 * iogen: a known number of each I/O call, under a comm of the caller's
 * choosing, so the io tool's counts can be checked exactly.
 *
 * Setup (opening files, loading libraries) happens before the comm is set
 * and the report is printed after it is changed back, so every read/write
 * the tool sees under that comm is one of ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

static const char usage[] =
	"Usage: iogen --comm COMM [--count N] [--size BYTES] [--fail N]\n"
	"             [--slow N --slow-ms MS] [--hold SEC]\n"
	"Each of read, write, pread64, pwrite64, readv, writev N times with\n"
	"BYTES bytes; read and write fail (EBADF) N more times; N more reads\n"
	"of a timerfd block for MS each. --hold waits before exiting.\n";

static int slow_read(int ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000L },
	};
	unsigned long long ticks;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	/* timerfd_create/settime/close are not I/O calls: only read counts */
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL))
		return -1;
	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return -1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comm", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "fail", required_argument, NULL, 'f' },
		{ "slow", required_argument, NULL, 'S' },
		{ "slow-ms", required_argument, NULL, 'm' },
		{ "hold", required_argument, NULL, 'H' },
		{},
	};
	long count = 100, size = 64, fail = 0, slow = 0, slow_ms = 50;
	long hold = 0, i, half, bad = 0;
	const char *comm = NULL;
	struct iovec iov[2];
	int zero, null, tmp, opt;
	char *buf;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': comm = optarg; break;
		case 'n': count = atol(optarg); break;
		case 's': size = atol(optarg); break;
		case 'f': fail = atol(optarg); break;
		case 'S': slow = atol(optarg); break;
		case 'm': slow_ms = atol(optarg); break;
		case 'H': hold = atol(optarg); break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!comm || size < 2 || count < 0) {
		fputs(usage, stderr);
		return 2;
	}
	buf = calloc(1, size);
	zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (!buf || zero < 0 || null < 0 || tmp < 0 || ftruncate(tmp, size)) {
		perror("iogen: setup");
		return 1;
	}
	half = size / 2;
	iov[0] = (struct iovec){ buf, half };
	iov[1] = (struct iovec){ buf + half, size - half };

	prctl(PR_SET_NAME, comm);
	for (i = 0; i < count; i++) {
		bad += read(zero, buf, size) != size;
		bad += write(null, buf, size) != size;
		bad += pread(tmp, buf, size, 0) != size;
		bad += pwrite(tmp, buf, size, 0) != size;
		bad += readv(zero, iov, 2) != size;
		bad += writev(null, iov, 2) != size;
	}
	for (i = 0; i < fail; i++) {
		bad += read(-1, buf, size) != -1 || errno != EBADF;
		bad += write(-1, buf, size) != -1 || errno != EBADF;
	}
	for (i = 0; i < slow; i++)
		bad += slow_read(slow_ms) != 0;
	prctl(PR_SET_NAME, "iogen-done");

	printf("{\"count\":%ld,\"size\":%ld,\"fail\":%ld,\"slow\":%ld,\"bad\":%ld}\n",
	       count, size, fail, slow, bad);
	fflush(stdout);
	if (hold)
		sleep(hold);
	return bad ? 1 : 0;
}
