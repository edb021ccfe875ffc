// SPDX-License-Identifier: GPL-2.0
/*
 * The unwind-table compiler (pinned-maps/unwind_table.c) against what
 * binutils' readelf makes of the same CFI, on libc and on a program built
 * here (prog_tests/unwind_table/cfi_prog.c) with .eh_frame, with only
 * .debug_frame, and stripped with its .debug_frame behind a debuglink.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include "elf_syms.h"
#include "test_progs.h"
#include "unwind_table.h"

#define PROG_SRC "selftests/prog_tests/unwind_table/cfi_prog.c"

struct exec_map {
	GElf_Phdr ph[8]; /* the executable PT_LOADs */
	int n;
};

static int load_exec_map(const char *path, struct exec_map *m)
{
	GElf_Phdr ph;
	size_t i, n;
	int fd, err = -ENOEXEC;
	Elf *e;

	m->n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_getphdrnum(e, &n))
		goto cleanup;
	for (i = 0; i < n && m->n < 8; i++)
		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD &&
		    (ph.p_flags & PF_X))
			m->ph[m->n++] = ph;
	err = m->n ? 0 : -ENOEXEC;
cleanup:
	elf_end(e);
	close(fd);
	return err;
}

/* The file offset of @vaddr, as BPF computes it from a user IP; -1: none. */
static long long vaddr_off(const struct exec_map *m, __u64 vaddr)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (vaddr >= m->ph[i].p_vaddr &&
		    vaddr < m->ph[i].p_vaddr + m->ph[i].p_filesz)
			return vaddr - m->ph[i].p_vaddr + m->ph[i].p_offset;
	return -1;
}

static double compile_ms(const char *path, struct unw_image *img, int *err)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	*err = unw_image_compile(path, img);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
}

/* Sorted strictly by offset, ending with NONE, and what a test logs. */
static void check_shape(const char *name, const struct unw_image *img,
			double ms)
{
	size_t i, bad = 0;

	for (i = 1; i < img->nr; i++)
		bad += img->rows[i].off <= img->rows[i - 1].off;
	ASSERT_EQ(bad, 0, "rows sorted strictly by offset");
	if (ASSERT_GT(img->nr, 1, "rows"))
		ASSERT_EQ(img->rows[img->nr - 1].cfa, UNW_CFA_NONE,
			  "last row NONE");
	ASSERT_NEQ(img->table_id, 0, "table_id");
	printf("%s: %zu rows, %u FDEs, %u unsupported, from %s, %.1f ms, "
	       "%llu text bytes: %.0f rows and %.0f bytes per MiB\n",
	       name, img->nr, img->nr_fde, img->nr_unsupported, img->source, ms,
	       (unsigned long long)img->text_bytes,
	       img->nr * 1048576.0 / img->text_bytes,
	       img->nr * sizeof(*img->rows) * 1048576.0 / img->text_bytes);
}

/* The build-id as readelf -n prints it. */
static void check_build_id(const char *path, const struct unw_image *img)
{
	char hex[2 * UNWIND_BUILD_ID_SIZE + 1] = "", *out = NULL;
	size_t i;

	for (i = 0; i < img->build_id_size; i++)
		sprintf(hex + 2 * i, "%02x", img->build_id[i]);
	if (!ASSERT_OK(run_cmd(&out,
			       "readelf -n %s | awk '/Build ID:/ {print $3}'",
			       path),
		       "readelf -n"))
		goto cleanup;
	ASSERT_GT(img->build_id_size, 0, "build-id size");
	ASSERT_STRNEQ(out, hex, 2 * img->build_id_size, "build-id");
	ASSERT_EQ(strlen(out), 2 * img->build_id_size + 1, "build-id length");
cleanup:
	free(out);
}

/*
 * glibc's __restore_rt is the sa_restorer it hands the kernel; the kernel
 * gives it back from rt_sigaction, and dladdr() places it in libc.
 */
