// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses to names (see symbolize.h). User objects are opened through
 * libdwfl, which reads .symtab/.dynsym, follows .gnu_debuglink and
 * /usr/lib/debug/.build-id to separate debug files, and reads DWARF line
 * tables; each object is opened once per build-id (or path) and every
 * resolved frame is cached by (object, offset).
 */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdwelf.h>
#include <bpf/bpf.h>
#include <elfutils/libdwfl.h>
#include "debuginfo.h"
#include "elf_syms.h"
#include "grow.h"
#include "pinmaps.h"
#include "symbolize.h"
#include "unwind.h"
#include "vdso.h"

#define BUILD_ID_MAX 20

struct ksym {
	__u64 addr;
	const char *name;
	const char *module; /* "[kernel]" or "[mod]" */
};

struct sym_obj {
	unsigned char build_id[BUILD_ID_MAX];
	int build_id_len; /* 0: unknown (found by path only) */
	char *path; /* NULL: not found */
	const char *module; /* basename, interned */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Elf *elf; /* for PT_LOAD: offsets to addresses */
	GElf_Addr bias;
	bool opened; /* tried to open */
};

/* A resolved frame, cached by (object or kernel, address). */
struct frame_ent {
	const void *owner;
	__u64 addr;
	struct sym_frame f;
	bool used;
};

struct symbolizer {
	struct sym_opts opts;
	struct ksym *ksyms;
	size_t nksyms;
	bool ksyms_read;
	struct sym_obj **objs;
	size_t nobjs;
	bool procs_scanned;
	struct frame_ent *cache;
	size_t cache_cap, cache_used;
	char **strs; /* interned strings */
	size_t nstrs, strs_cap;
	int vdso_fd; /* our vDSO, which is every process's: its build-id */
	int py_codes_fd; /* sym_set_py_codes(), or -1 */
};

static const char *intern(struct symbolizer *s, const char *str)
{
	char *dup;
	size_t i;

	if (!str)
		return NULL;
	/* few distinct module names and symbols per run: linear is fine for
	 * modules; symbols are interned once per cache miss */
	for (i = s->nstrs > 64 ? s->nstrs - 64 : 0; i < s->nstrs; i++)
		if (!strcmp(s->strs[i], str))
			return s->strs[i];
	if (pm_grow(&s->strs, &s->strs_cap, s->nstrs + 1, sizeof(*s->strs),
		    256))
		return "[nomem]";
	dup = strdup(str);
	if (!dup)
		return "[nomem]";
	s->strs[s->nstrs++] = dup;
	return dup;
}

struct symbolizer *sym_new(const struct sym_opts *opts)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	char path[64];
	size_t size;

	if (!s)
		return NULL;
	if (opts)
		s->opts = *opts;
	/* vDSO frames (build-id frames of unwound stacks) resolve by it */
	s->vdso_fd = pm_vdso_memfd(&size);
	s->py_codes_fd = -1;
	if (s->vdso_fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", s->vdso_fd);
		sym_add_file(s, path);
	}
	return s;
}

static void obj_free(struct sym_obj *o)
{
	if (o->dwfl)
		dwfl_end(o->dwfl);
	free(o->path);
	free(o);
}

void sym_free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nobjs; i++)
		obj_free(s->objs[i]);
	for (i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->objs);
	free(s->strs);
	free(s->ksyms);
	free(s->cache);
	if (s->vdso_fd >= 0)
		close(s->vdso_fd);
	free(s);
}

/* ---- the frame cache: open addressing on (owner, addr) ---- */

static size_t cache_slot(const struct symbolizer *s, const void *owner,
			 __u64 addr)
{
	__u64 h = (addr ^ (uintptr_t)owner) * 0x9e3779b97f4a7c15ULL;

	return (h >> 17) & (s->cache_cap - 1);
}

static struct sym_frame *cache_get(struct symbolizer *s, const void *owner,
				   __u64 addr)
{
	size_t i;

	if (!s->cache_cap)
		return NULL;
	for (i = cache_slot(s, owner, addr); s->cache[i].used;
	     i = (i + 1) & (s->cache_cap - 1))
		if (s->cache[i].owner == owner && s->cache[i].addr == addr)
			return &s->cache[i].f;
	return NULL;
}

