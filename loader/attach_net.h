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

#endif /* __LOADER_ATTACH_NET_H */