static void check_restore_rt(const struct unw_image *img,
			     const struct exec_map *m)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} ksa = {};
	struct sigaction sa = { .sa_handler = SIG_IGN };
	const struct unw_row *r;
	long long off;
	Dl_info info;

	if (!ASSERT_OK(sigaction(SIGUSR2, &sa, NULL), "sigaction") ||
	    !ASSERT_OK(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &ksa, 8),
		       "rt_sigaction") ||
	    !ASSERT_OK_PTR(ksa.restorer, "sa_restorer") ||
	    !ASSERT_NEQ(dladdr(ksa.restorer, &info), 0, "dladdr"))
		return;
	off = vaddr_off(m, (char *)ksa.restorer - (char *)info.dli_fbase);
	if (!ASSERT_GE(off, 0, "__restore_rt in libc's text"))
		return;
	r = unw_image_find(img, off);
	if (!ASSERT_OK_PTR(r, "row of __restore_rt"))
		return;
	ASSERT_EQ(r->cfa, UNW_CFA_SIGNAL, "__restore_rt: SIGNAL");
	ASSERT_EQ(r->cfa_off, 160, "__restore_rt: rsp at ucontext + 160");
	ASSERT_EQ(r->rbp_off, 120, "__restore_rt: rbp at ucontext + 120");
	ASSERT_EQ(r->ra_off, 168, "__restore_rt: rip at ucontext + 168");
}

static void test_libc(void)
{
	struct unw_image a = {}, b = {};
	char path[4096];
	struct exec_map m;
	int err, fd;
	double ms;

	if (!ASSERT_OK_PTR(elf_libc_path(path, sizeof(path)), "libc path"))
		return;
	ms = compile_ms(path, &a, &err);
	if (!ASSERT_OK(err, "compile libc"))
		goto cleanup;
	check_shape("libc", &a, ms);
	ASSERT_LT(ms, 1000, "libc compiles in under a second");
	ASSERT_GT(a.nr_fde, 1000, "libc FDEs");
	ASSERT_OK(unw_image_compile(path, &b), "compile libc again");
	ASSERT_EQ(a.table_id, b.table_id, "same table_id twice");
	ASSERT_EQ(a.nr, b.nr, "same rows twice");
	unw_image_free(&b);
	/* from an fd, as for /proc/PID/map_files: the same table */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ASSERT_GE(fd, 0, "open libc") &&
	    ASSERT_OK(unw_image_compile_fd(fd, &b), "compile libc fd") &&
	    ASSERT_EQ(b.nr, a.nr, "fd: same rows"))
		ASSERT_OK(memcmp(a.rows, b.rows, a.nr * sizeof(*a.rows)),
			  "fd: same rows");
	if (fd >= 0)
		close(fd);
	check_build_id(path, &a);
	if (ASSERT_OK(load_exec_map(path, &m), "libc phdrs"))
		check_restore_rt(&a, &m);
cleanup:
	unw_image_free(&a);
	unw_image_free(&b);
}

static void test_libstdcxx(void)
{
	struct unw_image img = {};
	char *out = NULL;
	int err;
	double ms;

	/* the C++ runtime: the largest .eh_frame most services map */
	if (run_cmd(&out,
		    "g++ -print-file-name=libstdc++.so.6 | tr -d '\\n'") ||
	    !out || out[0] != '/') {
		test__skip("no libstdc++.so.6");
		goto cleanup;
	}
	ms = compile_ms(out, &img, &err);
	if (!ASSERT_OK(err, "compile libstdc++"))
		goto cleanup;
	check_shape("libstdc++", &img, ms);
	ASSERT_LT(ms, 1000, "libstdc++ compiles in under a second");
cleanup:
	unw_image_free(&img);
	free(out);
}

struct readelf_stats {
	int rows; /* readelf rows checked */
	int fde_only; /* FDEs without rows of their own: the CIE's row */
	int plt, rbp16, end;
};

/* One readelf row (its CFA, rbp and ra columns) against ours at @vaddr. */
static void check_readelf_row(const struct unw_image *img,
			      const struct exec_map *m, __u64 vaddr,
			      const char *cfa, const char *rbp, const char *ra,
			      struct readelf_stats *st)
{
	const struct unw_row *r;
	char what[128];
	long long off = vaddr_off(m, vaddr);
	int n;

