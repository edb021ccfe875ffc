// SPDX-License-Identifier: GPL-2.0
/*
 * spinners: CPU contention with known amounts, for runqlat.
 *   --threads N --cpu-ms MS  N threads named COMM each burn MS of CPU time
 *                            (more threads than CPUs: they queue for CPUs)
 *   --sleepers K --sleeps L  K threads named SLEEP_COMM each sleep 1 ms L
 *                            times: every wakeup is one run-queue sample
 *   --hops H                 a thread named HOP_COMM pins itself to CPU
 *                            0, 1, 0, ... H times: H forced migrations
 * All start together; prints the spinners' total CPU time in ns as JSON.
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"Usage: spinners --comm COMM [--threads N] [--cpu-ms MS]\n"
	"                [--sleep-comm COMM --sleepers K --sleeps L]\n"
	"                [--hop-comm COMM --hops H]\n";

static long cpu_ms = 200, sleeps = 100, hops;
static pthread_barrier_t start;
static long long spin_ns_total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *spinner(void *arg)
{
	long long used;

	(void)arg;
	pthread_barrier_wait(&start);
	while ((used = clock_ns(CLOCK_THREAD_CPUTIME_ID)) < cpu_ms * 1000000LL)
		;
	pthread_mutex_lock(&lock);
	spin_ns_total += used;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *sleeper(void *arg)
{
	const struct timespec ms = { 0, 1000000 };
	long i;

	(void)arg;
	pthread_barrier_wait(&start);
	for (i = 0; i < sleeps; i++)
		nanosleep(&ms, NULL);
	return NULL;
}

static void *hopper(void *arg)
{
	long i, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	(void)arg;
	pthread_barrier_wait(&start);
	for (i = 0; i < hops && ncpu > 1; i++) {
		CPU_ZERO(&set);
		CPU_SET(i % 2, &set);
		/* returns once the thread runs on the new CPU */
		sched_setaffinity(0, sizeof(set), &set);
	}
	return NULL;
}

static int start_threads(pthread_t *t, int n, void *(*fn)(void *),
			 const char *comm)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, fn, NULL))
			return -1;
		/* named before the barrier opens: every event has this comm */
		pthread_setname_np(t[i], comm);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comm", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "cpu-ms", required_argument, NULL, 'm' },
		{ "sleep-comm", required_argument, NULL, 'C' },
		{ "sleepers", required_argument, NULL, 's' },
		{ "sleeps", required_argument, NULL, 'l' },
		{ "hop-comm", required_argument, NULL, 'H' },
		{ "hops", required_argument, NULL, 'h' },
		{},
	};
	const char *comm = NULL, *sleep_comm = "spin-sleeper",
		   *hop_comm = "spin-hopper";
	long nthreads = 4, nsleepers = 0;
	pthread_t *t;
	int i, n, opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			comm = optarg;
			break;
		case 't':
			nthreads = atol(optarg);
			break;
		case 'm':
			cpu_ms = atol(optarg);
			break;
		case 'C':
			sleep_comm = optarg;
			break;
		case 's':
			nsleepers = atol(optarg);
			break;
		case 'l':
			sleeps = atol(optarg);
			break;
		case 'H':
			hop_comm = optarg;
			break;
		case 'h':
			hops = atol(optarg);
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!comm || nthreads < 0 || nsleepers < 0 || nthreads > 256 ||
	    nsleepers > 256) {
		fputs(usage, stderr);
		return 2;
	}
	n = nthreads + nsleepers + (hops > 0);
	t = calloc(n + 1, sizeof(*t));
	if (!t || pthread_barrier_init(&start, NULL, n + 1))
		return 1;
	if (start_threads(t, nthreads, spinner, comm) ||
	    start_threads(t + nthreads, nsleepers, sleeper, sleep_comm) ||
	    (hops > 0 && start_threads(t + n - 1, 1, hopper, hop_comm))) {
		perror("spinners: pthread_create");
		return 1;
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("{\"threads\":%ld,\"spin_ns\":%lld,\"sleepers\":%ld,\"sleeps\":%ld,\"hops\":%ld}\n",
	       nthreads, spin_ns_total, nsleepers, sleeps, hops);
	pthread_barrier_destroy(&start);
	free(t);
	return 0;
}
