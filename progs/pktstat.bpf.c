// SPDX-License-Identifier: GPL-2.0
/*
 * pktstat: per-CPU packet counters of one interface, ingress through XDP
 * (attached with libxdp) and egress through tcx or a TC clsact filter.
 *
 * One parser serves both hooks. It reads nothing it has not checked against
 * data_end, and a packet that ends early or carries impossible header
 * values is counted under the class saying so (pkt_class), with the fields
 * parsed up to there, rather than guessed at. Both programs always let the
 * packet through: XDP_PASS, and TC_ACT_UNSPEC (tcx: "next"), so that other
 * programs and filters on the hook still run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "pktstat.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader from --dev and the attach it chose; see tool_pktstat.c */
const volatile char dev[16] = {};
const volatile __u32 ifindex = 0;
const volatile char xdp_mode[8] = {};
const volatile char egress[8] = {};
const volatile __u32 tc_prio = 0;
const volatile bool tc_own_qdisc = false;
/* The network namespace ifindex is in, where unload must detach */
const volatile __u64 netns_dev = 0;
const volatile __u64 netns_ino = 0;
const volatile __u64 netns_cookie = 0;
/* Ports from here up are folded into "ephemeral"; 0: never fold. */
const volatile __u32 ephemeral_min = 32768;

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define TC_ACT_UNSPEC (-1)
/* Enough linear bytes for Ethernet, a tag, IPv6 with a few options, TCP. */
#define PULL_LEN 192

#define MAP(name, key_t, val_t, n)                                             \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);                        \
		__uint(max_entries, n);                                        \
		__type(key, key_t);                                            \
		__type(value, val_t);                                          \
	} name SEC(".maps");                                                   \
	static const val_t zero_##name ZERO_SEC

MAP(pktstat_dir, struct pkt_dir_key, struct pkt_dir_val, 2);
MAP(pktstat_l3, struct pkt_l3_key, struct pkt_l3_val, 1024);
MAP(pktstat_ports, struct pkt_port_key, struct pkt_port_val, 8192);
MAP(pktstat_tcp_flags, struct pkt_flags_key, struct pkt_flags_val, 512);
MAP(pktstat_peers, struct pkt_peer_key, struct pkt_peer_val, 8192);

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct ipv6_opt {
	__u8 nexthdr;
	__u8 len; /* in 8 bytes, not counting the first 8 */
};

struct parsed {
	struct pkt_l3_key l3;
	__u32 sport, dport;
	bool ports, peer;
	__s16 tcp_flags; /* -1: not a whole TCP header */
	__u8 addr[16];
};

static __always_inline __u32 fold_port(__be16 port)
{
	__u32 p = bpf_ntohs(port);

	return ephemeral_min && p >= ephemeral_min ? PKT_PORT_EPHEMERAL : p;
}

static __always_inline void parse_l4(void *l4, void *end, struct parsed *p)
{
	if (p->l3.proto == PKT_PROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end) {
			p->l3.class = PKT_CLASS_TRUNC_L4;
			return;
		}
		if (th->doff < 5) {
			p->l3.class = PKT_CLASS_BAD_L4;
			return;
		}
		if (l4 + th->doff * 4 > end) {
			p->l3.class = PKT_CLASS_TRUNC_L4;
			return;
		}
		p->tcp_flags = ((__u8 *)th)[13];
		p->sport = fold_port(th->source);
		p->dport = fold_port(th->dest);
		p->ports = true;
	} else if (p->l3.proto == PKT_PROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end) {
			p->l3.class = PKT_CLASS_TRUNC_L4;
			return;
		}
		p->sport = fold_port(uh->source);
		p->dport = fold_port(uh->dest);
		p->ports = true;
	}
}

/* A later fragment: TCP/UDP still get a port row, with unknown ports. */
static __always_inline void fragment(struct parsed *p)
{
	p->l3.class = PKT_CLASS_FRAGMENT;
	if (p->l3.proto == PKT_PROTO_TCP || p->l3.proto == PKT_PROTO_UDP) {
		p->sport = p->dport = PKT_PORT_UNKNOWN;
		p->ports = true;
	}
}

