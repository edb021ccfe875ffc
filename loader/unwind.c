// SPDX-License-Identifier: GPL-2.0
/*
 * Unwind tables: shared maps, filled at load and by `refresh` (unwind.h).
 * The images a process executes are found in /proc/PID/maps by the same
 * identity BPF reads from a VMA's inode (s_dev, i_ino, i_size), and opened
 * through /proc/PID/map_files, so an image in another mount namespace (a
 * container) or one deleted since it was mapped still compiles.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pin_layout.h"
#include "python.h"
#include "rodata.h"
#include "target.h"
#include "unwind.h"
#include "unwind_table.h"
#include "vdso.h"
#include "../progs/unwind.h"

#define UNWIND_MEM_DEFAULT (32ULL << 20)

/* The shared maps, by the names both BPF objects give them. */
static const char *const shared_maps[] = {
	"unwind_files",
	"unwind_tables",
	"unwind_rows",
	"unwind_wanted",
};
#define NR_SHARED (sizeof(shared_maps) / sizeof(shared_maps[0]))

struct unw_fds {
	int fd[NR_SHARED]; /* in shared_maps[] order */
};

enum { FD_FILES, FD_TABLES, FD_ROWS, FD_WANTED };

static void fds_close(struct unw_fds *f)
{
	size_t i;

	for (i = 0; i < NR_SHARED; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
	}
}

/*
 * The shared maps as some instance pinned them: 0, -ENOENT when no
 * instance has them, or -errno.
 */
static int fds_find(struct unw_fds *f)
{
	char path[PATH_MAX], **names = NULL;
	int i, n, err = -ENOENT;
	const char *dir;
	size_t j;

	for (j = 0; j < NR_SHARED; j++)
		f->fd[j] = -1;
	n = inst_list(&names);
	if (n < 0)
		return n;
	for (i = 0; names[i] && err == -ENOENT; i++) {
		for (j = 0; j < NR_SHARED; j++) {
			dir = pin_is_state(shared_maps[j]) ? PIN_STATE_DIR
							   : "maps";
			if (path_fmt(path, sizeof(path), "%s/%s/%s/%s",
				     pin_root(), names[i], dir, shared_maps[j]))
				break;
			f->fd[j] = bpf_obj_get(path);
			if (f->fd[j] < 0)
				break;
		}
		if (j == NR_SHARED)
			err = 0;
		else
			fds_close(f);
	}
	strv_free(names);
	return err;
}

/* The kernel walks VMAs we can follow: the maple tree (6.1+). */
static bool kernel_has_maple_tree(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool ok;

	if (!vmlinux)
		return false;
	ok = btf__find_by_name_kind(vmlinux, "maple_range_64",
				    BTF_KIND_STRUCT) > 0;
	btf__free(vmlinux);
	return ok;
}

static bool has_unwind_maps(struct bpf_object *obj)
{
	return bpf_object__find_map_by_name(obj, "unwind_rows") &&
	       rodata_has(obj, "stack_fp_only");
}

static bool fp_only(struct load_ctx *ctx)
{
	bool *v = rodata_var(ctx->obj, "stack_fp_only", NULL);

	return v && *v;
}

int unwind_prepare(struct load_ctx *ctx)
{
	const char *mem = ctx_opt(ctx, "unwind-mem");
	unsigned long long bytes = UNWIND_MEM_DEFAULT;
	struct unw_fds f;
	struct bpf_map *map;
	char why[128];
	size_t i;
	int err;

	if (!has_unwind_maps(ctx->obj))
		return 0;
	if (mem && (parse_size(mem, &bytes) ||
		    bytes < sizeof(struct unw_krow) || bytes > (4ULL << 30))) {
		p_err("%s: --unwind-mem %s: expected a size from 8 to 4G",
		      ctx->inst, mem);
		return -EINVAL;
	}
	if (!fp_only(ctx) && !kernel_has_maple_tree()) {
		p_info("%s: this kernel's VMAs are not a maple tree (< 6.1): user stacks by frame pointers only",
		       ctx->inst);
		err = rodata_set(ctx->obj, "stack_fp_only", "1", why,
				 sizeof(why));
		if (err) {
			p_err("%s: %s", ctx->inst, why);
			return err;
		}
	}
	err = fds_find(&f);
	if (err == -ENOENT) {
		/* the first instance: its maps become the shared ones */
		map = bpf_object__find_map_by_name(ctx->obj, "unwind_rows");
		return bpf_map__set_max_entries(
			map, bytes / sizeof(struct unw_krow));
	}
	if (err)
		return err;
	if (mem)
		p_info("%s: --unwind-mem %s: the tables are shared and already sized by a loaded instance",
		       ctx->inst, mem);
	for (i = 0; i < NR_SHARED && !err; i++) {
		map = bpf_object__find_map_by_name(ctx->obj, shared_maps[i]);
		err = map ? bpf_map__reuse_fd(map, f.fd[i]) : -ENOENT;
		if (err)
			p_err("%s: cannot share map %s: %s", ctx->inst,
			      shared_maps[i], strerror(-err));
	}
	fds_close(&f);
	return err;
}

