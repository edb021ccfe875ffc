// SPDX-License-Identifier: GPL-2.0
/*
 * vector-studio: a small IVF vector search server.
 *
 * It stands in for the production "vector-studio" service so that pinsight's
 * tools (uprobe latency, malloc accounting, CPU profiling, I/O syscall
 * tracing, overhead benchmark) have a realistic, deterministic target.  The
 * hot functions below are exported and kept out of line on purpose: the
 * tools attach uprobes to them by name.  Protocol: see README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "otelctx.h"
#include "vs_proto.h"
#include "workload.h"

#define MAX_PAYLOAD	(64u << 20)
#define MAX_K		1024
#define MAX_THREADS	64
#define MAX_DIM		4096
#define STATS_FIELDS	8

struct hit {
	uint32_t id;
	float dist;
};

struct plist {
	uint32_t *ids;
	size_t n, cap;
};

struct store {
	pthread_rwlock_t lock;
	int dim;
	size_t count, cap;
	float *vecs;
	int nlist;		/* requested number of lists */
	int nprobe;
	int iters;
	int built;		/* lists in the current index, 0 = none */
	float *centroids;
	struct plist *lists;
	uint64_t seed;
	/* bumped under the read lock too, hence atomics */
	uint64_t n_search, n_insert, n_build;
};

static struct {
	int port, threads, dim, nlist, nprobe, iters;
	long preload;
	uint64_t seed;
	const char *port_file;
	int otel_torn_op;	/* requests of this op leave valid = 0 */
	const char *otel_schema;
} opt = {
	.otel_schema = OTEL_SCHEMA_TLS_V1,
	.threads = 2, .dim = 64, .nlist = 64, .nprobe = 4, .iters = 5,
	.preload = 20000, .seed = 42,
};

static struct store store;
static int epfd, stopfd;

/*
 * Per connection, by fd: its number in accept order (from 1) and the
 * requests served on it so far, for the span ids below. One worker at a
 * time owns a connection (EPOLLONESHOT), and accept fills the entry
 * before the fd is in the epoll set, so plain fields are enough.
 */
#define MAX_CONN_FD 4096
static struct {
	uint32_t no, seq;
} conns[MAX_CONN_FD];
static uint32_t n_conns;

/*
 * The OpenTelemetry context a request publishes (README.md, "Trace
 * context"): trace id 0x7673 ("vs"), zeros, then the op in the last byte,
 * so each request type is one trace; span id the connection's number
 * (high 32 bits, big-endian) and the request's number on it (low 32).
 */
static void otel_ids(uint32_t op, int fd, uint8_t trace[16], uint8_t span[8])
{
	uint64_t s = 0;

	memset(trace, 0, 16);
	trace[0] = 'v';
	trace[1] = 's';
	trace[15] = (uint8_t)op;
	if (fd >= 0 && fd < MAX_CONN_FD)
		s = (uint64_t)conns[fd].no << 32 | ++conns[fd].seq;
	for (int i = 0; i < 8; i++)
		span[i] = s >> (56 - 8 * i);
}

static inline float l2(const float *a, const float *b, int dim)
{
	float d = 0;

	for (int i = 0; i < dim; i++) {
		float t = a[i] - b[i];

		d += t * t;
	}
	return d;
}

static int nearest(const struct store *s, const float *v)
{
	float best = 0;
	int bi = 0;

	for (int c = 0; c < s->built; c++) {
		float d = l2(v, s->centroids + (size_t)c * s->dim, s->dim);

		if (c == 0 || d < best) {
			best = d;
			bi = c;
		}
	}
	return bi;
}

static int plist_push(struct plist *pl, uint32_t id)
{
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 16;
		uint32_t *ids = realloc(pl->ids, cap * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		pl->ids = ids;
		pl->cap = cap;
	}
	pl->ids[pl->n++] = id;
	return 0;
}

static void free_index(struct plist *lists, int n, float *centroids)
{
	for (int i = 0; i < n; i++)
		free(lists[i].ids);
	free(lists);
	free(centroids);
}

/* Bounded max-heap keeping the k smallest distances seen so far. */
struct topk {
	struct hit *h;
	int n, k;
};

static void topk_sift_down(struct topk *t, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		struct hit tmp;

		if (l < t->n && t->h[l].dist > t->h[m].dist)
			m = l;
		if (r < t->n && t->h[r].dist > t->h[m].dist)
			m = r;
		if (m == i)
			return;
		tmp = t->h[i];
		t->h[i] = t->h[m];
		t->h[m] = tmp;
		i = m;
	}
}

