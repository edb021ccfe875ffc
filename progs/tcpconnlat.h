/* SPDX-License-Identifier: GPL-2.0 */
/* tcpconnlat: TCP connect latency and outcome. Shared with the tests. */
#ifndef __TCPCONNLAT_H
#define __TCPCONNLAT_H

#include "pinsight.h"

/* How a connect attempt (a socket leaving SYN_SENT) ended. */
enum tcpconnlat_result {
	TCPCONNLAT_ESTABLISHED,
	TCPCONNLAT_REFUSED, /* RST in reply to the SYN: ECONNREFUSED */
	TCPCONNLAT_TIMEOUT, /* SYN retries ran out: ETIMEDOUT */
	TCPCONNLAT_UNREACHABLE, /* ICMP unreachable: EHOSTUNREACH, ... */
	TCPCONNLAT_ABORTED, /* closed by its owner before an answer */
	TCPCONNLAT_ERROR, /* any other sk_err */
	TCPCONNLAT_RESULT_NR,
};

/*
 * tcpconnlat_dest: per command, destination and outcome. IPv4 addresses
 * are kept IPv4-mapped (::ffff:a.b.c.d) so one key serves both families;
 * readers show them as a.b.c.d (PIN-LAYOUT.md, pinsight:fmt=ip).
 */
struct tcpconnlat_key {
	char comm[TASK_COMM_LEN];
	__u8 daddr[16] __fmt_ip;
	__u32 dport;
	enum tcpconnlat_result result;
};

struct tcpconnlat_val {
	/* attempts that ended this way */
	__u64 connects __help("TCP connect attempts that ended with this result");
	/* SYN sent to the outcome: to ESTABLISHED, or to the RST/timeout */
	struct hist latency_ns
		__help("Time from the SYN sent to the connection's outcome");
};

/* tcpconnlat_pending: connects in flight, by socket address. */
struct tcpconnlat_pending_key {
	__u64 sk __pinsight_tag("pinsight:fmt=hex");
};

struct tcpconnlat_pending {
	char comm[TASK_COMM_LEN];
	__u8 daddr[16] __fmt_ip;
	__u32 dport __internal;
	__u32 tgid __internal;
	__u64 start_ns __internal;
};

#endif /* __TCPCONNLAT_H */
