// SPDX-License-Identifier: GPL-2.0
/*
 * Opening an instance: its maps read-only, its BTF, and the checks the pin
 * contract asks for before anything is decoded.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"
#include "schema.h"

#define PBTF_MAGIC 0x46544250 /* "PBTF" little-endian */

const char *pm_map_type_str(__u32 type, char *buf, size_t sz)
{
	const char *s = libbpf_bpf_map_type_str(type);

	if (s)
		return s;
	snprintf(buf, sz, "type %u", type);
	return buf;
}

/* What kind of bpf object an fd is, from its anon inode name. */
static const char *bpf_fd_kind(int fd)
{
	static char target[64];
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return "unknown";
	target[n] = '\0';
	if (!strcmp(target, "anon_inode:bpf-map"))
		return "map";
	if (!strcmp(target, "anon_inode:bpf-prog"))
		return "program";
	if (!strcmp(target, "anon_inode:bpf_link") ||
	    !strcmp(target, "anon_inode:bpf-link"))
		return "link";
	if (!strncmp(target, "anon_inode:", 11))
		return target + 11;
	return target;
}

/*
 * The kernel refuses BPF_F_RDONLY for program and link pins (-EINVAL), so
 * a failed read-only open is retried plainly to say what the pin is.
 */
static int open_map_pin(const char *path, const char *what)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	int fd, err, fd2;

	fd = bpf_obj_get_opts(path, &opts);
	if (fd >= 0) {
		if (strcmp(bpf_fd_kind(fd), "map")) {
			p_err("%s: not a map but a bpf %s", what,
			      bpf_fd_kind(fd));
			close(fd);
			return -EPROTO;
		}
		return fd;
	}
	err = -errno;
	if (err == -EINVAL) {
		fd2 = bpf_obj_get(path);
		if (fd2 >= 0) {
			p_err("%s: not a map but a bpf %s", what,
			      bpf_fd_kind(fd2));
			close(fd2);
			return -EPROTO;
		}
	}
	p_err("%s: cannot open pin: %s", what, strerror(-err));
	return err;
}

/* The btf pin: an array map whose one value is magic, len, raw BTF. */
static int load_btf_pin(const char *dir, const char *inst, struct btf **out)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0, *hdr;
	char path[PATH_MAX], what[128];
	void *val = NULL;
	int fd, err;

	*out = NULL;
	snprintf(what, sizeof(what), "%s: %s", inst, PIN_BTF_NAME);
	err = path_fmt(path, sizeof(path), "%s/%s", dir, PIN_BTF_NAME);
	if (err)
		return err;
	if (access(path, F_OK))
		return 0; /* optional: maps fall back to their kernel BTF */
	fd = open_map_pin(path, what);
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err) {
		err = -errno;
		p_err("%s: map info: %s", what, strerror(-err));
		goto cleanup;
	}
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 ||
	    info.value_size < 8) {
		err = -EPROTO;
		p_err("%s: not a BTF pin (type %u, key %u, value %u bytes)",
		      what, info.type, info.key_size, info.value_size);
		goto cleanup;
	}
	val = malloc(info.value_size);
	if (!val) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (bpf_map_lookup_elem(fd, &key, val)) {
		err = -errno;
		p_err("%s: lookup: %s", what, strerror(-err));
		goto cleanup;
	}
	hdr = val;
	if (hdr[0] != PBTF_MAGIC || hdr[1] > info.value_size - 8) {
		err = -EPROTO;
		p_err("%s: bad header (magic %#x, length %u of %u bytes)", what,
		      hdr[0], hdr[1], info.value_size - 8);
		goto cleanup;
	}
	*out = btf__new((char *)val + 8, hdr[1]);
	if (!*out) {
		p_err("%s: invalid BTF: %s", what, strerror(errno));
		err = -EPROTO; /* what is pinned is not what we pin */
		*out = NULL;
	}
cleanup:
	free(val);
	close(fd);
	return err;
}

