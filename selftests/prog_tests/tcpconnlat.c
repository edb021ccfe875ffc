// SPDX-License-Identifier: GPL-2.0
/*
 * tcpconnlat counts exactly: netgen makes N connects to a listener and M to
 * a closed port under a comm of ours, in a network namespace of our own
 * (loopback only), and every outcome must land in its row.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "tcpconnlat.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

/* A TCP socket bound to loopback; listening or not. Port in *port. */
static int tcp_socket(int family, bool listening, int *port)
{
	struct sockaddr_storage ss = { .ss_family = family };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*s4) : sizeof(*s6);
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		return -errno;
	if (family == AF_INET)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		s6->sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (listening && listen(fd, 64)) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		close(fd);
		return -errno;
	}
	*port = ntohs(family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

/* The row for @comm, @addr (text), @port, @result, summed over CPUs. */
static int read_row(const char *inst, const char *comm, const char *addr,
		    int port, enum tcpconnlat_result result,
		    struct tcpconnlat_val *v)
{
	struct tcpconnlat_key key = { .dport = port, .result = result };
	int fd, err;

	snprintf(key.comm, sizeof(key.comm), "%s", comm);
	if (inet_pton(AF_INET, addr, &key.daddr[12]) == 1) {
		key.daddr[10] = key.daddr[11] = 0xff;
	} else if (inet_pton(AF_INET6, addr, key.daddr) != 1) {
		return -EINVAL;
	}
	fd = pin_open(inst, "maps/tcpconnlat_dest");
	if (fd < 0)
		return fd;
	err = map_lookup_sum(fd, &key, v, sizeof(*v));
	close(fd);
	return err;
}

static __u64 hist_total(const struct hist *h)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < HIST_SLOTS; i++)
		n += h->slots[i];
	return n;
}

/* Keys of the pending map left behind (connects that never ended). */
static int pending_count(const char *inst)
{
	struct tcpconnlat_pending_key k, *prev = NULL, next;
	int fd = pin_open(inst, "maps/tcpconnlat_pending"), n = 0;

	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	close(fd);
	return n;
}

static void check_connects(const char *variant, int family)
{
	const char *addr = family == AF_INET ? "127.0.0.1" : "::1";
	const long n = 5, m = 3;
	struct tcpconnlat_val v;
	int lfd, cfd, lport = 0, cport = 0, err;
	char comm[16], *out = NULL, line[256];

	snprintf(comm, sizeof(comm), "tcl-%s-%d", variant, getpid() % 10000);
	lfd = tcp_socket(family, true, &lport);
	/* bound, not listening: a SYN to it gets a RST */
	cfd = tcp_socket(family, false, &cport);
	if (!ASSERT_GE(lfd, 0, "listener") || !ASSERT_GE(cfd, 0, "closed port"))
		goto cleanup;
	err = loader_run(&out, "tcpconnlat --comm %s --attach %s", comm,
			 variant);
	if (!ASSERT_EQ(err, 0, "load"))
		goto cleanup;
	free(out);
	out = NULL;
	err = run_cmd(&out, "%s/workloads/netgen --comm %s connect %s %d %ld",
		      env_output_dir(), comm, addr, lport, n);
	ASSERT_EQ(err, 0, "netgen connect");
	ASSERT_HAS_SUBSTR(out, "established=5 refused=0", "connects succeed");
	free(out);
	out = NULL;
	err = run_cmd(&out, "%s/workloads/netgen --comm %s connect %s %d %ld",
		      env_output_dir(), comm, addr, cport, m);
	ASSERT_EQ(err, 0, "netgen refused");
	ASSERT_HAS_SUBSTR(out, "established=0 refused=3", "connects refused");

	err = read_row("tcpconnlat", comm, addr, lport, TCPCONNLAT_ESTABLISHED,
		       &v);
	if (ASSERT_OK(err, "established row")) {
		ASSERT_EQ(v.connects, n, "established connects");
		ASSERT_EQ(hist_total(&v.latency_ns), n, "latency histogram");
		ASSERT_GT(v.latency_ns.sum, 0, "latency sum");
		/* loopback: well under a second each */
		ASSERT_LT(v.latency_ns.sum, n * 1000000000ULL, "latency bound");
	}
	err = read_row("tcpconnlat", comm, addr, cport, TCPCONNLAT_REFUSED, &v);
	if (ASSERT_OK(err, "refused row")) {
		ASSERT_EQ(v.connects, m, "refused connects");
		ASSERT_EQ(hist_total(&v.latency_ns), m, "time to RST");
	}
	err = read_row("tcpconnlat", comm, addr, lport, TCPCONNLAT_REFUSED, &v);
	ASSERT_EQ(err, -ENOENT, "no refused row for the listener");
	ASSERT_EQ(pending_count("tcpconnlat"), 0, "nothing left pending");

	free(out);
	out = NULL;
	err = reader_run(&out, "metrics");
	ASSERT_EQ(err, 0, "pinsight metrics");
	snprintf(line, sizeof(line),
		 "ebpf_tcpconnlat_connects_total{service=\"%s\",daddr=\"%s%s\",dport=\"%d\",result=\"refused\"} %ld\n",
		 comm, family == AF_INET ? "::ffff:" : "", addr, cport, m);
	ASSERT_HAS_SUBSTR(out, line, "refused in metrics");
	snprintf(line, sizeof(line),
		 "ebpf_tcpconnlat_latency_seconds_count{service=\"%s\",daddr=\"%s%s\",dport=\"%d\",result=\"established\"} %ld\n",
		 comm, family == AF_INET ? "::ffff:" : "", addr, lport, n);
	ASSERT_HAS_SUBSTR(out, line, "latency histogram in metrics");
	loader_run(NULL, "unload tcpconnlat");
cleanup:
	free(out);
	if (lfd >= 0)
		close(lfd);
	if (cfd >= 0)
		close(cfd);
}

