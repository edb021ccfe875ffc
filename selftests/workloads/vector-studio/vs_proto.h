/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vector-studio and vs-loadgen must agree on, kept once so the two
 * cannot drift: the request ops, the framed I/O both ends use, and the
 * PRNG whose uniform [0,1) floats make up the server's preload and the
 * client's vectors alike.  Protocol: see README.md.
 */
#ifndef VS_PROTO_H
#define VS_PROTO_H
#include <stddef.h>
#include <stdint.h>

enum { OP_INSERT = 1, OP_SEARCH, OP_BUILD, OP_STATS, OP_QUIT };

/* Both return 0 once all len bytes moved, else -errno (-EPIPE on EOF). */
int read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);

/*
 * -p PORT, -f PORT_FILE and -s SEED mean the same to both ends, so they are
 * parsed here: returns 0 once getopt's c was one of them, -1 for the caller's
 * own options.
 */
int vs_common_opt(int c, const char *arg, int *port, const char **port_file,
		  uint64_t *seed);

/* Inline: the server's preload draws millions of these. */
static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline float rand_unit(uint64_t *s)
{
	return (splitmix64(s) >> 40) * (1.0f / (1 << 24));
}

#endif
