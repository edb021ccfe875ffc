// SPDX-License-Identifier: GPL-2.0
/*
 * pktstat counts exactly and leaves the interface as it found it.
 *
 *   test_run_*:  BPF_PROG_TEST_RUN of both programs with crafted frames
 *                (VLAN, IP options, fragments, truncated and malformed
 *                headers): every counter and the verdicts (always pass);
 *   veth_*:      real traffic over a veth pair between this test's network
 *                namespace and a peer namespace it makes (held by a netgen
 *                sink process): UDP, TCP, ICMP over IPv4 and IPv6, plus
 *                VLAN-tagged and malformed raw frames both ways; exact
 *                counts per protocol, port and direction; then unload
 *                restores ip link / tc / bpftool net output byte for byte;
 *   libxdp_*:    a second XDP program next to pktstat (needs the libxdp
 *                dispatcher, hence freplace: skipped where the kernel
 *                refuses it);
 *   unload_*:    pktstat loaded on lo in another namespace (named by `ip
 *                netns`, or only a process's), unloaded from this one:
 *                that lo is left as it was, this one untouched; a
 *                namespace deleted before unload (a new one taking its
 *                inode number) leaves nothing behind, touches nothing;
 *                one held only by an fd is said to be out of reach.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include "pktstat.h"
#include "pktstat.skel.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

#define DEV "psA"
#define PEER_DEV "psB"

/* ---- crafted frames ---- */

struct frame {
	unsigned char b[256];
	size_t len;
	const char *name;
};

static void put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Broadcast destination: the peer's stack must not answer these. */
static void eth(struct frame *f, __u16 proto)
{
	memset(f->b, 0xff, 6);
	memcpy(f->b + 6, "\x02\x00\x00\x00\x00\x01", 6);
	put16(f->b + 12, proto);
	f->len = 14;
}

static void vlan(struct frame *f, __u16 id, __u16 proto)
{
	put16(f->b + f->len, id);
	put16(f->b + f->len + 2, proto);
	f->len += 4;
}

/* IPv4 from 192.0.2.1 to 198.51.100.1 (not local anywhere here). */
static void ip4(struct frame *f, int ihl, __u8 proto, __u16 tot,
		__u16 frag_off)
{
	unsigned char *p = f->b + f->len;

	memset(p, 0, ihl * 4 > 20 ? ihl * 4 : 20);
	p[0] = 0x40 | ihl;
	put16(p + 2, tot);
	put16(p + 6, frag_off);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, "\xc0\x00\x02\x01\xc6\x33\x64\x01", 8);
	if (ihl > 5)
		memcpy(p + 20, "\x01\x01\x01\x00", 4); /* NOP NOP NOP EOL */
	f->len += ihl * 4 > 20 ? ihl * 4 : 20;
}

/* IPv6 from 2001:db8::1 to 2001:db8::2. */
static void ip6(struct frame *f, __u8 nexthdr, __u16 plen)
{
	unsigned char *p = f->b + f->len;

	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, plen);
	p[6] = nexthdr;
	p[7] = 64;
	memcpy(p + 8, "\x20\x01\x0d\xb8", 4);
	p[23] = 1;
	memcpy(p + 24, "\x20\x01\x0d\xb8", 4);
	p[39] = 2;
	f->len += 40;
}

static void udp(struct frame *f, __u16 sport, __u16 dport, __u16 payload)
{
	unsigned char *p = f->b + f->len;

	memset(p, 0, 8 + payload);
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, 8 + payload);
	f->len += 8 + payload;
}

static void tcp(struct frame *f, __u16 sport, __u16 dport, int doff,
		__u8 flags)
{
	unsigned char *p = f->b + f->len;

	memset(p, 0, 20);
	put16(p, sport);
	put16(p + 2, dport);
	p[12] = doff << 4;
	p[13] = flags;
	f->len += 20;
}

static void zeros(struct frame *f, size_t n)
{
	memset(f->b + f->len, 0, n);
	f->len += n;
}

enum {
	F_VLAN_UDP, F_TRUNC_VLAN, F_TRUNC_IP, F_BAD_IP, F_IP_OPTS, F_FRAG,
	F_TRUNC_L4, F_BAD_L4, F_TCP_SYN, F_IP6_HBH_UDP, F_IP6_FRAG,
	F_TRUNC_IP6, F_EPHEMERAL, F_NR,
};

static void build_frames(struct frame *f)
{
	memset(f, 0, sizeof(*f) * F_NR);
	f[F_VLAN_UDP].name = "vlan udp";
	eth(&f[F_VLAN_UDP], 0x8100);
	vlan(&f[F_VLAN_UDP], 77, 0x0800);
	ip4(&f[F_VLAN_UDP], 5, 17, 20 + 8 + 10, 0);
	udp(&f[F_VLAN_UDP], 5555, 7010, 10);

	f[F_TRUNC_VLAN].name = "truncated vlan tag";
	eth(&f[F_TRUNC_VLAN], 0x8100);
	zeros(&f[F_TRUNC_VLAN], 2);

	f[F_TRUNC_IP].name = "truncated ipv4 header";
	eth(&f[F_TRUNC_IP], 0x0800);
	f[F_TRUNC_IP].b[14] = 0x45;
	f[F_TRUNC_IP].len += 10;

	f[F_BAD_IP].name = "ihl 3";
	eth(&f[F_BAD_IP], 0x0800);
	ip4(&f[F_BAD_IP], 5, 17, 20, 0);
	f[F_BAD_IP].b[14] = 0x43;

	f[F_IP_OPTS].name = "ip options";
	eth(&f[F_IP_OPTS], 0x0800);
	ip4(&f[F_IP_OPTS], 6, 17, 24 + 8 + 4, 0);
	udp(&f[F_IP_OPTS], 5555, 7011, 4);

	f[F_FRAG].name = "later fragment";
	eth(&f[F_FRAG], 0x0800);
	ip4(&f[F_FRAG], 5, 17, 20 + 8, 0x0010);
	zeros(&f[F_FRAG], 8);

	f[F_TRUNC_L4].name = "truncated tcp header";
	eth(&f[F_TRUNC_L4], 0x0800);
	ip4(&f[F_TRUNC_L4], 5, 6, 20 + 10, 0);
	zeros(&f[F_TRUNC_L4], 10);

	f[F_BAD_L4].name = "tcp doff 4";
	eth(&f[F_BAD_L4], 0x0800);
	ip4(&f[F_BAD_L4], 5, 6, 40, 0);
	tcp(&f[F_BAD_L4], 1234, 80, 4, 0x02);

	f[F_TCP_SYN].name = "tcp syn";
	eth(&f[F_TCP_SYN], 0x0800);
	ip4(&f[F_TCP_SYN], 5, 6, 40, 0);
	tcp(&f[F_TCP_SYN], 1234, 80, 5, 0x02);

	f[F_IP6_HBH_UDP].name = "ipv6 hop-by-hop udp";
	eth(&f[F_IP6_HBH_UDP], 0x86DD);
	ip6(&f[F_IP6_HBH_UDP], 0, 8 + 8 + 4);
	zeros(&f[F_IP6_HBH_UDP], 8);
	f[F_IP6_HBH_UDP].b[54] = 17; /* next header after hop-by-hop */
	udp(&f[F_IP6_HBH_UDP], 5555, 7012, 4);

	f[F_IP6_FRAG].name = "ipv6 later fragment";
	eth(&f[F_IP6_FRAG], 0x86DD);
	ip6(&f[F_IP6_FRAG], 44, 8 + 8);
	zeros(&f[F_IP6_FRAG], 16);
	f[F_IP6_FRAG].b[54] = 17;
	put16(f[F_IP6_FRAG].b + 56, 8 << 3); /* offset 8 x 8 bytes */

	f[F_TRUNC_IP6].name = "truncated ipv6 header";
	eth(&f[F_TRUNC_IP6], 0x86DD);
	f[F_TRUNC_IP6].b[14] = 0x60;
	f[F_TRUNC_IP6].len += 30;

	f[F_EPHEMERAL].name = "udp from an ephemeral port";
	eth(&f[F_EPHEMERAL], 0x0800);
	ip4(&f[F_EPHEMERAL], 5, 17, 20 + 8, 0);
	udp(&f[F_EPHEMERAL], 40000, 53, 0);
}