/* A SYN nobody answers: a veth whose peer is down eats it. */
static void check_timeout(void)
{
	struct tcpconnlat_val v;
	char comm[16], *out = NULL;
	int err;

	snprintf(comm, sizeof(comm), "tcl-tmo-%d", getpid() % 10000);
	err = run_cmd(NULL, "ip link add tclA type veth peer name tclB && "
			    "ip link set tclA up && ip addr add 10.213.0.1/24 dev tclA && "
			    "ip neigh add 10.213.0.2 lladdr 02:00:00:00:00:02 dev tclA nud permanent");
	if (!ASSERT_EQ(err, 0, "veth"))
		goto cleanup;
	if (!ASSERT_EQ(loader_run(NULL, "tcpconnlat --comm %s", comm), 0,
		       "load"))
		goto cleanup;
	/* TCP_USER_TIMEOUT 200 ms: the attempt ends at the first RTO, ~1 s */
	err = run_cmd(&out, "%s/workloads/netgen --comm %s connect 10.213.0.2 9 1 200",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "netgen");
	ASSERT_HAS_SUBSTR(out, "timeout=1", "connect timed out");
	err = read_row("tcpconnlat", comm, "10.213.0.2", 9, TCPCONNLAT_TIMEOUT,
		       &v);
	if (ASSERT_OK(err, "timeout row")) {
		ASSERT_EQ(v.connects, 1, "timeouts");
		ASSERT_GE(v.latency_ns.sum, 200000000ULL, "time to give up");
	}
	loader_run(NULL, "unload tcpconnlat");
cleanup:
	free(out);
	run_cmd(NULL, "ip link del tclA");
}

/* fentry and kprobe are extras: they load where the kernel allows them. */
static void check_optional(const char *variant)
{
	char *out = NULL, path[4096];
	int err;

	snprintf(path, sizeof(path), "%s/tcpconnlat@opt", pin_root());
	err = loader_run(&out, "tcpconnlat --name opt --attach %s", variant);
	if (err) {
		/* refused, never half-loaded */
		ASSERT_HAS_SUBSTR(out, "tcpconnlat@opt: cannot", "says why");
		ASSERT_NEQ(access(path, F_OK), 0, "nothing pinned");
		test__skip("--attach %s: not on this kernel (exit %d)", variant,
			   err);
	} else {
		ASSERT_EQ(loader_run(NULL, "unload tcpconnlat@opt"), 0, "unload");
	}
	free(out);
}

void test_tcpconnlat(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	/* our own loopback: nobody else's connects reach our listeners */
	if (!ASSERT_OK(unshare(CLONE_NEWNET), "network namespace") ||
	    !ASSERT_EQ(run_cmd(NULL, "ip link set lo up"), 0, "lo up"))
		return;
	if (test__start_subtest("ipv4_btf"))
		check_connects("btf", AF_INET);
	if (test__start_subtest("ipv6_btf"))
		check_connects("btf", AF_INET6);
	if (test__start_subtest("ipv4_tracepoint"))
		check_connects("tp", AF_INET);
	if (test__start_subtest("ipv6_tracepoint"))
		check_connects("tp", AF_INET6);
	if (test__start_subtest("timeout"))
		check_timeout();
	if (test__start_subtest("fentry_optional"))
		check_optional("fentry");
	if (test__start_subtest("kprobe_optional"))
		check_optional("kprobe");
}
