/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pktstat: packet counters by direction, L2/L3/L4 header fields and peer
 * address. Shared by pktstat.bpf.c, the loader entry and the tests.
 *
 * Every key field is a bounded label: enums for direction, ethertype, IP
 * protocol and parse outcome; ports with the host's ephemeral range folded
 * into one "ephemeral" value; TCP flags as a tcpdump-style string. Values
 * put bytes first, so `pinsight show` lists top talkers by bytes.
 */
#ifndef __PKTSTAT_H
#define __PKTSTAT_H

#include "pinsight.h"

enum pkt_dir {
	PKT_DIR_INGRESS, /* XDP */
	PKT_DIR_EGRESS, /* tcx or TC */
};

/* Ethertype after at most one VLAN tag; others show as their number. */
enum pkt_ethertype {
	PKT_ETH_NONE = 0, /* the Ethernet header itself is truncated */
	PKT_ETH_LLC = 1, /* 802.3 length field instead of a type */
	PKT_ETH_IPV4 = 0x0800,
	PKT_ETH_ARP = 0x0806,
	PKT_ETH_VLAN = 0x8100, /* a second (inner) tag: not parsed further */
	PKT_ETH_IPV6 = 0x86DD,
	PKT_ETH_QINQ = 0x88A8,
	PKT_ETH_LLDP = 0x88CC,
};

/* IP protocol (IPv6: the header after extension headers). */
enum pkt_ipproto {
	PKT_PROTO_ICMP = 1,
	PKT_PROTO_IGMP = 2,
	PKT_PROTO_TCP = 6,
	PKT_PROTO_UDP = 17,
	PKT_PROTO_GRE = 47,
	PKT_PROTO_ESP = 50,
	PKT_PROTO_ICMPV6 = 58,
	PKT_PROTO_SCTP = 132,
	PKT_PROTO_NONE = 256, /* not IP, or the IP header is unusable */
};

/* What the parser made of a packet: anything but ok/fragment is malformed. */
enum pkt_class {
	PKT_CLASS_OK,
	PKT_CLASS_FRAGMENT, /* a later IP fragment: no L4 header to read */
	PKT_CLASS_TRUNC_ETH, /* shorter than an Ethernet header */
	PKT_CLASS_TRUNC_VLAN, /* ends inside the VLAN tag */
	PKT_CLASS_TRUNC_IP, /* ends inside the IP header (or its options) */
	PKT_CLASS_BAD_IP, /* wrong version, IHL < 5, total length < IHL */
	PKT_CLASS_TRUNC_L4, /* ends inside the TCP/UDP header */
	PKT_CLASS_BAD_L4, /* TCP data offset < 5 */
};

/* Port values beyond 16 bits: folded or absent ports. */
enum pkt_port {
	PKT_PORT_EPHEMERAL = 0x10000, /* in [ephemeral_min, 65535] */
	PKT_PORT_UNKNOWN, /* a later fragment: no L4 header */
};

struct pkt_dir_key {
	enum pkt_dir dir;
};

struct pkt_dir_val {
	__u64 bytes __help("Bytes of the packets seen, link-layer headers included");
	__u64 packets __help("Packets seen");
	/* packets of a class other than ok/fragment */
	__u64 malformed __help("Packets whose headers could not be parsed");
};

/* pktstat_l3: protocol mix and parse outcomes. */
struct pkt_l3_key {
	enum pkt_dir dir;
	enum pkt_ethertype ethertype;
	__u32 vlan; /* VLAN id; 0: untagged */
	enum pkt_ipproto proto;
	enum pkt_class class;
};

struct pkt_l3_val {
	__u64 bytes __metric("ebpf_pktstat_l3_bytes")
		__help("Bytes by protocol, VLAN and parse outcome");
	__u64 packets __metric("ebpf_pktstat_l3_packets")
		__help("Packets by protocol, VLAN and parse outcome");
};

/* pktstat_ports: TCP and UDP by port pair (ephemeral ports folded). */
struct pkt_port_key {
	enum pkt_dir dir;
	enum pkt_ipproto proto;
	enum pkt_port sport;
	enum pkt_port dport;
};

struct pkt_port_val {
	__u64 bytes __metric("ebpf_pktstat_port_bytes")
		__help("TCP/UDP bytes by port pair, ephemeral ports folded");
	__u64 packets __metric("ebpf_pktstat_port_packets")
		__help("TCP/UDP packets by port pair, ephemeral ports folded");
};

/* pktstat_tcp_flags: tcpdump's letters, S F R P U E W and '.' for ACK. */
#define PKT_FLAGS_LEN 12
struct pkt_flags_key {
	enum pkt_dir dir;
	char flags[PKT_FLAGS_LEN];
};

struct pkt_flags_val {
	__u64 packets __metric("ebpf_pktstat_tcp_flags_packets")
		__help("TCP packets by their flags, as tcpdump writes them");
};

/* pktstat_peers: the remote address (source in, destination out). */
struct pkt_peer_key {
	enum pkt_dir dir;
	__u8 addr[16] __fmt_ip; /* IPv4 as ::ffff:a.b.c.d */
};

struct pkt_peer_val {
	__u64 bytes __metric("ebpf_pktstat_peer_bytes")
		__help("Bytes by remote address");
	__u64 packets __metric("ebpf_pktstat_peer_packets")
		__help("Packets by remote address");
};

#endif /* __PKTSTAT_H */
