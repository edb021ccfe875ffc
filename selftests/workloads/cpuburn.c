// SPDX-License-Identifier: GPL-2.0
/*
 * cpuburn: CPU time in a known ratio between two functions, for the
 * profile tests. burn_hot() and burn_cold() run the same loop, 3 and 1
 * units per round, so a profile must show them 3:1. --syscalls instead
 * spends its time in read() of /dev/zero, so samples land in the kernel
 * under burn_syscalls(). --swap gives burn_cold the 3 units and burn_hot
 * the 1, so a later run shows the hot function changed (profile --diff).
 * Built with frame pointers, which the kernel's user stack walk follows.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#if defined(__GNUC__) && !defined(__clang__)
#define BURN_FN __attribute__((noinline, noclone, used))
#else
#define BURN_FN __attribute__((noinline, used))
#endif

static const char usage[] =
	"Usage: cpuburn [--comm COMM] [--seconds S] [--syscalls | --in-signal]\n"
	"               [--swap]\n"
	"Burns S seconds of CPU time (default 2): burn_hot 3 units to burn_cold's\n"
	"1 (--swap: 1 to 3), or with --syscalls read()s of /dev/zero from\n"
	"burn_syscalls; with --in-signal, the burners run in a SIGUSR1 handler,\n"
	"raised in a loop.\n";

volatile unsigned long burn_sink;
volatile unsigned long burn_unit = 200000;
/* units of burn_hot and burn_cold per round; --swap exchanges them */
static unsigned long hot_units = 3, cold_units = 1;


/* The same loop in both, so time is in proportion to the units. */
BURN_FN void burn_hot(void)
{
	unsigned long i, x = burn_sink;

	for (i = 0; i < hot_units * burn_unit; i++)
		x = x * 6364136223846793005UL + i;
	burn_sink = x;
}

BURN_FN void burn_cold(void)
{
	unsigned long i, x = burn_sink;

	for (i = 0; i < cold_units * burn_unit; i++)
		x = x * 6364136223846793005UL + i;
	burn_sink = x;
}

/*
 * The syscall instruction is inline so that the user IP of a sample taken
 * in the kernel is in burn_syscalls itself: a frame-pointer walk from
 * libc's read() (which has no frame) would skip its caller.
 */
static inline long raw_read(int fd, char *buf, size_t sz)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(0L /* __NR_read */), "D"((long)fd), "S"(buf),
			   "d"(sz)
			 : "rcx", "r11", "memory");
	return ret;
#else
	return read(fd, buf, sz);
#endif
}

BURN_FN int burn_syscalls(int fd, char *buf, size_t sz)
{
	int i;

	for (i = 0; i < 16; i++)
		if (raw_read(fd, buf, sz) < 0)
			return -1;
	return 0;
}

/* --in-signal: the burners run in a signal handler (a signal frame). */
BURN_FN void on_signal(int sig)
{
	(void)sig;
	burn_hot();
	burn_cold();
}

static double now(void)
{
	struct timespec ts;

	/* CPU time, not wall time: samples then match S on a busy machine */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comm", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "syscalls", no_argument, NULL, 'y' },
		{ "in-signal", no_argument, NULL, 'S' },
		{ "swap", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	double secs = 2, end;
	int c, fd = -1, syscalls = 0, in_signal = 0;
	static char buf[1 << 16];
	long rounds = 0;

	while ((c = getopt_long(argc, argv, "c:s:ySwh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			prctl(PR_SET_NAME, optarg);
			break;
		case 's':
			secs = atof(optarg);
			break;
		case 'y':
			syscalls = 1;
			break;
		case 'S':
			in_signal = 1;
			signal(SIGUSR1, on_signal);
			break;
		case 'w':
			hot_units = 1;
			cold_units = 3;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (syscalls) {
		fd = open("/dev/zero", O_RDONLY);
		if (fd < 0) {
			perror("cpuburn: /dev/zero");
			return 1;
		}
	}
	end = now() + secs;
	while (now() < end) {
		if (syscalls) {
			if (burn_syscalls(fd, buf, sizeof(buf)))
				return 1;
		} else if (in_signal) {
			raise(SIGUSR1);
		} else {
			burn_hot();
			burn_cold();
		}
		rounds++;
	}
	printf("cpuburn: %ld rounds in %.1f s\n", rounds, secs);
	return 0;
}