	if (off < 0) /* not executable text: we keep no rows there */
		return;
	snprintf(what, sizeof(what), "%#llx: CFA %s rbp %s ra %s",
		 (unsigned long long)vaddr, cfa, rbp ?: "-", ra);
	r = unw_image_find(img, off);
	if (!ASSERT_OK_PTR(r, what))
		return;
	st->rows++;
	/* ra "u": DW_CFA_undefined (readelf shows rules never set as "u"
	 * too, but every CIE here sets ra)
	 */
	if (!strcmp(ra, "u")) {
		st->end++;
		ASSERT_EQ(r->cfa, UNW_CFA_END, what);
		return;
	}
	if (!strcmp(cfa, "exp")) {
		/* the only CFA expressions of cfi_prog are the PLT's */
		st->plt++;
		ASSERT_EQ(r->cfa, UNW_CFA_PLT, what);
		ASSERT_TRUE(r->cfa_off > 0 && r->cfa_off < 16, what);
		return;
	}
	if (!strncmp(cfa, "rsp+", 4)) {
		ASSERT_EQ(r->cfa, UNW_CFA_RSP, what);
	} else if (ASSERT_STRNEQ(cfa, "rbp+", 4, what)) {
		ASSERT_EQ(r->cfa, UNW_CFA_RBP, what);
		st->rbp16 += atoi(cfa + 4) == 16;
	}
	ASSERT_EQ(r->cfa_off, atoi(cfa + 4), what);
	ASSERT_STREQ(ra, "c-8", what);
	ASSERT_EQ(r->ra_off, -8, what);
	/* rbp: no column, or "u" (not set: the ABI's same value) or "s" */
	if (!rbp || !strcmp(rbp, "u") || !strcmp(rbp, "s")) {
		ASSERT_EQ(r->rbp, UNW_RBP_SAME, what);
	} else if (ASSERT_EQ(sscanf(rbp, "c%d", &n), 1, what)) {
		ASSERT_EQ(r->rbp, UNW_RBP_CFA, what);
		ASSERT_EQ(r->rbp_off, n, what);
	}
}

#define MAX_COLS 32
#define MAX_CIES 16

/*
 * readelf --debug-dump=frames-interp prints, per CIE and FDE, a table
 * "LOC CFA <reg>... ra" with a row wherever a rule changes. An FDE with no
 * instructions of its own gets no table: its range has the CIE's row.
 */
static void check_against_readelf(const char *path, const struct unw_image *img,
				  struct readelf_stats *st)
{
	struct {
		unsigned long off;
		char cfa[32], rbp[32], ra[32];
	} cies[MAX_CIES];
	char *out = NULL, *line, *save = NULL, *tok, *cols[MAX_COLS],
	     *vals[MAX_COLS];
	int ncols = 0, ncies = 0, cie = -1, i, n;
	unsigned long long pc = 0, loc;
	unsigned long off, cie_off;
	bool in_cie = false, pending = false;
	struct exec_map m;

	memset(st, 0, sizeof(*st));
	if (!ASSERT_OK(load_exec_map(path, &m), "phdrs") ||
	    !ASSERT_OK(run_cmd_sep(&out, NULL,
				   "readelf --debug-dump=frames-interp %s",
				   path),
		       "readelf frames-interp"))
		goto cleanup;
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* the line after an FDE's: a table of its own, or none */
		if (pending && !(strstr(line, "LOC") && strstr(line, "CFA")) &&
		    cie < ncies && cies[cie].cfa[0]) {
			st->fde_only++;
			check_readelf_row(img, &m, pc, cies[cie].cfa,
					  cies[cie].rbp, cies[cie].ra, st);
		}
		pending = false;
		if (!strncmp(line, "Contents of", 11)) {
			ncies = 0; /* CIE offsets are per section */
			continue;
		}
		n = 0; /* %n is only reached when " CIE" matched */
		if (sscanf(line, "%lx %*x %*x CIE%n", &off, &n) == 1 && n) {
			in_cie = true;
			cie = ncies < MAX_CIES ? ncies++ : -1;
			if (cie >= 0) {
				cies[cie].off = off;
				cies[cie].cfa[0] = '\0';
			}
			continue;
		}
		if (sscanf(line, "%*x %*x %*x FDE cie=%lx pc=%llx", &cie_off,
			   &pc) == 2) {
			in_cie = false;
			pending = true;
			for (cie = 0; cie < ncies; cie++)
				if (cies[cie].off == cie_off)
					break;
			continue;
		}
		if (strstr(line, "LOC") && strstr(line, "CFA")) {
			ncols = 0;
			strtok(line, " ");
			while ((tok = strtok(NULL, " ")) && ncols < MAX_COLS)
				cols[ncols++] = tok;
			continue;
		}
		if (sscanf(line, "%llx", &loc) == 1 && strlen(line) > 17 &&
		    line[16] == ' ' && ncols) {
			char *rbp = NULL, *ra = NULL;

			n = 0;
			strtok(line, " ");
			while ((tok = strtok(NULL, " ")) && n < ncols)
				vals[n++] = tok;
			if (n != ncols)
				continue;
			for (i = 1; i < ncols; i++) {
				if (!strcmp(cols[i], "rbp"))
					rbp = vals[i];
				else if (!strcmp(cols[i], "ra"))
					ra = vals[i];
			}
			if (!ASSERT_OK_PTR(ra, "ra column"))
				continue;
			if (in_cie) {
				/* the CIE's first row: its initial rules */
				if (cie >= 0 && !cies[cie].cfa[0]) {
					snprintf(cies[cie].cfa, 32, "%s",
						 vals[0]);
					snprintf(cies[cie].rbp, 32, "%s",
						 rbp ?: "u");
					snprintf(cies[cie].ra, 32, "%s", ra);
				}
				continue;
			}
			check_readelf_row(img, &m, loc, vals[0], rbp, ra, st);
		}
	}
