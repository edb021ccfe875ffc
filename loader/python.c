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

/*
 * _PyRuntime's address less the load bias of the executable segment's
 * file offsets (what BPF adds a mapping's vm_start - vm_pgoff * PAGE_SIZE
 * to): 0, or -ENOENT when the image has no such symbol.
 */
static int runtime_off(int fd, __u64 *off)
{
	GElf_Addr sym = 0, delta = 0;
	bool have_sym = false, have_seg = false;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Phdr ph;
	GElf_Sym s;
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
	while (!have_sym && (scn = elf_nextscn(e, scn))) {
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
			if (name && !strcmp(name, "_PyRuntime")) {
				sym = s.st_value;
				have_sym = true;
				break;
			}
		}
	}
	if (have_sym && have_seg) {
		*off = sym - delta;
		err = 0;
	}
cleanup:
	elf_end(e);
	return err;
}

bool python_image(int fd, const char *path, struct unw_file_val *fv)
{
	unsigned int major, minor;
	__u64 off;
	size_t i;

	if (!name_version(path, &major, &minor))
		return false;
	if (runtime_off(fd, &off)) {
		p_debug("python: %s: no _PyRuntime symbol: not a CPython interpreter",
			path);
		return false;
	}
	for (i = 0; i < PY_TABLE_NR; i++) {
		if (py_table[i].major != major || py_table[i].minor != minor)
			continue;
		fv->py_abi = PY_ABI_OF(i);
		fv->py_runtime = off;
		p_debug("python: %s: CPython %u.%u, _PyRuntime at +0x%llx",
			path, major, minor, (unsigned long long)off);
		return true;
	}
	p_info("python: %s: CPython %u.%u has no frame layout in this pinsight (known: 3.11): its processes get native frames only",
	       path, major, minor);
	return false;
}
