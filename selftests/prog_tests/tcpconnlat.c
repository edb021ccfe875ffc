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
#include "pinsight_helpers.h"
#include "test_progs.h"

/* The row for @comm, @addr (text), @port, @result, summed over CPUs. */
static int read_row(const char *inst, const char *comm, const char *addr,
		    int port, enum tcpconnlat_result result,
		    struct tcpconnlat_val *v)
{
	struct tcpconnlat_key key = { .dport = port, .result = result };

	snprintf(key.comm, sizeof(key.comm), "%s", comm);
	if (inet_pton(AF_INET, addr, &key.daddr[12]) == 1) {
		key.daddr[10] = key.daddr[11] = 0xff;
	} else if (inet_pton(AF_INET6, addr, key.daddr) != 1) {
		return -EINVAL;
	}
	return pin_lookup_sum(inst, "maps/tcpconnlat_dest", &key, v,
			      sizeof(*v));
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
	lfd = loopback_tcp(family, true, &lport);
	/* bound, not listening: a SYN to it gets a RST */
	cfd = loopback_tcp(family, false, &cport);
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
		ASSERT_EQ(hist_samples(&v.latency_ns), n, "latency histogram");
		ASSERT_GT(v.latency_ns.sum, 0, "latency sum");
		/* loopback: well under a second each */
		ASSERT_LT(v.latency_ns.sum, n * 1000000000ULL, "latency bound");
	}
	err = read_row("tcpconnlat", comm, addr, cport, TCPCONNLAT_REFUSED, &v);
	if (ASSERT_OK(err, "refused row")) {
		ASSERT_EQ(v.connects, m, "refused connects");
		ASSERT_EQ(hist_samples(&v.latency_ns), m, "time to RST");
	}
	err = read_row("tcpconnlat", comm, addr, lport, TCPCONNLAT_REFUSED, &v);
	ASSERT_EQ(err, -ENOENT, "no refused row for the listener");
	ASSERT_EQ(pending_count("tcpconnlat"), 0, "nothing left pending");

	free(out);
	out = NULL;
	err = reader_run(&out, "metrics");
	ASSERT_EQ(err, 0, "pinsight metrics");
	/* IPv4 is kept v4-mapped but shown as people write it */
	snprintf(line, sizeof(line),
		 "ebpf_tcpconnlat_connects_total{service=\"%s\",daddr=\"%s\",dport=\"%d\",result=\"refused\"} %ld\n",
		 comm, addr, cport, m);
	ASSERT_HAS_SUBSTR(out, line, "refused in metrics");
	snprintf(line, sizeof(line),
		 "ebpf_tcpconnlat_latency_seconds_count{service=\"%s\",daddr=\"%s\",dport=\"%d\",result=\"established\"} %ld\n",
		 comm, addr, lport, n);
	ASSERT_HAS_SUBSTR(out, line, "latency histogram in metrics");
	free(out);
	out = NULL;
	err = reader_run(&out, "show tcpconnlat tcpconnlat_dest");
	ASSERT_EQ(err, 0, "pinsight show");
	snprintf(line, sizeof(line), "%s  %s ", comm, addr);
	ASSERT_HAS_SUBSTR(out, line, "address in the table");
	ASSERT_FALSE(out && strstr(out, "::ffff:"),
		     "no v4-mapped address shown");
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

/*
 * Does this kernel allow @variant? Probed here, apart from the loader's
 * own probes: fentry_allowed() at tcp_set_state; for kprobes the PMU (or
 * the tracefs file) libbpf attaches through. 0, or -errno with the cause
 * the loader must give in *why.
 */
static int kernel_allows(const char *variant, const char **why)
{
	if (!strcmp(variant, "kprobe")) {
		*why = "no kprobe PMU";
		return access("/sys/bus/event_source/devices/kprobe", F_OK) &&
			       access("/sys/kernel/tracing/kprobe_events", F_OK) ?
		       -ENOENT : 0;
	}
	return fentry_allowed("tcp_set_state", why);
}

/*
 * fentry and kprobe are extras, never picked by default: where the kernel
 * allows them they load and count like the tracepoint; where it does
 * not, asking for them is exit 7 with the cause and the variant to use.
 */
static void check_optional(const char *variant)
{
	const char *why = NULL;

	if (!kernel_allows(variant, &why)) {
		check_connects(variant, AF_INET);
		return;
	}
	check_variant_refused("tcpconnlat", "opt", variant, why, "btf");
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
