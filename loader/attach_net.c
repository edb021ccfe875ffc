// SPDX-License-Identifier: GPL-2.0
/* XDP (libxdp), tcx and netlink TC attach and detach; see attach_net.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach_net.h"
#include "log.h"
#include "pin_layout.h"

#define TC_HANDLE 1
/* pinsight's TC priorities: above what `tc filter add` picks by default */
#define TC_PRIO_FIRST 0xc000
#define TC_PRIO_NR 256
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* include/uapi/asm-generic/socket.h, 5.14 */
#endif
#define NS_SELF "/proc/thread-self/ns/net"

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	/* "Falling back to ... without dispatcher" is expected here: -v */
	if (level != LIBXDP_WARN && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * libbpf prints libxdp's failed dispatcher load and the kernel's extack for
 * each TC query that finds nothing: expected here, shown with -v only.
 */
static libbpf_print_fn_t quiet(void)
{
	libbpf_print_fn_t old = libbpf_set_print(NULL);

	if (verbose)
		libbpf_set_print(old);
	return old;
}

/*
 * Whether program @prog_id uses map @map_id (and is of @type, unless
 * BPF_PROG_TYPE_UNSPEC): how we know a program is ours.
 */
static bool prog_is(__u32 prog_id, enum bpf_prog_type type, __u32 map_id)
{
	__u32 ids[64], len, i;
	struct bpf_prog_info info;
	bool found = false;
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    (type == BPF_PROG_TYPE_UNSPEC || info.type == type))
		for (i = 0; i < info.nr_map_ids && i < 64; i++)
			found |= ids[i] == map_id;
	close(fd);
	return found;
}

static bool prog_uses_map(__u32 prog_id, __u32 map_id)
{
	return prog_is(prog_id, BPF_PROG_TYPE_UNSPEC, map_id);
}

/*
 * libxdp loads what it attaches: as an freplace extension of its
 * dispatcher where it can, as a plain XDP program otherwise. It gets a
 * second bpf_object made from the same ELF, with only @prog_name to load
 * and every map taken over from @loaded by fd, so the program it loads
 * shares the instance's maps (and its .rodata, frozen, still constant to
 * the verifier) like the one the loader loaded.
 */
static struct bpf_object *xdp_obj(const struct bpf_object *loaded,
				  const void *elf, size_t elf_sz,
				  const char *prog_name)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .object_name = bpf_object__name(loaded));
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m, *lm;
	int err = 0;

	obj = bpf_object__open_mem(elf, elf_sz, &oo);
	if (!obj)
		return NULL;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p),
						     prog_name));
	bpf_object__for_each_map(m, obj) {
		lm = bpf_object__find_map_by_name(loaded, bpf_map__name(m));
		err = lm ? bpf_map__reuse_fd(m, bpf_map__fd(lm)) : -ENOENT;
		if (err)
			break;
	}
	if (err) {
		bpf_object__close(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

int net_xdp_attach(const struct bpf_object *loaded, const void *elf,
		   size_t elf_sz, const char *prog_name, int ifindex,
		   enum xdp_attach_mode mode, char *how, size_t how_sz)
{
	struct xdp_multiprog *mp = NULL;
	struct xdp_program *prog = NULL;
	struct bpf_object *obj;
	libbpf_print_fn_t old_print;
	int err;

	libxdp_set_print(libxdp_print);
	obj = xdp_obj(loaded, elf, elf_sz, prog_name);
	if (!obj)
		return -errno;
	prog = xdp_program__from_bpf_obj(obj, "xdp");
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		goto cleanup;
	}
	old_print = quiet();
	err = xdp_program__attach(prog, ifindex, mode, 0);
	libbpf_set_print(old_print);
	if (err)
		goto cleanup;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp) {
		snprintf(how, how_sz, "attached");
		mp = NULL;
		goto cleanup;
	}
	snprintf(how, how_sz, "%s mode, %s",
		 xdp_multiprog__attach_mode(mp) == XDP_MODE_NATIVE ? "native" :
		 xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB	   ? "skb" :
								     "hw",
		 xdp_multiprog__is_legacy(mp) ?
			 "single program (no libxdp dispatcher on this kernel)" :
			 "through the libxdp dispatcher");
cleanup:
	xdp_multiprog__close(mp);
	xdp_program__close(prog);
	bpf_object__close(obj);
	return err;
}

