// SPDX-License-Identifier: GPL-2.0
/*
 * CPython images for the Python frame walker (python.h): which layout of
 * python_table.h an image gets, and where its _PyRuntime is.
 */
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "log.h"
#include "python.h"
#include "../progs/python.h"
#include "python_table.h"

#define PY_TABLE_NR (sizeof(py_table) / sizeof(py_table[0]))

/* the abi index of entry i: 0 is "none" in unwind_files */
#define PY_ABI_OF(i) ((__u32)(i) + 1)

int python_fill_abis(struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "py_abis");
	__u32 i, key;

	if (!map)
		return 0; /* a tool without stacks */
	for (i = 0; i < PY_TABLE_NR && PY_ABI_OF(i) < PY_ABIS; i++) {
		key = PY_ABI_OF(i);
		if (bpf_map_update_elem(bpf_map__fd(map), &key,
					&py_table[i].abi, BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * The version a CPython image's file name gives: python3.11,
 * libpython3.11.so.1.0 (release builds; "python3.11d" is a debug build,
 * which has other layouts, and is no match).
 */
static bool name_version(const char *path, unsigned int *major,
			 unsigned int *minor)
{
	const char *b = strrchr(path, '/');
	char rest[16] = "";
	int n = 0;

	b = b ? b + 1 : path;
	if (!strncmp(b, "lib", 3))
		b += 3;
	if (sscanf(b, "python%u.%u%n", major, minor, &n) != 2)
		return false;
	snprintf(rest, sizeof(rest), "%s", b + n);
	return !rest[0] || !strncmp(rest, ".so", 3);
}

/* _PyRuntime in an image: where BPF finds it, what it starts with. */
struct py_runtime {
	__u64 off; /* its address less the executable segment's bias */
	size_t init_len; /* bytes of its initial data in init */
	unsigned char init[PY_DEBUG_SIZE];
	__u64 version; /* Py_Version (PY_VERSION_HEX, 3.11+), or 0 */
};

/*
 * The initial data of @s (a symbol of @e), up to @size bytes, into @buf:
 * the bytes copied.
 */
static size_t sym_init(Elf *e, const GElf_Sym *s, void *buf, size_t size)
{
	Elf_Scn *scn = elf_getscn(e, s->st_shndx);
	GElf_Shdr sh;
	Elf_Data *d;
	size_t len;
	__u64 at;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
	    s->st_value < sh.sh_addr)
		return 0;
	d = elf_getdata(scn, NULL);
	at = s->st_value - sh.sh_addr;
	if (!d || !d->d_buf || at >= d->d_size)
		return 0;
	len = d->d_size - at;
	if (len > size)
		len = size;
	if (len > s->st_size)
		len = s->st_size;
	memcpy(buf, (const char *)d->d_buf + at, len);
	return len;
}

/*
 * _PyRuntime's address less the load bias of the executable segment's
 * file offsets (what BPF adds a mapping's vm_start - vm_pgoff * PAGE_SIZE
 * to), and its initial data: 0, or -ENOENT when the image has no such
 * symbol.
 */
static int runtime_find(int fd, struct py_runtime *rt)
{
	GElf_Addr delta = 0;
	bool have_sym = false, have_seg = false;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Phdr ph;
	GElf_Sym s, runtime;
	Elf_Data *d;
	size_t i, n;
	Elf *e;
	int err = -ENOENT;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return -ENOEXEC;
	if (elf_getphdrnum(e, &n))
		goto cleanup;
	for (i = 0; i < n && !have_seg; i++) {
		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD &&
		    (ph.p_flags & PF_X)) {
			delta = ph.p_vaddr - ph.p_offset;
			have_seg = true;
		}
	}
	/* both symbol tables: a stripped image has Py_Version in .dynsym */
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) ||
		    !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;

			if (!gelf_getsym(d, i, &s) || s.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (!name)
				continue;
			if (!strcmp(name, "Py_Version") && !rt->version &&
			    sym_init(e, &s, &rt->version,
				     sizeof(rt->version)) !=
				    sizeof(rt->version))
				rt->version = 0;
			if (!have_sym && !strcmp(name, "_PyRuntime")) {
				have_sym = true;
				runtime = s;
			}
		}
	}
	if (have_sym && have_seg) {
		rt->off = runtime.st_value - delta;
		rt->init_len =
			sym_init(e, &runtime, rt->init, sizeof(rt->init));
		err = 0;
	}