/* An image as /proc/PID/maps shows it: the key BPF builds, and where. */
struct image_ref {
	struct unw_file_key key;
	unsigned long start, end;
	char path[PATH_MAX];
};

/*
 * Parse one /proc/PID/maps line into @r: 1 for an executable file
 * mapping, 0 for anything else.
 */
static int maps_line(const char *line, struct image_ref *r)
{
	unsigned long long off, ino;
	unsigned int maj, min;
	char perms[8];
	int n = 0;

	if (sscanf(line, "%lx-%lx %7s %llx %x:%x %llu %n", &r->start, &r->end,
		   perms, &off, &maj, &min, &ino, &n) < 7 ||
	    perms[2] != 'x' || !ino || !n || line[n] != '/')
		return 0;
	snprintf(r->path, sizeof(r->path), "%s", line + n);
	r->path[strcspn(r->path, "\n")] = '\0';
	memset(&r->key, 0, sizeof(r->key));
	r->key.ino = ino;
	r->key.dev = maj << 20 | min; /* the kernel's dev_t, as s_dev */
	return 1;
}

struct fill {
	struct unw_fds f;
	__u32 rows_used, rows_max;
	int images, rows, no_cfi, failed, full;
};

/* Rows in use: the end of the last table (tables only ever get added). */
static int rows_used(struct fill *fl)
{
	struct unw_table t;
	__u64 key, *prev = NULL;

	fl->rows_used = 0;
	while (!bpf_map_get_next_key(fl->f.fd[FD_TABLES], prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fl->f.fd[FD_TABLES], &key, &t))
			continue;
		if (t.first + t.nr > fl->rows_used)
			fl->rows_used = t.first + t.nr;
	}
	return 0;
}

/* @r packed for the map; a rule BPF cannot follow becomes UNW_CFA_NONE. */
static struct unw_krow pack_row(const struct unw_row *r)
{
	struct unw_krow k = { .off = r->off, .rules = UNW_CFA_NONE };

	if (r->cfa == UNW_CFA_SIGNAL &&
	    (r->cfa_off != UNW_SIG_RSP || r->rbp_off != UNW_SIG_RBP ||
	     r->ra_off != UNW_SIG_RIP))
		return k;
	if (r->cfa > UNW_CFA_NONE || r->rbp > UNW_RBP_UNDEF)
		return k;
	if (r->cfa != UNW_CFA_SIGNAL && r->rbp == UNW_RBP_CFA &&
	    (r->rbp_off % 8 || r->rbp_off / 8 < -128 || r->rbp_off / 8 > 127))
		return k;
	k.rules = r->cfa | (r->cfa == UNW_CFA_SIGNAL ? 0 : r->rbp << 4);
	k.rbp_off8 = r->cfa == UNW_CFA_SIGNAL ? 0 : r->rbp_off / 8;
	k.cfa_off = r->cfa_off;
	return k;
}

/* Write @img's rows at fl->rows_used: 0, or -errno (-ENOSPC: full). */
static int put_rows(struct fill *fl, const struct unw_image *img)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct unw_krow *vals;
	__u32 *keys, i, n = img->nr;
	int err = 0;

	if (n > fl->rows_max - fl->rows_used)
		return -ENOSPC;
	keys = calloc(n, sizeof(*keys));
	vals = calloc(n, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		keys[i] = fl->rows_used + i;
		vals[i] = pack_row(&img->rows[i]);
	}
	if (bpf_map_update_batch(fl->f.fd[FD_ROWS], keys, vals, &n, &opts))
		err = -errno;