int net_xdp_replace(int prog_fd, int ifindex, enum xdp_attach_mode mode,
		    __u32 old_map_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	LIBBPF_OPTS(bpf_xdp_attach_opts, a);
	__u32 flags = XDP_FLAGS_REPLACE;
	int err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (!q.prog_id || !prog_uses_map(q.prog_id, old_map_id))
		return -ENOENT;
	if (mode == XDP_MODE_NATIVE ||
	    (mode == XDP_MODE_UNSPEC && q.attach_mode == XDP_ATTACHED_DRV))
		flags |= XDP_FLAGS_DRV_MODE;
	else if (mode == XDP_MODE_SKB ||
		 (mode == XDP_MODE_UNSPEC && q.attach_mode == XDP_ATTACHED_SKB))
		flags |= XDP_FLAGS_SKB_MODE;
	a.old_prog_fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (a.old_prog_fd < 0)
		return -errno;
	err = bpf_xdp_attach(ifindex, prog_fd, flags, &a);
	close(a.old_prog_fd);
	return err;
}

int net_xdp_pin_link(int ifindex, __u32 map_id, const char *pin)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct bpf_link_info info;
	struct xdp_program *p;
	__u32 prog_id = 0, id = 0, len;
	int fd, err = -ENOENT;

	if (libxdp_get_error(mp) || !mp)
		return -ENOENT;
	for (p = xdp_multiprog__next_prog(NULL, mp); p && !prog_id;
	     p = xdp_multiprog__next_prog(p, mp))
		if (prog_uses_map(xdp_program__id(p), map_id))
			prog_id = xdp_program__id(p);
	xdp_multiprog__close(mp);
	/* the extension's link: a tracing link to our program */
	while (prog_id && err == -ENOENT && !bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.prog_id == prog_id)
			err = bpf_obj_pin(fd, pin) ? -errno : 0;
		close(fd);
	}
	return err;
}

bool net_xdp_multiprog(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	bool ret;

	if (libxdp_get_error(mp) || !mp)
		return false;
	ret = !xdp_multiprog__is_legacy(mp);
	xdp_multiprog__close(mp);
	return ret;
}

static __u32 pinned_link_id(const char *pin)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info), id = 0;
	int fd = bpf_obj_get(pin);

	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		id = info.id;
	close(fd);
	return id;
}

/* Unpin @dir/<x>-link if it is link @id, and its <x>-prog: 1 if it was. */
static int unpin_component(const char *dir, const char *name, __u32 id)
{
	size_t n = strlen(name);
	char path[PATH_MAX];

	if (n < 5 || strcmp(name + n - 5, "-link") ||
	    path_fmt(path, sizeof(path), "%s/%s", dir, name) ||
	    pinned_link_id(path) != id)
		return 0;
	if (unlink(path))
		return -errno;
	strcpy(path + strlen(path) - 5, "-prog");
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 1;
}

int net_xdp_unpin_orphan(const char *pin)
{
	const char *xdp_dir = getenv("LIBXDP_BPFFS") ?: "/sys/fs/bpf/xdp";
	char dir[PATH_MAX];
	struct dirent *de, *e;
	int lock, ret, err = 0;
	__u32 id = pinned_link_id(pin);
	DIR *d = NULL, *sub;

	if (!id)
		return 0;
	/* libxdp's lock: an flock on its directory (xdp_lock_acquire()) */
	lock = open(xdp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(lock, LOCK_EX) || !(d = opendir(xdp_dir))) {
		err = -errno;
		goto cleanup;
	}
	while (!err && (de = readdir(d))) {
		if (strncmp(de->d_name, "dispatch-", strlen("dispatch-")) ||
		    path_fmt(dir, sizeof(dir), "%s/%s", xdp_dir, de->d_name) ||
		    !(sub = opendir(dir)))
			continue;
		ret = 0;
		while (!ret && (e = readdir(sub)))
			ret = unpin_component(dir, e->d_name, id);
		closedir(sub);
		/* the dispatcher's last component: its directory goes too */
		if (ret > 0)
			rmdir(dir);
		err = ret < 0 ? ret : 0;
	}
cleanup:
	if (d)
		closedir(d);
	close(lock);
	return err;
}

int net_xdp_detach(int ifindex, __u32 map_id)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	enum xdp_attach_mode mode;
	int err = 0;

	libxdp_set_print(libxdp_print);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	/* no interface, or no XDP program on it: nothing of ours either */
	if (libxdp_get_error(mp) || !mp)
		return 0;
	mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && prog_uses_map(xdp_program__id(p), map_id))
			err = xdp_program__detach(p, ifindex, mode, 0);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (!prog_uses_map(xdp_program__id(p), map_id))
				continue;
			err = xdp_program__detach(p, ifindex, mode, 0);
			break;
		}
	}
	xdp_multiprog__close(mp);
	return err;
}