cleanup:
	elf_end(e);
	return err;
}

static __u64 init_u64(const struct py_runtime *rt, size_t at)
{
	__u64 v;

	memcpy(&v, rt->init + at, sizeof(v));
	return v;
}

/*
 * The offsets 3.13+ publishes at the start of _PyRuntime
 * (_Py_DebugOffsets) against the table's layout @a: true when each
 * field the walker reads is where the table has it. Else the refusal
 * names the cause on stderr.
 */
static bool own_offsets_match(const char *path, const struct py_runtime *rt,
			      unsigned int major, unsigned int minor,
			      const struct py_abi *a)
{
	__u64 v;

	if (rt->init_len < PY_DEBUG_SIZE ||
	    memcmp(rt->init, PY_DEBUG_COOKIE, 8)) {
		p_info("python: %s: CPython %u.%u without _Py_DebugOffsets (no \"%s\" cookie at _PyRuntime): its processes get native frames only",
		       path, major, minor, PY_DEBUG_COOKIE);
		return false;
	}
	v = init_u64(rt, PY_DEBUG_VERSION);
	if (v >> 24 != major || (v >> 16 & 0xff) != minor) {
		p_info("python: %s: named CPython %u.%u, but its _Py_DebugOffsets say version 0x%llx: its processes get native frames only",
		       path, major, minor, (unsigned long long)v);
		return false;
	}
	if (init_u64(rt, PY_DEBUG_FREE_THREADED)) {
		p_info("python: %s: CPython %u.%u is a free-threaded build, whose frames this pinsight does not walk: its processes get native frames only",
		       path, major, minor);
		return false;
	}
#define PY_DEBUG_MATCH(field, member, at)                                                              \
	v = init_u64(rt, at);                                                                          \
	if (v != a->field) {                                                                           \
		p_info("python: %s: CPython %u.%u's _Py_DebugOffsets give " #member                    \
		       " %llu, this pinsight's %u.%u layout %u: its processes get native frames only", \
		       path, major, minor, (unsigned long long)v, major,                               \
		       minor, (unsigned int)a->field);                                                 \
		return false;                                                                          \
	}
	PY_DEBUG_FIELDS(PY_DEBUG_MATCH)
#undef PY_DEBUG_MATCH
	return true;
}

bool python_image(int fd, const char *path, struct unw_file_val *fv)
{
	struct py_runtime rt = {};
	unsigned int major, minor;
	size_t i;

	if (!name_version(path, &major, &minor))
		return false;
	if (runtime_find(fd, &rt)) {
		p_debug("python: %s: no _PyRuntime symbol: not a CPython interpreter",
			path);
		return false;
	}
	for (i = 0; i < PY_TABLE_NR; i++) {
		if (py_table[i].major != major || py_table[i].minor != minor)
			continue;
		/* a file's name is no proof: the build's own version is */
		if (rt.version && (rt.version >> 24 != major ||
				   (rt.version >> 16 & 0xff) != minor)) {
			p_info("python: %s: named CPython %u.%u, but its Py_Version is %llu.%llu: its processes get native frames only",
			       path, major, minor, rt.version >> 24,
			       rt.version >> 16 & 0xff);
			return false;
		}
		if (py_table[i].own_offsets &&
		    !own_offsets_match(path, &rt, major, minor,
				       &py_table[i].abi))
			return false;
		fv->py_abi = PY_ABI_OF(i);
		fv->py_runtime = rt.off;
		p_debug("python: %s: CPython %u.%u, _PyRuntime at +0x%llx%s",
			path, major, minor, (unsigned long long)rt.off,
			py_table[i].own_offsets
				? ", its _Py_DebugOffsets match the table"
				: "");
		return true;
	}
	p_info("python: %s: CPython %u.%u has no frame layout in this pinsight (known: 3.11, 3.12, 3.13): its processes get native frames only",
	       path, major, minor);
	return false;
}