static void cache_put(struct symbolizer *s, const void *owner, __u64 addr,
		      const struct sym_frame *f)
{
	struct frame_ent *old = s->cache;
	size_t i, cap = s->cache_cap;

	if ((s->cache_used + 1) * 2 > s->cache_cap) {
		s->cache_cap = cap ? cap * 2 : 1024;
		s->cache = calloc(s->cache_cap, sizeof(*s->cache));
		if (!s->cache) {
			s->cache = old;
			s->cache_cap = cap;
			return;
		}
		s->cache_used = 0;
		for (i = 0; i < cap; i++)
			if (old[i].used)
				cache_put(s, old[i].owner, old[i].addr,
					  &old[i].f);
		free(old);
	}
	for (i = cache_slot(s, owner, addr); s->cache[i].used;
	     i = (i + 1) & (s->cache_cap - 1))
		;
	s->cache[i] = (struct frame_ent){ owner, addr, *f, true };
	s->cache_used++;
}

/* ---- kernel ---- */

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int ksyms_load(struct symbolizer *s)
{
	char line[512], name[256], mod[128], type;
	unsigned long long addr;
	size_t cap = 0;
	FILE *f;
	int k;

	s->ksyms_read = true;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		mod[0] = '\0';
		k = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name,
			   mod);
		if (k < 3 || !addr ||
		    (tolower(type) != 't' && tolower(type) != 'w'))
			continue;
		if (pm_grow(&s->ksyms, &cap, s->nksyms + 1, sizeof(*s->ksyms),
			    65536))
			break;
		if (mod[0]) {
			char m[132];

			snprintf(m, sizeof(m), "[%s]", mod);
			s->ksyms[s->nksyms].module = intern(s, m);
		} else {
			s->ksyms[s->nksyms].module = "[kernel]";
		}
		s->ksyms[s->nksyms].name = strdup(name);
		s->ksyms[s->nksyms++].addr = addr;
	}
	fclose(f);
	qsort(s->ksyms, s->nksyms, sizeof(*s->ksyms), ksym_cmp);
	/* names are owned through the interned list from here */
	for (size_t i = 0; i < s->nksyms; i++) {
		const char *nm = s->ksyms[i].name;

		if (pm_grow(&s->strs, &s->strs_cap, s->nstrs + s->nksyms - i,
			    sizeof(*s->strs), 256))
			return -ENOMEM;
		s->strs[s->nstrs++] = (char *)nm;
	}
	/* kallsyms shows zeros without CAP_SYSLOG: all were skipped */
	return s->nksyms ? 0 : -EPERM;
}

int sym_kernel(struct symbolizer *s, __u64 ip, struct sym_frame *f)
{
	struct sym_frame *c;
	size_t lo = 0, hi;

	memset(f, 0, sizeof(*f));
	f->addr = ip;
	f->kernel = true;
	f->module = "[kernel]";
	c = cache_get(s, s, ip);
	if (c) {
		*f = *c;
		return 0;
	}
	if (!s->ksyms_read)
		ksyms_load(s);
	hi = s->nksyms;
	if (!hi || ip < s->ksyms[0].addr) {
		/*
		 * No kallsyms (a reader without CAP_SYSLOG, e.g. a --group
		 * member): never print the address, it would undo KASLR.
		 */
		f->offset = hi ? ip : 0;
		f->addr = hi ? ip : 0;
		return -ENOENT;
	}
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (s->ksyms[mid].addr <= ip)
			lo = mid;
		else
			hi = mid;
	}
	f->name = s->ksyms[lo].name;
	f->module = s->ksyms[lo].module;
	f->offset = ip - s->ksyms[lo].addr;
	cache_put(s, s, ip, f);
	return 0;
}

/* ---- user objects ---- */

static int read_build_id(const char *path, unsigned char *id)
{
	const void *bid;
	int fd, len = -ENOENT;
	Elf *e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e) {
		len = dwelf_elf_gnu_build_id(e, &bid);
		if (len > BUILD_ID_MAX)
			len = BUILD_ID_MAX;
		if (len > 0)
			memcpy(id, bid, len);
		else
			len = -ENODATA;
		elf_end(e);
	}
	close(fd);
	return len;
}