/* ---- map reads (per-CPU values summed) ---- */

static __u64 l3_packets(int fd, enum pkt_dir dir, enum pkt_ethertype et,
			__u32 vid, enum pkt_ipproto proto, enum pkt_class class)
{
	struct pkt_l3_key k = { dir, et, vid, proto, class };
	struct pkt_l3_val v;

	return map_lookup_sum(fd, &k, &v, sizeof(v)) ? 0 : v.packets;
}

static __u64 port_packets(int fd, enum pkt_dir dir, enum pkt_ipproto proto,
			  __u32 sport, __u32 dport, __u64 *bytes)
{
	struct pkt_port_key k = { dir, proto, sport, dport };
	struct pkt_port_val v = {};

	map_lookup_sum(fd, &k, &v, sizeof(v));
	if (bytes)
		*bytes = v.bytes;
	return v.packets;
}

static __u64 flag_packets(int fd, enum pkt_dir dir, const char *flags)
{
	struct pkt_flags_key k = { .dir = dir };
	struct pkt_flags_val v;

	snprintf(k.flags, sizeof(k.flags), "%s", flags);
	return map_lookup_sum(fd, &k, &v, sizeof(v)) ? 0 : v.packets;
}

static int dir_val(int fd, enum pkt_dir dir, struct pkt_dir_val *v)
{
	struct pkt_dir_key k = { dir };

	memset(v, 0, sizeof(*v));
	return map_lookup_sum(fd, &k, v, sizeof(*v));
}

/* The crafted frames' rows, one pass of each through direction @dir. */
static void check_crafted(int l3, int ports, int flags, int dirfd,
			  enum pkt_dir dir, int n, int other_syns,
			  bool trunc_ip)
{
	int t = trunc_ip ? n : 0;
	struct pkt_dir_val dv;

	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV4, 77, PKT_PROTO_UDP,
			     PKT_CLASS_OK), n, "vlan udp");
	ASSERT_EQ(port_packets(ports, dir, PKT_PROTO_UDP, 5555, 7010, NULL), n,
		  "vlan udp ports");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_VLAN, 0, PKT_PROTO_NONE,
			     PKT_CLASS_TRUNC_VLAN), n, "truncated vlan");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV4, 0, PKT_PROTO_NONE,
			     PKT_CLASS_TRUNC_IP), t, "truncated ipv4");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV4, 0, PKT_PROTO_NONE,
			     PKT_CLASS_BAD_IP), n, "bad ihl");
	ASSERT_EQ(port_packets(ports, dir, PKT_PROTO_UDP, 5555, 7011, NULL), n,
		  "udp after ip options");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV4, 0, PKT_PROTO_UDP,
			     PKT_CLASS_FRAGMENT), n, "ipv4 fragment");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV6, 0, PKT_PROTO_UDP,
			     PKT_CLASS_FRAGMENT), n, "ipv6 fragment");
	ASSERT_EQ(port_packets(ports, dir, PKT_PROTO_UDP, PKT_PORT_UNKNOWN,
			       PKT_PORT_UNKNOWN, NULL), 2 * n,
		  "fragments: ports unknown");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV4, 0, PKT_PROTO_TCP,
			     PKT_CLASS_TRUNC_L4), n, "truncated tcp");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV4, 0, PKT_PROTO_TCP,
			     PKT_CLASS_BAD_L4), n, "tcp doff 4");
	ASSERT_EQ(flag_packets(flags, dir, "S"), n + other_syns, "syn flag");
	ASSERT_EQ(port_packets(ports, dir, PKT_PROTO_TCP, 1234, 80, NULL), n,
		  "syn ports");
	ASSERT_EQ(port_packets(ports, dir, PKT_PROTO_UDP, 5555, 7012, NULL), n,
		  "udp after ipv6 hop-by-hop");
	ASSERT_EQ(l3_packets(l3, dir, PKT_ETH_IPV6, 0, PKT_PROTO_NONE,
			     PKT_CLASS_TRUNC_IP), t, "truncated ipv6");
	ASSERT_EQ(port_packets(ports, dir, PKT_PROTO_UDP, PKT_PORT_EPHEMERAL,
			       53, NULL), n, "ephemeral port folded");
	if (dirfd >= 0 && ASSERT_OK(dir_val(dirfd, dir, &dv), "dir totals"))
		ASSERT_EQ(dv.malformed, 4 * n + 2 * t, "malformed");
}

/* ---- BPF_PROG_TEST_RUN ---- */