bool net_tcx_supported(int ifindex)
{
	__u32 cnt = 0;

	/* kernels without tcx reject the attach type: -EINVAL */
	return !bpf_prog_query(ifindex, NET_TCX_EGRESS, 0, NULL, NULL, &cnt);
}

int net_tcx_attach(int prog_fd, int ifindex, int attach_type, const char *pin)
{
	int fd, err;

	/* libbpf 1.1 passes target_fd, which is target_ifindex's union twin */
	fd = bpf_link_create(prog_fd, ifindex, attach_type, NULL);
	if (fd < 0)
		return fd;
	err = bpf_obj_pin(fd, pin) ? -errno : 0;
	close(fd);
	return err;
}

/*
 * An rtnetlink dump of tc objects (RTM_GETTFILTER, RTM_GETQDISC) for @t;
 * @match says whether a reply counts. Returns the count, or -errno.
 * (libbpf can query one filter, not list them.)
 */
static int tc_dump(int type, const struct tcmsg *t,
		   bool (*match)(const struct tcmsg *want,
				 const struct nlmsghdr *got))
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg t;
	} req = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
			.nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.t = *t,
	};
	int reply = type - 2; /* RTM_GET* answers with RTM_NEW* */
	char buf[16384];
	struct nlmsghdr *nh;
	int fd, n, count = 0, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto cleanup;
	}
	while (!done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (!n)
			break;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (__u32)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (nh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				done = true;
			} else if (nh->nlmsg_type == reply &&
				   match(t, nh)) {
				count++;
			}
		}
	}
cleanup:
	close(fd);
	return err ? err : count;
}

static bool any_filter(const struct tcmsg *want, const struct nlmsghdr *nh)
{
	const struct tcmsg *got = NLMSG_DATA(nh);

	return got->tcm_ifindex == want->tcm_ifindex;
}

/* clsact and ingress (which excludes it) both sit at ffff:fff1 */
static bool clsact_slot(const struct tcmsg *want, const struct nlmsghdr *nh)
{
	const struct tcmsg *got = NLMSG_DATA(nh);

	return got->tcm_ifindex == want->tcm_ifindex &&
	       got->tcm_parent == TC_H_CLSACT;
}

static bool clsact_qdisc(const struct tcmsg *want, const struct nlmsghdr *nh)
{
	const struct rtattr *rta = TCA_RTA(NLMSG_DATA(nh));
	int len = NLMSG_PAYLOAD(nh, sizeof(struct tcmsg));

	if (!clsact_slot(want, nh))
		return false;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == TCA_KIND)
			return !strcmp(RTA_DATA(rta), "clsact");
	return false;
}

static int tc_filter_count(int ifindex, __u32 parent)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
			   .tcm_parent = parent };

	return tc_dump(RTM_GETTFILTER, &t, any_filter);
}

/* 1: clsact is there, 0: nothing is, -EBUSY: an ingress qdisc is. */
static int tc_clsact_exists(int ifindex)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex };
	int n = tc_dump(RTM_GETQDISC, &t, clsact_qdisc);

	if (n)
		return n < 0 ? n : 1;
	n = tc_dump(RTM_GETQDISC, &t, clsact_slot);
	return n > 0 ? -EBUSY : n;
}

#define CLSACT_INGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define CLSACT_EGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)

int net_tc_probe(int ifindex, bool *clsact, __u32 *prio)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE);
	int n = tc_clsact_exists(ifindex), err;
	libbpf_print_fn_t old_print;
	__u32 p;

	if (n < 0)
		return n;
	*clsact = n > 0;
	*prio = TC_PRIO_FIRST;
	if (!*clsact)
		return 0;
	old_print = quiet();
	for (p = TC_PRIO_FIRST; p < TC_PRIO_FIRST + TC_PRIO_NR; p++) {
		opts.priority = p;
		opts.prog_id = 0;
		err = bpf_tc_query(&hook, &opts);
		/* no filter there: ENOENT, or EINVAL when the chain is empty */
		if (err == -ENOENT || err == -EINVAL) {
			*prio = p;
			break;
		}
	}
	libbpf_set_print(old_print);
	return p < TC_PRIO_FIRST + TC_PRIO_NR ? 0 : -ENOSPC;
}

int net_tc_attach(int prog_fd, int ifindex, __u32 prio)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
			    .priority = prio, .prog_fd = prog_fd);
	libbpf_print_fn_t old_print = quiet();
	int err;

	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(old_print);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