static __always_inline void parse_ipv4(void *l3, void *end, __u64 l3_len,
				       struct parsed *p)
{
	struct iphdr *ip = l3;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > end) {
		p->l3.class = PKT_CLASS_TRUNC_IP;
		return;
	}
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	/* tot_len 0: a GSO packet over 64 KiB (BIG TCP) */
	if (ip->version != 4 || hlen < sizeof(*ip) || (tot && tot < hlen)) {
		p->l3.class = PKT_CLASS_BAD_IP;
		return;
	}
	if (l3 + hlen > end || tot > l3_len) {
		p->l3.class = PKT_CLASS_TRUNC_IP;
		return;
	}
	p->l3.proto = ip->protocol;
	__builtin_memcpy(&p->addr[12],
			 p->l3.dir == PKT_DIR_INGRESS ? &ip->saddr : &ip->daddr,
			 4);
	p->addr[10] = p->addr[11] = 0xff;
	p->peer = true;
	if (ip->frag_off & bpf_htons(0x1fff)) {
		fragment(p);
		return;
	}
	parse_l4(l3 + hlen, end, p);
}

static __always_inline void parse_ipv6(void *l3, void *end, __u64 l3_len,
				       struct parsed *p)
{
	struct ipv6hdr *ip6 = l3;
	void *cur = ip6 + 1;
	__u8 nh;
	int i;

	if (cur > end) {
		p->l3.class = PKT_CLASS_TRUNC_IP;
		return;
	}
	if (ip6->version != 6) {
		p->l3.class = PKT_CLASS_BAD_IP;
		return;
	}
	/* payload_len 0: a jumbogram or BIG TCP GSO packet */
	if (ip6->payload_len &&
	    bpf_ntohs(ip6->payload_len) + sizeof(*ip6) > l3_len) {
		p->l3.class = PKT_CLASS_TRUNC_IP;
		return;
	}
	__builtin_memcpy(p->addr,
			 p->l3.dir == PKT_DIR_INGRESS ? &ip6->saddr : &ip6->daddr,
			 16);
	p->peer = true;
	nh = ip6->nexthdr;
	/* Hop-by-hop, routing, destination options, fragment: up to four. */
#pragma unroll
	for (i = 0; i < 4; i++) {
		struct ipv6_opt *o = cur;

		if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
			break;
		if (cur + 8 > end) {
			p->l3.class = PKT_CLASS_TRUNC_IP;
			return;
		}
		if (nh == 44) {
			struct frag_hdr *fh = cur;

			nh = fh->nexthdr;
			cur += 8;
			if (fh->frag_off & bpf_htons(0xfff8)) {
				p->l3.proto = nh;
				fragment(p);
				return;
			}
			continue;
		}
		nh = o->nexthdr;
		cur += (o->len + 1) * 8;
	}
	p->l3.proto = nh;
	parse_l4(cur, end, p);
}

static __always_inline void parse(void *data, void *end, __u64 len,
				  struct parsed *p)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	if (l3 > end) {
		p->l3.ethertype = PKT_ETH_NONE;
		p->l3.class = PKT_CLASS_TRUNC_ETH;
		return;
	}
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		struct vlan_tag *tag = l3;

		if ((void *)(tag + 1) > end) {
			p->l3.ethertype = proto;
			p->l3.class = PKT_CLASS_TRUNC_VLAN;
			return;
		}
		p->l3.vlan = bpf_ntohs(tag->tci) & 0xfff;
		proto = bpf_ntohs(tag->proto);
		l3 = tag + 1;
	}
	p->l3.ethertype = proto < 0x600 ? PKT_ETH_LLC : proto;
	if (proto == ETH_P_IPV4)
		parse_ipv4(l3, end, len - (l3 - data), p);
	else if (proto == ETH_P_IPV6)
		parse_ipv6(l3, end, len - (l3 - data), p);
}