static void check_test_run(void)
{
	struct frame f[F_NR];
	struct pktstat_bpf *skel;
	__u64 xdp_bytes = 0, tc_bytes = 0;
	struct pkt_dir_val dv;
	int i, err;

	build_frames(f);
	skel = pktstat_bpf__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	for (i = 0; i < F_NR; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, xo, .data_in = f[i].b,
			    .data_size_in = f[i].len, .repeat = 1);
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = f[i].b,
			    .data_size_in = f[i].len, .repeat = 1);

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pktstat_xdp),
					     &xo);
		if (!ASSERT_OK(err, f[i].name))
			continue;
		ASSERT_EQ(xo.retval, XDP_PASS, "xdp passes");
		xdp_bytes += f[i].len;
		/*
		 * The kernel's skb test run wants a whole IP header behind
		 * an IP ethertype (-EINVAL): those two run through XDP only
		 * here, and through TC in the veth tests.
		 */
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pktstat_tc),
					     &to);
		if (i == F_TRUNC_IP || i == F_TRUNC_IP6) {
			ASSERT_EQ(err, -EINVAL, "skb test run refuses");
			continue;
		}
		if (!ASSERT_OK(err, f[i].name))
			continue;
		ASSERT_EQ((int)to.retval, -1, "tc: TC_ACT_UNSPEC, next filter");
		tc_bytes += f[i].len;
	}
	for (i = PKT_DIR_INGRESS; i <= PKT_DIR_EGRESS; i++) {
		check_crafted(bpf_map__fd(skel->maps.pktstat_l3),
			      bpf_map__fd(skel->maps.pktstat_ports),
			      bpf_map__fd(skel->maps.pktstat_tcp_flags),
			      bpf_map__fd(skel->maps.pktstat_dir), i, 1, 0,
			      i == PKT_DIR_INGRESS);
		if (ASSERT_OK(dir_val(bpf_map__fd(skel->maps.pktstat_dir), i,
				      &dv), "dir")) {
			ASSERT_EQ(dv.packets, i == PKT_DIR_INGRESS ? F_NR : F_NR - 2,
				  "packets");
			ASSERT_EQ(dv.bytes, i == PKT_DIR_INGRESS ? xdp_bytes : tc_bytes,
				  "bytes");
		}
	}
	ASSERT_EQ(skel->bss->drops, 0, "no drops");
	pktstat_bpf__destroy(skel);
}

/* ns per run of pktstat's XDP program vs an XDP_PASS-only one. */
static void check_cost(void)
{
	const struct bpf_insn pass[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = XDP_PASS }, /* r0 = 2 */
		{ .code = 0x95 }, /* exit */
	};
	struct frame f[F_NR];
	struct pktstat_bpf *skel;
	int pfd, err;
	LIBBPF_OPTS(bpf_test_run_opts, o, .repeat = 200000);
	LIBBPF_OPTS(bpf_test_run_opts, b, .repeat = 200000);

	build_frames(f);
	skel = pktstat_bpf__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		return;
	pfd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_pass", "GPL", pass, 2,
			    NULL);
	if (!ASSERT_GE(pfd, 0, "xdp_pass"))
		goto cleanup;
	o.data_in = b.data_in = f[F_TCP_SYN].b;
	o.data_size_in = b.data_size_in = f[F_TCP_SYN].len;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pktstat_xdp),
				     &o);
	ASSERT_OK(err, "pktstat run");
	err = bpf_prog_test_run_opts(pfd, &b);
	ASSERT_OK(err, "pass run");
	ASSERT_GT(o.duration, 0, "pktstat ns per packet");
	printf("XDP per packet (TCP SYN, 200000 runs): pktstat %u ns, XDP_PASS only %u ns\n",
	       o.duration, b.duration);
	close(pfd);
cleanup:
	pktstat_bpf__destroy(skel);
}

/* ---- the peer namespace and the veth pair ---- */

struct peer {
	pid_t pid;
};

static const char *netgen(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/workloads/netgen", env_output_dir());
	return path;
}

/* A process in a new network namespace, serving UDP/TCP sinks there. */
static int peer_start(struct peer *p)
{
	struct pollfd pfd;
	char buf[16] = {};
	int fds[2];

	if (pipe(fds))
		return -errno;
	p->pid = fork();
	if (p->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		execl(netgen(), "netgen", "serve", "120", "7001", "7002", "7004",
		      NULL);
		_exit(127);
	}
	close(fds[1]);
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (p->pid < 0 || poll(&pfd, 1, 5000) != 1 ||
	    read(fds[0], buf, sizeof(buf) - 1) <= 0 || strncmp(buf, "ready", 5)) {
		close(fds[0]);
		return -EIO;
	}
	close(fds[0]);
	return 0;
}

static void peer_stop(struct peer *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}

static int setup_veth(const struct peer *p)
{
	int err;

	err = run_cmd(NULL, "ip link add " DEV " type veth peer name " PEER_DEV
			    " netns %d && ip link set " DEV " up && "
			    "ip addr add 10.66.0.1/24 dev " DEV " && "
			    "ip addr add fd66::1/64 dev " DEV " nodad", p->pid);
	if (err)
		return err;
	/*
	 * iproute2's ip by path: a busybox nsenter (the vmtest VM's) would
	 * run busybox's own ip, which lacks "nodad"
	 */
	return run_cmd(NULL, "ip=$(command -v ip) && "
			     "nsenter -t %1$d -n $ip link set lo up && "
			     "nsenter -t %1$d -n $ip link set " PEER_DEV " up && "
			     "nsenter -t %1$d -n $ip addr add 10.66.0.2/24 dev " PEER_DEV " && "
			     "nsenter -t %1$d -n $ip addr add fd66::2/64 dev " PEER_DEV " nodad",
		       p->pid);
}

/* What `ip link`, tc and bpftool say about DEV: must be back after unload. */
static char *dev_state(void)
{
	char *out = NULL;

	run_cmd(&out, "ip link show " DEV "; tc qdisc show dev " DEV
		      "; tc filter show dev " DEV " ingress; tc filter show dev "
		      DEV " egress; bpftool net show dev " DEV);
	return out;
}

static char *hex(const struct frame *f)
{
	static char buf[600];
	size_t i;

	for (i = 0; i < f->len; i++)
		snprintf(buf + 2 * i, 3, "%02x", f->b[i]);
	return buf;
}