int net_tc_detach(int ifindex, __u32 prio, __u32 map_id, bool own_qdisc)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
			    .priority = prio);
	libbpf_print_fn_t old_print = quiet();
	int err;

	err = bpf_tc_query(&hook, &opts);
	libbpf_set_print(old_print);
	if (!err && prog_uses_map(opts.prog_id, map_id)) {
		opts.prog_id = 0;
		opts.prog_fd = 0;
		opts.flags = 0;
		err = bpf_tc_detach(&hook, &opts);
		if (err)
			return err;
	}
	if (!own_qdisc || tc_filter_count(ifindex, CLSACT_EGRESS) != 0 ||
	    tc_filter_count(ifindex, CLSACT_INGRESS) != 0)
		return 0;
	/* both hooks: bpf_tc_hook_destroy() removes the qdisc only so */
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	return bpf_tc_hook_destroy(&hook);
}

int net_ns_current(struct net_ns *ns)
{
	socklen_t len = sizeof(ns->cookie);
	struct stat st;
	int fd;

	if (stat(NS_SELF, &st))
		return -errno;
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	/* a socket belongs to the namespace of the thread that made it */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* before 5.14, ENOPROTOOPT: the cookie stays unknown */
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &ns->cookie, &len))
		ns->cookie = 0;
	close(fd);
	return 0;
}

bool net_ns_same(const struct net_ns *a, const struct net_ns *b)
{
	return a->dev == b->dev && a->ino == b->ino &&
	       (!a->cookie || !b->cookie || a->cookie == b->cookie);
}

/* An fd for the namespace file @path if it is @ns's inode, else -1. */
static int ns_open(const char *path, const struct net_ns *ns)
{
	struct stat st;
	int fd;

	/* stat() first: most files do not match, and open() costs more */
	if (stat(path, &st) || st.st_dev != ns->dev || st.st_ino != ns->ino)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* the process may have exited since, and its pid been reused */
	if (fstat(fd, &st) || st.st_dev != ns->dev || st.st_ino != ns->ino) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Where @ns lives on: a name `ip netns add` bind-mounted under /run/netns,
 * or a process in it (a namespace held only by an fd is not found).
 */
static int ns_find(const struct net_ns *ns, char *where, size_t sz)
{
	char path[PATH_MAX], comm[32] = "?";
	struct dirent *de;
	int fd = -1;
	FILE *f;
	DIR *d;

	d = opendir("/run/netns");
	while (d && fd < 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    path_fmt(path, sizeof(path), "/run/netns/%s", de->d_name))
			continue;
		fd = ns_open(path, ns);
		if (fd >= 0)
			snprintf(where, sz, "%s", de->d_name);
	}
	if (d)
		closedir(d);
	d = fd < 0 ? opendir("/proc") : NULL;
	while (d && fd < 0 && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    path_fmt(path, sizeof(path), "/proc/%s/ns/net", de->d_name))
			continue;
		fd = ns_open(path, ns);
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (f && fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		if (f)
			fclose(f);
		snprintf(where, sz, "of pid %s (%s)", de->d_name, comm);
	}
	if (d)
		closedir(d);
	return fd >= 0 ? fd : -ENOENT;
}

int net_ns_enter(const struct net_ns *ns, int *back, char *where, size_t sz)
{
	struct net_ns cur;
	int fd, err;

	*back = -1;
	snprintf(where, sz, "net:[%llu]", (unsigned long long)ns->ino);
	err = net_ns_current(&cur);
	if (err)
		return err;
	/* the same inode with another cookie: ours died, this one took it */
	if (cur.dev == ns->dev && cur.ino == ns->ino)
		return net_ns_same(&cur, ns) ? 0 : -ENOENT;
	fd = ns_find(ns, where, sz);
	if (fd < 0)
		return fd;
	*back = open(NS_SELF, O_RDONLY | O_CLOEXEC);
	if (*back < 0) {
		err = -errno;
		goto cleanup;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		goto cleanup;
	}
	err = net_ns_current(&cur);
	if (!err && !net_ns_same(&cur, ns)) {
		snprintf(where, sz, "net:[%llu]", (unsigned long long)ns->ino);
		err = -ENOENT;
	}
cleanup:
	close(fd);
	if (err && *back >= 0) {
		/* a failed return leaves us elsewhere: that error wins */
		err = net_ns_leave(*back) ?: err;
		*back = -1;
	}
	return err;
}

int net_ns_leave(int back)
{
	int err = 0;

	if (back < 0)
		return 0;
	if (setns(back, CLONE_NEWNET))
		err = -errno;
	close(back);
	return err;
}

__u32 net_prog_alive(enum bpf_prog_type type, __u32 map_id)
{
	__u32 id = 0;

	while (!bpf_prog_get_next_id(id, &id))
		if (prog_is(id, type, map_id))
			return id;
	return 0;
}
