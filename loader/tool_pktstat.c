// SPDX-License-Identifier: GPL-2.0
/*
 * pktstat: the tool table entry. Ingress is XDP through libxdp, egress a
 * tcx link (pinned: links/pktstat_tc) or, on kernels without tcx, a
 * clsact filter. What unload must undo is decided before load and kept
 * in .rodata (ifindex, its network namespace, egress, tc_prio,
 * tc_own_qdisc), which the detach hook reads back from the instance's
 * pins: the loader keeps no state. An ifindex means something only in
 * its namespace, so unload detaches there, wherever it runs itself.
 */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "attach_net.h"
#include "log.h"
#include "pin_layout.h"
#include "pktstat.skel.h"
#include "rodata.h"
#include "tools.h"

/* Decided in prepare, used in attach (ctx->priv). */
struct pktstat_plan {
	int ifindex;
	enum xdp_attach_mode mode;
	bool tcx;
	__u32 tc_prio;
	__u32 old_map_id; /* --replace: the old instance's rodata, same device */
};

/*
 * How long a namespace that cannot be found may take to be torn down,
 * which the kernel does after its last reference goes, asynchronously;
 * only then are its interfaces and their XDP programs gone.
 */
#define NS_TEARDOWN_MS 3000

/* What an instance's rodata says unload must undo. */
struct pkt_cfg {
	char dev[16];
	int ifindex;
	struct net_ns ns; /* all 0 from a loader that did not record it */
	char egress[8];
	__u32 tc_prio;
	bool tc_own_qdisc;
	__u32 map_id; /* of the rodata: its programs use it, so it names them */
	const char *dir; /* the instance's */
};

static int set_var(struct load_ctx *ctx, const char *var, const char *fmt,
		   unsigned long val)
{
	char buf[32], why[128];
	int err;

	snprintf(buf, sizeof(buf), fmt, val);
	err = rodata_set(ctx->obj, var, buf, why, sizeof(why));
	if (err)
		p_err("%s: %s", ctx->inst, why);
	return err;
}

/* The first port of the host's ephemeral range, where clients come from. */
static unsigned long ephemeral_min(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned long lo = 32768;

	if (f) {
		if (fscanf(f, "%lu", &lo) != 1)
			lo = 32768;
		fclose(f);
	}
	return lo;
}

/*
 * Read <inst_dir>/maps/rodata back through the skeleton's own type, not
 * the readers' BTF decoder: it is this tool's configuration. An instance
 * loaded by an older pinsight-load may have a shorter .rodata (fields are
 * only ever added at its end): what it lacks reads as 0. -ENOENT when
 * there is no such pin.
 */
static int read_cfg(const char *inst_dir, struct pkt_cfg *c)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	struct pktstat_bpf__rodata ro = {};
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0;
	char path[PATH_MAX], *val = NULL;
	int fd, err;

	memset(c, 0, sizeof(*c));
	err = path_fmt(path, sizeof(path), "%s/maps/rodata", inst_dir);
	if (err)
		return err;
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto cleanup;
	}
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 ||
	    info.max_entries != 1 ||
	    info.value_size < offsetof(struct pktstat_bpf__rodata, xdp_mode)) {
		err = -EBADMSG;
		p_err("%s: not a pktstat rodata", path);
		goto cleanup;
	}
	val = calloc(1, info.value_size);
	if (!val) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (bpf_map_lookup_elem(fd, &key, val)) {
		err = -errno;
		goto cleanup;
	}
	memcpy(&ro, val,
	       info.value_size < sizeof(ro) ? info.value_size : sizeof(ro));
	snprintf(c->dev, sizeof(c->dev), "%.*s", (int)sizeof(ro.dev), ro.dev);
	c->ifindex = ro.ifindex;
	snprintf(c->egress, sizeof(c->egress), "%.*s", (int)sizeof(ro.egress),
		 ro.egress);
	c->tc_prio = ro.tc_prio;
	c->tc_own_qdisc = ro.tc_own_qdisc;
	c->ns.dev = ro.netns_dev;
	c->ns.ino = ro.netns_ino;
	c->ns.cookie = ro.netns_cookie;
	c->map_id = info.id;
	c->dir = inst_dir;
cleanup:
	free(val);
	close(fd);
	return err;
}