/* Send @n copies of every crafted frame both ways over the veth. */
static void send_crafted(const struct peer *p, int n)
{
	struct frame f[F_NR];
	int i;

	build_frames(f);
	for (i = 0; i < F_NR; i++) {
		ASSERT_EQ(run_cmd(NULL, "%s raw " DEV " %s %d", netgen(),
				  hex(&f[i]), n), 0, f[i].name);
		ASSERT_EQ(run_cmd(NULL, "nsenter -t %d -n %s raw " PEER_DEV " %s %d",
				  p->pid, netgen(), hex(&f[i]), n), 0, f[i].name);
	}
}

static void check_veth(const char *opts, const char *link_word)
{
	int l3 = -1, ports = -1, flags = -1, dirfd = -1, err;
	char comm[16], *before = NULL, *after = NULL, *out = NULL;
	struct pkt_dir_val dv;
	struct peer p = {};
	__u64 bytes;

	snprintf(comm, sizeof(comm), "pks-%d", getpid() % 100000);
	if (!ASSERT_OK(peer_start(&p), "peer namespace") ||
	    !ASSERT_EQ(setup_veth(&p), 0, "veth pair"))
		goto cleanup;
	/* resolve neighbours both ways now, not while counting */
	run_cmd(NULL, "%s ping 10.66.0.2 1", netgen());
	run_cmd(NULL, "%s connect fd66::2 7004 1", netgen());
	before = dev_state();
	err = loader_run(&out, "pktstat --dev " DEV " %s", opts);
	if (!ASSERT_EQ(err, 0, "load"))
		goto cleanup;
	ASSERT_HAS_SUBSTR(out, "ingress XDP", "says how it attached");
	free(after);
	after = dev_state();
	ASSERT_HAS_SUBSTR(after, link_word, "XDP mode in ip link");

	ASSERT_EQ(run_cmd(NULL, "%s --comm %s udp 10.66.0.2 7001 10 100",
			  netgen(), comm), 0, "udp v4");
	ASSERT_EQ(run_cmd(NULL, "%s --comm %s udp fd66::2 7002 7 50", netgen(),
			  comm), 0, "udp v6");
	free(out);
	out = NULL;
	ASSERT_EQ(run_cmd(&out, "%s ping 10.66.0.2 6", netgen()), 0, "ping");
	ASSERT_HAS_SUBSTR(out, "replies=6", "echo replies");
	free(out);
	out = NULL;
	ASSERT_EQ(run_cmd(&out, "%s connect 10.66.0.2 7004 3 && %s connect fd66::2 7004 2",
			  netgen(), netgen()), 0, "tcp");
	send_crafted(&p, 2);

	l3 = pin_open("pktstat", "maps/pktstat_l3");
	ports = pin_open("pktstat", "maps/pktstat_ports");
	flags = pin_open("pktstat", "maps/pktstat_tcp_flags");
	dirfd = pin_open("pktstat", "maps/pktstat_dir");
	if (!ASSERT_GE(l3, 0, "l3 pin") || !ASSERT_GE(ports, 0, "ports pin") ||
	    !ASSERT_GE(flags, 0, "flags pin") || !ASSERT_GE(dirfd, 0, "dir pin"))
		goto unload;
	ASSERT_EQ(port_packets(ports, PKT_DIR_EGRESS, PKT_PROTO_UDP,
			       PKT_PORT_EPHEMERAL, 7001, &bytes), 10, "udp v4 out");
	ASSERT_EQ(bytes, 10 * (14 + 20 + 8 + 100), "udp v4 bytes");
	ASSERT_EQ(port_packets(ports, PKT_DIR_EGRESS, PKT_PROTO_UDP,
			       PKT_PORT_EPHEMERAL, 7002, &bytes), 7, "udp v6 out");
	ASSERT_EQ(bytes, 7 * (14 + 40 + 8 + 50), "udp v6 bytes");
	ASSERT_EQ(port_packets(ports, PKT_DIR_INGRESS, PKT_PROTO_UDP,
			       7001, PKT_PORT_EPHEMERAL, NULL), 0, "no udp back");
	ASSERT_EQ(l3_packets(l3, PKT_DIR_EGRESS, PKT_ETH_IPV4, 0, PKT_PROTO_ICMP,
			     PKT_CLASS_OK), 6, "icmp echo out");
	ASSERT_EQ(l3_packets(l3, PKT_DIR_INGRESS, PKT_ETH_IPV4, 0, PKT_PROTO_ICMP,
			     PKT_CLASS_OK), 6, "icmp echo replies in");
	ASSERT_EQ(flag_packets(flags, PKT_DIR_INGRESS, "S."), 5, "SYN-ACKs in");
	ASSERT_GE(port_packets(ports, PKT_DIR_EGRESS, PKT_PROTO_TCP,
			       PKT_PORT_EPHEMERAL, 7004, NULL), 5, "tcp out");
	ASSERT_GE(port_packets(ports, PKT_DIR_INGRESS, PKT_PROTO_TCP, 7004,
			       PKT_PORT_EPHEMERAL, NULL), 5, "tcp in");
	/* the crafted frames, both ways, VLAN-tagged flow included */
	check_crafted(l3, ports, flags, dirfd, PKT_DIR_INGRESS, 2, 0, true);
	/* 5 connects: 5 SYNs out */
	check_crafted(l3, ports, flags, dirfd, PKT_DIR_EGRESS, 2, 5, true);
	if (ASSERT_OK(dir_val(dirfd, PKT_DIR_EGRESS, &dv), "egress totals"))
		ASSERT_GE(dv.packets, 10 + 7 + 6 + 5 + 2 * F_NR, "egress packets");

	free(out);
	out = NULL;
	ASSERT_EQ(reader_run(&out, "metrics"), 0, "pinsight metrics");
	ASSERT_HAS_SUBSTR(out, "ebpf_pktstat_port_packets_total{dir=\"egress\",proto=\"udp\",sport=\"ephemeral\",dport=\"7001\"} 10\n",
			  "ports in metrics");
	ASSERT_HAS_SUBSTR(out, "ebpf_pktstat_l3_packets_total{dir=\"ingress\",ethertype=\"ipv4\",vlan=\"77\",proto=\"udp\",class=\"ok\"} 2\n",
			  "vlan flow in metrics");
	free(out);
	out = NULL;
	ASSERT_EQ(reader_run(&out, "show pktstat pktstat_peers"), 0, "show");
	ASSERT_HAS_SUBSTR(out, "fd66::2", "peer address shown");
unload:
	ASSERT_EQ(loader_run(NULL, "unload pktstat"), 0, "unload");
	free(after);
	after = dev_state();
	ASSERT_STREQ(after, before, "interface as before");
cleanup:
	if (l3 >= 0)
		close(l3);
	if (ports >= 0)
		close(ports);
	if (flags >= 0)
		close(flags);
	if (dirfd >= 0)
		close(dirfd);
	run_cmd(NULL, "ip link del " DEV " 2>/dev/null");
	peer_stop(&p);
	free(before);
	free(after);
	free(out);
}