static struct sym_obj *obj_find_id(struct symbolizer *s,
				   const unsigned char *id)
{
	size_t i;

	for (i = 0; i < s->nobjs; i++)
		if (s->objs[i]->build_id_len &&
		    !memcmp(s->objs[i]->build_id, id, BUILD_ID_MAX))
			return s->objs[i];
	return NULL;
}

static struct sym_obj *obj_find_path(struct symbolizer *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->nobjs; i++)
		if (s->objs[i]->path && !strcmp(s->objs[i]->path, path))
			return s->objs[i];
	return NULL;
}

static struct sym_obj *obj_add(struct symbolizer *s, const char *path,
			       const unsigned char *id, int id_len)
{
	struct sym_obj *o, **n;
	const char *base;

	n = realloc(s->objs, (s->nobjs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	s->objs = n;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	if (id_len > 0) {
		memcpy(o->build_id, id, id_len);
		o->build_id_len = id_len;
	}
	if (path) {
		o->path = strdup(path);
		base = strrchr(path, '/');
		o->module = intern(s, base ? base + 1 : path);
	}
	s->objs[s->nobjs++] = o;
	return o;
}

int sym_add_file(struct symbolizer *s, const char *path)
{
	unsigned char id[BUILD_ID_MAX] = {};
	struct sym_obj *o;
	int len;

	if (obj_find_path(s, path))
		return 0;
	len = read_build_id(path, id);
	if (len < 0 && len != -ENODATA)
		return len;
	o = len > 0 ? obj_find_id(s, id) : NULL;
	if (o) {
		if (!o->path) { /* known by id before the file was found */
			const char *base = strrchr(path, '/');

			o->path = strdup(path);
			o->module = intern(s, base ? base + 1 : path);
		}
		return 0;
	}
	return obj_add(s, path, id, len) ? 0 : -ENOMEM;
}

/* Files mapped by a live process, from /proc/PID/maps. */
static void add_proc_files(struct symbolizer *s, const char *pid)
{
	char path[300], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p || !strstr(line, " r-xp ") || strstr(line, "(deleted)"))
			continue;
		p[strcspn(p, "\n")] = '\0';
		sym_add_file(s, p);
	}
	fclose(f);
}

/* Once per symbolizer: every executable mapping of every live process. */
static void scan_procs(struct symbolizer *s)
{
	struct dirent *de;
	DIR *d;

	s->procs_scanned = true;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d)))
		if (isdigit(de->d_name[0]))
			add_proc_files(s, de->d_name);
	closedir(d);
}

static void scan_search_path(struct symbolizer *s)
{
	const char *const *p;
	char path[4096];
	struct dirent *de;
	DIR *d;

	for (p = s->opts.search_path; p && *p; p++) {
		d = opendir(*p);
		if (!d) {
			sym_add_file(s, *p);
			continue;
		}
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", *p, de->d_name);
			sym_add_file(s, path);
		}
		closedir(d);
	}
}

/* Defined by the linker in dynamic executables only. */
extern char _DYNAMIC[] __attribute__((weak));

/* debuginfod, opened at run time: only when DEBUGINFOD_URLS is set. */
static char *debuginfod_fetch(const unsigned char *id, int len)
{
	typedef void *(*begin_fn)(void);
	typedef int (*find_fn)(void *, const unsigned char *, int, char **);
	typedef void (*end_fn)(void *);
	static void *h;
	char *path = NULL;
	begin_fn begin;
	find_fn find;
	end_fn end;
	void *client;
	int fd;

	if (!getenv("DEBUGINFOD_URLS") || !*getenv("DEBUGINFOD_URLS"))
		return NULL;
	/*
	 * A static build has no _DYNAMIC: dlopen there loads a second libc
	 * and may corrupt the heap (as it did for libstdc++'s demangler).
	 */
	if (!_DYNAMIC)
		return NULL;
	if (!h)
		h = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return NULL;
	begin = (begin_fn)dlsym(h, "debuginfod_begin");
	find = (find_fn)dlsym(h, "debuginfod_find_debuginfo");
	end = (end_fn)dlsym(h, "debuginfod_end");
	if (!begin || !find || !end || !(client = begin()))
		return NULL;
	fd = find(client, id, len, &path);
	if (fd >= 0)
		close(fd);
	else
		path = NULL;
	end(client);
	return path;
}