static int pktstat_prepare(struct load_ctx *ctx)
{
	struct pktstat_plan *plan = ctx->priv;
	const char *dev = ctx_opt(ctx, "dev");
	const char *mode = ctx_opt(ctx, "xdp-mode");
	const char *egress = ctx_opt(ctx, "egress");
	bool clsact = false, old_own = false;
	char why[128], path[PATH_MAX];
	struct pkt_cfg old;
	struct net_ns ns;
	int err;

	if (!ctx_opt(ctx, "ephemeral-min")) {
		err = set_var(ctx, "ephemeral_min", "%lu", ephemeral_min());
		if (err)
			return err;
	}
	if (!mode)
		plan->mode = XDP_MODE_UNSPEC;
	else if (!strcmp(mode, "native"))
		plan->mode = XDP_MODE_NATIVE;
	else if (!strcmp(mode, "skb"))
		plan->mode = XDP_MODE_SKB;
	else {
		p_err("%s: --xdp-mode %s: use native or skb", ctx->inst, mode);
		return -EINVAL;
	}
	if (egress && strcmp(egress, "tcx") && strcmp(egress, "tc")) {
		p_err("%s: --egress %s: use tcx or tc", ctx->inst, egress);
		return -EINVAL;
	}
	/* without --dev (e.g. `doctor`'s trial load) only attach can fail */
	if (!dev)
		return 0;
	plan->ifindex = if_nametoindex(dev);
	if (!plan->ifindex) {
		p_err("%s: --dev %s: no such interface", ctx->inst, dev);
		return -ENOENT;
	}
	err = net_ns_current(&ns);
	if (err) {
		p_err("%s: %s: cannot identify its network namespace: %s",
		      ctx->inst, dev, strerror(-err));
		return err;
	}
	err = set_var(ctx, "ifindex", "%lu", plan->ifindex);
	if (!err)
		err = set_var(ctx, "netns_dev", "%lu", ns.dev);
	if (!err)
		err = set_var(ctx, "netns_ino", "%lu", ns.ino);
	if (!err)
		err = set_var(ctx, "netns_cookie", "%lu", ns.cookie);
	if (err)
		return err;
	/*
	 * --replace (the loader refuses other loads over a live instance
	 * before this): the old instance's XDP program is swapped out in
	 * place, and its claim on a clsact qdisc it made passes to the new,
	 * if both are on one device: the same ifindex in the same namespace
	 * (an older loader's instance recorded none: it was in ours).
	 */
	if (!path_fmt(path, sizeof(path), "%s/%s", pin_root(), ctx->inst) &&
	    !read_cfg(path, &old) && old.ifindex == plan->ifindex &&
	    (!old.ns.ino || net_ns_same(&old.ns, &ns))) {
		plan->old_map_id = old.map_id;
		old_own = !strcmp(old.egress, "tc") && old.tc_own_qdisc;
	}
	plan->tcx = net_tcx_supported(plan->ifindex);
	if (egress && !strcmp(egress, "tcx") && !plan->tcx) {
		p_err("%s: --egress tcx: this kernel has no tcx (6.6+)",
		      ctx->inst);
		return -EOPNOTSUPP;
	}
	if (egress && !strcmp(egress, "tc"))
		plan->tcx = false;
	err = rodata_set(ctx->obj, "egress", plan->tcx ? "tcx" : "tc", why,
			 sizeof(why));
	if (err)
		p_err("%s: %s", ctx->inst, why);
	if (err || plan->tcx)
		return err;
	err = net_tc_probe(plan->ifindex, &clsact, &plan->tc_prio);
	if (err == -EBUSY) {
		p_err("%s: %s has an ingress qdisc: no clsact for the TC egress filter (use a kernel with tcx, or remove it)",
		      ctx->inst, dev);
		return err;
	}
	if (err) {
		p_err("%s: %s: cannot query TC filters: %s", ctx->inst, dev,
		      strerror(-err));
		return err;
	}
	err = set_var(ctx, "tc_prio", "%lu", plan->tc_prio);
	if (!err)
		err = set_var(ctx, "tc_own_qdisc", "%lu", !clsact || old_own);
	return err;
}

/* The id of the object's .rodata: every program of it uses that map. */
static __u32 rodata_id(struct load_ctx *ctx)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct bpf_map *m;

	bpf_object__for_each_map(m, ctx->obj) {
		const char *dot = strrchr(bpf_map__name(m), '.');

		if (bpf_map__is_internal(m) && dot && !strcmp(dot, ".rodata") &&
		    !bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
			return info.id;
	}
	return 0;
}

static int prog_fd(struct load_ctx *ctx, const char *name)
{
	return bpf_program__fd(bpf_object__find_program_by_name(ctx->obj, name));
}

