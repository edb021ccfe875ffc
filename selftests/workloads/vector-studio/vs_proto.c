// SPDX-License-Identifier: GPL-2.0
/* Framed I/O shared by vector-studio and vs-loadgen; see vs_proto.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "vs_proto.h"

int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		p += r;
		len -= r;
	}
	return 0;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		len -= r;
	}
	return 0;
}

int vs_common_opt(int c, const char *arg, int *port, const char **port_file,
		  uint64_t *seed)
{
	switch (c) {
	case 'p':
		*port = atoi(arg);
		return 0;
	case 'f':
		*port_file = arg;
		return 0;
	case 's':
		*seed = strtoull(arg, NULL, 0);
		return 0;
	}
	return -1;
}