/* Where a build-id's file is: known files, live processes, debug dirs. */
static struct sym_obj *obj_by_build_id(struct symbolizer *s,
				       const unsigned char *id)
{
	char hex[2 * BUILD_ID_MAX + 1], path[4096], *p;
	struct sym_obj *o = obj_find_id(s, id);
	int i;

	if (o)
		return o;
	if (!s->procs_scanned) {
		scan_search_path(s);
		scan_procs(s);
		o = obj_find_id(s, id);
		if (o)
			return o;
	}
	for (i = 0; i < BUILD_ID_MAX; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	if (!debuginfo_build_id_path(id, BUILD_ID_MAX, path, sizeof(path)) &&
	    !access(path, R_OK) && !sym_add_file(s, path) &&
	    (o = obj_find_id(s, id)))
		return o;
	p = debuginfod_fetch(id, BUILD_ID_MAX);
	if (p) {
		sym_add_file(s, p);
		free(p);
		o = obj_find_id(s, id);
		if (o)
			return o;
	}
	/* Remember the miss, named after the id, so it costs nothing again. */
	o = obj_add(s, NULL, id, BUILD_ID_MAX);
	if (o) {
		snprintf(path, sizeof(path), "[build-id %.16s]", hex);
		o->module = intern(s, path);
		o->opened = true;
	}
	return o;
}

static int obj_open(struct sym_obj *o)
{
	/*
	 * dwfl's default debuginfo path is ":.debug:/usr/lib/debug": the
	 * object's directory, its .debug/, then the system debug root, with
	 * .gnu_debuglink names and .build-id/xx/yyyy.debug under each.
	 */
	static const Dwfl_Callbacks proto = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};

	o->opened = true;
	if (!o->path)
		return -ENOENT;
	o->dwfl = dwfl_begin(&proto);
	if (!o->dwfl)
		return -ENOMEM;
	dwfl_report_begin(o->dwfl);
	o->mod = dwfl_report_offline(o->dwfl, o->module, o->path, -1);
	dwfl_report_end(o->dwfl, NULL, NULL);
	if (!o->mod)
		return -ENOEXEC;
	o->elf = dwfl_module_getelf(o->mod, &o->bias);
	return o->elf ? 0 : -ENOEXEC;
}

/* A file offset to the address dwfl uses for it, through PT_LOAD. */
static int obj_offset_addr(struct sym_obj *o, __u64 off, GElf_Addr *addr)
{
	GElf_Phdr ph;
	size_t i, n;

	if (elf_getphdrnum(o->elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(o->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
			*addr = off - ph.p_offset + ph.p_vaddr + o->bias;
			return 0;
		}
	}
	return -ERANGE;
}

/* Resolve file offset @off in @o into @f (module+offset when unknown). */
static int obj_resolve(struct symbolizer *s, struct sym_obj *o, __u64 off,
		       struct sym_frame *f)
{
	const char *name = NULL;
	struct sym_frame *c;
	GElf_Off soff = 0;
	GElf_Addr addr;
	GElf_Sym sym;
	Dwfl_Line *line;
	char *dm;
	int err;

	f->module = o->module ? o->module : "[unknown]";
	f->offset = off;
	c = cache_get(s, o, off);
	if (c) {
		*f = *c;
		return f->name ? 0 : -ENOENT;
	}
	if (!o->opened)
		obj_open(o);
	err = o->elf ? obj_offset_addr(o, off, &addr) : -ENOENT;
	if (!err)
		name = dwfl_module_addrinfo(o->mod, addr, &soff, &sym, NULL,
					    NULL, NULL);
	if (name) {
		dm = s->opts.no_demangle ? NULL : elf_demangle(name);
		f->name = intern(s, dm ? dm : name);
		free(dm);
		f->offset = soff;
		line = dwfl_module_getsrc(o->mod, addr);
		if (line) {
			const char *src = dwfl_lineinfo(
				line, NULL, &f->src_line, NULL, NULL, NULL);

			f->src_file = intern(s, src);
		}
	}
	cache_put(s, o, off, f);
	return name ? 0 : -ENOENT;
}

/* The mapping of @ip in live process @tgid: its file and file offset. */
static int proc_lookup(__u32 tgid, __u64 ip, char *path, size_t sz, __u64 *off)
{
	unsigned long long start, end, pgoff;
	char maps[64], line[4096], perm[8];
	int n, err = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%u/maps", tgid);
	f = fopen(maps, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		n = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end,
			   perm, &pgoff, &n) < 4 ||
		    !n)
			continue;
		if (ip < start || ip >= end)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, sz, "%s", line + n);
		*off = ip - start + pgoff;
		err = path[0] == '/' ? 0 : -ENOENT;
		break;
	}
	fclose(f);
	return err;
}

