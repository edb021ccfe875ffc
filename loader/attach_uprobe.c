// SPDX-License-Identifier: GPL-2.0
/* Shared uprobe attach code for funclat and memalloc. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "attach_uprobe.h"
#include "elf_syms.h"
#include "log.h"
#include "rodata.h"

#define MAX_CANDIDATES 8

int uprobe_binary(const char *inst, const char *arg, char *buf, size_t sz)
{
	char abs[PATH_MAX];

	if (!strcmp(arg, "libc")) {
		if (elf_libc_path(buf, sz))
			return 0;
		p_err("%s: libc: cannot find this host's C library", inst);
		return -ENOENT;
	}
	if (!realpath(arg, abs)) {
		p_err("%s: binary %s: %s", inst, arg, strerror(errno));
		return errno == ENOENT ? -ENOENT : -errno;
	}
	if (access(abs, R_OK)) {
		p_err("%s: binary %s: %s", inst, arg, strerror(errno));
		return -errno;
	}
	snprintf(buf, sz, "%s", abs);
	return 0;
}

int uprobe_resolve(const char *inst, const char *path, const char *func,
		   bool optional, __u64 *offset)
{
	struct elf_func *c;
	int n, i, err;

	c = calloc(MAX_CANDIDATES, sizeof(*c));
	if (!c)
		return -ENOMEM;
	n = elf_find_func(path, func, c, MAX_CANDIDATES);
	if (n == -ENOEXEC) {
		/* no binary to probe there: exit 3 like a missing file */
		p_err("%s: binary %s: not an ELF file", inst, path);
		err = -ENOENT;
	} else if (n < 0) {
		p_err("%s: binary %s: %s", inst, path, strerror(-n));
		err = n;
	} else if (n == 0) {
		if (!optional)
			p_err("%s: binary %s: no function '%s' in its symbol tables",
			      inst, path, func);
		err = -ENOENT;
	} else if (n > 1) {
		p_err("%s: binary %s: '%s' names %d functions; give one by its symbol:",
		      inst, path, func, n);
		for (i = 0; i < n && i < MAX_CANDIDATES; i++)
			fprintf(stderr, "  %s\n", c[i].name);
		err = -EINVAL;
	} else {
		*offset = c[0].offset;
		p_debug("%s: %s: %s at offset 0x%llx", inst, path, c[0].name,
			(unsigned long long)c[0].offset);
		err = 0;
	}
	free(c);
	return err;
}

void uprobe_skip_null_test(const char *path, __u64 *offset)
{
#if defined(__x86_64__)
	static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const unsigned char test_rdi[] = { 0x48, 0x85, 0xff };
	unsigned char b[16];
	size_t o = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, b, sizeof(b), *offset) != sizeof(b))
		goto out;
	if (!memcmp(b, endbr64, sizeof(endbr64)))
		o += sizeof(endbr64);
	if (memcmp(b + o, test_rdi, sizeof(test_rdi)))
		goto out;
	o += sizeof(test_rdi);
	if (b[o] == 0x74) /* je rel8 */
		o += 2;
	else if (b[o] == 0x0f && b[o + 1] == 0x84) /* je rel32 */
		o += 6;
	else
		goto out;
	p_debug("%s: probing at +%zu, past a NULL test", path, o);
	*offset += o;
out:
	close(fd);
#else
	(void)path;
	(void)offset;
#endif
}

int uprobe_attach_pin(struct load_ctx *ctx, struct bpf_program *prog,
		      const char *path, __u64 offset, bool retprobe,
		      __u64 cookie, unsigned int n)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe,
		    .bpf_cookie = cookie);
	const __u32 *tgid = rodata_var(ctx->obj, "targ_tgid", NULL);
	struct bpf_link *link;
	char name[128];
	int err;

	/* With a pid the kernel installs the breakpoint in that process only */
	link = bpf_program__attach_uprobe_opts(
		prog, tgid && *tgid ? (int)*tgid : -1, path, offset, &opts);
	if (!link) {
		err = -errno;
		p_err("%s: cannot attach %s to %s+0x%llx: %s", ctx->inst,
		      retprobe ? "uretprobe" : "uprobe", path,
		      (unsigned long long)offset, strerror(-err));
		return err;
	}
	/* bpffs refuses dots in names: links/<prog>-<n> */
	snprintf(name, sizeof(name), "%s-%u", bpf_program__name(prog), n);
	return ctx_pin_link(ctx, link, name);
}