cleanup:
	free(keys);
	free(vals);
	return err;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * The table of the image @r of process @pid, unless unwind_files has it:
 * 1 when added, 0 when known already, -errno.
 */
static int add_image_fd(struct fill *fl, int fd, struct image_ref *r);

static int add_image(struct fill *fl, int pid, struct image_ref *r)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", pid,
		 r->start, r->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_ino != r->key.ino) {
		err = -ESTALE; /* remapped since /proc/PID/maps was read */
	} else {
		r->key.size = st.st_size;
		err = add_image_fd(fl, fd, r);
	}
	close(fd);
	return err;
}

/* The table of the image open at @fd, known to BPF by r->key. */
static int add_image_fd(struct fill *fl, int fd, struct image_ref *r)
{
	struct unw_image img = {};
	struct unw_file_val fv = {};
	struct unw_table t = {};
	int err;

	if (!bpf_map_lookup_elem(fl->f.fd[FD_FILES], &r->key, &fv)) {
		err = 0;
		goto cleanup;
	}
	err = unw_image_compile_fd(fd, &img);
	if (err && err != -ENODATA) {
		p_debug("unwind: %s: %s", r->path, strerror(-err));
		fl->failed++;
		goto cleanup;
	}
	python_image(fd, r->path, &fv);
	if (img.build_id_size) {
		memcpy(fv.build_id, img.build_id, sizeof(fv.build_id));
		fv.build_id_size = img.build_id_size;
	}
	if (err == -ENODATA) {
		fl->no_cfi++; /* known, but walked by frame pointers */
	} else if (bpf_map_lookup_elem(fl->f.fd[FD_TABLES], &img.table_id,
				       &t)) {
		err = put_rows(fl, &img);
		if (err == -ENOSPC) {
			if (!fl->full++)
				p_info("unwind: the tables' bound (--unwind-mem) is reached at %s: it and later images get frame-pointer stacks",
				       r->path);
			goto cleanup; /* no entry: refresh tries again */
		}
		if (err)
			goto cleanup;
		memset(&t, 0, sizeof(t));
		snprintf(t.name, sizeof(t.name), "%.47s", base_name(r->path));
		t.first = fl->rows_used;
		t.nr = img.nr;
		t.text_bytes = img.text_bytes;
		t.users = 1;
		if (bpf_map_update_elem(fl->f.fd[FD_TABLES], &img.table_id, &t,
					BPF_NOEXIST)) {
			err = -errno;
			goto cleanup;
		}
		fl->rows_used += img.nr;
		fl->rows += img.nr;
		fv.table_id = img.table_id;
	} else {
		/* the same image under another identity: one table */
		t.users++;
		bpf_map_update_elem(fl->f.fd[FD_TABLES], &img.table_id, &t,
				    BPF_EXIST);
		fv.table_id = img.table_id;
	}
	if (bpf_map_update_elem(fl->f.fd[FD_FILES], &r->key, &fv, BPF_ANY)) {
		err = -errno;
		goto cleanup;
	}
	bpf_map_delete_elem(fl->f.fd[FD_WANTED], &r->key);
	fl->images++;
	err = 1;
cleanup:
	unw_image_free(&img);
	return err;
}

/*
 * The vDSO, which has no file: ours is the one every process of this
 * kernel maps, so its table is compiled from a copy of our own, under
 * the key BPF gives it (no device or inode, its size).
 */
static void add_vdso(struct fill *fl)
{
	struct image_ref r = {};
	size_t size;
	int fd;

	fd = pm_vdso_memfd(&size);
	if (fd < 0)
		return;
	r.key.size = size;
	snprintf(r.path, sizeof(r.path), "[vdso]");
	add_image_fd(fl, fd, &r);
	close(fd);
}

