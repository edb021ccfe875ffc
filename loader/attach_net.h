/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network attach points for tools that count packets: XDP through libxdp,
 * tcx links, and TC clsact filters over netlink where tcx is missing.
 *
 * XDP without libxdp's dispatcher and TC filters have no bpf_link: their
 * attachment outlives every pin, so each has a detach that finds "ours" by
 * a map the program uses (the instance's rodata) and removes only that.
 * Functions return 0 or -errno; they print nothing, the caller names the
 * instance in its message.
 */
#ifndef __LOADER_ATTACH_NET_H
#define __LOADER_ATTACH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <xdp/libxdp.h>

/* Not in libbpf 1.1's uapi header: include/uapi/linux/bpf.h, 6.6. */
#define NET_TCX_INGRESS 46
#define NET_TCX_EGRESS 47

/*
 * Attach program @prog_name of @loaded (opened from @elf) as XDP on
 * @ifindex with libxdp: through its dispatcher where the kernel allows
 * freplace, as a single program otherwise. libxdp loads its own copy of
 * the program, sharing @loaded's maps. @how gets e.g. "skb mode, single
 * program (no libxdp dispatcher on this kernel)".
 */
int net_xdp_attach(const struct bpf_object *loaded, const void *elf,
		   size_t elf_sz, const char *prog_name, int ifindex,
		   enum xdp_attach_mode mode, char *how, size_t how_sz);
/*
 * --replace in single-program mode: swap the XDP program on @ifindex that
 * uses @old_map_id (the instance being replaced) for @prog_fd, atomically
 * (XDP_FLAGS_REPLACE). -ENOENT when the attached program is not that one.
 */
int net_xdp_replace(int prog_fd, int ifindex, enum xdp_attach_mode mode,
		    __u32 old_map_id);
/* Detach the XDP program using map @map_id from @ifindex; 0 if none is. */
int net_xdp_detach(int ifindex, __u32 map_id);
/*
 * In dispatcher mode our program is an extension attached by a bpf_link
 * that libxdp pins in its own directory; pin a second reference at @pin
 * so the instance lists it. Removing it does not detach (libxdp's pin
 * stays): net_xdp_detach() does. -ENOENT without a dispatcher.
 */
int net_xdp_pin_link(int ifindex, __u32 map_id, const char *pin);
/* Whether XDP on @ifindex runs through libxdp's dispatcher. */
bool net_xdp_multiprog(int ifindex);
/*
 * The device gone (with its namespace, say), its dispatcher went off it,
 * but libxdp's own pins of the link @pin also holds (<bpffs>/xdp/
 * dispatch-<ifindex>-<id>/<prog>-link and -prog) would keep our program,
 * its maps and the dispatcher alive for good: remove them, under libxdp's
 * lock. 0 also when there is no @pin (no dispatcher) or no such pins.
 */
int net_xdp_unpin_orphan(const char *pin);

/* Whether the kernel has tcx (6.6+): a tcx query on @ifindex works. */
bool net_tcx_supported(int ifindex);
/* bpf_link_create() a tcx link and pin it at @pin; the fd is closed. */
int net_tcx_attach(int prog_fd, int ifindex, int attach_type,
		   const char *pin);

/*
 * The clsact egress hook of @ifindex: whether the qdisc exists, and a
 * priority with no filter (handle 1) yet, from pinsight's own range.
 * -EBUSY: an ingress qdisc holds clsact's place.
 */
int net_tc_probe(int ifindex, bool *clsact, __u32 *prio);
/* Create clsact if needed and add a direct-action filter, handle 1. */
int net_tc_attach(int prog_fd, int ifindex, __u32 prio);
/*
 * Remove our filter (handle 1, @prio, using map @map_id); then, if
 * @own_qdisc, the clsact qdisc, but only when no filter is left on it.
 */
int net_tc_detach(int ifindex, __u32 prio, __u32 map_id, bool own_qdisc);

/*
 * A network namespace, so that unload finds the one a tool attached in:
 * st_dev/st_ino of its nsfs inode (what `ip netns identify` compares) and
 * its cookie (SO_NETNS_COOKIE, 5.14+; 0 where unknown). The kernel hands a
 * dead namespace's inode number to the next one it makes; cookies are
 * never reused, so they tell the two apart.
 */
struct net_ns {
	__u64 dev;
	__u64 ino;
	__u64 cookie;
};

/* This thread's network namespace. */
int net_ns_current(struct net_ns *ns);
/* Whether @a and @b are one namespace; an unknown cookie matches any. */
bool net_ns_same(const struct net_ns *a, const struct net_ns *b);
/*
 * Move this thread into @ns, looking for it under /run/netns, then among
 * processes' /proc/<pid>/ns/net. *back gets what net_ns_leave() takes to
 * return: -1 when @ns is the current namespace (nothing to undo). @where
 * gets its name for messages ("blue", "of pid 42 (vs)", "net:[4026531840]").
 * -ENOENT: not found, @where is its inode then.
 */
int net_ns_enter(const struct net_ns *ns, int *back, char *where, size_t sz);
/* Back to the namespace net_ns_enter() left; closes @back. */
int net_ns_leave(int back);
/*
 * The id of a live program of @type using map @map_id, 0 if none: whether
 * something attached without a link is still held by an interface.
 */
__u32 net_prog_alive(enum bpf_prog_type type, __u32 map_id);

#endif /* __LOADER_ATTACH_NET_H */