static int pktstat_attach(struct load_ctx *ctx)
{
	struct pktstat_plan *plan = ctx->priv;
	const char *dev = ctx_opt(ctx, "dev");
	char how[128], pin[PATH_MAX];
	const void *elf;
	size_t elf_sz;
	int err;

	if (!plan->ifindex) {
		p_err("%s: --dev IFACE is required", ctx->inst);
		return -EINVAL;
	}
	err = -ENOENT;
	if (plan->old_map_id) {
		err = net_xdp_replace(prog_fd(ctx, "pktstat_xdp"),
				      plan->ifindex, plan->mode,
				      plan->old_map_id);
		if (!err)
			snprintf(how, sizeof(how),
				 "in place of the replaced instance's program");
	}
	if (err == -ENOENT) {
		elf = ctx->tool->elf_bytes(&elf_sz);
		err = net_xdp_attach(ctx->obj, elf, elf_sz, "pktstat_xdp",
				     plan->ifindex, plan->mode, how,
				     sizeof(how));
	}
	if (err) {
		p_err("%s: %s: cannot attach XDP: %s", ctx->inst, dev,
		      strerror(-err));
		return err;
	}
	err = path_fmt(pin, sizeof(pin), "%s/links/pktstat_xdp", ctx->dir);
	if (!err && net_xdp_multiprog(plan->ifindex)) {
		err = net_xdp_pin_link(plan->ifindex, rodata_id(ctx), pin);
		if (err) {
			p_err("%s: %s: cannot pin the XDP extension's link: %s",
			      ctx->inst, dev, strerror(-err));
			return err;
		}
		ctx->nr_links++;
	}
	if (plan->tcx) {
		err = path_fmt(pin, sizeof(pin), "%s/links/pktstat_tc",
			       ctx->dir);
		if (!err)
			err = net_tcx_attach(prog_fd(ctx, "pktstat_tc"),
					     plan->ifindex, NET_TCX_EGRESS,
					     pin);
		if (!err)
			ctx->nr_links++;
	} else {
		err = net_tc_attach(prog_fd(ctx, "pktstat_tc"), plan->ifindex,
				    plan->tc_prio);
	}
	if (err) {
		/* the XDP program is undone by the detach hook on cleanup */
		p_err("%s: %s: cannot attach to egress (%s): %s", ctx->inst,
		      dev, plan->tcx ? "tcx" : "tc clsact", strerror(-err));
		return err;
	}
	p_info("%s: %s: ingress XDP, %s; egress %s", ctx->inst, dev, how,
	       plan->tcx ? "tcx link"
	       : net_tcx_supported(plan->ifindex)
		       ? "TC clsact filter (--egress tc)"
		       : "TC clsact filter (no tcx on this kernel)");
	return 0;
}

/* The instance's name from its directory, a loader's temporary or not. */
static void inst_name(const char *inst_dir, char *buf, size_t sz)
{
	const char *base = strrchr(inst_dir, '/');
	size_t n = strlen(PIN_TMP_PREFIX);
	char *pid;

	base = base ? base + 1 : inst_dir;
	if (strncmp(base, PIN_TMP_PREFIX, n)) {
		snprintf(buf, sz, "%s", base);
		return;
	}
	snprintf(buf, sz, "%s", base + n); /* _tmp-<inst>-<pid> */
	pid = strrchr(buf, '-');
	if (pid)
		*pid = '\0';
}

/*
 * The device is gone: with it what was attached there, except, in libxdp's
 * dispatcher mode, libxdp's pins of our program's link, which would keep
 * it alive for good.
 */
static int detach_orphan(const char *inst, const struct pkt_cfg *c)
{
	char pin[PATH_MAX];
	int err;

	err = path_fmt(pin, sizeof(pin), "%s/links/pktstat_xdp", c->dir);
	if (!err)
		err = net_xdp_unpin_orphan(pin);
	if (err)
		p_err("%s: %s: cannot remove libxdp's pins of its XDP program: %s",
		      inst, c->dev, strerror(-err));
	return err;
}