cleanup:
	free(out);
}

/* The function @name of @path: the row at its first byte. */
static const struct unw_row *func_row(const char *path, const char *name,
				      const struct unw_image *img,
				      struct elf_func *f)
{
	if (!ASSERT_EQ(elf_find_func(path, name, f, 1), 1, name))
		return NULL;
	return unw_image_find(img, f->offset);
}

/* Run @cmd in @dir to make the file @name there, whose path goes to @path. */
static bool make_in(const char *dir, const char *name, const char *cmd,
		    char *path, size_t sz)
{
	snprintf(path, sz, "%s/%s", dir, name);
	return ASSERT_OK(run_cmd(NULL, "cd %s && %s", dir, cmd), name);
}

/* cfi_prog as @name, built with @flags */
static bool build(const char *dir, const char *name, const char *flags,
		  char *path, size_t sz)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cc %s -o %s %s/" PROG_SRC, flags, name,
		 env_src_dir());
	return make_in(dir, name, cmd, path, sz);
}

/* The rows of [f, f + size) include an rbp-based CFA at rbp + 16. */
static bool has_rbp_cfa(const struct unw_image *img, const struct elf_func *f)
{
	const struct unw_row *r = unw_image_find(img, f->offset);

	for (; r && r < img->rows + img->nr && r->off < f->offset + f->size;
	     r++)
		if (r->cfa == UNW_CFA_RBP && r->cfa_off == 16)
			return true;
	return false;
}

static void test_eh_frame(const char *dir)
{
	struct unw_image img = {};
	struct readelf_stats st;
	const struct unw_row *r;
	struct elf_func f;
	char path[4096];
	int err;

	if (!build(dir, "eh", "-O2 -fomit-frame-pointer", path, sizeof(path)))
		return;
	err = unw_image_compile(path, &img);
	if (!ASSERT_OK(err, "compile eh"))
		return;
	check_shape("cfi_prog", &img, 0);
	ASSERT_STREQ(img.source, "eh_frame", "source");
	ASSERT_EQ(img.nr_unsupported, 0, "all CFI understood");
	check_build_id(path, &img);
	check_against_readelf(path, &img, &st);
	printf("readelf: %d rows checked (%d FDEs by their CIE's row), "
	       "%d PLT, %d rbp+16, %d END\n",
	       st.rows, st.fde_only, st.plt, st.rbp16, st.end);
	ASSERT_GT(st.rows, 20, "readelf rows checked");
	ASSERT_GT(st.plt, 0, "PLT rows checked");
	ASSERT_GT(st.rbp16, 0, "rbp+16 rows checked");
	ASSERT_GT(st.end, 0, "END rows checked");

	r = func_row(path, "_start", &img, &f);
	if (ASSERT_OK_PTR(r, "_start row"))
		ASSERT_EQ(r->cfa, UNW_CFA_END, "_start: END");
	if (func_row(path, "cfi_vla", &img, &f))
		ASSERT_TRUE(has_rbp_cfa(&img, &f), "cfi_vla: CFA rbp + 16");
	r = func_row(path, "main", &img, &f);
	if (ASSERT_OK_PTR(r, "main row"))
		ASSERT_EQ(r->cfa, UNW_CFA_RSP, "main: RSP at entry");
	unw_image_free(&img);
}

/*
 * Without .eh_frame_hdr the FDEs come from walking .eh_frame itself; the
 * header sits after .text, so the rows must be the very same.
 */
static void test_no_eh_frame_hdr(const char *dir)
{
	struct unw_image a = {}, b = {};
	struct readelf_stats st;
	char path[4096], *out = NULL;

	if (!build(dir, "eh", "-O2 -fomit-frame-pointer", path, sizeof(path)) ||
	    !ASSERT_OK(unw_image_compile(path, &a), "compile eh") ||
	    !build(dir, "nohdr",
		   "-O2 -fomit-frame-pointer -Wl,--no-eh-frame-hdr", path,
		   sizeof(path)))
		goto cleanup;
	run_cmd(&out, "readelf -SW %s", path);
	ASSERT_NULL(strstr(out ?: "", ".eh_frame_hdr"), "no .eh_frame_hdr");
	if (!ASSERT_OK(unw_image_compile(path, &b), "compile nohdr"))
		goto cleanup;
	ASSERT_EQ(b.nr_fde, a.nr_fde, "same FDEs");
	if (ASSERT_EQ(b.nr, a.nr, "same rows"))
		ASSERT_OK(memcmp(a.rows, b.rows, a.nr * sizeof(*a.rows)),
			  "same rows");
	check_against_readelf(path, &b, &st);
	ASSERT_GT(st.rows, 20, "readelf rows checked");
cleanup:
	unw_image_free(&a);
	unw_image_free(&b);
	free(out);
}

