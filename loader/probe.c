// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "probe.h"

/* @name's type id in the kernel's BTF, or -ENOENT. */
static int vmlinux_id(const char *name, int kind)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id;

	if (!vmlinux)
		return -ENOENT;
	id = btf__find_by_name_kind(vmlinux, name, kind);
	btf__free(vmlinux);
	return id < 0 ? -ENOENT : id;
}

/* Whether the kernel takes @insns: 0, or -errno. */
static int try_load(enum bpf_prog_type type, const struct bpf_insn *insns,
		    size_t n, const struct bpf_prog_load_opts *opts)
{
	int fd = bpf_prog_load(type, NULL, "GPL", insns, n, opts);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int probe_btf_prog(enum bpf_prog_type type, enum bpf_attach_type eat,
		   const char *target, int kind)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = eat);
	int id = vmlinux_id(target, kind);

	if (id < 0)
		return id;
	opts.attach_btf_id = id;
	return try_load(type, insns, 2, &opts);
}

int probe_perf_noprealloc(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_NO_PREALLOC);
	struct bpf_insn insns[] = {
		/* r1 = map (ld_imm64 of a map fd: two instructions) */
		{ .code = 0x18, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD },
		{ 0 },
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	int map_fd, err;

	map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 4, 1, &mopts);
	if (map_fd < 0)
		return -errno;
	insns[0].imm = map_fd;
	err = try_load(BPF_PROG_TYPE_PERF_EVENT, insns, 4, NULL);
	close(map_fd);
	return err;
}

int probe_uprobe_session(void)
{
	struct bpf_insn insns[] = {
		/* call bpf_session_is_return (a kfunc of vmlinux by BTF id) */
		{ .code = 0x85, .src_reg = BPF_PSEUDO_KFUNC_CALL },
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = UPROBE_SESSION_ATTACH_TYPE);
	int id = vmlinux_id("bpf_session_is_return", BTF_KIND_FUNC);

	if (id < 0)
		return id;
	insns[0].imm = id;
	return try_load(BPF_PROG_TYPE_KPROBE, insns, 3, &opts);
}

bool kernel_pads_comm(void)
{
	static int pads = -1;
	unsigned int major = 0, minor = 0;
	struct utsname u;

	if (pads < 0)
		pads = !uname(&u) &&
		       sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
		       (major > 6 || (major == 6 && minor >= 1));
	return pads;
}