static bool map_type_decodable(__u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	default:
		return false;
	}
}

static bool map_type_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* The contract's size check: the kernel's sizes against the BTF's. */
static int check_size(const struct pm_map *m, const char *part, __u32 tid,
		      __u32 size)
{
	const struct btf_type *t;
	char desc[160];
	__s64 bsz;

	if (!tid)
		return 0;
	t = btf__type_by_id(m->btf, tid);
	if (!t) {
		p_err("%s: %s type id %u not in its BTF", m->what, part, tid);
		return -EPROTO;
	}
	bsz = btf__resolve_size(m->btf, tid);
	if (bsz == size)
		return 0;
	pm_btf_type_desc(m->btf, tid, desc, sizeof(desc));
	p_err("%s: %s size %u, but BTF %s is %lld", m->what, part, size, desc,
	      (long long)bsz);
	return -EPROTO;
}

int pm_map_open(const char *path, const char *what, const struct btf *btf,
		struct pm_map **out)
{
	__u32 len = sizeof(struct bpf_map_info);
	const char *base = strrchr(path, '/');
	struct pm_map *m;
	char desc[32];
	int err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = -1;
	snprintf(m->name, sizeof(m->name), "%s", base ? base + 1 : path);
	snprintf(m->what, sizeof(m->what), "%s", what);
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->fd = open_map_pin(path, what);
	if (m->fd < 0) {
		err = m->fd;
		goto cleanup;
	}
	if (bpf_obj_get_info_by_fd(m->fd, &m->info, &len)) {
		err = -errno;
		p_err("%s: map info: %s", what, strerror(-err));
		goto cleanup;
	}
	m->percpu = map_type_percpu(m->info.type);
	m->is_array = m->info.type == BPF_MAP_TYPE_ARRAY ||
		      m->info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	m->key_type_id = m->info.btf_key_type_id;
	m->value_type_id = m->info.btf_value_type_id;
	/* Maps that are not rows (ring buffers, task storage, stacks) are
	 * still part of the instance; only decoding them is refused.
	 */
	if (!map_type_decodable(m->info.type)) {
		*out = m;
		return 0;
	}
	if (!m->value_type_id) {
		p_err("%s: %s map without BTF (not pinned by pinsight?)", what,
		      pm_map_type_str(m->info.type, desc, sizeof(desc)));
		err = -EPROTO;
		goto cleanup;
	}
	if (btf) {
		m->btf = btf;
	} else if (m->info.btf_id) {
		m->own_btf = btf__load_from_kernel_by_id(m->info.btf_id);
		if (!m->own_btf) {
			err = -errno;
			p_err("%s: BTF id %u: %s (no btf pin either)", what,
			      m->info.btf_id, strerror(-err));
			goto cleanup;
		}
		m->btf = m->own_btf;
	}
	err = check_size(m, "key", m->key_type_id, m->info.key_size);
	if (!err)
		err = check_size(m, "value", m->value_type_id,
				 m->info.value_size);
	if (err)
		goto cleanup;
	err = pm_schema_build(m);
	if (err)
		goto cleanup;
	m->decodable = true;
	*out = m;
	return 0;
cleanup:
	pm_map_close(m);
	return err;
}

void pm_map_close(struct pm_map *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	btf__free(m->own_btf);
	free(m->key.fields);
	free(m->value.fields);
	free(m->keys);
	free(m->values);
	free(m);
}

static int cmp_map(const void *a, const void *b)
{
	return strcmp((*(struct pm_map *const *)a)->name,
		      (*(struct pm_map *const *)b)->name);
}