static __always_inline void tcp_flags_str(__u8 f, char *s)
{
	int i = 0;

	if (f & 0x02) s[i++] = 'S';
	if (f & 0x01) s[i++] = 'F';
	if (f & 0x04) s[i++] = 'R';
	if (f & 0x08) s[i++] = 'P';
	if (f & 0x20) s[i++] = 'U';
	if (f & 0x40) s[i++] = 'E';
	if (f & 0x80) s[i++] = 'W';
	if (f & 0x10) s[i++] = '.';
	if (!i)
		__builtin_memcpy(s, "none", 5);
}

/*
 * @segs: wire packets this is (a GSO packet on egress is several); @vlan:
 * a tag the NIC or stack took out of the data (TC), or -1.
 */
static __always_inline void account(void *data, void *end, __u64 len,
				    enum pkt_dir dir, int vlan, __u32 segs)
{
	struct parsed p = {
		.l3 = { .dir = dir, .proto = PKT_PROTO_NONE },
		.tcp_flags = -1,
	};
	struct pkt_dir_key dk = { .dir = dir };
	struct pkt_dir_val *dv;
	struct pkt_l3_val *lv;

	parse(data, end, len, &p);
	if (vlan >= 0)
		p.l3.vlan = vlan;

	dv = lookup_or_init(&pktstat_dir, &dk, &zero_pktstat_dir);
	if (dv) {
		dv->bytes += len;
		dv->packets += segs;
		if (p.l3.class > PKT_CLASS_FRAGMENT)
			dv->malformed += segs;
	}
	lv = lookup_or_init(&pktstat_l3, &p.l3, &zero_pktstat_l3);
	if (lv) {
		lv->bytes += len;
		lv->packets += segs;
	}
	if (p.ports) {
		struct pkt_port_key pk = {
			.dir = dir,
			.proto = p.l3.proto,
			.sport = p.sport,
			.dport = p.dport,
		};
		struct pkt_port_val *pv;

		pv = lookup_or_init(&pktstat_ports, &pk, &zero_pktstat_ports);
		if (pv) {
			pv->bytes += len;
			pv->packets += segs;
		}
	}
	if (p.tcp_flags >= 0) {
		struct pkt_flags_key fk = { .dir = dir };
		struct pkt_flags_val *fv;

		tcp_flags_str(p.tcp_flags, fk.flags);
		fv = lookup_or_init(&pktstat_tcp_flags, &fk,
				    &zero_pktstat_tcp_flags);
		if (fv)
			fv->packets += segs;
	}
	if (p.peer) {
		struct pkt_peer_key ak = { .dir = dir };
		struct pkt_peer_val *av;

		__builtin_memcpy(ak.addr, p.addr, sizeof(ak.addr));
		av = lookup_or_init(&pktstat_peers, &ak, &zero_pktstat_peers);
		if (av) {
			av->bytes += len;
			av->packets += segs;
		}
	}
}

SEC("xdp")
int pktstat_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	account(data, end, end - data, PKT_DIR_INGRESS, -1, 1);
	return XDP_PASS;
}

/*
 * skb->data and data_end, loaded with the ctx offset fixed in the insn:
 * clang otherwise may compute &skb->data once and reuse it after the
 * pull, which the verifier refuses ("modified ctx ptr").
 */
#define SKB_LOAD(skb, field)                                                   \
	({                                                                     \
		void *__p;                                                     \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                          \
			     : "=r"(__p)                                       \
			     : "r"(skb),                                       \
			       "i"(__builtin_offsetof(struct __sk_buff, field)));\
		__p;                                                           \
	})

SEC("tc")
int pktstat_tc(struct __sk_buff *skb)
{
	__u32 len = skb->len, segs = skb->gso_segs;
	int vlan = skb->vlan_present ? skb->vlan_tci & 0xfff : -1;
	__u32 linear = SKB_LOAD(skb, data_end) - SKB_LOAD(skb, data);

	/* Headers in paged data (rare on egress): make them readable. */
	if (linear < PULL_LEN && linear < len)
		bpf_skb_pull_data(skb, len < PULL_LEN ? len : PULL_LEN);
	account(SKB_LOAD(skb, data), SKB_LOAD(skb, data_end), len,
		PKT_DIR_EGRESS, vlan, segs ?: 1);
	return TC_ACT_UNSPEC;
}
