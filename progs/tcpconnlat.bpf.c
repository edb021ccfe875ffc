// SPDX-License-Identifier: GPL-2.0
/*
 * tcpconnlat: how long TCP connects take (SYN sent to ESTABLISHED) and how
 * they fail (refused, timed out, unreachable, aborted), per command and
 * destination address and port.
 *
 * Everything comes from TCP state changes: CLOSE -> SYN_SENT starts an
 * attempt (in the connecting task, so comm and the --pid/--comm filters
 * apply there); SYN_SENT -> ESTABLISHED or -> CLOSE ends it, usually in
 * softirq context, where sk_err tells the failures apart (tcp_reset() and
 * tcp_write_err() set it before tcp_done() moves the socket to CLOSE).
 *
 * Attach variants, in the loader's order of preference:
 *   btf:    tp_btf/inet_sock_set_state (BTF-typed raw tracepoint: no
 *           record copy; kernels with BTF, i.e. all we support);
 *   tp:     tracepoint sock:inet_sock_set_state;
 *   fentry: fentry/tcp_set_state and
 *   kprobe: kprobe/tcp_set_state, only on request (--attach), for kernels
 *           that allow them: this host refuses fentry and has no kprobes,
 *           and they see nothing the tracepoint does not.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcpconnlat.h"
#include "filter.bpf.h"
#include "hist.bpf.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define ECONNREFUSED 111
#define ETIMEDOUT 110
#define EHOSTUNREACH 113
#define ENETUNREACH 101

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct tcpconnlat_pending_key);
	__type(value, struct tcpconnlat_pending);
} tcpconnlat_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct tcpconnlat_key);
	__type(value, struct tcpconnlat_val);
} tcpconnlat_dest SEC(".maps");

static const struct tcpconnlat_val zero_val ZERO_SEC;

static __always_inline void connect_start(struct sock *sk)
{
	struct tcpconnlat_pending_key pk = { .sk = (__u64)sk };
	struct tcpconnlat_pending p = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u16 family;
	__be32 daddr;

	if (!task_wanted(bpf_get_current_task_btf()))
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET) {
		daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		p.daddr[10] = 0xff;
		p.daddr[11] = 0xff;
		__builtin_memcpy(&p.daddr[12], &daddr, sizeof(daddr));
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&p.daddr, sk,
				   __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		return;
	}
	p.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	p.tgid = id >> 32;
	current_comm(p.comm);
	p.start_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&tcpconnlat_pending, &pk, &p, BPF_ANY))
		count_drop();
}

static __always_inline enum tcpconnlat_result failure(struct sock *sk)
{
	switch (BPF_CORE_READ(sk, sk_err)) {
	case 0: return TCPCONNLAT_ABORTED;
	case ECONNREFUSED: return TCPCONNLAT_REFUSED;
	case ETIMEDOUT: return TCPCONNLAT_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH: return TCPCONNLAT_UNREACHABLE;
	default: return TCPCONNLAT_ERROR;
	}
}

static __always_inline void connect_end(struct sock *sk, int newstate)
{
	struct tcpconnlat_pending_key pk = { .sk = (__u64)sk };
	struct tcpconnlat_key key = {};
	struct tcpconnlat_pending *p;
	struct tcpconnlat_val *v;

	p = bpf_map_lookup_elem(&tcpconnlat_pending, &pk);
	if (!p)
		return;
	__builtin_memcpy(key.comm, p->comm, sizeof(key.comm));
	__builtin_memcpy(key.daddr, p->daddr, sizeof(key.daddr));
	key.dport = p->dport;
	key.result = newstate == TCP_ESTABLISHED ? TCPCONNLAT_ESTABLISHED :
						   failure(sk);
	v = lookup_or_init(&tcpconnlat_dest, &key, &zero_val);
	if (v) {
		v->connects++;
		hist_add(&v->latency_ns, bpf_ktime_get_ns() - p->start_ns);
	}
	bpf_map_delete_elem(&tcpconnlat_pending, &pk);
}

/*
 * Only a socket leaving SYN_SENT (or SYN_RECV, which a simultaneous open
 * passes through) can end an attempt: the other ESTABLISHED and CLOSE
 * changes, four of a connect's ten, skip the pending lookup.
 */
static __always_inline int state_change(struct sock *sk, int oldstate,
					int newstate)
{
	if (newstate == TCP_SYN_SENT)
		connect_start(sk);
	/* SYN_RECV (simultaneous open) keeps the attempt pending */
	else if ((newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE) &&
		 (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV))
		connect_end(sk, newstate);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf__inet_sock_set_state, struct sock *sk, int oldstate,
	     int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	return state_change(sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tp__inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return state_change((struct sock *)ctx->skaddr, ctx->oldstate,
			    ctx->newstate);
}

/*
 * tcp_set_state() is TCP's only state setter and calls the tracepoint; on
 * entry the socket still holds the old state.
 */
SEC("fentry/tcp_set_state")
int BPF_PROG(fentry__tcp_set_state, struct sock *sk, int state)
{
	return state_change(sk, sk->__sk_common.skc_state, state);
}

SEC("kprobe/tcp_set_state")
int BPF_KPROBE(kprobe__tcp_set_state, struct sock *sk, int state)
{
	return state_change(sk, BPF_CORE_READ(sk, __sk_common.skc_state),
			    state);
}