static void topk_push(struct topk *t, uint32_t id, float dist)
{
	if (t->n < t->k) {
		int i = t->n++;

		while (i > 0 && t->h[(i - 1) / 2].dist < dist) {
			t->h[i] = t->h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		t->h[i] = (struct hit){ id, dist };
	} else if (dist < t->h[0].dist) {
		t->h[0] = (struct hit){ id, dist };
		topk_sift_down(t, 0);
	}
}

/* Heap-sort in place: afterwards h[0..n) is ascending by distance. */
static int topk_finish(struct topk *t)
{
	int n = t->n;

	while (t->n > 1) {
		struct hit top = t->h[0];

		t->h[0] = t->h[--t->n];
		topk_sift_down(t, 0);
		t->h[t->n] = top;
	}
	t->n = n;
	return n;
}

PROBE_TARGET int insert_vectors(struct store *s, const float *v, size_t n)
{
	size_t dim = s->dim;

	if (s->count + n > UINT32_MAX)
		return -E2BIG;
	if (s->count + n > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		float *nv;

		while (cap < s->count + n)
			cap *= 2;
		nv = realloc(s->vecs, cap * dim * sizeof(float));
		if (!nv)
			return -ENOMEM;
		s->vecs = nv;
		s->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		const float *src = v + i * dim;

		/* Keep the index current so new vectors are searchable. */
		if (s->built && plist_push(&s->lists[nearest(s, src)], s->count))
			return -ENOMEM;
		memcpy(s->vecs + s->count * dim, src, dim * sizeof(float));
		s->count++;
	}
	__atomic_add_fetch(&s->n_insert, n, __ATOMIC_RELAXED);
	return 0;
}

/*
 * IVF build: Lloyd's k-means for a few iterations, then one posting list per
 * centroid.  Returns the number of lists, or -errno.
 */
PROBE_TARGET int build_index(struct store *s)
{
	size_t n = s->count, dim = s->dim;
	int nl = n < (size_t)s->nlist ? (int)n : s->nlist;
	float *cent = NULL, *sums = NULL;
	uint32_t *assign = NULL, *cnt = NULL;
	struct plist *lists = NULL;
	uint64_t rng = s->seed;
	int ret = -ENOMEM;

	if (nl == 0)
		goto swap;
	cent = malloc(nl * dim * sizeof(*cent));
	sums = malloc(nl * dim * sizeof(*sums));
	assign = malloc(n * sizeof(*assign));
	cnt = malloc(nl * sizeof(*cnt));
	lists = calloc(nl, sizeof(*lists));
	if (!cent || !sums || !assign || !cnt || !lists)
		goto out;

	/* Evenly strided seeds: deterministic and distinct since n >= nl. */
	for (int c = 0; c < nl; c++)
		memcpy(cent + c * dim, s->vecs + (size_t)c * (n / nl) * dim,
		       dim * sizeof(float));

	for (int it = 0; it <= s->iters; it++) {
		for (size_t i = 0; i < n; i++) {
			const float *v = s->vecs + i * dim;
			float best = l2(v, cent, dim);
			uint32_t bi = 0;

			for (int c = 1; c < nl; c++) {
				float d = l2(v, cent + c * dim, dim);

				if (d < best) {
					best = d;
					bi = c;
				}
			}
			assign[i] = bi;
		}
		/* The last pass only produces the final assignment. */
		if (it == s->iters)
			break;
		memset(sums, 0, nl * dim * sizeof(*sums));
		memset(cnt, 0, nl * sizeof(*cnt));
		for (size_t i = 0; i < n; i++) {
			float *sum = sums + assign[i] * dim;
			const float *v = s->vecs + i * dim;

			for (size_t j = 0; j < dim; j++)
				sum[j] += v[j];
			cnt[assign[i]]++;
		}
		for (int c = 0; c < nl; c++) {
			/* Re-seed an empty cluster rather than let it die. */
			if (!cnt[c]) {
				size_t r = splitmix64(&rng) % n;

				memcpy(cent + c * dim, s->vecs + r * dim,
				       dim * sizeof(float));
				continue;
			}
			for (size_t j = 0; j < dim; j++)
				cent[c * dim + j] = sums[c * dim + j] / cnt[c];
		}
	}
	for (size_t i = 0; i < n; i++)
		if (plist_push(&lists[assign[i]], i))
			goto out;
swap:
	free_index(s->lists, s->built, s->centroids);
	s->lists = lists;
	s->centroids = cent;
	s->built = nl;
	lists = NULL;
	cent = NULL;
	__atomic_add_fetch(&s->n_build, 1, __ATOMIC_RELAXED);
	ret = nl;
out:
	free_index(lists, lists ? nl : 0, cent);
	free(sums);
	free(assign);
	free(cnt);
	return ret;
}

/*
 * Top-k by squared L2 distance, written ascending into out[0..k).  Uses the
 * nprobe closest IVF lists, or a brute-force scan before an index exists.
 * Returns the number of hits, or -errno.
 */
PROBE_TARGET int search_vectors(struct store *s, const float *q, int k,
				struct hit *out)
{
	size_t dim = s->dim;
	struct topk t = { .k = k };
	struct topk probe = { 0 };
	int ret = -ENOMEM;

	/* Per-request scratch heap, so malloc accounting sees every search. */
	t.h = malloc(k * sizeof(*t.h));
	if (!t.h)
		return -ENOMEM;

	if (!s->built) {
		for (size_t i = 0; i < s->count; i++)
			topk_push(&t, i, l2(q, s->vecs + i * dim, dim));
	} else {
		probe.k = s->nprobe < s->built ? s->nprobe : s->built;
		probe.h = calloc(probe.k, sizeof(*probe.h));
		if (!probe.h)
			goto out;
		for (int c = 0; c < s->built; c++)
			topk_push(&probe, c, l2(q, s->centroids + c * dim, dim));
		for (int p = 0; p < probe.n; p++) {
			const struct plist *pl = &s->lists[probe.h[p].id];

			for (size_t i = 0; i < pl->n; i++)
				topk_push(&t, pl->ids[i],
					  l2(q, s->vecs + pl->ids[i] * dim, dim));
		}
	}
	ret = topk_finish(&t);
	memcpy(out, t.h, ret * sizeof(*out));
	__atomic_add_fetch(&s->n_search, 1, __ATOMIC_RELAXED);
out:
	free(probe.h);
	free(t.h);
	return ret;
}

/* One response = one write(): header {status, len} then the payload. */
static int reply(int fd, uint32_t status, const void *data, uint32_t len)
{
	uint32_t *buf = malloc(8 + len);
	int ret;

	if (!buf)
		return -ENOMEM;
	buf[0] = status;
	buf[1] = len;
	if (len)
		memcpy(buf + 2, data, len);
	ret = write_full(fd, buf, 8 + len);
	free(buf);
	return ret;
}

static int do_insert(int fd, const char *p, uint32_t len)
{
	uint32_t n, count;
	int err;

	if (len < 4)
		return reply(fd, EINVAL, NULL, 0);
	memcpy(&n, p, 4);
	if ((uint64_t)n * opt.dim * sizeof(float) != len - 4)
		return reply(fd, EINVAL, NULL, 0);
	pthread_rwlock_wrlock(&store.lock);
	err = insert_vectors(&store, (const float *)(p + 4), n);
	count = store.count;
	pthread_rwlock_unlock(&store.lock);
	return err ? reply(fd, -err, NULL, 0) : reply(fd, 0, &count, 4);
}

static int do_search(int fd, const char *p, uint32_t len)
{
	struct hit *hits;
	uint32_t k;
	int n, ret;

	if (len != 4 + opt.dim * sizeof(float))
		return reply(fd, EINVAL, NULL, 0);
	memcpy(&k, p, 4);
	if (k < 1 || k > MAX_K)
		return reply(fd, EINVAL, NULL, 0);
	/* Room for the count word in front, so the reply is one buffer. */
	hits = calloc(k + 1, sizeof(*hits));
	if (!hits)
		return reply(fd, ENOMEM, NULL, 0);
	pthread_rwlock_rdlock(&store.lock);
	n = search_vectors(&store, (const float *)(p + 4), k, hits + 1);
	pthread_rwlock_unlock(&store.lock);
	if (n < 0) {
		ret = reply(fd, -n, NULL, 0);
	} else {
		/* count goes in the 4 bytes just before hits[1] */
		memcpy((char *)hits + 4, &n, 4);
		ret = reply(fd, 0, (char *)hits + 4, 4 + n * sizeof(*hits));
	}
	free(hits);
	return ret;
}

static int do_stats(int fd)
{
	uint64_t st[STATS_FIELDS];

	pthread_rwlock_rdlock(&store.lock);
	st[0] = store.dim;
	st[1] = store.count;
	st[2] = store.built;
	st[3] = store.nprobe;
	st[4] = __atomic_load_n(&store.n_search, __ATOMIC_RELAXED);
	st[5] = __atomic_load_n(&store.n_insert, __ATOMIC_RELAXED);
	st[6] = __atomic_load_n(&store.n_build, __ATOMIC_RELAXED);
	st[7] = opt.threads;
	pthread_rwlock_unlock(&store.lock);
	return reply(fd, 0, st, sizeof(st));
}

/*
 * Serve one request.  Returns 0 to keep the connection, <0 to close it, and
 * 1 after QUIT.
 */
static int serve_one(int fd)
{
	uint8_t trace[16], span[8];
	uint32_t hdr[2];
	char *p = NULL;
	int ret, nl;

	if (read_full(fd, hdr, sizeof(hdr)))
		return -1;
	if (hdr[1] > MAX_PAYLOAD) {
		reply(fd, EMSGSIZE, NULL, 0);
		return -1;
	}
	if (hdr[1]) {
		p = malloc(hdr[1]);
		if (!p || read_full(fd, p, hdr[1])) {
			free(p);
			return -1;
		}
	}
	otel_ids(hdr[0], fd, trace, span);
	if ((int)hdr[0] == opt.otel_torn_op)
		otel_thread_attach_torn(trace, span);
	else
		otel_thread_attach(trace, span);
	switch (hdr[0]) {
	case OP_INSERT:
		ret = do_insert(fd, p, hdr[1]);
		break;
	case OP_SEARCH:
		ret = do_search(fd, p, hdr[1]);
		break;
	case OP_BUILD:
		pthread_rwlock_wrlock(&store.lock);
		nl = build_index(&store);
		pthread_rwlock_unlock(&store.lock);
		ret = nl < 0 ? reply(fd, -nl, NULL, 0) : reply(fd, 0, &nl, 4);
		break;
	case OP_STATS:
		ret = do_stats(fd);
		break;
	case OP_QUIT:
		reply(fd, 0, NULL, 0);
		ret = 1;
		break;
	default:
		ret = reply(fd, EOPNOTSUPP, NULL, 0);
		break;
	}
	otel_thread_detach();
	free(p);
	return ret;
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event ev;
		int fd, r;

		r = epoll_wait(epfd, &ev, 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("epoll_wait");
			break;
		}
		fd = ev.data.fd;
		/* stopfd is level-triggered and never drained: wakes everyone */
		if (fd == stopfd)
			break;
		r = serve_one(fd);
		if (r == 1)
			eventfd_write(stopfd, 1);
		if (r) {
			close(fd);
			continue;
		}
		/*
		 * ONESHOT: re-arm so exactly one worker owns the next request.
		 * Another worker may take and close fd before this returns;
		 * that is fine as we never touch fd after a successful MOD
		 * (TSan reports it since it models only CTL_ADD as a release).
		 */
		ev.events = EPOLLIN | EPOLLONESHOT;
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev))
			close(fd);
	}
	return NULL;
}

