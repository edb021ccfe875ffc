// SPDX-License-Identifier: GPL-2.0
/*
 * OpenTelemetry thread context, resolved at load (otel.h).
 *
 * OTEP 4719 (Process Context): the process maps "OTEL_CTX" (a memfd, or a
 * named anonymous mapping) starting with a header {"OTEL_CTX", u32
 * version 2, u32 payload_size, u64 published_at_ns, payload pointer}; the
 * payload is a protobuf Resource whose attribute
 * threadlocal.schema_version names the thread context's schema. OTEP
 * 4947 (Thread Context): readers look for otel_thread_ctx_v1 only once
 * that key is there. The symbol is an STT_TLS in the .dynsym of the
 * executable or of one library:
 *   - the executable's own (local-exec, or initial-exec relaxed): module
 *     1, whose static TLS block glibc places right below the thread
 *     pointer, so the offset follows from its PT_TLS alone;
 *   - a library's: ld.so decides where its block is, and says so in the
 *     GOT slots its own code reaches the variable through, which are read
 *     from the live process: R_X86_64_TPOFF64 (initial-exec: the static
 *     offset), R_X86_64_TLSDESC (the descriptor's argument: a negative
 *     static offset, or a pointer to {module, offset} for dynamic TLS),
 *     R_X86_64_DTPMOD64 + R_X86_64_DTPOFF64 (general-dynamic: module and
 *     offset, read through the DTV).
 * Local-dynamic (no symbol in the relocation) is not part of the OTEP.
 * The DTV layout is glibc's; musl processes are not resolved correctly.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "otel.h"
#include "pinmaps.h"
#include "target.h"

#define OTEL_SYM	"otel_thread_ctx_v1"
#define OTEL_SCHEMA_KEY "threadlocal.schema_version"
/* a process context payload larger than this is not one we read */
#define OTEL_PAYLOAD_MAX (1u << 20)

#ifndef R_X86_64_DTPMOD64
#define R_X86_64_DTPMOD64 16
#define R_X86_64_DTPOFF64 17
#define R_X86_64_TPOFF64  18
#endif
#ifndef R_X86_64_TLSDESC
#define R_X86_64_TLSDESC 36
#endif

struct otel_ctx_header {
	char signature[8];
	__u32 version;
	__u32 payload_size;
	__u64 published_at_ns;
	__u64 payload;
};