int sym_user(struct symbolizer *s, __u32 tgid, __u64 ip, struct sym_frame *f)
{
	struct sym_obj *o;
	char path[4096];
	__u64 off = 0;
	int err;

	memset(f, 0, sizeof(*f));
	f->addr = ip;
	f->module = "[unknown]";
	f->offset = ip;
	err = proc_lookup(tgid, ip, path, sizeof(path), &off);
	if (err)
		return err;
	err = sym_add_file(s, path);
	o = obj_find_path(s, path);
	if (!o) {
		unsigned char id[BUILD_ID_MAX];

		/* the same file under another path (e.g. a symlink) */
		if (read_build_id(path, id) <= 0 || !(o = obj_find_id(s, id)))
			return err ? err : -ENOENT;
	}
	return obj_resolve(s, o, off, f);
}

int sym_user_frame(struct symbolizer *s, __u32 tgid,
		   const struct bpf_stack_build_id *fr, struct sym_frame *f)
{
	struct sym_obj *o;

	if (fr->status != BPF_STACK_BUILD_ID_VALID)
		return sym_user(s, tgid, fr->ip, f);
	memset(f, 0, sizeof(*f));
	f->addr = fr->offset;
	o = obj_by_build_id(s, fr->build_id);
	if (!o) {
		f->module = "[unknown]";
		f->offset = fr->offset;
		return -ENOMEM;
	}
	return obj_resolve(s, o, fr->offset, f);
}

const char *sym_proc_path(const struct stack_proc *p, char *buf, size_t sz)
{
	size_t len = 0;
	int i;

	if (!p->depth || p->depth > STACK_PATH_COMPS)
		return NULL;
	buf[0] = '\0';
	for (i = p->depth - 1; i >= 0; i--) {
		const char *c = p->comp[i];
		int n;

		if (!c[0])
			continue; /* a mount point crossed */
		n = snprintf(buf + len, sz - len, "/%.*s", STACK_COMP_LEN, c);
		if (n < 0 || (size_t)n >= sz - len)
			return NULL;
		len += n;
	}
	return len ? buf : NULL;
}

/* Pseudo-frames for how a user stack ended (enum unw_end, unwind.h). */
static const char *const unwind_end[UNW_END_NR] = {
	[UNW_END_NO_TABLE] = "[no unwind table]",
	[UNW_END_ERROR] = "[unwind error]",
	[UNW_END_DEPTH] = "[truncated]",
};

void sym_set_py_codes(struct symbolizer *s, int fd)
{
	s->py_codes_fd = fd;
}

/* The last two components of a path: "pyvdb/api.py". */
static const char *short_path(const char *p)
{
	const char *a = strrchr(p, '/'), *b;

	if (!a)
		return p;
	for (b = a - 1; b >= p && *b != '/'; b--)
		;
	return b + 1;
}

