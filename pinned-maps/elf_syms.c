// SPDX-License-Identifier: GPL-2.0
/* Function lookup by name in ELF symbol tables, for uprobes. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf_syms.h"

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

/* Linked in only by `make static` (libstdc++.a), where dlopen cannot be. */
extern char *__cxa_demangle(const char *, char *, size_t *, int *)
	__attribute__((weak));

/*
 * libstdc++ is opened on first use rather than linked: the readers and
 * the loader are C, and only C++ targets need it (they have it mapped).
 */
static cxa_demangle_fn demangler(void)
{
	static cxa_demangle_fn fn;
	static int tried;
	void *h;

	if (tried)
		return fn;
	tried = 1;
	if (__cxa_demangle) {
		fn = __cxa_demangle;
		return fn;
	}
	h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
	if (h)
		fn = (cxa_demangle_fn)dlsym(h, "__cxa_demangle");
	return fn;
}

char *elf_demangle(const char *sym)
{
	cxa_demangle_fn fn;
	int status = 0;
	char *s;

	if (strncmp(sym, "_Z", 2))
		return NULL;
	fn = demangler();
	if (!fn)
		return NULL;
	s = fn(sym, NULL, NULL, &status);
	if (status) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * Whether demangled @dm names @func: the whole signature, or the name
 * before its parameter list ("ns::C::f" for "ns::C::f(int) const").
 */
static int demangled_match(const char *dm, const char *func)
{
	size_t n = strlen(func);
	const char *p;
	int depth = 0;

	if (!strcmp(dm, func))
		return 1;
	if (strncmp(dm, func, n))
		return 0;
	/* the parameter list opens at the first '(' outside template args */
	for (p = dm; *p && p < dm + n; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>')
			depth--;
	}
	return dm[n] == '(' && depth == 0;
}

static int sym_matches(const char *name, const char *func, int want_demangle)
{
	char *dm;
	int ok;

	if (!strcmp(name, func))
		return 1;
	if (!want_demangle || strncmp(name, "_Z", 2))
		return 0;
	dm = elf_demangle(name);
	ok = dm && demangled_match(dm, func);
	free(dm);
	return ok;
}

/* st_value to a file offset through the section that holds it. */
static int sym_offset(Elf *e, const GElf_Sym *sym, __u64 *off)
{
	Elf_Scn *scn = elf_getscn(e, sym->st_shndx);
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
		return -ENOENT;
	if (sym->st_value < sh.sh_addr ||
	    sym->st_value >= sh.sh_addr + sh.sh_size)
		return -ENOENT;
	*off = sym->st_value - sh.sh_addr + sh.sh_offset;
	return 0;
}

static int scan_table(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh,
		      const char *func, int want_demangle, struct elf_func *out,
		      int max, int n)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, cnt;
	const char *name;
	GElf_Sym sym;
	__u64 off;
	int j;

	if (!data || !sh->sh_entsize)
		return n;
	cnt = sh->sh_size / sh->sh_entsize;
	for (i = 1; i < cnt; i++) {
		if (!gelf_getsym(data, i, &sym))
			continue;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !sym_matches(name, func, want_demangle))
			continue;
		if (sym_offset(e, &sym, &off))
			continue;
		for (j = 0; j < n && j < max; j++)
			if (out[j].offset == off)
				break;
		if (j < n)
			continue; /* an alias, or the other table's copy */
		if (n < max) {
			snprintf(out[n].name, sizeof(out[n].name), "%s", name);
			out[n].addr = sym.st_value;
			out[n].size = sym.st_size;
			out[n].offset = off;
		}
		n++;
	}
	return n;
}

int elf_find_func(const char *path, const char *func, struct elf_func *out,
		  int max)
{
	/* a demangled name has "::" or a parameter list; C names have neither
	 */
	int want_demangle = strstr(func, "::") || strchr(func, '(');
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int fd, n = 0;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		n = -ENOEXEC;
		goto cleanup;
	}
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)
			n = scan_table(e, scn, &sh, func, want_demangle, out,
				       max, n);
	}
cleanup:
	elf_end(e);
	close(fd);
	return n;
}

/*
 * Where distributions keep the C library, for a static pinsight-load that
 * has none mapped: Debian's multiarch directory first, then lib64 and lib.
 */
static const char *libc_std_path(char *buf, size_t sz)
{
	static const char *const dirs[] = {
#if defined(__x86_64__)
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
		"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
#endif
		"/lib64", "/usr/lib64", "/lib", "/usr/lib",
	};
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, sz, "%s/libc.so.6", dirs[i]);
		if (!access(buf, R_OK))
			return buf;
	}
	return NULL;
}

const char *elf_libc_path(char *buf, size_t sz)
{
	char line[4096], *p;
	const char *ret = NULL;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return libc_std_path(buf, sz);
	while (fgets(line, sizeof(line), f)) {
		p = strchr(line, '/');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		/* libc.so.6, libc-2.31.so; not libcap.so or libcrypt.so */
		if (strstr(p, "/libc.so") || strstr(p, "/libc-")) {
			snprintf(buf, sz, "%s", p);
			ret = buf;
			break;
		}
	}
	fclose(f);
	/* the one we run on, else (static) the system's */
	return ret ?: libc_std_path(buf, sz);
}
