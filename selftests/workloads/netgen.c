// SPDX-License-Identifier: GPL-2.0
/*
 * netgen: a known number of connects, datagrams, pings or raw frames, under
 * a comm of the caller's choosing, for the tcpconnlat and pktstat tests
 * (this machine has no ping, nc or socat).
 *
 *   netgen [--comm C] connect ADDR PORT N [USER_TIMEOUT_MS]
 *       N blocking TCP connects, each closed at once; prints
 *       "established=A refused=B timeout=C other=D"
 *   netgen [--comm C] udp ADDR PORT N SIZE      N datagrams of SIZE bytes
 *   netgen [--comm C] ping ADDR N               N ICMP echo requests (IPv4)
 *   netgen raw IFACE HEX N                      N copies of one Ethernet
 *       frame (HEX: its bytes) through an AF_PACKET socket, as it is:
 *       truncated, malformed or VLAN-tagged frames need no stack
 *   netgen serve SECONDS PORT...                UDP and TCP (v4 and v6) sink
 *       on each PORT (up to 8): takes datagrams, accepts and closes
 *       connections, for SECONDS; prints "ready" once bound, so the
 *       peer answers nothing (no ICMP port unreachable, no RST) the test
 *       did not ask for
 *
 * ADDR is IPv4 or IPv6. Exit status 0, or 1 with a message on error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	fprintf(stderr, "netgen: %s: not an IPv4 or IPv6 address\n", s);
	return -1;
}

static int do_connect(char **argv, int argc)
{
	long n = atol(argv[2]), i, est = 0, refused = 0, tmo = 0, other = 0;
	int uto = argc > 3 ? atoi(argv[3]) : 0;
	struct sockaddr_storage ss;
	socklen_t len;

	if (parse_addr(argv[0], atoi(argv[1]), &ss, &len))
		return 1;
	for (i = 0; i < n; i++) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);

		if (fd < 0)
			return perror("netgen: socket"), 1;
		/* a short user timeout makes an unanswered SYN fail in ~1 s */
		if (uto && setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto,
				      sizeof(uto)))
			return perror("netgen: TCP_USER_TIMEOUT"), 1;
		if (!connect(fd, (struct sockaddr *)&ss, len))
			est++;
		else if (errno == ECONNREFUSED)
			refused++;
		else if (errno == ETIMEDOUT)
			tmo++;
		else
			other++;
		close(fd);
	}
	printf("established=%ld refused=%ld timeout=%ld other=%ld\n", est,
	       refused, tmo, other);
	return 0;
}

static int do_udp(char **argv)
{
	long n = atol(argv[2]), size = atol(argv[3]), i;
	struct sockaddr_storage ss;
	char buf[65536] = {};
	socklen_t len;
	int fd;

	if (size < 0 || size > (long)sizeof(buf) ||
	    parse_addr(argv[0], atoi(argv[1]), &ss, &len))
		return 1;
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return perror("netgen: socket"), 1;
	for (i = 0; i < n; i++)
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&ss, len) != size)
			return perror("netgen: sendto"), 1;
	close(fd);
	return 0;
}

static __u16 csum(const void *p, size_t len)
{
	const __u16 *w = p;
	__u32 sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const __u8 *)w;
	sum = (sum >> 16) + (sum & 0xffff);
	return ~(sum + (sum >> 16));
}

/* Echo requests, then wait for as many replies (1 s at most). */
static int do_ping(char **argv)
{
	long n = atol(argv[1]), i, got = 0;
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t len;
	char buf[256];
	int fd;

	if (parse_addr(argv[0], 0, &ss, &len) || ss.ss_family != AF_INET)
		return 1;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return perror("netgen: raw socket"), 1;
	for (i = 0; i < n; i++) {
		struct icmphdr h = { .type = ICMP_ECHO };

		h.un.echo.id = htons(getpid());
		h.un.echo.sequence = htons(i);
		h.checksum = csum(&h, sizeof(h));
		if (sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&ss, len) !=
		    sizeof(h))
			return perror("netgen: sendto"), 1;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (got < n && poll(&pfd, 1, 1000) > 0) {
		/* the raw socket sees our requests' replies (and others') */
		if (recv(fd, buf, sizeof(buf), 0) >= 28 &&
		    buf[20] == ICMP_ECHOREPLY)
			got++;
	}
	printf("replies=%ld\n", got);
	close(fd);
	return 0;
}

static int do_raw(char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	const char *hex = argv[1];
	long n = atol(argv[2]), i;
	unsigned char frame[2048];
	size_t len = 0;
	int fd;

	for (; hex[0] && hex[1] && len < sizeof(frame); hex += 2)
		if (sscanf(hex, "%2hhx", &frame[len++]) != 1)
			return fprintf(stderr, "netgen: bad hex\n"), 1;
	sll.sll_ifindex = if_nametoindex(argv[0]);
	if (!sll.sll_ifindex)
		return fprintf(stderr, "netgen: %s: no such device\n", argv[0]), 1;
	sll.sll_halen = 6;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return perror("netgen: packet socket"), 1;
	for (i = 0; i < n; i++) {
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) == (ssize_t)len)
			continue;
		/* a full veth ring (native XDP on a slow VM): wait, resend */
		if (errno == ENOBUFS) {
			usleep(100);
			i--;
			continue;
		}
		return perror("netgen: sendto"), 1;
	}
	close(fd);
	return 0;
}

static int sink(int type, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	int fd = socket(AF_INET6, type | SOCK_NONBLOCK, 0), zero = 0, one = 1;

	/* one dual-stack socket takes IPv4 and IPv6 */
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		perror("netgen: sink");
		exit(1);
	}
	return fd;
}

static int do_serve(char **argv, int nports)
{
	struct pollfd p[16];
	time_t end = time(NULL) + atol(argv[0]);
	char buf[65536];
	int i, fd, n = 0;

	for (i = 0; i < nports && n + 2 <= 16; i++) {
		p[n++] = (struct pollfd){ .fd = sink(SOCK_DGRAM, atoi(argv[i + 1])),
					  .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = sink(SOCK_STREAM, atoi(argv[i + 1])),
					  .events = POLLIN };
	}
	printf("ready\n");
	fflush(stdout);
	while (time(NULL) < end) {
		if (poll(p, n, 200) <= 0)
			continue;
		for (i = 0; i < n; i += 2) {
			while (recv(p[i].fd, buf, sizeof(buf), 0) >= 0)
				;
			while ((fd = accept(p[i + 1].fd, NULL, NULL)) >= 0)
				close(fd);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char old[16] = {};
	int ret = 2;

	prctl(PR_GET_NAME, old);
	if (argc > 2 && !strcmp(argv[1], "--comm")) {
		prctl(PR_SET_NAME, argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc >= 5 && !strcmp(argv[1], "connect"))
		ret = do_connect(argv + 2, argc - 2);
	else if (argc == 6 && !strcmp(argv[1], "udp"))
		ret = do_udp(argv + 2);
	else if (argc == 4 && !strcmp(argv[1], "ping"))
		ret = do_ping(argv + 2);
	else if (argc == 5 && !strcmp(argv[1], "raw"))
		ret = do_raw(argv + 2);
	else if (argc >= 4 && !strcmp(argv[1], "serve"))
		ret = do_serve(argv + 2, argc - 3);
	else
		fprintf(stderr, "Usage: see the comment atop selftests/workloads/netgen.c\n");
	prctl(PR_SET_NAME, old);
	return ret;
}
