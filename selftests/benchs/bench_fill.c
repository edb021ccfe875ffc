// SPDX-License-Identifier: GPL-2.0
/*
 * bench fill INST MAP NEW KEYS: make instance NEW (under the pin root) with
 * one map, maps/MAP, of the same type, sizes and BTF as INST's MAP but room
 * for KEYS entries, all filled; and NEW/btf pinned from INST's. Readers then
 * decode it exactly as they would a tool's own map of that size, whatever
 * max_entries the tool was built with.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "log.h"
#include "pin_layout.h"

/* Key i: a string in a leading char[] field if the key has one, else i. */
static void make_key(void *key, __u32 size, const struct btf *btf, __u32 tid,
		     __u32 i)
{
	const struct btf_type *t = btf__type_by_id(btf, tid);
	const struct btf_member *m;
	const struct btf_array *a;
	__u32 len;

	memset(key, 0, size);
	if (t && btf_is_struct(t) && btf_vlen(t)) {
		m = btf_members(t);
		t = btf__type_by_id(btf, m->type);
		if (t && btf_is_array(t) && !m->offset) {
			a = btf_array(t);
			len = a->nelems < size ? a->nelems : size;
			snprintf(key, len, "k%07u", i);
			return;
		}
	}
	memcpy(key, &i, size < 4 ? size : 4);
}

int cmd_fill(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), keys, i, j, chunk, cnt;
	int src = -1, btf_pin = -1, fd = -1, ncpu, err;
	char path[PATH_MAX], dir[PATH_MAX];
	size_t vsz, vlen;
	struct btf *btf = NULL;
	char *kbuf = NULL, *vbuf = NULL;

	if (argc != 5) {
		p_err("fill: usage: bench fill INSTANCE MAP NEW_INSTANCE KEYS");
		return EXIT_USAGE;
	}
	keys = strtoul(argv[4], NULL, 0);
	err = path_fmt(path, sizeof(path), "%s/%s/maps/%s", pin_root(),
		       argv[1], argv[2]);
	if (err)
		goto cleanup;
	src = bpf_obj_get(path);
	if (src < 0 || bpf_obj_get_info_by_fd(src, &info, &len)) {
		err = -errno;
		p_err("%s: %s", path, strerror(-err));
		goto cleanup;
	}
	if (!info.btf_id || !keys) {
		err = -EINVAL;
		p_err("%s: no BTF, or no keys asked for", path);
		goto cleanup;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		err = -errno;
		p_err("%s: BTF %u: %s", path, info.btf_id, strerror(-err));
		goto cleanup;
	}
	mo.btf_fd = bpf_btf_get_fd_by_id(info.btf_id);
	mo.btf_key_type_id = info.btf_key_type_id;
	mo.btf_value_type_id = info.btf_value_type_id;
	mo.map_flags = info.map_flags;
	fd = bpf_map_create(info.type, argv[2], info.key_size, info.value_size,
			    keys, &mo);
	if (fd < 0) {
		err = -errno;
		p_err("%s: create a %u-entry copy: %s", path, keys,
		      strerror(-err));
		goto cleanup;
	}
	ncpu = libbpf_num_possible_cpus();
	vlen = (info.value_size + 7) / 8 * 8;
	vsz = info.type == BPF_MAP_TYPE_PERCPU_HASH ||
	      info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH ? vlen * ncpu : vlen;
	chunk = 1024;
	kbuf = calloc(chunk, info.key_size);
	vbuf = calloc(chunk, vsz);
	if (!kbuf || !vbuf) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* small, varied counts in every 8-byte word of every CPU's value */
	for (i = 0; i < chunk * vsz / 8; i++)
		((__u64 *)vbuf)[i] = i % 997 + 1;
	for (i = 0; i < keys; i += cnt) {
		cnt = keys - i < chunk ? keys - i : chunk;
		for (j = 0; j < cnt; j++)
			make_key(kbuf + j * info.key_size, info.key_size, btf,
				 info.btf_key_type_id, i + j);
		if (bpf_map_update_batch(fd, kbuf, vbuf, &cnt, &bo)) {
			err = -errno;
			p_err("%s: fill at key %u: %s", path, i, strerror(-err));
			goto cleanup;
		}
	}
	err = path_fmt(dir, sizeof(dir), "%s/%s", pin_root(), argv[3]);
	if (!err && (mkdir(dir, 0700) || path_fmt(path, sizeof(path),
						    "%s/maps", dir) ||
		     mkdir(path, 0700))) {
		err = -errno;
		p_err("%s: %s", dir, strerror(-err));
		goto cleanup;
	}
	err = path_fmt(path, sizeof(path), "%s/maps/%s", dir, argv[2]);
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (err) {
		p_err("%s: pin: %s", path, strerror(-err));
		goto cleanup;
	}
	/* the copy's type ids index into the same BTF: share its pin */
	err = path_fmt(path, sizeof(path), "%s/%s/btf", pin_root(), argv[1]);
	btf_pin = err ? -1 : bpf_obj_get(path);
	if (btf_pin >= 0) {
		err = path_fmt(path, sizeof(path), "%s/btf", dir);
		if (!err && bpf_obj_pin(btf_pin, path))
			err = -errno;
		if (err)
			p_err("%s: pin: %s", path, strerror(-err));
	}
cleanup:
	if (mo.btf_fd > 0)
		close(mo.btf_fd);
	if (btf_pin >= 0)
		close(btf_pin);
	if (fd >= 0)
		close(fd);
	if (src >= 0)
		close(src);
	btf__free(btf);
	free(kbuf);
	free(vbuf);
	return exit_code_for(err);
}