static int open_maps(struct pm_instance *in)
{
	char path[PATH_MAX], what[NAME_MAX + 100];
	struct pm_map **nv, *m;
	struct dirent *de;
	int err = 0;
	DIR *d;

	err = path_fmt(path, sizeof(path), "%s/maps", in->dir);
	if (err)
		return err;
	d = opendir(path);
	if (!d) {
		err = -errno;
		if (err == -ENOENT)
			return 0; /* an instance may keep no maps */
		p_err("%s: maps: %s", in->name, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		err = path_fmt(path, sizeof(path), "%s/maps/%s", in->dir,
			       de->d_name);
		if (err)
			goto cleanup;
		snprintf(what, sizeof(what), "%s: maps/%s", in->name,
			 de->d_name);
		err = pm_map_open(path, what, in->btf, &m);
		/*
		 * One bad pin (already reported) must not hide the other
		 * maps from a scrape: remember it for the exit code.
		 */
		if (err && err != -ENOMEM) {
			if (!in->err)
				in->err = err;
			err = 0;
			continue;
		}
		if (err)
			goto cleanup;
		nv = realloc(in->maps, (in->map_cnt + 1) * sizeof(*nv));
		if (!nv) {
			pm_map_close(m);
			err = -ENOMEM;
			goto cleanup;
		}
		in->maps = nv;
		in->maps[in->map_cnt++] = m;
	}
	if (in->map_cnt) /* in->maps is NULL when no map could be opened */
		qsort(in->maps, in->map_cnt, sizeof(*in->maps), cmp_map);
cleanup:
	closedir(d);
	return err;
}

static void link_names(struct pm_instance *in, struct pm_map *cfg,
		       struct pm_schema *s)
{
	const struct pm_field *v;
	struct pm_field *f;
	int i, j;

	for (i = 0; i < s->cnt; i++) {
		f = &s->fields[i];
		if (!f->names_var[0] || f->kind != PM_K_INT)
			continue;
		for (j = 0; j < cfg->value.cnt; j++) {
			v = &cfg->value.fields[j];
			if (v->kind != PM_K_STRV || strcmp(v->name, f->names_var))
				continue;
			f->names = (const char *)in->rodata + v->off;
			f->names_cnt = v->names_cnt;
			f->names_len = v->names_len;
		}
	}
}

/*
 * pinsight:if=VAR:BIT: a field the instance was configured not to fill
 * (say, a counter not asked for) is left out rather than shown as 0. A
 * VAR that rodata does not have keeps the field.
 */
static void drop_disabled(struct pm_instance *in, struct pm_map *cfg,
			  struct pm_schema *s)
{
	const struct pm_field *v;
	int i, j, n = 0;

	for (i = 0; i < s->cnt; i++) {
		const struct pm_field *f = &s->fields[i];
		bool keep = true;

		for (j = 0; f->if_var[0] && j < cfg->value.cnt; j++) {
			v = &cfg->value.fields[j];
			if (v->kind == PM_K_INT && !strcmp(v->name, f->if_var))
				keep = (pm_field_u64(v, in->rodata) >> f->if_bit) & 1;
		}
		if (keep)
			s->fields[n++] = *f;
	}
	s->cnt = n;
}

/*
 * Fields tagged pinsight:names=VAR show rodata's VAR[value]: read rodata
 * once and point them into a copy. Without it they stay numbers (and
 * pinsight:if= fields stay in).
 */
static int resolve_names(struct pm_instance *in)
{
	struct pm_map *cfg = pm_instance_config(in);
	int i, err;

	if (!cfg || !cfg->decodable || !cfg->datasec)
		return 0;
	err = pm_map_read(cfg);
	if (err || !cfg->nrows)
		return err;
	in->rodata = malloc(cfg->info.value_size);
	if (!in->rodata)
		return -ENOMEM;
	memcpy(in->rodata, pm_row_value(cfg, 0), cfg->info.value_size);
	for (i = 0; i < in->map_cnt; i++) {
		if (!in->maps[i]->decodable || in->maps[i] == cfg)
			continue;
		link_names(in, cfg, &in->maps[i]->key);
		link_names(in, cfg, &in->maps[i]->value);
		drop_disabled(in, cfg, &in->maps[i]->value);
	}
	return 0;
}

/*
 * A "stacks" map the kernel evicts from (profile --stacks-lru): .bss's
 * stack_evictions, which the program cannot know, is read as what
 * pm_stack_evictions() computes, so show, metrics and profile say it.
 */
static void link_evictions(struct pm_instance *in)
{
	struct pm_map *bss = pm_instance_map(in, "bss");
	struct pm_map *stacks = pm_instance_map(in, "stacks");
	int i;

	if (!bss || !stacks || !bss->datasec ||
	    (stacks->info.type != BPF_MAP_TYPE_LRU_HASH &&
	     stacks->info.type != BPF_MAP_TYPE_LRU_PERCPU_HASH))
		return;
	for (i = 0; i < bss->value.cnt; i++)
		if (!strcmp(bss->value.fields[i].name, "stack_evictions") &&
		    bss->value.fields[i].size == 8)
			bss->evict_stacks = stacks;
}

int pm_instance_open(const char *inst, struct pm_instance **out)
{
	struct pm_instance *in;
	struct stat st;
	const char *at;
	int err;

	*out = NULL;
	if (inst_name_check(inst)) {
		p_err("%.80s: not an instance name (<tool> or <tool>@<name>, [A-Za-z0-9_-])",
		      inst);
		return -EINVAL;
	}
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	snprintf(in->name, sizeof(in->name), "%s", inst);
	inst_tool(inst, in->tool, sizeof(in->tool));
	at = strchr(in->name, '@');
	in->label = at ? at + 1 : NULL;
	err = path_fmt(in->dir, sizeof(in->dir), "%s/%s", pin_root(), inst);
	if (err)
		goto cleanup;
	if (stat(in->dir, &st)) {
		err = -errno;
		if (err == -ENOENT)
			p_err("%s: no such instance under %s", inst,
			      pin_root());
		else
			p_err("%s: %s: %s", inst, in->dir, strerror(-err));
		goto cleanup;
	}
	if (!S_ISDIR(st.st_mode)) {
		p_err("%s: %s is not an instance directory (not made by pinsight)",
		      inst, in->dir);
		err = -EPROTO;
		goto cleanup;
	}
	err = load_btf_pin(in->dir, inst, &in->btf);
	if (err)
		goto cleanup;
	err = open_maps(in);
	if (!err)
		err = resolve_names(in);
	if (!err)
		link_evictions(in);
	/* Unloaded while we opened it: say so rather than show it empty. */
	if ((!err || err == -ENOENT) && access(in->dir, F_OK)) {
		p_err("%s: unloaded while being read", inst);
		err = -ENOENT;
	}
	if (err)
		goto cleanup;
	*out = in;
	return 0;
cleanup:
	pm_instance_close(in);
	return err;
}

void pm_instance_close(struct pm_instance *in)
{
	int i;

	if (!in)
		return;
	for (i = 0; i < in->map_cnt; i++)
		pm_map_close(in->maps[i]);
	free(in->maps);
	free(in->rodata);
	btf__free(in->btf);
	free(in);
}

struct pm_map *pm_instance_map(const struct pm_instance *in, const char *name)
{
	int i;

	for (i = 0; i < in->map_cnt; i++)
		if (!strcmp(in->maps[i]->name, name))
			return in->maps[i];
	return NULL;
}

struct pm_map *pm_instance_config(const struct pm_instance *in)
{
	return pm_instance_map(in, "rodata");
}

const struct pm_field *pm_instance_var(const struct pm_instance *in,
				       const char *var)
{
	struct pm_map *cfg = pm_instance_config(in);
	int i;

	/* in->rodata: the copy resolve_names() made at open */
	if (!cfg || !in->rodata)
		return NULL;
	for (i = 0; i < cfg->value.cnt; i++)
		if (!strcmp(cfg->value.fields[i].name, var))
			return &cfg->value.fields[i];
	return NULL;
}
