// SPDX-License-Identifier: GPL-2.0
/*
 * allocgen: a known sequence of allocator calls, for memalloc's exact-count
 * tests, a deliberate leak under a known stack, steady growth for the
 * growth alert, a function that sleeps known durations for funclat (also
 * under a recursion, from threads at once), and a malloc/free loop for the
 * overhead measurement.
 *
 * Exactness: everything counted happens after prctl(PR_SET_NAME) gives the
 * process the test's unique comm, and nothing in between uses stdio (its
 * buffers are malloc()ed): results are written with write(2) at the end.
 */
/* frame pointers, so the leak's stack unwinds (CFLAGS may omit them) */
#pragma GCC optimize("no-omit-frame-pointer")
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap(): the static test builds it with bare cc */
#endif
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#if defined(__GNUC__) && !defined(__clang__)
#define NOCLONE __attribute__((noclone))
#else
#define NOCLONE
#endif

static void *volatile sink; /* keeps the compiler from eliding calls */
static void **leaks;
static long nleaks;

static volatile sig_atomic_t started; /* --wait-signal: SIGUSR1 came */

static void on_usr1(int sig)
{
	(void)sig;
	started = 1;
}

static void say(const char *fmt, long a, long b)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), fmt, a, b);

	if (n > 0 && write(1, buf, n) < 0)
		_exit(1);
}

static void die(const char *what)
{
	if (write(2, what, strlen(what)) < 0 || write(2, "\n", 1) < 0)
		_exit(2);
	_exit(1);
}

/* The leak's stack: main -> leak_outer -> leak_here -> malloc. */
NOINLINE NOCLONE void *leak_here(size_t size)
{
	void *p = malloc(size);

	if (!p)
		die("allocgen: malloc failed");
	memset(p, 0xab, size);
	return p;
}

NOINLINE NOCLONE void leak_outer(long n, size_t size)
{
	long i;

	for (i = 0; i < n; i++)
		leaks[nleaks++] = leak_here(size);
}

/*
 * memalloc's heap mode: one change of VmData per syscall, @ms apart:
 * 3 x mmap 8 MiB, munmap one, 2 MiB of a PROT_NONE reservation made
 * writable (as glibc grows an arena), sbrk 1 MiB, mremap 8 to 12 MiB.
 * VmData grows by 31 MiB, shrinks by 8: 23 MiB more at the end.
 */
#define MiB (1L << 20)
NOINLINE NOCLONE void heap_steps(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	const int rw = PROT_READ | PROT_WRITE;
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	char *m[3], *none;
	int i;

	for (i = 0; i < 3; i++) {
		m[i] = mmap(NULL, 8 * MiB, rw, anon, -1, 0);
		if (m[i] == MAP_FAILED)
			die("allocgen: mmap failed");
		nanosleep(&ts, NULL);
	}
	munmap(m[0], 8 * MiB);
	nanosleep(&ts, NULL);
	none = mmap(NULL, 4 * MiB, PROT_NONE, anon | MAP_NORESERVE, -1, 0);
	if (none == MAP_FAILED || mprotect(none, 2 * MiB, rw))
		die("allocgen: mprotect failed");
	nanosleep(&ts, NULL);
	if (sbrk(MiB) == (void *)-1)
		die("allocgen: sbrk failed");
	nanosleep(&ts, NULL);
	if (mremap(m[1], 8 * MiB, 12 * MiB, MREMAP_MAYMOVE) == MAP_FAILED)
		die("allocgen: mremap failed");
}

/* funclat's target: returns after about @us microseconds. */
NOINLINE NOCLONE long slow_call(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
	return us;
}

/*
 * --nest: each call of nest_rec(NEST_DEPTH) is NEST_DEPTH + 1 nested calls
 * of nest_rec and one of slow_call(NEST_US) at the bottom: every one of
 * them takes at least NEST_US. The recursion goes through a volatile
 * pointer, or the compiler turns it into a loop.
 */