/* Where libxdp has its dispatcher, another XDP program survives unload. */
static void check_libxdp_two(void)
{
	struct xdp_multiprog *mp;
	struct pktstat_bpf *other = NULL;
	struct xdp_program *prog = NULL;
	struct peer p = {};
	bool legacy;
	int ifindex;

	if (!ASSERT_OK(peer_start(&p), "peer namespace") ||
	    !ASSERT_EQ(setup_veth(&p), 0, "veth pair"))
		goto cleanup;
	if (!ASSERT_EQ(loader_run(NULL, "pktstat --dev " DEV), 0, "load"))
		goto cleanup;
	ifindex = if_nametoindex(DEV);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!ASSERT_OK_PTR(mp, "xdp program on " DEV)) {
		loader_run(NULL, "unload pktstat");
		goto cleanup;
	}
	legacy = xdp_multiprog__is_legacy(mp);
	xdp_multiprog__close(mp);
	if (legacy) {
		loader_run(NULL, "unload pktstat");
		test__skip("libxdp fell back to a single program: its dispatcher needs freplace, which this kernel refuses");
		goto cleanup;
	}
	/* libxdp loads it itself, as an extension of its dispatcher */
	other = pktstat_bpf__open();
	if (!ASSERT_OK_PTR(other, "second program"))
		goto unload;
	bpf_program__set_autoload(other->progs.pktstat_tc, false);
	prog = xdp_program__from_bpf_obj(other->obj, "xdp");
	if (!ASSERT_OK(libxdp_get_error(prog), "xdp_program")) {
		prog = NULL;
		goto unload;
	}
	if (!ASSERT_OK(xdp_program__attach(prog, ifindex, XDP_MODE_UNSPEC, 0),
		       "attach second"))
		goto unload;
	ASSERT_EQ(run_cmd(NULL, "%s udp 10.66.0.2 7001 3 10", netgen()), 0, "udp");
	ASSERT_EQ(run_cmd(NULL, "%s ping 10.66.0.2 2", netgen()), 0, "ping");
	ASSERT_EQ(l3_packets(bpf_map__fd(other->maps.pktstat_l3), PKT_DIR_INGRESS,
			     PKT_ETH_IPV4, 0, PKT_PROTO_ICMP, PKT_CLASS_OK), 2,
		  "second program runs");
	ASSERT_EQ(loader_run(NULL, "unload pktstat"), 0, "unload pktstat");
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (ASSERT_OK_PTR(mp, "still attached")) {
		ASSERT_EQ(xdp_multiprog__program_count(mp), 1, "one program left");
		ASSERT_OK(xdp_program__detach(prog, ifindex,
					      xdp_multiprog__attach_mode(mp), 0),
			  "detach second");
		xdp_multiprog__close(mp);
	}
	goto cleanup;
unload:
	loader_run(NULL, "unload pktstat");
cleanup:
	xdp_program__close(prog);
	pktstat_bpf__destroy(other);
	run_cmd(NULL, "ip link del " DEV " 2>/dev/null");
	peer_stop(&p);
}

static __u32 xdp_prog_id(void)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	return bpf_xdp_query(if_nametoindex(DEV), 0, &q) ? 0 : q.prog_id;
}

/* --replace swaps the XDP program in place; the clsact claim carries over. */
static void check_replace(void)
{
	char *before = NULL, *after = NULL, *out = NULL;
	struct peer p = {};
	__u32 id1, id2;

	if (!ASSERT_OK(peer_start(&p), "peer namespace") ||
	    !ASSERT_EQ(setup_veth(&p), 0, "veth pair"))
		goto cleanup;
	before = dev_state();
	if (!ASSERT_EQ(loader_run(NULL, "pktstat --dev " DEV " --egress tc"), 0,
		       "load"))
		goto cleanup;
	id1 = xdp_prog_id();
	ASSERT_EQ(loader_run(&out, "pktstat --dev " DEV " --egress tc --replace"),
		  0, "replace");
	/* single program: swapped by XDP_FLAGS_REPLACE; else libxdp adds
	 * the new one to its dispatcher before the old one leaves */
	ASSERT_TRUE(strstr(out, "in place of the replaced instance's program") ||
		    strstr(out, "through the libxdp dispatcher"),
		    "swapped atomically");
	id2 = xdp_prog_id();
	ASSERT_NEQ(id2, 0, "an XDP program attached");
	ASSERT_NEQ(id2, id1, "a new one");
	free(after);
	after = dev_state();
	ASSERT_HAS_SUBSTR(after, "pref 49153 bpf", "new TC filter");
	ASSERT_FALSE(strstr(after, "pref 49152 bpf"), "old TC filter gone");
	ASSERT_EQ(run_cmd(NULL, "%s udp 10.66.0.2 7001 3 10", netgen()), 0, "udp");
	ASSERT_EQ(loader_run(NULL, "unload pktstat"), 0, "unload");
	free(after);
	after = dev_state();
	ASSERT_STREQ(after, before, "interface as before (clsact removed)");
cleanup:
	run_cmd(NULL, "ip link del " DEV " 2>/dev/null");
	peer_stop(&p);
	free(before);
	free(after);
	free(out);
}

/* Run time per run of program @id since stats were enabled, in ns. */
static double prog_ns(__u32 id, __u64 *runs)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	*runs = 0;
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		*runs = info.run_cnt;
	close(fd);
	return info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0;
}

/* Frames per second from the peer into DEV's XDP hook (sender-bound). */
static double send_rate(const struct peer *p, const struct frame *f, int n)
{
	struct timespec a, b;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &a);
	err = run_cmd(NULL, "nsenter -t %d -n %s raw " PEER_DEV " %s %d",
		      p->pid, netgen(), hex(f), n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (err)
		return 0;
	return n / (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9);
}

/*
 * Benchmark: frames/s through pktstat's XDP program vs an XDP_PASS-only
 * one on the same veth, and ns per packet from the kernel's run-time
 * stats (enabled by fd for this test only, not by the global sysctl).
 */