/* Python frame @id (py[] bits cleared) into @f. */
static void sym_python(struct symbolizer *s, __u64 id, struct sym_frame *f)
{
	struct py_code c;
	char buf[PY_NAME_LEN + PY_FILE_LEN + 32];

	memset(f, 0, sizeof(*f));
	f->python = true;
	f->module = ""; /* the name says [py]: --top adds nothing */
	f->addr = id;
	if (s->py_codes_fd < 0 ||
	    bpf_map_lookup_elem(s->py_codes_fd, &id, &c)) {
		snprintf(buf, sizeof(buf), "[python code %#llx] [py]",
			 (unsigned long long)id);
		f->name = intern(s, buf);
		return;
	}
	c.qualname[PY_NAME_LEN - 1] = c.filename[PY_FILE_LEN - 1] = '\0';
	/* a path kept by its end starts with '|' (python.h) */
	f->src_file = intern(s, c.filename[0] == '|' ? c.filename + 1 :
						       c.filename);
	f->src_line = c.firstlineno;
	snprintf(buf, sizeof(buf), "%s (%s:%u) [py]", c.qualname,
		 short_path(f->src_file), c.firstlineno);
	f->name = intern(s, buf);
}

static bool is_eval_frame(const struct sym_frame *f)
{
	return f->name && !strcmp(f->name, "_PyEval_EvalFrameDefault");
}

/* Python frames of group @g (see sym_stack) at out[n...], root first. */
static int put_py_group(struct symbolizer *s, const struct stack_trace *st,
			const __u32 *gs, const __u32 *ge, __u32 g,
			struct sym_frame *out, int n, int max)
{
	int j;

	for (j = ge[g]; j >= (int)gs[g] && n < max; j--)
		sym_python(s, st->py[j] & ~PY_FRAME_ENTRY, &out[n++]);
	return n;
}

int sym_stack(struct symbolizer *s, __u32 tgid, const struct stack_trace *st,
	      struct sym_frame *out, int max)
{
	int i, n = 0;
	__u32 un = st->user_nr < STACK_DEPTH ? st->user_nr : STACK_DEPTH;
	__u32 kn = st->kern_nr < STACK_DEPTH ? st->kern_nr : STACK_DEPTH;
	__u32 pn = st->py_nr < PY_DEPTH ? st->py_nr : PY_DEPTH;
	__u32 gs[PY_DEPTH], ge[PY_DEPTH], ng = 0, start = 0, j, ne = 0, g;
	struct sym_frame user[STACK_DEPTH];

	if (s->opts.no_python)
		pn = 0;
	/*
	 * Python frames, innermost first, in groups: one per C call of the
	 * interpreter loop, ending at an entry frame. The innermost native
	 * _PyEval_EvalFrameDefault ran group 0, the next one group 1...
	 */
	for (j = 0; j < pn; j++) {
		if ((st->py[j] & PY_FRAME_ENTRY) || j == pn - 1) {
			gs[ng] = start;
			ge[ng++] = j;
			start = j + 1;
		}
	}
	for (j = 0; j < un; j++) {
		sym_user_frame(s, tgid, &st->user[j], &user[j]);
		ne += is_eval_frame(&user[j]);
	}
	/* a user stack that could not be finished says why, at its root */
	if (un && st->user_end < sizeof(unwind_end) / sizeof(unwind_end[0]) &&
	    unwind_end[st->user_end] && n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].name = unwind_end[st->user_end];
		out[n++].module = "[unwind]";
	}
	/* groups no native frame ran (the native walk ended first): root */
	for (g = ng; g > ne; g--)
		n = put_py_group(s, st, gs, ge, g - 1, out, n, max);
	for (i = un - 1; i >= 0 && n < max; i--) {
		if (is_eval_frame(&user[i]) && --ne < ng) {
			n = put_py_group(s, st, gs, ge, ne, out, n, max);
			continue;
		}
		out[n++] = user[i];
	}
	for (i = kn - 1; i >= 0 && n < max; i--)
		sym_kernel(s, st->kern[i], &out[n++]);
	return n;
}

const char *sym_frame_str(const struct sym_frame *f, char *buf, size_t sz)
{
	if (f->name)
		snprintf(buf, sz, "%s", f->name);
	else if (pm_kaddr_hidden(f->offset))
		snprintf(buf, sz, "%s", f->module ?: "[unknown]");
	else
		snprintf(buf, sz, "%s+0x%" PRIx64, f->module ?: "[unknown]",
			 (uint64_t)f->offset);
	return buf;
}

const char *sym_frame_name(struct symbolizer *s, const struct sym_frame *f)
{
	char buf[512];

	return f->name ?: intern(s, sym_frame_str(f, buf, sizeof(buf)));
}