#define NEST_DEPTH 3
#define NEST_US 1000
NOINLINE NOCLONE long nest_rec(long d);
static long (*volatile nest_next)(long) = nest_rec;
NOINLINE NOCLONE long nest_rec(long d)
{
	return (d ? nest_next(d - 1) : slow_call(NEST_US)) + 1;
}

static long nest_calls = 10;
static pthread_barrier_t nest_go;

static void *nest_thread(void *arg)
{
	long i;

	(void)arg;
	pthread_barrier_wait(&nest_go); /* all threads inside at once */
	for (i = 0; i < nest_calls; i++)
		nest_rec(NEST_DEPTH);
	return NULL;
}

/* @n threads each make nest_calls calls of nest_rec(NEST_DEPTH). */
static void nest(long n)
{
	pthread_t t[64];
	long i;

	if (n > 64 || pthread_barrier_init(&nest_go, NULL, n))
		die("allocgen: --nest-threads: 1..64");
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, nest_thread, NULL))
			die("allocgen: pthread_create failed");
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/*
 * This thread's CPU time, not wall time: the probes' traps and programs
 * run on it, while time spent preempted on a busy host does not count.
 */
static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: allocgen [--comm NAME] [--size B] [--count N] [--calloc N]\n"
		"                [--realloc N] [--aligned N] [--memalign N] [--mmap N]\n"
		"                [--leak N] [--leak-size B] [--grow B --grow-ms MS]\n"
		"                [--sleep-us US[,US...]] [--bench N] [--hold-ms MS]\n"
		"                [--wait-signal] [--heap-steps MS]\n"
		"                [--nest-threads T [--nest-calls N]]\n"
		"Each call kind runs N times with size B (default 100):\n"
		"  --count    malloc(B) then free       --calloc   calloc(4, B/4), free\n"
		"  --realloc  malloc(B), realloc(2B), free\n"
		"  --aligned  aligned_alloc(64, B), free --memalign posix_memalign(64, B), free\n"
		"  --mmap     anonymous mmap(B), munmap  --leak  N x malloc(leak-size), kept\n"
		"  --grow     keep B bytes more, in 64 KiB steps spread over MS ms\n"
		"  --sleep-us call slow_call(US) for each value\n"
		"  --bench    N malloc(B)/free pairs; prints CPU ns per pair\n"
		"  --hold-ms  stay alive MS ms at the end (for symbolization)\n"
		"  --heap-steps  change VmData by syscalls, MS ms apart (heap_steps())\n"
		"  --nest-threads  T threads each call nest_rec(3) N times (10): 4\n"
		"             nested nest_rec calls over slow_call(1000) each time\n"
		"  --wait-signal  start only at SIGUSR1 (blocked meanwhile: a\n"
		"             tracer loaded with --pid sees every call)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comm", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "calloc", required_argument, NULL, 'C' },
		{ "realloc", required_argument, NULL, 'R' },
		{ "aligned", required_argument, NULL, 'A' },
		{ "memalign", required_argument, NULL, 'P' },
		{ "mmap", required_argument, NULL, 'M' },
		{ "leak", required_argument, NULL, 'L' },
		{ "leak-size", required_argument, NULL, 'l' },
		{ "grow", required_argument, NULL, 'g' },
		{ "grow-ms", required_argument, NULL, 'G' },
		{ "sleep-us", required_argument, NULL, 'u' },
		{ "bench", required_argument, NULL, 'b' },
		{ "hold-ms", required_argument, NULL, 'h' },
		{ "wait-signal", no_argument, NULL, 'w' },
		{ "heap-steps", required_argument, NULL, 'H' },
		{ "nest-threads", required_argument, NULL, 'T' },
		{ "nest-calls", required_argument, NULL, 'N' },
		{},
	};
	long size = 100, count = 0, ncalloc = 0, nrealloc = 0, naligned = 0;
	long nmemalign = 0, nmmap = 0, nleak = 0, leak_size = 1000;
	long grow = 0, grow_ms = 1000, bench = 0, hold_ms = 0, i, t0;
	long heap_ms = -1, nest_threads = 0;
	const char *comm = NULL, *sleeps = NULL;
	bool wait_signal = false;
	sigset_t usr1;
	void *p;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': comm = optarg; break;
		case 's': size = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'C': ncalloc = atol(optarg); break;
		case 'R': nrealloc = atol(optarg); break;
		case 'A': naligned = atol(optarg); break;
		case 'P': nmemalign = atol(optarg); break;
		case 'M': nmmap = atol(optarg); break;
		case 'L': nleak = atol(optarg); break;
		case 'l': leak_size = atol(optarg); break;
		case 'g': grow = atol(optarg); break;
		case 'G': grow_ms = atol(optarg); break;
		case 'u': sleeps = optarg; break;
		case 'b': bench = atol(optarg); break;
		case 'h': hold_ms = atol(optarg); break;
		case 'w': wait_signal = true; break;
		case 'H': heap_ms = atol(optarg); break;
		case 'T': nest_threads = atol(optarg); break;
		case 'N': nest_calls = atol(optarg); break;
		default: usage();
		}
	}
	if (optind < argc || size < 4 || leak_size < 1 || grow_ms < 1 ||
	    grow < 0)
		usage();
	/* room for the leaks and the growth steps, before counting starts */
	leaks = mmap(NULL, (nleak + grow / 65536 + 1) * sizeof(void *),
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (leaks == MAP_FAILED)
		die("allocgen: mmap failed");
	if (comm && prctl(PR_SET_NAME, comm))
		die("allocgen: prctl(PR_SET_NAME) failed");
	if (wait_signal) {
		/* SigCgt in /proc/PID/status tells the test we are waiting */
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigset_t old;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		if (sigprocmask(SIG_BLOCK, &usr1, &old) ||
		    sigaction(SIGUSR1, &sa, NULL))
			die("allocgen: cannot wait for SIGUSR1");
		while (!started)
			sigsuspend(&old);
	}

	for (i = 0; i < count; i++) {
		sink = malloc(size);
		free(sink);
	}
	for (i = 0; i < ncalloc; i++) {
		sink = calloc(4, size / 4);
		free(sink);
	}
	for (i = 0; i < nrealloc; i++) {
		p = malloc(size);
		sink = realloc(p, 2 * size);
		free(sink);
	}
	for (i = 0; i < naligned; i++) {
		sink = aligned_alloc(64, size);
		free(sink);
	}
	for (i = 0; i < nmemalign; i++) {
		if (posix_memalign(&p, 64, size))
			die("allocgen: posix_memalign failed");
		sink = p;
		free(p);
	}
	for (i = 0; i < nmmap; i++) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("allocgen: mmap failed");
		munmap(p, size);
	}
	if (nleak)
		leak_outer(nleak, leak_size);
	if (heap_ms >= 0)
		heap_steps(heap_ms);
	if (grow) {
		long steps = (grow + 65535) / 65536;
		struct timespec ts = { 0, grow_ms * 1000000L / steps };

		for (i = 0; i < steps; i++) {
			leaks[nleaks++] = leak_here(65536);
			nanosleep(&ts, NULL);
		}
	}
	for (sleeps = sleeps ? sleeps : ""; *sleeps;) {
		char *end;

		slow_call(strtol(sleeps, &end, 10));
		sleeps = *end == ',' ? end + 1 : end;
		if (end == sleeps && *end)
			usage();
	}
	if (nest_threads)
		nest(nest_threads);
	if (bench) {
		t0 = now_ns();
		for (i = 0; i < bench; i++) {
			sink = malloc(size);
			free(sink);
		}
		say("allocgen: %ld malloc/free pairs, %ld CPU ns per pair\n", bench,
		    (now_ns() - t0) / bench);
	}
	say("allocgen: pid %ld, leaked %ld allocations\n", (long)getpid(),
	    nleaks);
	if (hold_ms) {
		struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	/* no exit(): atexit handlers and stdio would allocate and free */
	_exit(0);
}