static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	/* Write then rename, so a poller never reads a half-written file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

static int listen_loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &slen)) {
		close(fd);
		return -1;
	}
	opt.port = ntohs(sa.sin_port);
	return fd;
}

static void add_conn(int lfd)
{
	struct timeval tv = { .tv_sec = 10 };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
	int fd, one = 1;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A client stalling mid-frame must not pin a worker forever. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < MAX_CONN_FD) {
		conns[fd].no = ++n_conns;
		conns[fd].seq = 0;
	}
	ev.data.fd = fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		close(fd);
}

static int preload(void)
{
	uint64_t rng = opt.seed;
	size_t n = opt.preload * opt.dim;
	float *v = malloc((n ? n : 1) * sizeof(*v));
	struct timespec t0, t1;
	int ret;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = rand_unit(&rng);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = insert_vectors(&store, v, opt.preload);
	free(v);
	if (ret)
		return ret;
	ret = build_index(&store);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret >= 0)
		fprintf(stderr, "vector-studio: %ld vectors dim %d, %d lists in %.1f ms\n",
			opt.preload, opt.dim, ret,
			(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return ret < 0 ? ret : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vector-studio [options]\n"
		"  -p, --port N        TCP port on 127.0.0.1 (default 0 = ephemeral)\n"
		"  -f, --port-file F   also write the bound port to F\n"
		"  -t, --threads N     worker threads (default 2, max %d)\n"
		"  -d, --dim N         vector dimension (default 64)\n"
		"  -P, --preload N     random vectors loaded at start (default 20000)\n"
		"  -l, --nlist N       IVF lists (default 64)\n"
		"  -n, --nprobe N      lists scanned per search (default 4)\n"
		"  -i, --iters N       k-means iterations (default 5)\n"
		"  -s, --seed N        PRNG seed for preload data (default 42)\n"
		"  -T, --otel-torn OP  requests of op OP publish their context with valid = 0\n"
		"  -S, --otel-schema S threadlocal.schema_version to publish (default %s)\n"
		"  -h, --help          this text\n", MAX_THREADS, OTEL_SCHEMA_TLS_V1);
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
		{ "dim", required_argument, NULL, 'd' },
		{ "preload", required_argument, NULL, 'P' },
		{ "nlist", required_argument, NULL, 'l' },
		{ "nprobe", required_argument, NULL, 'n' },
		{ "iters", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 's' },
		{ "otel-torn", required_argument, NULL, 'T' },
		{ "otel-schema", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:f:t:d:P:l:n:i:s:T:S:h", lo, NULL)) != -1) {
		if (!vs_common_opt(c, optarg, &opt.port, &opt.port_file,
				   &opt.seed))
			continue;
		switch (c) {
		case 't':
			opt.threads = atoi(optarg);
			break;
		case 'd':
			opt.dim = atoi(optarg);
			break;
		case 'P':
			opt.preload = atol(optarg);
			break;
		case 'l':
			opt.nlist = atoi(optarg);
			break;
		case 'n':
			opt.nprobe = atoi(optarg);
			break;
		case 'i':
			opt.iters = atoi(optarg);
			break;
		case 'T':
			opt.otel_torn_op = atoi(optarg);
			break;
		case 'S':
			opt.otel_schema = optarg;
			break;
		default:
			return workload_usage(c, usage);
		}
	}
	if (optind < argc || opt.port < 0 || opt.port > 65535 ||
	    opt.threads < 1 || opt.threads > MAX_THREADS ||
	    opt.dim < 1 || opt.dim > MAX_DIM || opt.preload < 0 ||
	    opt.preload > 10000000 || opt.nlist < 1 || opt.nprobe < 1 ||
	    opt.iters < 0) {
		fprintf(stderr, "vector-studio: invalid arguments\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t tids[MAX_THREADS];
	struct pollfd pfd[3];
	sigset_t mask;
	int lfd, sfd, i;

	if (parse_args(argc, argv))
		return 2;
	/* Tools filter on comm; keep it right even if started via a symlink. */
	prctl(PR_SET_NAME, "vector-studio");
	/* A client hanging up must give EPIPE on write(), not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/* Signals go to a signalfd polled by the accept loop; workers inherit the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);

	pthread_rwlock_init(&store.lock, NULL);
	store.dim = opt.dim;
	store.nlist = opt.nlist;
	store.nprobe = opt.nprobe;
	store.iters = opt.iters;
	store.seed = opt.seed;
	/* before any worker exists, as an SDK does at start */
	if (otel_process_ctx_publish("vector-studio", opt.otel_schema))
		fprintf(stderr, "vector-studio: no OpenTelemetry process context\n");
	if (preload()) {
		fprintf(stderr, "vector-studio: preload failed\n");
		return 1;
	}

	lfd = listen_loopback(opt.port);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	stopfd = eventfd(0, EFD_CLOEXEC);
	if (sfd < 0 || lfd < 0 || epfd < 0 || stopfd < 0) {
		perror("vector-studio: setup");
		return 1;
	}
	ev.data.fd = stopfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, stopfd, &ev);
	for (i = 0; i < opt.threads; i++)
		if (pthread_create(&tids[i], NULL, worker, NULL))
			break;
	opt.threads = i;

	printf("listening on 127.0.0.1:%d\n", opt.port);
	fflush(stdout);
	if (opt.port_file && write_port_file(opt.port_file, opt.port))
		perror("vector-studio: port file");

	pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = stopfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			break;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				fprintf(stderr, "vector-studio: %s, shutting down\n",
					strsignal(si.ssi_signo));
			break;
		}
		if (pfd[2].revents) {
			fprintf(stderr, "vector-studio: QUIT, shutting down\n");
			break;
		}
		if (pfd[0].revents)
			add_conn(lfd);
	}

	eventfd_write(stopfd, 1);
	for (i = 0; i < opt.threads; i++)
		pthread_join(tids[i], NULL);
	fprintf(stderr, "vector-studio: %zu vectors, %llu searches, %llu inserted, %llu builds\n",
		store.count, (unsigned long long)store.n_search,
		(unsigned long long)store.n_insert,
		(unsigned long long)store.n_build);
	if (opt.port_file)
		unlink(opt.port_file);
	close(lfd);
	close(epfd);
	close(stopfd);
	close(sfd);
	free_index(store.lists, store.built, store.centroids);
	free(store.vecs);
	pthread_rwlock_destroy(&store.lock);
	return 0;
}