/*
 * BPF_LINK_CREATE for uprobe_multi as the kernel lays it out (union
 * bpf_attr, 6.6+): the installed uapi header (6.1) and libbpf 1.1 have
 * no uprobe_multi, so it is spelled out here and the call made directly.
 */
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags; /* BPF_F_UPROBE_MULTI_RETURN */
	__u32 pid;
	__u32 pad;
};

#define UPROBE_MULTI_RETURN 1U

static int uprobe_multi_link(int prog_fd, __u32 attach_type, const char *path,
			     const __u64 *offsets, const __u64 *cookies,
			     unsigned int cnt, bool retprobe, int pid)
{
	struct uprobe_multi_attr a = {
		.prog_fd = prog_fd,
		.attach_type = attach_type,
		.path = (unsigned long)path,
		.offsets = (unsigned long)offsets,
		.cookies = (unsigned long)cookies,
		.cnt = cnt,
		.multi_flags = retprobe ? UPROBE_MULTI_RETURN : 0,
		.pid = pid,
	};
	int fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));

	return fd < 0 ? -errno : fd;
}

/*
 * As libbpf (1.4+) probes it, in two steps. A directory as the path: a
 * kernel with uprobe_multi says EBADF (not a regular file); one without
 * says EINVAL, as 6.1 does for an attach type it does not know. Then with
 * an invalid pid too: a kernel with process-wide pid filtering (the fix
 * memalloc's --pid needs) fails on the pid (EINVAL) before the path.
 */
bool uprobe_multi_supported(void)
{
	static int supported = -1;
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = UPROBE_MULTI_ATTACH_TYPE);
	__u64 offset = 0;
	int prog_fd, fd;

	if (supported >= 0)
		return supported;
	supported = 0;
	if (getenv("PINSIGHT_NO_UPROBE_MULTI"))
		return false;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2,
				&opts);
	if (prog_fd < 0)
		return false;
	fd = uprobe_multi_link(prog_fd, UPROBE_MULTI_ATTACH_TYPE, "/", &offset,
			       NULL, 1, false, 0);
	if (fd == -EBADF) {
		fd = uprobe_multi_link(prog_fd, UPROBE_MULTI_ATTACH_TYPE, "/",
				       &offset, NULL, 1, false, -1);
		supported = fd == -EINVAL;
	}
	if (fd >= 0)
		close(fd);
	close(prog_fd);
	p_debug("uprobe_multi links: %s", supported ? "yes" : "no");
	return supported;
}

int uprobe_multi_attach_pin(struct load_ctx *ctx, struct bpf_program *prog,
			    const char *path, const __u64 *offsets,
			    const __u64 *cookies, unsigned int cnt,
			    bool retprobe, const char *name)
{
	const __u32 *tgid = rodata_var(ctx->obj, "targ_tgid", NULL);
	int fd, err;

	/* the program's own type: uprobe_multi, or a uprobe session */
	fd = uprobe_multi_link(
		bpf_program__fd(prog), bpf_program__expected_attach_type(prog),
		path, offsets, cookies, cnt, retprobe, tgid ? (int)*tgid : 0);
	if (fd < 0) {
		p_err("%s: cannot attach %s to %u functions of %s: %s",
		      ctx->inst, bpf_program__name(prog), cnt, path,
		      strerror(-fd));
		return fd;
	}
	err = ctx_pin_link_fd(ctx, fd, name);
	/* A pinned link outlives this fd: closing it does not detach. */
	close(fd);
	return err;
}