/* cfi_prog's own functions have FDEs in .debug_frame only. */
static void check_debug_frame(const char *path, const char *name)
{
	static const char *const funcs[] = { "main", "cfi_saves", "cfi_vla" };
	struct unw_image img = {};
	const struct unw_row *r;
	struct elf_func f;
	size_t i;

	if (!ASSERT_OK(unw_image_compile(path, &img), name))
		return;
	check_shape(name, &img, 0);
	ASSERT_STREQ(img.source, "eh_frame+debug_frame", "source");
	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		r = func_row(path, funcs[i], &img, &f);
		if (ASSERT_OK_PTR(r, funcs[i])) {
			ASSERT_EQ(r->cfa, UNW_CFA_RSP, funcs[i]);
			ASSERT_EQ(r->cfa_off, 8, funcs[i]);
		}
	}
	unw_image_free(&img);
}

static void test_debug_frame(const char *dir)
{
	struct unw_image img = {};
	struct readelf_stats st;
	char path[4096], *out = NULL;

	if (!build(dir, "dbg",
		   "-O2 -fomit-frame-pointer -fno-asynchronous-unwind-tables "
		   "-fno-exceptions -g",
		   path, sizeof(path)))
		return;
	/* the premise: no .eh_frame FDE for main, a .debug_frame one */
	run_cmd(&out, "readelf -SW %s", path);
	ASSERT_HAS_SUBSTR(out ?: "", ".debug_frame", "has .debug_frame");
	free(out);
	check_debug_frame(path, "dbg");
	if (ASSERT_OK(unw_image_compile(path, &img), "compile dbg")) {
		check_against_readelf(path, &img, &st);
		printf("readelf: %d rows checked\n", st.rows);
		ASSERT_GT(st.rows, 20, "readelf rows checked");
		ASSERT_GT(st.rbp16, 0, "rbp+16 rows checked");
	}
	unw_image_free(&img);

	/* stripped, its .debug_frame in a file beside it, by debuglink */
	if (!make_in(
		    dir, "strip",
		    "cp dbg strip && "
		    "objcopy --only-keep-debug strip strip.debug && "
		    "objcopy --strip-debug --add-gnu-debuglink=strip.debug strip",
		    path, sizeof(path)))
		return;
	out = NULL;
	run_cmd(&out, "readelf -SW %s", path);
	ASSERT_NULL(strstr(out ?: "", ".debug_frame"), "stripped of it");
	free(out);
	check_debug_frame(path, "stripped");
}

static void test_bad_input(const char *dir)
{
	struct unw_image img;
	char path[4096];

	ASSERT_EQ(unw_image_compile("/etc/hostname", &img), -ENOEXEC,
		  "not ELF");
	snprintf(path, sizeof(path), "%s/does-not-exist", dir);
	ASSERT_EQ(unw_image_compile(path, &img), -ENOENT, "missing file");
	ASSERT_EQ(img.rows, NULL, "no rows on error");
	/* only _start, and no unwind tables for it */
	if (!make_in(dir, "nocfi",
		     "echo 'void _start(void) { for (;;); }' | "
		     "cc -x c -O2 -nostdlib -static "
		     "-fno-asynchronous-unwind-tables -o nocfi -",
		     path, sizeof(path)))
		return;
	ASSERT_EQ(unw_image_compile(path, &img), -ENODATA, "no CFI");
}

void test_unwind_table(void)
{
	char dir[] = "/tmp/pinsight-unwind-XXXXXX";

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	if (test__start_subtest("libc"))
		test_libc();
	if (test__start_subtest("libstdcxx"))
		test_libstdcxx();
	if (test__start_subtest("eh_frame_vs_readelf"))
		test_eh_frame(dir);
	if (test__start_subtest("no_eh_frame_hdr"))
		test_no_eh_frame_hdr(dir);
	if (test__start_subtest("debug_frame"))
		test_debug_frame(dir);
	if (test__start_subtest("bad_input"))
		test_bad_input(dir);
	run_cmd(NULL, "rm -rf %s", dir);
}