/* Undo what is on the device in the current namespace (@ns names it). */
static int detach_here(const char *inst, const struct pkt_cfg *c,
		       const char *ns)
{
	bool own_qdisc = c->tc_own_qdisc;
	char name[IF_NAMESIZE] = "";
	int err, e;

	if (!if_indextoname(c->ifindex, name)) {
		if (errno == ENXIO || errno == ENODEV) {
			p_info("%s: %s: ifindex %d is gone from netns %s, and what was attached to it: nothing to detach",
			       inst, c->dev, c->ifindex, ns);
			return detach_orphan(inst, c);
		}
		name[0] = '\0';
	}
	/*
	 * Our programs are recognised by the map they use wherever they
	 * are; a clsact qdisc is not: on another device that took the
	 * ifindex, it is someone else's. (A renamed device keeps the
	 * qdisc pktstat made: the lesser harm.)
	 */
	if (*name && strcmp(name, c->dev))
		own_qdisc = false;
	err = net_xdp_detach(c->ifindex, c->map_id);
	if (err)
		p_err("%s: %s: cannot detach XDP (ifindex %d, netns %s): %s",
		      inst, c->dev, c->ifindex, ns, strerror(-err));
	if (!strcmp(c->egress, "tc")) {
		e = net_tc_detach(c->ifindex, c->tc_prio, c->map_id, own_qdisc);
		if (e)
			p_err("%s: %s: cannot remove the TC filter (ifindex %d, netns %s): %s",
			      inst, c->dev, c->ifindex, ns, strerror(-e));
		err = err ?: e;
	}
	return err;
}

/*
 * The namespace is not found. If it was deleted, its interfaces went with
 * it and our link-less programs with them, once the kernel has torn it
 * down. One of them still alive after that means the namespace lives on
 * where we did not look: held by an fd, or bind-mounted elsewhere.
 */
static int detach_gone(const char *inst, const struct pkt_cfg *c,
		       const char *ns)
{
	bool tc = !strcmp(c->egress, "tc");
	__u32 id = 0;
	int i;

	for (i = 0; i < NS_TEARDOWN_MS / 20; i++) {
		id = net_prog_alive(BPF_PROG_TYPE_XDP, c->map_id);
		if (!id && tc)
			id = net_prog_alive(BPF_PROG_TYPE_SCHED_CLS, c->map_id);
		if (!id)
			break;
		usleep(20000);
	}
	if (id) {
		p_err("%s: %s: program %u is still attached in netns %s, which is neither under /run/netns nor any process's: detach it from inside that namespace",
		      inst, c->dev, id, ns);
		return -EBUSY;
	}
	p_info("%s: %s: netns %s no longer exists, nor its interfaces: nothing to detach",
	       inst, c->dev, ns);
	return detach_orphan(inst, c);
}

/*
 * Undo the attachments without a link, as the instance's rodata records,
 * in the namespace they were made in: the device is there, not here.
 */
static int pktstat_detach(const char *inst_dir)
{
	char inst[80], ns[96];
	struct pkt_cfg c;
	int err, e, back;

	err = read_cfg(inst_dir, &c);
	/* a load that failed before pinning maps attached nothing */
	if (err == -ENOENT)
		return 0;
	if (err || !c.ifindex)
		return err;
	inst_name(inst_dir, inst, sizeof(inst));
	/* an older loader recorded no namespace: it detached where it ran */
	if (!c.ns.ino)
		return detach_here(inst, &c, "of this process");
	err = net_ns_enter(&c.ns, &back, ns, sizeof(ns));
	if (err == -ENOENT)
		return detach_gone(inst, &c, ns);
	if (err) {
		p_err("%s: %s: cannot enter netns %s to detach: %s", inst,
		      c.dev, ns, strerror(-err));
		return err;
	}
	if (back >= 0)
		p_info("%s: %s: detaching in netns %s, where it was loaded",
		       inst, c.dev, ns);
	err = detach_here(inst, &c, ns);
	e = net_ns_leave(back);
	if (e)
		p_err("%s: cannot return from netns %s: %s", inst, ns,
		      strerror(-e));
	return err ?: e;
}

static const struct tool_opt pktstat_opts[] = {
	{ "dev", "IFACE", "dev", "the interface to count (required)" },
	{ "xdp-mode", "MODE", "xdp_mode",
	  "native or skb (default: native where the driver has it)" },
	{ "egress", "HOOK", "egress",
	  "tcx or tc (default: tcx where the kernel has it)" },
	{ "ephemeral-min", "PORT", "ephemeral_min",
	  "count ports from PORT up as 'ephemeral' (default: the host's ip_local_port_range; 0: never)" },
	{}
};

const struct tool tool_pktstat = {
	.name = "pktstat",
	.required = "dev",
	.summary =
		"packets and bytes by direction, ethertype, IP protocol, port, TCP flags, peer",
	.example = "--dev lo",
	.elf_bytes = pktstat_bpf__elf_bytes,
	.priv_size = sizeof(struct pktstat_plan),
	.opts = pktstat_opts,
	.prepare = pktstat_prepare,
	.attach = pktstat_attach,
	.detach = pktstat_detach,
};
