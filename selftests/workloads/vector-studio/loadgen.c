// SPDX-License-Identifier: GPL-2.0
/*
 * vs-loadgen: closed-loop load generator for vector-studio.
 *
 * Each connection is a thread that sends one request, waits for the reply and
 * records the round-trip latency in a log-linear histogram (exact below 2 ms,
 * ~0.1% error above) so memory stays fixed however long the run is.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "vs_proto.h"
#include "workload.h"

#define MAX_CONNS	256
#define MAX_DURATION	3600
#define HIST_EXACT	2048
#define HIST_SUB_BITS	10
#define HIST_BUCKETS	(HIST_EXACT + 31 * (1 << HIST_SUB_BITS))

static struct {
	int port, conns, search_pct, k, batch, json, quit, verify;
	double duration;
	long requests;
	uint64_t seed;
	const char *port_file;
} opt = { .conns = 2, .search_pct = 90, .k = 10, .batch = 1, .seed = 1 };

static int dim;
static long tickets;		/* requests handed out, when --requests is set */
static double deadline;

struct worker {
	pthread_t tid;
	int id;
	uint64_t *hist;
	uint64_t ok, errors, searches, inserts, max_us, sum_us;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int hist_index(uint64_t us)
{
	int b;

	if (us < HIST_EXACT)
		return us;
	b = 63 - __builtin_clzll(us);
	if (b > 41)
		return HIST_BUCKETS - 1;
	return HIST_EXACT + (b - 11) * (1 << HIST_SUB_BITS) +
	       ((us >> (b - HIST_SUB_BITS)) & ((1 << HIST_SUB_BITS) - 1));
}

static uint64_t hist_value(int idx)
{
	int b, sub;

	if (idx < HIST_EXACT)
		return idx;
	b = 11 + (idx - HIST_EXACT) / (1 << HIST_SUB_BITS);
	sub = (idx - HIST_EXACT) % (1 << HIST_SUB_BITS);
	return (uint64_t)((1 << HIST_SUB_BITS) + sub) << (b - HIST_SUB_BITS);
}

static int dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	/* Bounded: a wedged server must not hang the run. */
	struct timeval tv = { .tv_sec = 5 };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(opt.port);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One round trip.  req must have 8 spare bytes in front for the header so it
 * goes out in a single write().  Returns the status, or -1 on I/O failure;
 * the reply payload (if any) is copied into resp, up to resp_len bytes.
 */
static int call(int fd, uint32_t op, char *req, uint32_t len,
		void *resp, uint32_t resp_len)
{
	uint32_t hdr[2];
	char sink[4096];

	memcpy(req, &op, 4);
	memcpy(req + 4, &len, 4);
	if (write_full(fd, req, 8 + len) || read_full(fd, hdr, 8))
		return -1;
	while (hdr[1]) {
		uint32_t n = hdr[1] < resp_len ? hdr[1] : resp_len;
		char *dst = resp;

		if (!n) {
			dst = sink;
			n = hdr[1] < sizeof(sink) ? hdr[1] : sizeof(sink);
		}
		if (read_full(fd, dst, n))
			return -1;
		hdr[1] -= n;
		if (dst == resp) {
			resp = (char *)resp + n;
			resp_len -= n;
		}
	}
	return hdr[0];
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = opt.seed * 1000003 + w->id;
	size_t max_len = 4 + (size_t)opt.batch * dim * sizeof(float);
	char *req = malloc(8 + max_len);
	char resp[16];
	int fd = dial();

	while (req && fd >= 0 && now() < deadline) {
		int search = (int)(splitmix64(&rng) % 100) < opt.search_pct;
		uint32_t n = search ? 1 : opt.batch, len;
		float *v = (float *)(req + 12);
		double t0;
		uint64_t us;
		int st;

		if (opt.requests &&
		    __atomic_fetch_add(&tickets, 1, __ATOMIC_RELAXED) >= opt.requests)
			break;
		/* Same distribution as the server's preload: uniform [0,1). */
		for (size_t i = 0; i < n * dim; i++)
			v[i] = rand_unit(&rng);
		memcpy(req + 8, search ? (uint32_t *)&opt.k : &n, 4);
		len = 4 + n * dim * sizeof(float);

		t0 = now();
		st = call(fd, search ? OP_SEARCH : OP_INSERT, req, len,
			  resp, sizeof(resp));
		us = (now() - t0) * 1e6;
		if (st) {
			w->errors++;
			if (st < 0) {
				/* Connection lost: one redial, else give up. */
				close(fd);
				fd = dial();
			}
			continue;
		}
		w->hist[hist_index(us)]++;
		w->ok++;
		w->sum_us += us;
		if (us > w->max_us)
			w->max_us = us;
		if (search)
			w->searches++;
		else
			w->inserts++;
	}
	if (fd < 0)
		w->errors++;
	else
		close(fd);
	free(req);
	return NULL;
}

/*
 * Insert a vector outside the preload range [0,1), made unique by the current
 * store size, then search for it: IVF must return it first at distance 0.
 */
static int verify(int fd, uint64_t base)
{
	size_t len = 4 + dim * sizeof(float);
	char *req = calloc(1, 8 + len);
	uint32_t one = 1, count, k = 1, hit[3];
	float *v = (float *)(req + 12);
	float dist;
	int ret = -1;

	if (!req)
		return -1;
	for (int i = 0; i < dim; i++)
		v[i] = 2.0f + 0.37f * i + 0.01f * (base % 4096);
	memcpy(req + 8, &one, 4);
	if (call(fd, OP_INSERT, req, len, &count, 4))
		goto out;
	memcpy(req + 8, &k, 4);
	if (call(fd, OP_SEARCH, req, len, hit, sizeof(hit)))
		goto out;
	memcpy(&dist, &hit[2], 4);
	if (hit[0] == 1 && hit[1] == count - 1 && dist == 0)
		ret = 0;
	fprintf(stderr, "vs-loadgen: verify %s (id %u want %u, dist %g)\n",
		ret ? "FAILED" : "ok", hit[1], count - 1, dist);
out:
	free(req);
	return ret;
}

static uint64_t percentile(const uint64_t *h, uint64_t total, double p)
{
	uint64_t rank = total * p, seen = 0;

	if (rank >= total)
		rank = total - 1;
	for (int i = 0; i < HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen > rank)
			return hist_value(i);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vs-loadgen -p PORT [options]\n"
		"  -p, --port N         server port on 127.0.0.1\n"
		"  -f, --port-file F    read the port from F instead\n"
		"  -c, --connections N  concurrent connections/threads (default 2, max %d)\n"
		"  -d, --duration SEC   run time (default 5 unless --requests, max %d)\n"
		"  -n, --requests N     stop after N requests in total\n"
		"  -m, --mix PCT        percent SEARCH, rest INSERT (default 90, or 90:10)\n"
		"  -k, --k N            neighbours per SEARCH (default 10)\n"
		"  -b, --batch N        vectors per INSERT (default 1)\n"
		"  -s, --seed N         PRNG seed (default 1)\n"
		"  -V, --verify         insert+search a known vector first\n"
		"  -q, --quit           send QUIT to the server at the end\n"
		"  -j, --json           print one JSON object instead of text\n"
		"  -h, --help           this text\n", MAX_CONNS, MAX_DURATION);
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "connections", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "requests", required_argument, NULL, 'n' },
		{ "mix", required_argument, NULL, 'm' },
		{ "k", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "verify", no_argument, NULL, 'V' },
		{ "quit", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "p:f:c:d:n:m:k:b:s:Vqjh", lo, NULL)) != -1) {
		if (!vs_common_opt(c, optarg, &opt.port, &opt.port_file,
				   &opt.seed))
			continue;
		switch (c) {
		case 'c':
			opt.conns = atoi(optarg);
			break;
		case 'd':
			opt.duration = atof(optarg);
			break;
		case 'n':
			opt.requests = atol(optarg);
			break;
		case 'm':
			opt.search_pct = atoi(optarg);
			break;
		case 'k':
			opt.k = atoi(optarg);
			break;
		case 'b':
			opt.batch = atoi(optarg);
			break;
		case 'V':
			opt.verify = 1;
			break;
		case 'q':
			opt.quit = 1;
			break;
		case 'j':
			opt.json = 1;
			break;
		default:
			return workload_usage(c, usage);
		}
	}
	if (opt.port_file) {
		f = fopen(opt.port_file, "r");
		if (!f || fscanf(f, "%d", &opt.port) != 1) {
			fprintf(stderr, "vs-loadgen: cannot read %s\n", opt.port_file);
			return -1;
		}
		fclose(f);
	}
	if (!opt.duration && !opt.requests)
		opt.duration = 5;
	if (!opt.duration)
		opt.duration = MAX_DURATION;
	if (optind < argc || opt.port < 1 || opt.port > 65535 ||
	    opt.conns < 1 || opt.conns > MAX_CONNS || opt.duration < 0 ||
	    opt.duration > MAX_DURATION || opt.requests < 0 ||
	    opt.search_pct < 0 || opt.search_pct > 100 ||
	    opt.k < 1 || opt.k > 1024 || opt.batch < 1 || opt.batch > 10000) {
		fprintf(stderr, "vs-loadgen: invalid arguments\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_CONNS];
	uint64_t *hist, ok = 0, errors = 0, searches = 0, inserts = 0;
	uint64_t max_us = 0, sum_us = 0, st[8], p50, p99;
	char req[8];
	double t0, el;
	int fd, i;

	if (parse_args(argc, argv))
		return 2;
	/* STATS first: the server, not us, decides the vector dimension. */
	fd = dial();
	if (fd < 0 || call(fd, OP_STATS, req, 0, st, sizeof(st))) {
		fprintf(stderr, "vs-loadgen: no server on 127.0.0.1:%d\n", opt.port);
		return 1;
	}
	dim = st[0];
	if (opt.verify && verify(fd, st[1]))
		return 1;

	hist = calloc(HIST_BUCKETS, sizeof(*hist));
	if (!hist)
		return 1;
	t0 = now();
	deadline = t0 + opt.duration;
	for (i = 0; i < opt.conns; i++) {
		w[i].id = i;
		w[i].hist = calloc(HIST_BUCKETS, sizeof(*hist));
		if (!w[i].hist || pthread_create(&w[i].tid, NULL, run, &w[i]))
			break;
	}
	opt.conns = i;
	for (i = 0; i < opt.conns; i++) {
		pthread_join(w[i].tid, NULL);
		for (int b = 0; b < HIST_BUCKETS; b++)
			hist[b] += w[i].hist[b];
		free(w[i].hist);
		ok += w[i].ok;
		errors += w[i].errors;
		searches += w[i].searches;
		inserts += w[i].inserts;
		sum_us += w[i].sum_us;
		if (w[i].max_us > max_us)
			max_us = w[i].max_us;
	}
	el = now() - t0;
	if (opt.quit && call(fd, OP_QUIT, req, 0, NULL, 0))
		errors++;
	close(fd);

	p50 = ok ? percentile(hist, ok, 0.50) : 0;
	p99 = ok ? percentile(hist, ok, 0.99) : 0;
	free(hist);
	if (opt.json) {
		printf("{\"port\":%d,\"connections\":%d,\"dim\":%d,\"search_pct\":%d,"
		       "\"elapsed_s\":%.3f,\"requests\":%llu,\"searches\":%llu,"
		       "\"inserts\":%llu,\"errors\":%llu,\"qps\":%.1f,"
		       "\"p50_us\":%llu,\"p99_us\":%llu,\"max_us\":%llu,"
		       "\"mean_us\":%.1f}\n",
		       opt.port, opt.conns, dim, opt.search_pct, el,
		       (unsigned long long)ok, (unsigned long long)searches,
		       (unsigned long long)inserts, (unsigned long long)errors,
		       ok / el, (unsigned long long)p50, (unsigned long long)p99,
		       (unsigned long long)max_us, ok ? (double)sum_us / ok : 0.0);
	} else {
		printf("vs-loadgen: 127.0.0.1:%d, %d connections, dim %d, %d%% search, %.2f s\n",
		       opt.port, opt.conns, dim, opt.search_pct, el);
		printf("  requests %llu (search %llu, insert %llu), errors %llu\n",
		       (unsigned long long)ok, (unsigned long long)searches,
		       (unsigned long long)inserts, (unsigned long long)errors);
		printf("  qps      %.1f\n", ok / el);
		printf("  latency  p50 %llu us, p99 %llu us, max %llu us, mean %.1f us\n",
		       (unsigned long long)p50, (unsigned long long)p99,
		       (unsigned long long)max_us, ok ? (double)sum_us / ok : 0.0);
	}
	return errors || !ok ? 1 : 0;
}