static void check_pps(void)
{
	const struct bpf_insn pass[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = XDP_PASS },
		{ .code = 0x95 },
	};
	const int n = 100000;
	struct frame f[F_NR];
	double r0, r1, ns0, ns1;
	int stats = -1, pfd = -1, ifindex;
	struct peer p = {};
	__u64 runs0, runs1;
	__u32 id;

	build_frames(f);
	if (!ASSERT_OK(peer_start(&p), "peer namespace") ||
	    !ASSERT_EQ(setup_veth(&p), 0, "veth pair"))
		goto cleanup;
	ifindex = if_nametoindex(DEV);
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (!ASSERT_GE(stats, 0, "run-time stats"))
		goto cleanup;
	pfd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_pass", "GPL", pass, 2, NULL);
	if (!ASSERT_GE(pfd, 0, "xdp_pass") ||
	    !ASSERT_OK(bpf_xdp_attach(ifindex, pfd, XDP_FLAGS_DRV_MODE, NULL),
		       "attach xdp_pass"))
		goto cleanup;
	r0 = send_rate(&p, &f[F_TCP_SYN], n);
	id = xdp_prog_id();
	ns0 = prog_ns(id, &runs0);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (!ASSERT_EQ(loader_run(NULL, "pktstat --dev " DEV " --xdp-mode native"),
		       0, "load"))
		goto cleanup;
	r1 = send_rate(&p, &f[F_TCP_SYN], n);
	ns1 = prog_ns(xdp_prog_id(), &runs1);
	ASSERT_EQ(loader_run(NULL, "unload pktstat"), 0, "unload");
	ASSERT_GE(runs0, n, "xdp_pass saw every frame");
	ASSERT_GE(runs1, n, "pktstat saw every frame");
	ASSERT_GT(r0, 0, "rate");
	ASSERT_GT(r1, 0, "rate");
	printf("veth native XDP, %d TCP SYN frames from AF_PACKET (sender-bound):\n"
	       "  XDP_PASS only: %.0f frames/s, %.1f ns/packet (bpf_stats)\n"
	       "  pktstat:       %.0f frames/s, %.1f ns/packet (bpf_stats)\n"
	       "  rate ratio pktstat/pass: %.3f\n",
	       n, r0, ns0, r1, ns1, r1 / r0);
cleanup:
	if (pfd >= 0)
		close(pfd);
	if (stats >= 0)
		close(stats);
	run_cmd(NULL, "ip link del " DEV " 2>/dev/null");
	peer_stop(&p);
}

/* ---- unload from another network namespace ---- */

/*
 * `ip netns` names live in /run/netns: a tmpfs of this test's own (its
 * mount namespace is private) keeps ours from the host's list and the
 * host's from our loader.
 */
static int private_netns_dir(void)
{
	static bool done;

	if (done)
		return 0;
	/* a VM's initramfs may have no /run at all */
	if ((mkdir("/run", 0755) && errno != EEXIST) ||
	    (mkdir("/run/netns", 0755) && errno != EEXIST))
		return -errno;
	if (mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755"))
		return -errno;
	done = true;
	return 0;
}

/*
 * What ip, tc and bpftool say about lo in the namespace @enter gets into
 * ("" for this one): compared byte for byte. Tools by path, as a busybox
 * nsenter would run its own ip.
 */
static char *lo_state(const char *enter)
{
	char *out = NULL;

	run_cmd(&out, "ip=$(command -v ip) tc=$(command -v tc) "
		      "bt=$(command -v bpftool); %1$s $ip -d link show lo; "
		      "%1$s $tc qdisc show dev lo; "
		      "%1$s $tc filter show dev lo ingress; "
		      "%1$s $tc filter show dev lo egress; "
		      "%1$s $bt net show dev lo", enter);
	return out;
}

/*
 * Ids of the live programs using the instance's rodata: what it attached;
 * with @no_ext, not libxdp's extension (in dispatcher mode), which libxdp's
 * pins keep alive whatever becomes of the device.
 */
static int inst_progs(__u32 *ids, int max, bool no_ext)
{
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(minfo), id = 0, maps[16];
	struct bpf_prog_info info;
	int fd, pfd, n = 0;
	__u32 i;

	fd = pin_open("pktstat", "maps/rodata");
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &minfo, &len)) {
		close(fd);
		return -errno;
	}
	close(fd);
	while (n < max && !bpf_prog_get_next_id(id, &id)) {
		pfd = bpf_prog_get_fd_by_id(id);
		if (pfd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.nr_map_ids = 16;
		info.map_ids = (__u64)(unsigned long)maps;
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(pfd, &info, &len) &&
		    (!no_ext || info.type != BPF_PROG_TYPE_EXT))
			for (i = 0; i < info.nr_map_ids && i < 16; i++)
				if (maps[i] == minfo.id)
					ids[n++] = id;
		close(pfd);
	}
	return n;
}

/* Whether none of @ids is a live program, waiting up to 5 s for it. */
static bool progs_gone(const __u32 *ids, int n)
{
	int i, tries, fd, left = n;

	for (tries = 0; tries < 250 && left; tries++) {
		for (left = 0, i = 0; i < n; i++) {
			fd = bpf_prog_get_fd_by_id(ids[i]);
			if (fd >= 0) {
				close(fd);
				left++;
			}
		}
		if (left)
			usleep(20000);
	}
	return !left;
}

/* `ip netns add @name`, lo up there: 0 or the command's exit status. */
static int ns_add(const char *name)
{
	return run_cmd(NULL, "ip netns add %1$s && ip -n %1$s link set lo up",
		       name);
}

/* pktstat on lo in the namespace @enter gets into: the loader's exit. */
static int load_in(const char *enter, const char *opts)
{
	return run_cmd(NULL, "%s %s/pinsight-load pktstat --dev lo %s", enter,
		       env_output_dir(), opts);
}

static __u64 ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/*
 * Make a namespace named @name under /run/netns, trying for inode number
 * @ino: the kernel gives a new namespace the lowest free number, so a dead
 * one's comes back once it is freed (which lags its teardown) and those
 * below it are taken; namespaces are made (and held by fds) until one
 * gets it, within a bound. 1: it did, 0: the last one made is named, or
 * -errno.
 */