/* @len bytes at @addr of process @pid into @buf: 0 or -errno. */
static int mem_read(pid_t pid, __u64 addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(unsigned long)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* protobuf: a varint at *p (< end), advancing *p; false when cut short */
static bool pb_varint(const __u8 **p, const __u8 *end, __u64 *v)
{
	int shift;

	*v = 0;
	for (shift = 0; *p < end && shift < 64; shift += 7) {
		__u8 b = *(*p)++;

		*v |= (__u64)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/*
 * The next field of the message [*p, end): its number, and for a
 * length-delimited one its bytes in [*val, *val_end). Other wire types
 * are skipped over. false at the end or on a malformed field.
 */
static bool pb_next(const __u8 **p, const __u8 *end, __u64 *field,
		    const __u8 **val, const __u8 **val_end)
{
	__u64 tag, len;

	if (*p >= end || !pb_varint(p, end, &tag))
		return false;
	*field = tag >> 3;
	*val = *val_end = NULL;
	switch (tag & 7) {
	case 0:
		return pb_varint(p, end, &len);
	case 1:
		if (end - *p < 8)
			return false;
		*p += 8;
		return true;
	case 2:
		if (!pb_varint(p, end, &len) || len > (__u64)(end - *p))
			return false;
		*val = *p;
		*val_end = *p + len;
		*p += len;
		return true;
	case 5:
		if (end - *p < 4)
			return false;
		*p += 4;
		return true;
	default:
		return false;
	}
}

/*
 * threadlocal.schema_version of the Resource [p, end) into @schema:
 * 0, or -ENOENT when it has none (a string value).
 */
static int schema_find(const __u8 *p, const __u8 *end, char *schema,
		       size_t size)
{
	const __u8 *kv, *kv_end, *v, *v_end, *a, *a_end, *key = NULL;
	size_t key_len = 0;
	__u64 f;

	while (pb_next(&p, end, &f, &kv, &kv_end)) {
		const __u8 *str = NULL, *str_end = NULL;

		if (f != 1 || !kv) /* Resource.attributes */
			continue;
		while (pb_next(&kv, kv_end, &f, &v, &v_end)) {
			if (f == 1 && v) { /* KeyValue.key */
				key = v;
				key_len = v_end - v;
			} else if (f == 2 && v) { /* KeyValue.value: AnyValue */
				while (pb_next(&v, v_end, &f, &a, &a_end))
					if (f == 1 && a) { /* string_value */
						str = a;
						str_end = a_end;
					}
			}
		}
		if (key && key_len == strlen(OTEL_SCHEMA_KEY) &&
		    !memcmp(key, OTEL_SCHEMA_KEY, key_len) && str &&
		    (size_t)(str_end - str) < size) {
			memcpy(schema, str, str_end - str);
			schema[str_end - str] = '\0';
			return 0;
		}
		key = NULL;
	}
	return -ENOENT;
}

/* One line of /proc/PID/maps. */
struct map_line {
	__u64 start, end, off, ino;
	char path[PATH_MAX];
};

static bool map_parse(const char *line, struct map_line *m)
{
	unsigned long long s, e, off, ino;
	int n = 0;

	if (sscanf(line, "%llx-%llx %*s %llx %*s %llu %n", &s, &e, &off, &ino,
		   &n) < 4)
		return false;
	m->start = s;
	m->end = e;
	m->off = off;
	m->ino = ino;
	snprintf(m->path, sizeof(m->path), "%s", line + n);
	m->path[strcspn(m->path, "\n")] = '\0';
	return true;
}

static bool is_ctx_mapping(const char *path)
{
	/* " (deleted)" follows a memfd's name */
	return !strncmp(path, "/memfd:OTEL_CTX", 15) ||
	       !strncmp(path, "[anon_shmem:OTEL_CTX]", 21) ||
	       !strncmp(path, "[anon:OTEL_CTX]", 15);
}

/*
 * The process context at @addr, read as OTEP 4719 says (header, payload,
 * header again unchanged): its thread-local schema into @schema. 0,
 * -ENOENT (not a context, or no schema), -EAGAIN (being updated), -errno.
 */
static int ctx_read(pid_t pid, __u64 addr, char *schema, size_t size)
{
	struct otel_ctx_header h, again;
	__u8 *payload = NULL;
	int err, tries;

	for (tries = 0; tries < 3; tries++) {
		err = mem_read(pid, addr, &h, sizeof(h));
		if (err)
			return err;
		if (memcmp(h.signature, "OTEL_CTX", 8) ||
		    (h.version != 2 && h.version != 1))
			return -ENOENT;
		if (!h.published_at_ns || h.payload_size > OTEL_PAYLOAD_MAX ||
		    !h.payload) {
			err = -EAGAIN;
			continue;
		}
		free(payload);
		payload = malloc(h.payload_size ? h.payload_size : 1);
		if (!payload)
			return -ENOMEM;
		err = mem_read(pid, h.payload, payload, h.payload_size);
		if (!err)
			err = mem_read(pid, addr, &again, sizeof(again));
		if (err)
			break;
		if (again.published_at_ns != h.published_at_ns) {
			err = -EAGAIN;
			continue;
		}
		err = schema_find(payload, payload + h.payload_size, schema,
				  size);
		break;
	}
	free(payload);
	return err;
}

/* The TLS symbol and segment of one image. */
struct tls_image {
	size_t sym_idx;
	__u64 sym_value; /* offset in the TLS segment */
	__u64 tls_memsz, tls_align, tls_vaddr;
	__u64 first_vaddr; /* lowest PT_LOAD, page-aligned */
};

/*
 * The entries (symbols, relocations) of every section of @type in @e, one
 * at a time: set .e and .type, then call scn_next() until it is false.
 */
struct scn_iter {
	Elf *e;
	Elf64_Word type;
	Elf_Scn *scn;
	GElf_Shdr sh; /* the current entry's section */
	Elf_Data *d; /* and its data */
	size_t i, n; /* the current entry, of n in the section */
};

/* The next entry, it->i of it->d: true, or false past the last one. */
static bool scn_next(struct scn_iter *it)
{
	if (it->scn && ++it->i < it->n)
		return true;
	while ((it->scn = elf_nextscn(it->e, it->scn))) {
		if (!gelf_getshdr(it->scn, &it->sh) ||
		    it->sh.sh_type != it->type || !it->sh.sh_entsize)
			continue;
		it->d = elf_getdata(it->scn, NULL);
		it->n = it->d ? it->sh.sh_size / it->sh.sh_entsize : 0;
		it->i = 0;
		if (it->n)
			return true;
	}
	return false;
}

/* otel_thread_ctx_v1 in @e's .dynsym: 0, or -ENOENT. */
static int tls_sym(Elf *e, struct tls_image *ti)
{
	struct scn_iter it = { .e = e, .type = SHT_DYNSYM };
	const char *name;
	GElf_Sym s;

	while (scn_next(&it)) {
		if (!gelf_getsym(it.d, it.i, &s) ||
		    GELF_ST_TYPE(s.st_info) != STT_TLS ||
		    s.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(e, it.sh.sh_link, s.st_name);
		if (name && !strcmp(name, OTEL_SYM)) {
			ti->sym_idx = it.i;
			ti->sym_value = s.st_value;
			return 0;
		}
	}
	return -ENOENT;
}

static int tls_segment(Elf *e, struct tls_image *ti)
{
	bool have_tls = false, have_load = false;
	GElf_Phdr ph;
	size_t i, n;

	if (elf_getphdrnum(e, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(e, i, &ph))
			continue;
		if (ph.p_type == PT_TLS) {
			ti->tls_memsz = ph.p_memsz;
			ti->tls_align = ph.p_align ? ph.p_align : 1;
			ti->tls_vaddr = ph.p_vaddr;
			have_tls = true;
		} else if (ph.p_type == PT_LOAD && !have_load) {
			ti->first_vaddr = ph.p_vaddr & ~(__u64)4095;
			have_load = true;
		}
	}
	return have_tls && have_load ? 0 : -ENOEXEC;
}

/* A symbol at @tp_offset from the thread pointer: 0. */
static int set_static(struct otel_proc *out, __s64 tp_offset)
{
	out->mode = OTEL_TLS_STATIC;
	out->tp_offset = tp_offset;
	return 0;
}

/*
 * A symbol at tls_index @idx ({module, offset}) in the DTV: 0, or
 * -ENOTSUP while the module has no number.
 */
static int set_dtv(struct otel_proc *out, const __u64 idx[2])
{
	out->mode = OTEL_TLS_DTV;
	out->dtv_module = idx[0];
	out->dtv_offset = idx[1];
	return out->dtv_module ? 0 : -ENOTSUP;
}

/*
 * The executable's symbol: glibc's _dl_determine_tlsoffset puts module 1
 * at tp - off, off = roundup(memsz - firstbyte, align) + firstbyte, with
 * firstbyte the segment's misalignment.
 */
static void exe_static(const struct tls_image *ti, struct otel_proc *out)
{
	__u64 a = ti->tls_align;
	__u64 firstbyte = -ti->tls_vaddr & (a - 1);
	__u64 off = (ti->tls_memsz - firstbyte + a - 1) / a * a + firstbyte;

	set_static(out, (__s64)ti->sym_value - (__s64)off);
}

/*
 * A library's symbol: the GOT slots the loader filled for it in process
 * @pid, the image being loaded at @bias. 0, or -ENOTSUP when no
 * relocation names the symbol, -errno when a slot could not be read.
 */
static int lib_slots(pid_t pid, Elf *e, const struct tls_image *ti, __u64 bias,
		     struct otel_proc *out)
{
	/* the GOT slots' addresses by kind; 0: none (no slot is at 0) */
	enum { S_TPOFF, S_DESC, S_MOD, S_DTPOFF, S_NR } k;
	struct scn_iter it = { .e = e, .type = SHT_RELA };
	__u64 slot[S_NR] = {}, v[2];
	GElf_Rela r;
	int err;

	while (scn_next(&it)) {
		if (!gelf_getrela(it.d, it.i, &r) ||
		    GELF_R_SYM(r.r_info) != ti->sym_idx)
			continue;
		switch (GELF_R_TYPE(r.r_info)) {
		case R_X86_64_TPOFF64:
			k = S_TPOFF;
			break;
		case R_X86_64_TLSDESC:
			k = S_DESC;
			break;
		case R_X86_64_DTPMOD64:
			k = S_MOD;
			break;
		case R_X86_64_DTPOFF64:
			k = S_DTPOFF;
			break;
		default:
			continue;
		}
		slot[k] = bias + r.r_offset;
	}
	if (slot[S_TPOFF]) {
		err = mem_read(pid, slot[S_TPOFF], v, 8);
		return err ?: set_static(out, (__s64)v[0]);
	}
	if (slot[S_DESC]) {
		/* {resolver, argument}: the argument says which kind */
		err = mem_read(pid, slot[S_DESC], v, 16);
		if (err)
			return err;
		if ((__s64)v[1] < 0)
			return set_static(out, (__s64)v[1]);
		/* glibc's struct tlsdesc_dynamic_arg: tls_index first */
		err = mem_read(pid, v[1], v, 16);
		return err ?: set_dtv(out, v);
	}
	if (slot[S_MOD] && slot[S_DTPOFF]) {
		err = mem_read(pid, slot[S_MOD], &v[0], 8);
		if (!err)
			err = mem_read(pid, slot[S_DTPOFF], &v[1], 8);
		return err ?: set_dtv(out, v);
	}
	return -ENOTSUP;
}

/*
 * The image @m (its first mapping, file offset 0) of process @pid: 0 and
 * @out filled when it defines the symbol, -ENOENT when it does not.
 */
static int image_resolve(pid_t pid, const struct map_line *m, bool is_exe,
			 struct otel_proc *out)
{
	struct tls_image ti = {};
	char path[PATH_MAX + 32];
	int fd, err;
	Elf *e;

	/* through the process's root: right inside containers too */
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* an image we cannot open cannot be the one: look on */
		p_debug("otel: pid %d: %s: %s", pid, m->path, strerror(errno));
		return -ENOENT;
	}
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e) {
		close(fd);
		return -ENOENT;
	}
	err = tls_sym(e, &ti);
	if (!err && tls_segment(e, &ti))
		err = -ENOTSUP;
	if (!err) {
		if (is_exe)
			exe_static(&ti, out);
		else
			err = lib_slots(pid, e, &ti, m->start - ti.first_vaddr,
					out);
		if (err == -ENOTSUP)
			p_info("otel: pid %d: %s defines " OTEL_SYM
			       " but no TLS relocation says how to reach it (local-dynamic?): its events carry no trace ids",
			       pid, m->path);
	}
	elf_end(e);
	close(fd);
	return err;
}

int otel_resolve(pid_t pid, struct otel_proc *out)
{
	char path[64], line[PATH_MAX + 128], schema[64] = "";
	char last[PATH_MAX] = "";
	struct map_line m;
	struct stat exe;
	bool have_exe;
	int err = -ENOENT;
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* first the process context: without it, no symbol lookup at all */
	while (fgets(line, sizeof(line), f)) {
		if (!map_parse(line, &m) || !is_ctx_mapping(m.path))
			continue;
		err = ctx_read(pid, m.start, schema, sizeof(schema));
		if (!err)
			break;
	}
	if (err) {
		fclose(f);
		return err == -EAGAIN ? err : -ENOENT;
	}
	out->schema =
		!strcmp(schema, "tls_v1") || !strcmp(schema, "tlsdesc_v1_dev")
			? OTEL_SCHEMA_TLS_V1
			: OTEL_SCHEMA_UNKNOWN;
	if (out->schema == OTEL_SCHEMA_UNKNOWN)
		p_info("otel: pid %d: thread-local schema \"%s\" is not one this pinsight reads (tls_v1): its records are skipped and counted",
		       pid, schema);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	have_exe = !stat(path, &exe);
	rewind(f);
	err = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		/* each image once, by its first mapping */
		if (!map_parse(line, &m) || m.path[0] != '/' || !m.ino ||
		    m.off || !strcmp(m.path, last) ||
		    !strncmp(m.path, "/memfd:", 7))
			continue;
		snprintf(last, sizeof(last), "%s", m.path);
		err = image_resolve(pid, &m, have_exe && exe.st_ino == m.ino,
				    out);
		if (err != -ENOENT)
			break;
	}
	fclose(f);
	return err;
}

struct fill {
	struct load_ctx *ctx;
	int fd;
	int found, failed;
};

static int fill_one(pid_t pid, void *data)
{
	struct fill *fl = data;
	struct otel_proc p;
	__u32 key = pid;
	int err;

	err = otel_resolve(pid, &p);
	if (err == -ENOENT)
		return 0;
	if (err) {
		fl->failed++;
		p_debug("otel: pid %d: %s", pid, strerror(-err));
		return 0;
	}
	if (bpf_map_update_elem(fl->fd, &key, &p, BPF_ANY)) {
		err = -errno;
		p_err("%s: cannot fill map otel_procs: %s", fl->ctx->inst,
		      strerror(-err));
		return err;
	}
	fl->found++;
	p_debug("otel: pid %d: %s, %s %lld%s", pid,
		p.schema == OTEL_SCHEMA_TLS_V1 ? "tls_v1" : "unknown schema",
		p.mode == OTEL_TLS_STATIC ? "static TLS at tp" : "DTV module",
		p.mode == OTEL_TLS_STATIC ? (long long)p.tp_offset
					  : (long long)p.dtv_module,
		p.mode == OTEL_TLS_STATIC ? "" : " (offset in its block)");
	return 0;
}

/*
 * Tell BPF how many processes otel_procs holds (otel_nprocs): with none,
 * the tools skip the hash lookup. @procs_fd is otel_procs, @n_fd
 * otel_nprocs (absent in instances loaded before it: nothing to set).
 */
static int otel_count_set(const char *inst, int procs_fd, int n_fd)
{
	__u32 key, n = 0, zero = 0;

	if (n_fd < 0)
		return 0;
	while (!bpf_map_get_next_key(procs_fd, n ? &key : NULL, &key))
		n++;
	if (bpf_map_update_elem(n_fd, &zero, &n, BPF_ANY)) {
		p_err("%s: cannot set map otel_nprocs: %s", inst,
		      strerror(errno));
		return -errno;
	}
	return 0;
}

int otel_fill(struct load_ctx *ctx, int pid, const char *comm)
{
	struct bpf_map *map =
		bpf_object__find_map_by_name(ctx->obj, "otel_procs");
	struct fill fl = { .ctx = ctx };
	struct dirent *de;
	int err = 0;
	DIR *d;

	if (!map)
		return 0; /* a tool that reads no thread context */
	fl.fd = bpf_map__fd(map);
	if (pid > 0) {
		err = fill_one(pid, &fl);
	} else if (comm && *comm) {
		err = target_walk_comm(comm, fill_one, &fl);
	} else {
		d = opendir("/proc");
		if (!d)
			return -errno;
		while (!err && (de = readdir(d)))
			if (atoi(de->d_name) > 0)
				err = fill_one(atoi(de->d_name), &fl);
		closedir(d);
	}
	p_debug("otel: %s: %d processes publish a thread context, %d unreadable",
		ctx->inst, fl.found, fl.failed);
	if (!err) {
		map = bpf_object__find_map_by_name(ctx->obj, "otel_nprocs");
		err = otel_count_set(ctx->inst, fl.fd,
				     map ? bpf_map__fd(map) : -1);
	}
	return err;
}

/* What `refresh` found for one instance's otel_procs. */
struct otel_sweep {
	int fd;
	const char *inst;
	char comm[TASK_COMM_LEN]; /* targ_comm, or "" */
	int added, dropped, live, failed;
};

/*
 * An entry of an earlier load or refresh: kept when its process is still
 * a target that publishes a context (resolved again, so a reused pid gets
 * its own process's offsets or none), else deleted.
 */
static void sweep_entry(struct otel_sweep *sw, __u32 tgid)
{
	struct otel_proc old, p;
	int err;

	if (bpf_map_lookup_elem(sw->fd, &tgid, &old))
		return; /* deleted meanwhile */
	if (sw->comm[0] && !target_comm_is(tgid, sw->comm))
		err = -ENOENT; /* exited, or its pid is another program's */
	else
		err = otel_resolve(tgid, &p);
	if (err == -ENOENT || err == -ESRCH) {
		if (!bpf_map_delete_elem(sw->fd, &tgid))
			sw->dropped++;
		return;
	}
	if (err) {
		/* unreadable now (-EAGAIN: mid-update): keep what we had */
		sw->failed++;
		sw->live++;
		p_debug("otel: %s: pid %d: %s", sw->inst, tgid, strerror(-err));
		return;
	}
	if (memcmp(&old, &p, sizeof(p)))
		bpf_map_update_elem(sw->fd, &tgid, &p, BPF_EXIST);
	sw->live++;
}

/* A target process: resolved and added when it has no entry yet. */
static int sweep_add(pid_t pid, void *data)
{
	struct otel_sweep *sw = data;
	struct otel_proc p;
	__u32 key = pid;
	int err;

	if (!bpf_map_lookup_elem(sw->fd, &key, &p))
		return 0; /* swept already */
	err = otel_resolve(pid, &p);
	if (err == -ENOENT)
		return 0;
	if (err) {
		sw->failed++;
		p_debug("otel: %s: pid %d: %s", sw->inst, pid, strerror(-err));
		return 0;
	}
	if (bpf_map_update_elem(sw->fd, &key, &p, BPF_NOEXIST)) {
		err = -errno;
		if (err == -EEXIST)
			return 0;
		/* -E2BIG, full: the walk stops, the rest keep no trace ids */
		if (err != -E2BIG)
			p_err("%s: cannot add pid %d to map otel_procs: %s",
			      sw->inst, pid, strerror(-err));
		return err;
	}
	sw->added++;
	sw->live++;
	return 0;
}

/* The instance's target, from its pinned rodata: --pid, --comm, or all. */
static int sweep_target(struct otel_sweep *sw, pid_t *tgid)
{
	const struct pm_field *f;
	struct pm_instance *in;
	int err;

	*tgid = 0;
	err = pm_instance_open(sw->inst, &in);
	if (err)
		return err;
	f = pm_instance_var(in, "targ_tgid");
	if (f)
		*tgid = pm_field_u64(f, in->rodata);
	f = pm_instance_var(in, "targ_comm");
	if (f && f->kind == PM_K_STR)
		snprintf(sw->comm, sizeof(sw->comm), "%.*s", (int)f->size,
			 (const char *)in->rodata + f->off);
	pm_instance_close(in);
	return 0;
}

int otel_refresh(const char *inst, const char *dir)
{
	struct otel_sweep sw = { .inst = inst, .fd = -1 };
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), *keys = NULL, key, n = 0, i;
	char path[PATH_MAX];
	struct dirent *de;
	pid_t tgid;
	int err, n_fd;
	DIR *d;

	snprintf(path, sizeof(path), "%s/maps/otel_procs", dir);
	if (access(path, F_OK))
		return 0; /* a tool that reads no thread context */
	sw.fd = bpf_obj_get(path);
	if (sw.fd < 0 || bpf_obj_get_info_by_fd(sw.fd, &info, &len)) {
		err = -errno;
		p_err("%s: %s: %s", inst, path, strerror(-err));
		goto cleanup;
	}
	err = sweep_target(&sw, &tgid);
	if (err)
		goto cleanup;
	/* the keys first: deleting while walking restarts the walk */
	keys = calloc(info.max_entries ?: 1, sizeof(*keys));
	if (!keys) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (n < info.max_entries &&
	       !bpf_map_get_next_key(sw.fd, n ? &key : NULL, &key))
		keys[n++] = key;
	for (i = 0; i < n; i++)
		sweep_entry(&sw, keys[i]);
	/* then the targets started since: as otel_fill() at load */
	if (tgid > 0) {
		err = sweep_add(tgid, &sw);
	} else if (sw.comm[0]) {
		err = target_walk_comm(sw.comm, sweep_add, &sw);
	} else {
		d = opendir("/proc");
		if (!d) {
			err = -errno;
			goto cleanup;
		}
		while (!err && (de = readdir(d)))
			if (atoi(de->d_name) > 0)
				err = sweep_add(atoi(de->d_name), &sw);
		closedir(d);
	}
	if (err == -E2BIG) {
		p_info("%s: map otel_procs is full (%u processes): the targets left out carry no trace ids",
		       inst, info.max_entries);
		err = 0;
	}
	if (err)
		goto cleanup;
	snprintf(path, sizeof(path), "%s/maps/otel_nprocs", dir);
	n_fd = bpf_obj_get(path);
	err = otel_count_set(inst, sw.fd, n_fd);
	if (n_fd >= 0)
		close(n_fd);
	if (err)
		goto cleanup;
	if (json_output)
		printf("{\"instance\":\"%s\",\"otel_added\":%d,\"otel_dropped\":%d,\"otel_live\":%d,\"otel_unreadable\":%d}\n",
		       inst, sw.added, sw.dropped, sw.live, sw.failed);
	else
		printf("%s: OpenTelemetry context: %d added, %d dropped (exited, pid reused, no longer publishing), live %d, unreadable %d\n",
		       inst, sw.added, sw.dropped, sw.live, sw.failed);
cleanup:
	free(keys);
	if (sw.fd >= 0)
		close(sw.fd);
	return err;
}