/* Every executable image of @pid. */
static void add_process(struct fill *fl, int pid)
{
	struct image_ref r;
	char path[64], line[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return; /* gone: nothing to unwind */
	while (fgets(line, sizeof(line), f)) {
		if (!maps_line(line, &r))
			continue;
		add_image(fl, pid, &r);
	}
	fclose(f);
}

static int fill_open(struct fill *fl, struct load_ctx *ctx)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct bpf_map *map;
	size_t i;

	memset(fl, 0, sizeof(*fl));
	for (i = 0; i < NR_SHARED; i++)
		fl->f.fd[i] = -1;
	if (ctx) {
		for (i = 0; i < NR_SHARED; i++) {
			map = bpf_object__find_map_by_name(ctx->obj,
							   shared_maps[i]);
			fl->f.fd[i] = map ? dup(bpf_map__fd(map)) : -1;
			if (fl->f.fd[i] < 0)
				return -ENOENT;
		}
	} else if (fds_find(&fl->f)) {
		return -ENOENT;
	}
	if (bpf_obj_get_info_by_fd(fl->f.fd[FD_ROWS], &info, &len))
		return -errno;
	fl->rows_max = info.max_entries;
	return rows_used(fl);
}

static void fill_report(struct fill *fl, const char *what)
{
	p_debug("unwind: %s: %d images, %d rows (%u of %u used), %d without CFI, %d unreadable",
		what, fl->images, fl->rows, fl->rows_used, fl->rows_max,
		fl->no_cfi, fl->failed);
}

int unwind_fill(struct load_ctx *ctx, int pid, const char *comm)
{
	struct dirent *de;
	struct fill fl;
	DIR *d;
	int err, p;

	if (!has_unwind_maps(ctx->obj) || fp_only(ctx))
		return 0;
	err = python_fill_abis(ctx->obj);
	if (err) {
		p_err("%s: cannot fill map py_abis: %s", ctx->inst,
		      strerror(-err));
		return err;
	}
	err = fill_open(&fl, ctx);
	if (err)
		goto cleanup;
	add_vdso(&fl);
	if (pid > 0) {
		add_process(&fl, pid);
	} else {
		d = opendir("/proc");
		if (!d) {
			err = -errno;
			goto cleanup;
		}
		while ((de = readdir(d))) {
			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			p = atoi(de->d_name);
			if (comm && *comm && !target_comm_is(p, comm))
				continue;
			add_process(&fl, p);
		}
		closedir(d);
	}
	fill_report(&fl, ctx->inst);
cleanup:
	fds_close(&fl.f);
	return err;
}

int unwind_refresh(void)
{
	struct unw_file_key key, next, *prev = NULL;
	struct unw_wanted w;
	struct fill fl;
	int lock, err, gone = 0;

	lock = pin_root_lock();
	if (lock < 0)
		return lock;
	err = fill_open(&fl, NULL);
	if (err == -ENOENT) {
		p_info("refresh: no instance keeps unwind tables");
		err = 0;
		goto cleanup;
	}
	if (err)
		goto cleanup;
	add_vdso(&fl);
	/* deleting as we go: restart from the top after each delete */
	while (!bpf_map_get_next_key(fl.f.fd[FD_WANTED], prev, &next)) {
		key = next;
		if (bpf_map_lookup_elem(fl.f.fd[FD_WANTED], &key, &w)) {
			prev = &key;
			continue;
		}
		bpf_map_delete_elem(fl.f.fd[FD_WANTED], &key);
		prev = NULL;
		if (kill(w.tgid, 0) && errno == ESRCH) {
			gone++;
			continue;
		}
		/* all of its images: a walk that stopped at this one has
		 * not met those further up its stacks yet */
		add_process(&fl, w.tgid);
	}
	if (json_output)
		printf("{\"images\":%d,\"rows\":%d,\"rows_used\":%u,\"rows_max\":%u,\"no_cfi\":%d,\"unreadable\":%d,\"gone\":%d}\n",
		       fl.images, fl.rows, fl.rows_used, fl.rows_max, fl.no_cfi,
		       fl.failed, gone);
	else
		printf("refresh: %d images added, %d rows (%u of %u used), %d without CFI, %d unreadable, %d processes gone\n",
		       fl.images, fl.rows, fl.rows_used, fl.rows_max,
		       fl.no_cfi, fl.failed, gone);
cleanup:
	fds_close(&fl.f);
	close(lock);
	return err;
}