static int ns_add_reusing(const char *name, __u64 ino)
{
	const char *self_ns = "/proc/self/ns/net";
	int self, fds[64], n, i, got = 0, err = 0;
	char path[64], src[64];
	struct stat st;

	self = open(self_ns, O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	for (n = 0; n < 64 && !got; n++) {
		fds[n] = -1;
		if (!unshare(CLONE_NEWNET))
			fds[n] = open(self_ns, O_RDONLY | O_CLOEXEC);
		if (fds[n] < 0 || fstat(fds[n], &st)) {
			err = -errno;
			n++;
			break;
		}
		got = st.st_ino == ino;
		if (!got)
			usleep(20000);
	}
	if (setns(self, CLONE_NEWNET))
		err = -errno;
	close(self);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (!err && n && fds[n - 1] >= 0) {
		/* what `ip netns add` does: bind-mount it on a file there */
		snprintf(src, sizeof(src), "/proc/self/fd/%d", fds[n - 1]);
		i = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (i < 0 || close(i) || mount(src, path, NULL, MS_BIND, NULL))
			err = -errno;
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err ?: got;
}

/*
 * Load on lo in netns @enter gets into (with @opts), unload from this
 * one: the loader must find the other lo. This lo carries a clsact with
 * no filter, which an unload detaching here would take for the one it
 * made (the bug: lo is ifindex 1 in every namespace).
 */
static void check_other_lo(const char *enter, const char *opts,
			   const char *ns_word)
{
	char *here0 = NULL, *there0 = NULL, *here = NULL, *there = NULL;
	char *err = NULL;
	__u32 ids[8];
	int n;

	if (!ASSERT_EQ(run_cmd(NULL, "tc qdisc add dev lo clsact"), 0,
		       "bait: an empty clsact here"))
		return;
	here0 = lo_state("");
	there0 = lo_state(enter);
	if (!ASSERT_EQ(load_in(enter, opts), 0, "load in the other netns"))
		goto cleanup;
	there = lo_state(enter);
	ASSERT_HAS_SUBSTR(there, "prog/xdp", "XDP on the other lo");
	here = lo_state("");
	ASSERT_STREQ(here, here0, "load left this lo alone");
	n = inst_progs(ids, 8, false);
	ASSERT_GE(n, 2, "programs attached: XDP and TC");
	ASSERT_EQ(run_cmd_sep(NULL, &err, "%s/pinsight-load unload pktstat",
			      env_output_dir()), 0, "unload from here");
	ASSERT_HAS_SUBSTR(err, ns_word, "names the netns it detached in");
	free(there);
	there = lo_state(enter);
	ASSERT_STREQ(there, there0, "other lo as before: no XDP, no TC");
	free(here);
	here = lo_state("");
	ASSERT_STREQ(here, here0, "this lo untouched, its clsact kept");
	ASSERT_TRUE(n < 0 || progs_gone(ids, n), "programs freed");
cleanup:
	run_cmd(NULL, "tc qdisc del dev lo clsact");
	free(here0);
	free(there0);
	free(here);
	free(there);
	free(err);
}

static void check_unload_other_netns(void)
{
	char ns[32], enter[64];

	snprintf(ns, sizeof(ns), "pks-%d", getpid());
	snprintf(enter, sizeof(enter), "nsenter --net=/run/netns/%s", ns);
	if (!ASSERT_OK(private_netns_dir(), "private /run/netns") ||
	    !ASSERT_EQ(ns_add(ns), 0, "ip netns add"))
		return;
	/* netlink TC and single-program XDP: neither has a bpf_link */
	check_other_lo(enter, "--egress tc --xdp-mode skb", ns);
	run_cmd(NULL, "ip netns del %s", ns);
}

static void check_unload_netns_of_process(void)
{
	char enter[64], word[64];
	struct peer p = {};

	/* a namespace no name holds: found by the process in it */
	if (!ASSERT_OK(peer_start(&p), "process in a new netns"))
		return;
	snprintf(enter, sizeof(enter), "nsenter -t %d -n", p.pid);
	snprintf(word, sizeof(word), "of pid %d (netgen)", p.pid);
	if (ASSERT_EQ(run_cmd(NULL, "%s $(command -v ip) link set lo up",
			      enter), 0, "lo up there"))
		check_other_lo(enter, "", word);
	peer_stop(&p);
}

/*
 * The namespace is deleted before unload: its lo, and what pktstat
 * attached there, are gone with it. Unload must say so, remove the pins,
 * and touch no other namespace, not even a new one that took the dead
 * one's inode number (the kernel reuses the lowest free one).
 */
static void check_unload_deleted_netns(void)
{
	char ns[32], ns2[32], enter[64], enter2[64], path[64];
	char *here0 = NULL, *new0 = NULL, *here = NULL, *new = NULL;
	char *err = NULL;
	__u32 ids[8], dev_ids[8];
	__u64 ino, ino2;
	int n, m, reused;

	snprintf(ns, sizeof(ns), "pks-%d-dead", getpid());
	snprintf(ns2, sizeof(ns2), "pks-%d-new", getpid());
	snprintf(enter, sizeof(enter), "nsenter --net=/run/netns/%s", ns);
	snprintf(enter2, sizeof(enter2), "nsenter --net=/run/netns/%s", ns2);
	if (!ASSERT_OK(private_netns_dir(), "private /run/netns") ||
	    !ASSERT_EQ(ns_add(ns), 0, "ip netns add"))
		return;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	ino = ns_ino(path);
	if (!ASSERT_EQ(load_in(enter, "--egress tc"), 0, "load"))
		goto cleanup;
	n = inst_progs(ids, 8, false);
	m = inst_progs(dev_ids, 8, true);
	ASSERT_GE(n, 2, "programs attached: XDP and TC");
	ASSERT_EQ(run_cmd(NULL, "ip netns del %s", ns), 0, "ip netns del");
	/* teardown is asynchronous: what lo held goes when lo does */
	ASSERT_TRUE(m < 0 || progs_gone(dev_ids, m), "lo's programs gone");
	/*
	 * Baits: an empty clsact on this lo, and on the lo of a new
	 * namespace, which has the dead one's inode number if we can get it
	 * (the loader must tell them apart by its cookie).
	 */
	reused = ns_add_reusing(ns2, ino);
	if (!ASSERT_GE(reused, 0, "new netns") ||
	    !ASSERT_EQ(run_cmd(NULL, "ip -n %1$s link set lo up && "
				     "tc -n %1$s qdisc add dev lo clsact && "
				     "tc qdisc add dev lo clsact", ns2), 0,
		       "baits"))
		goto cleanup;
	snprintf(path, sizeof(path), "/run/netns/%s", ns2);
	ino2 = ns_ino(path);
	printf("deleted netns inode %llu, new one %llu: %s\n",
	       (unsigned long long)ino, (unsigned long long)ino2,
	       reused ? "reused, only the cookie tells them apart" :
			"not reused (still held, or taken by another)");
	here0 = lo_state("");
	new0 = lo_state(enter2);
	ASSERT_EQ(run_cmd_sep(NULL, &err, "%s/pinsight-load unload pktstat",
			      env_output_dir()), 0, "unload: exit 0");
	ASSERT_HAS_SUBSTR(err, "no longer exists", "says the netns is gone");
	ASSERT_FALSE(err && strstr(err, "pinsight-load:"), "no error");
	ASSERT_LT(pin_open("pktstat", "maps/rodata"), 0, "pins removed");
	ASSERT_TRUE(n < 0 || progs_gone(ids, n), "no program left");
	here = lo_state("");
	ASSERT_STREQ(here, here0, "this lo untouched");
	new = lo_state(enter2);
	ASSERT_STREQ(new, new0, "the new netns's lo untouched");
cleanup:
	run_cmd(NULL, "tc qdisc del dev lo clsact 2>/dev/null; "
		      "ip netns del %s 2>/dev/null; "
		      "ip netns del %s 2>/dev/null", ns, ns2);
	loader_run(NULL, "unload pktstat 2>/dev/null");
	free(here0);
	free(new0);
	free(here);
	free(new);
	free(err);
}

/*
 * A namespace held only by an fd (here, ours) is out of unload's reach:
 * unload must not take it for dead, nor touch another, and must name the
 * program left attached there.
 */
static void check_unload_netns_out_of_reach(void)
{
	char ns[32], path[64], enter[96];
	char *here0 = NULL, *here = NULL, *there = NULL, *err = NULL;
	int fd = -1, n = -1;
	__u32 ids[8];

	snprintf(ns, sizeof(ns), "pks-%d-fd", getpid());
	if (!ASSERT_OK(private_netns_dir(), "private /run/netns") ||
	    !ASSERT_EQ(ns_add(ns), 0, "ip netns add"))
		return;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(enter, sizeof(enter), "nsenter --net=%s", path);
	if (!ASSERT_GE(fd, 0, "hold it by an fd") ||
	    !ASSERT_EQ(load_in(enter, "--egress tc"), 0, "load") ||
	    !ASSERT_EQ(run_cmd(NULL, "ip netns del %s && "
				     "tc qdisc add dev lo clsact", ns), 0,
		       "unname it; bait here"))
		goto cleanup;
	here0 = lo_state("");
	n = inst_progs(ids, 8, false);
	ASSERT_EQ(run_cmd_sep(NULL, &err, "%s/pinsight-load unload pktstat",
			      env_output_dir()), 1, "unload fails");
	ASSERT_HAS_SUBSTR(err, "is still attached in netns net:[", "says so");
	ASSERT_HAS_SUBSTR(err, "pktstat: left in place", "and keeps it");
	ASSERT_FALSE(err && strstr(err, "no longer exists"), "not dead");
	ASSERT_EQ(dir_count(pin_root()), 1, "the instance whole, no temporary");
	here = lo_state("");
	ASSERT_STREQ(here, here0, "this lo untouched");
	snprintf(enter, sizeof(enter), "nsenter --net=/proc/%d/fd/%d",
		 getpid(), fd);
	there = lo_state(enter);
	ASSERT_HAS_SUBSTR(there, "prog/xdp", "its XDP left where it is");
	/* where it said: from inside that namespace, unload detaches */
	ASSERT_EQ(run_cmd(NULL, "%s %s/pinsight-load unload pktstat", enter,
			  env_output_dir()), 0, "unload from inside");
	free(there);
	there = lo_state(enter);
	ASSERT_FALSE(there && strstr(there, "prog/xdp"), "XDP gone there");
	ASSERT_EQ(dir_count(pin_root()), 0, "pins gone");
cleanup:
	run_cmd(NULL, "tc qdisc del dev lo clsact 2>/dev/null; "
		      "ip netns del %s 2>/dev/null", ns);
	/* its last reference: the namespace goes, and pktstat with it */
	if (fd >= 0)
		close(fd);
	ASSERT_TRUE(n <= 0 || progs_gone(ids, n), "gone with the netns");
	free(here0);
	free(here);
	free(there);
	free(err);
}

static void check_bad_dev(void)
{
	char *out = NULL;

	ASSERT_EQ(loader_run(&out, "pktstat --dev nosuchdev0"), 3, "exit 3");
	ASSERT_HAS_SUBSTR(out, "pktstat: --dev nosuchdev0: no such interface",
			  "names the device");
	free(out);
	out = NULL;
	ASSERT_EQ(loader_run(&out, "pktstat --dev lo --xdp-mode turbo"), 2,
		  "bad mode");
	ASSERT_HAS_SUBSTR(out, "--xdp-mode turbo: use native or skb", "says why");
	free(out);
}

void test_pktstat(void)
{
	if (test__start_subtest("test_run_crafted_frames"))
		check_test_run();
	if (test__start_subtest("test_run_cost"))
		check_cost();
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	/* every interface we touch is in namespaces of our own */
	if (!ASSERT_OK(unshare(CLONE_NEWNET), "network namespace") ||
	    !ASSERT_EQ(run_cmd(NULL, "ip link set lo up"), 0, "lo up"))
		return;
	if (test__start_subtest("veth_native_tcx"))
		check_veth("", "prog/xdp");
	if (test__start_subtest("veth_skb_mode_tc_clsact"))
		check_veth("--xdp-mode skb --egress tc", "xdpgeneric");
	if (test__start_subtest("replace_in_place"))
		check_replace();
	if (test__start_subtest("libxdp_two_programs"))
		check_libxdp_two();
	if (test__start_subtest("bench_veth_pps"))
		check_pps();
	if (test__start_subtest("unload_other_netns"))
		check_unload_other_netns();
	if (test__start_subtest("unload_netns_of_process"))
		check_unload_netns_of_process();
	if (test__start_subtest("unload_deleted_netns"))
		check_unload_deleted_netns();
	if (test__start_subtest("unload_netns_out_of_reach"))
		check_unload_netns_out_of_reach();
	if (test__start_subtest("bad_options"))
		check_bad_dev();
}
