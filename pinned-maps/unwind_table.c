// SPDX-License-Identifier: GPL-2.0
/*
 * The unwind-table compiler (see unwind_table.h). libdw interprets the CFI:
 * for every FDE we ask it for the frame state at the FDE's start, take the
 * row's [start, end) and ask again at end, so each CFI row becomes one
 * unw_row. Rules BPF cannot follow become UNW_CFA_NONE rows, never guesses.
 *
 * .eh_frame FDEs come from .eh_frame_hdr's sorted table (what the runtime
 * unwinder searches, so it is what counts), or from .eh_frame itself when
 * there is no header we can read; .debug_frame FDEs, from the file or its
 * separate debug file, fill only the ranges .eh_frame leaves open.
 * Rows are built in the image's vaddrs and keyed by file offset at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include "debuginfo.h"
#include "grow.h"
#include "unwind_table.h"

/* x86-64 DWARF register numbers */
#define REG_RBP 6
#define REG_RSP 7
#define REG_RA	16

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

/* A CFI row in vaddr space, [start, end), before offsets are known. */
struct seg {
	__u64 start, end;
	struct unw_row row;
};

struct segs {
	struct seg *v;
	size_t n, cap;
};

struct ctx {
	struct unw_image *img;
	GElf_Phdr exec[8]; /* executable PT_LOADs */
	int nr_exec;
	struct segs eh, dbg;
	__u64 hash;
};

static __u64 fnv(__u64 h, const void *p, size_t len)
{
	const unsigned char *s = p;

	while (len--)
		h = (h ^ *s++) * FNV_PRIME;
	return h;
}

static bool is_breg(const Dwarf_Op *op, int *reg, __s64 *off)
{
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*reg = op->atom - DW_OP_breg0;
		*off = (__s64)op->number;
		return true;
	}
	/* libdw renders DW_CFA_def_cfa as bregx: number reg, number2 offset */
	if (op->atom == DW_OP_bregx) {
		*reg = op->number;
		*off = (__s64)op->number2;
		return true;
	}
	return false;
}

static bool fits_s16(__s64 v)
{
	return v >= SHRT_MIN && v <= SHRT_MAX;
}

/*
 * The PLT's CFA (binutils' elf_x86_64_eh_frame_plt): rsp + 8, plus 8 more
 * once the stub has pushed, i.e. when (rip & 15) >= K:
 *   breg7 8; breg16 0; lit15; and; litK; ge; lit3; shl; plus
 */
static bool is_plt_cfa(const Dwarf_Op *ops, size_t n, int *k)
{
	static const Dwarf_Op want[] = {
		{ .atom = DW_OP_breg7, .number = 8 },
		{ .atom = DW_OP_breg16, .number = 0 },
		{ .atom = DW_OP_lit15 },
		{ .atom = DW_OP_and },
		{ .atom = DW_OP_lit0 }, /* litK: any K */
		{ .atom = DW_OP_ge },
		{ .atom = DW_OP_lit3 },
		{ .atom = DW_OP_shl },
		{ .atom = DW_OP_plus },
	};
	size_t i;

	if (n != sizeof(want) / sizeof(want[0]))
		return false;
	for (i = 0; i < n; i++) {
		if (i == 4) {
			if (ops[i].atom < DW_OP_lit0 ||
			    ops[i].atom > DW_OP_lit31)
				return false;
			*k = ops[i].atom - DW_OP_lit0;
			continue;
		}
		if (ops[i].atom != want[i].atom ||
		    ((want[i].atom == DW_OP_breg7 ||
		      want[i].atom == DW_OP_breg16) &&
		     ops[i].number != want[i].number))
			return false;
	}
	return true;
}

/*
 * A DW_CFA_expression rule "saved at rsp + N" (the signal frame's), as libdw
 * gives it: with the CFA it pushes first, which breg7 makes unused.
 */
static bool rsp_slot(Dwarf_Frame *frame, int regno, __s16 *off)
{
	Dwarf_Op mem[3], *ops = NULL;
	size_t n = 0;
	__s64 o;
	int reg;

	if (dwarf_frame_register(frame, regno, mem, &ops, &n) != 0 || !n)
		return false;
	if (ops[0].atom == DW_OP_call_frame_cfa) {
		ops++;
		n--;
	}
	if (n != 1 || !is_breg(&ops[0], &reg, &o) || reg != REG_RSP ||
	    !fits_s16(o))
		return false;
	*off = o;
	return true;
}

/*
 * A register saved at CFA + N: libdw's DW_OP_call_frame_cfa, then
 * DW_OP_plus_uconst N (N wrapped to 64 bits) unless N is 0.
 */
static bool cfa_slot(const Dwarf_Op *ops, size_t n, __s64 *off)
{
	if (n < 1 || n > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	*off = 0;
	if (n == 2) {
		if (ops[1].atom != DW_OP_plus_uconst)
			return false;
		*off = (__s64)ops[1].number;
	}
	return true;
}

/*
 * The row for @frame into @row. Returns 0, or 1 when a rule is not one
 * the BPF walker can follow (the row is UNW_CFA_NONE then).
 */
static int frame_row(Dwarf_Frame *frame, bool signal, struct unw_row *row)
{
	Dwarf_Op mem[3], *ops = NULL;
	size_t n = 0;
	int reg, k = 0, res;
	__s64 off;

	memset(row, 0, sizeof(*row));
	row->cfa = UNW_CFA_NONE;
	if (dwarf_frame_cfa(frame, &ops, &n) || !n)
		return 1;

	/* __restore_rt: CFA = *(rsp + N), rip and rbp in the ucontext */
	if (signal || (n == 2 && ops[1].atom == DW_OP_deref)) {
		if (n != 2 || ops[1].atom != DW_OP_deref ||
		    !is_breg(&ops[0], &reg, &off) || reg != REG_RSP ||
		    !fits_s16(off) ||
		    !rsp_slot(frame, REG_RBP, &row->rbp_off) ||
		    !rsp_slot(frame, REG_RA, &row->ra_off))
			goto unsupported;
		row->cfa = UNW_CFA_SIGNAL;
		row->cfa_off = off;
		return 0;
	}

	/* The return address first: undefined marks the outermost frame. */
	ops = NULL;
	res = dwarf_frame_register(frame, REG_RA, mem, &ops, &n);
	if (res == 0 && !n && ops) {
		row->cfa = UNW_CFA_END;
		return 0;
	}
	if (res != 0 || !cfa_slot(ops, n, &off) || off != -8)
		goto unsupported;
	row->ra_off = -8;

	ops = NULL;
	res = dwarf_frame_register(frame, REG_RBP, mem, &ops, &n);
	if (res != 0)
		goto unsupported;
	if (!n) {
		/* ops NULL: same_value; ops_mem: undefined (libdw.h) */
		row->rbp = ops ? UNW_RBP_UNDEF : UNW_RBP_SAME;
	} else if (n == 1 && ops[0].atom == DW_OP_regx &&
		   ops[0].number == REG_RBP) {
		row->rbp = UNW_RBP_SAME;
	} else if (cfa_slot(ops, n, &off) && fits_s16(off)) {
		row->rbp = UNW_RBP_CFA;
		row->rbp_off = off;
	} else {
		goto unsupported;
	}

	if (dwarf_frame_cfa(frame, &ops, &n) || !n)
		goto unsupported;
	if (n == 1 && is_breg(&ops[0], &reg, &off) &&
	    (reg == REG_RSP || reg == REG_RBP) && fits_s16(off)) {
		row->cfa = reg == REG_RSP ? UNW_CFA_RSP : UNW_CFA_RBP;
		row->cfa_off = off;
		return 0;
	}
	if (is_plt_cfa(ops, n, &k)) {
		row->cfa = UNW_CFA_PLT;
		row->cfa_off = k;
		return 0;
	}
unsupported:
	memset(row, 0, sizeof(*row));
	row->cfa = UNW_CFA_NONE;
	return 1;
}

static int push_seg(struct segs *s, __u64 start, __u64 end,
		    const struct unw_row *row)
{
	int err = pm_grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v), 1024);

	if (err)
		return err;
	s->v[s->n].start = start;
	s->v[s->n].end = end;
	s->v[s->n].row = *row;
	s->n++;
	return 0;
}

/*
 * The rows of the FDE that starts at @pc, up to @limit (where the next FDE
 * starts: libdw would otherwise carry on into it).
 */
static int walk_fde(struct ctx *c, Dwarf_CFI *cfi, struct segs *out, __u64 pc,
		    __u64 limit)
{
	Dwarf_Addr start, end;
	struct unw_row row;
	Dwarf_Frame *frame;
	bool signal;
	int err;

	while (pc < limit) {
		if (dwarf_cfi_addrframe(cfi, pc, &frame))
			break;
		if (dwarf_frame_info(frame, &start, &end, &signal) < 0 ||
		    end <= pc) {
			free(frame);
			break;
		}
		c->img->nr_unsupported += frame_row(frame, signal, &row);
		free(frame);
		if (end > limit)
			end = limit;
		err = push_seg(out, pc, end, &row);
		if (err)
			return err;
		pc = end;
	}
	return 0;
}

static Elf_Scn *find_scn(Elf *elf, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *n;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, sh) || sh->sh_type == SHT_NOBITS ||
		    !sh->sh_size)
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static __u64 get_le(const unsigned char *p, int size)
{
	__u64 v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

/* Bytes of a DW_EH_PE_* encoded value, or 0 when we cannot tell. */
static int enc_size(unsigned char enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return 8;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	}
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* The FDEs of a section: [start, end), end ~0 when only the start is known */
struct fdes {
	struct fde_range {
		__u64 start, end;
	} * v;
	size_t n, cap;
};

static int add_fde(struct fdes *f, __u64 start, __u64 end)
{
	int err = pm_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v), 256);

	if (err)
		return err;
	f->v[f->n].start = start;
	f->v[f->n].end = end;
	f->n++;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct fde_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* The rows of every FDE in @f, each up to where the next one starts. */
static int walk_fdes(struct ctx *c, Dwarf_CFI *cfi, struct fdes *f,
		     struct segs *out)
{
	size_t i;
	int err;

	qsort(f->v, f->n, sizeof(*f->v), cmp_range);
	for (i = 0; i < f->n; i++) {
		__u64 limit = f->v[i].end;

		if (i + 1 < f->n && f->v[i + 1].start < limit)
			limit = f->v[i + 1].start;
		c->img->nr_fde++;
		err = walk_fde(c, cfi, out, f->v[i].start, limit);
		if (err)
			return err;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_seg);
	return 0;
}

/*
 * .eh_frame_hdr: version 1, the encodings of eh_frame_ptr, fde_count and
 * the table, then (initial_location, fde) pairs sorted by location. ld
 * writes the table as datarel|sdata4, relative to the header itself.
 * -ENOTSUP: another layout, for scan_fdes().
 */
static int hdr_fdes(const Elf_Data *hd, __u64 hdr_addr, struct fdes *f)
{
	const unsigned char *p = hd->d_buf;
	__u64 count, i, pos = 4;
	int sz, err;

	if (hd->d_size < 4 || p[0] != 1 ||
	    p[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -ENOTSUP;
	sz = p[1] == DW_EH_PE_omit ? 0 : enc_size(p[1]);
	if (p[1] != DW_EH_PE_omit && !sz)
		return -ENOTSUP;
	pos += sz;
	sz = enc_size(p[2]);
	if (!sz || (p[2] & 0x70) || pos + sz > hd->d_size)
		return -ENOTSUP;
	count = get_le(p + pos, sz);
	pos += sz;
	if (count > (hd->d_size - pos) / 8)
		return -ENOTSUP;
	for (i = 0, p += pos; i < count; i++, p += 8) {
		err = add_fde(f, hdr_addr + (__s32)get_le(p, 4), ~0ULL);
		if (err)
			return err;
	}
	return 0;
}

/*
 * How an .eh_frame CIE's FDEs encode their initial location: its 'R'
 * augmentation, after what 'L' and 'P' put before it. -1: not known.
 */
static int cie_fde_enc(const Dwarf_CIE *cie)
{
	const unsigned char *p = cie->augmentation_data;
	const unsigned char *end = p + cie->augmentation_data_size;
	const char *a = cie->augmentation;
	int sz;

	if (a[0] != 'z')
		return a[0] ? -1 : DW_EH_PE_absptr;
	for (a++; *a && p < end; a++) {
		switch (*a) {
		case 'R':
			return *p;
		case 'L':
			p++;
			break;
		case 'P':
			/* the personality routine's pointer, aligned: rare */
			sz = enc_size(*p);
			if (!sz || (*p & 0x70) == DW_EH_PE_aligned)
				return -1;
			p += 1 + sz;
			break;
		case 'S':
		case 'B':
			break;
		default:
			return -1;
		}
	}
	return DW_EH_PE_absptr;
}

/*
 * An FDE's initial location: .debug_frame's is an address; .eh_frame's
 * is encoded as its CIE says, absolute or relative to the field.
 */
static int fde_start(const Dwarf_FDE *fde, int enc, __u64 field_addr,
		     __u64 *start, __u64 *range)
{
	int sz = enc_size(enc);

	if (!sz || fde->end - fde->start < 2 * sz)
		return -ENOTSUP;
	*start = get_le(fde->start, sz);
	*range = get_le(fde->start + sz, sz);
	if ((enc & 0x08) && sz < 8) /* signed */
		*start = (__s64)(*start << (64 - 8 * sz)) >> (64 - 8 * sz);
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
		return 0;
	case DW_EH_PE_pcrel:
		*start += field_addr;
		return 0;
	}
	return -ENOTSUP;
}

/*
 * Every FDE of a CFI section by dwarf_next_cfi(): what .debug_frame
 * needs, and .eh_frame without a header we can read. An FDE whose
 * location we cannot decode is skipped: its range stays a gap.
 */
static int scan_fdes(Elf *elf, const Elf_Data *d, __u64 addr, bool eh,
		     struct fdes *f)
{
	const unsigned char *ident =
		(const unsigned char *)elf_getident(elf, NULL);
	Dwarf_Off off = 0, next, cie_off = -1, cie_next;
	Dwarf_CFI_Entry entry, cie;
	int enc = DW_EH_PE_absptr, err, ret;
	__u64 start, range;

	if (!ident)
		return -ENOEXEC;
	for (;; off = next) {
		ret = dwarf_next_cfi(ident, (Elf_Data *)d, eh, off, &next,
				     &entry);
		if (ret > 0)
			break;
		if (ret < 0) {
			/* an entry it could size can be skipped */
			if (next == (Dwarf_Off)-1 || next <= off)
				break;
			continue;
		}
		if (dwarf_cfi_cie_p(&entry))
			continue;
		if (eh && entry.fde.CIE_pointer != cie_off) {
			cie_off = entry.fde.CIE_pointer;
			enc = -1;
			if (!dwarf_next_cfi(ident, (Elf_Data *)d, eh, cie_off,
					    &cie_next, &cie) &&
			    dwarf_cfi_cie_p(&cie))
				enc = cie_fde_enc(&cie.cie);
		}
		if (enc < 0 ||
		    fde_start(&entry.fde, enc,
			      addr + (entry.fde.start -
				      (const unsigned char *)d->d_buf),
			      &start, &range))
			continue;
		err = add_fde(f, start, start + range);
		if (err)
			return err;
	}
	return 0;
}

/* .eh_frame's FDEs, from .eh_frame_hdr when it can be read. */
static int compile_eh_frame(struct ctx *c, Elf *elf)
{
	struct fdes f = {};
	Dwarf_CFI *cfi = NULL;
	GElf_Shdr sh, hsh;
	Elf_Data *d, *hd;
	Elf_Scn *scn, *hscn;
	int err;

	scn = find_scn(elf, ".eh_frame", &sh);
	if (!scn)
		return 0;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return -ENOEXEC;
	c->hash = fnv(c->hash, d->d_buf, d->d_size);

	hscn = find_scn(elf, ".eh_frame_hdr", &hsh);
	hd = hscn ? elf_getdata(hscn, NULL) : NULL;
	err = hd && hd->d_buf ? hdr_fdes(hd, hsh.sh_addr, &f) : -ENOTSUP;
	if (err == -ENOTSUP) {
		f.n = 0;
		err = scan_fdes(elf, d, sh.sh_addr, true, &f);
	}
	if (err || !f.n)
		goto cleanup;
	cfi = dwarf_getcfi_elf(elf);
	if (!cfi) {
		err = -ENOEXEC;
		goto cleanup;
	}
	err = walk_fdes(c, cfi, &f, &c->eh);
cleanup:
	dwarf_cfi_end(cfi);
	free(f.v);
	return err;
}

/* .debug_frame of @delf: the image or its debug file. */
static int compile_debug_frame(struct ctx *c, Elf *delf)
{
	struct fdes f = {};
	Dwarf *dw = NULL;
	Dwarf_CFI *cfi;
	GElf_Shdr sh;
	Elf_Data *d;
	Elf_Scn *scn;
	int err = 0;

	/* dwarf_begin_elf() decompresses the section: read it after */
	dw = dwarf_begin_elf(delf, DWARF_C_READ, NULL);
	cfi = dw ? dwarf_getcfi(dw) : NULL;
	scn = find_scn(delf, ".debug_frame", &sh);
	d = scn ? elf_getdata(scn, NULL) : NULL;
	if (!cfi || !d || !d->d_buf)
		goto cleanup;
	c->hash = fnv(c->hash, d->d_buf, d->d_size);
	err = scan_fdes(delf, d, 0, false, &f);
	if (!err)
		err = walk_fdes(c, cfi, &f, &c->dbg);
cleanup:
	free(f.v);
	dwarf_end(dw);
	return err;
}

/* The .debug_frame to read: the image's own, or its debug file's. */
static int debug_frame(struct ctx *c, Elf *elf, const char *path)
{
	char dpath[PATH_MAX];
	Elf *delf = NULL;
	GElf_Shdr sh;
	int fd, err;

	if (find_scn(elf, ".debug_frame", &sh))
		return compile_debug_frame(c, elf);
	if (debuginfo_find(elf, path, dpath, sizeof(dpath)))
		return 0;
	fd = open(dpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	err = 0;
	delf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (delf && find_scn(delf, ".debug_frame", &sh))
		err = compile_debug_frame(c, delf);
	elf_end(delf);
	close(fd);
	return err;
}

/*
 * Add the .debug_frame rows for the ranges the .eh_frame rows leave open.
 * Both lists are sorted and free of overlaps.
 */
static int merge_debug(struct ctx *c)
{
	size_t i, j = 0, n_eh = c->eh.n;
	struct seg *eh;
	__u64 s, e;
	int err;

	for (i = 0; i < c->dbg.n; i++) {
		const struct seg *d = &c->dbg.v[i];

		s = d->start;
		while (s < d->end) {
			eh = c->eh.v; /* push_seg may move it */
			while (j < n_eh && eh[j].end <= s)
				j++;
			if (j < n_eh && eh[j].start <= s) {
				s = eh[j].end;
				continue;
			}
			e = d->end;
			if (j < n_eh && eh[j].start < e)
				e = eh[j].start;
			err = push_seg(&c->eh, s, e, &d->row);
			if (err)
				return err;
			s = e;
		}
	}
	if (c->eh.n > n_eh)
		qsort(c->eh.v, c->eh.n, sizeof(*c->eh.v), cmp_seg);
	return 0;
}

static bool same_rule(const struct unw_row *a, const struct unw_row *b)
{
	return a->cfa == b->cfa && a->rbp == b->rbp &&
	       a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off &&
	       a->ra_off == b->ra_off;
}

static int add_row(struct unw_image *img, size_t *cap, __u32 off,
		   const struct unw_row *row)
{
	int err;

	/* a row starting where the last one did replaces it */
	if (img->nr && img->rows[img->nr - 1].off == off)
		img->nr--;
	if (img->nr && same_rule(&img->rows[img->nr - 1], row))
		return 0;
	err = pm_grow(&img->rows, cap, img->nr + 1, sizeof(*img->rows), 1024);
	if (err)
		return err;
	img->rows[img->nr] = *row;
	img->rows[img->nr].off = off;
	img->nr++;
	return 0;
}

/*
 * The vaddr rows to file-offset rows: each range through the executable
 * PT_LOAD that holds it (BPF sees ip - vm_start + vm_pgoff * PAGE_SIZE),
 * NONE rows in the gaps and after the last range.
 */
static int emit_rows(struct ctx *c)
{
	static const struct unw_row none = { .cfa = UNW_CFA_NONE };
	struct unw_image *img = c->img;
	__u64 s, e, end = 0;
	size_t i, cap = 0;
	GElf_Phdr *ph = NULL;
	int k, err;

	for (i = 0; i < c->eh.n; i++) {
		const struct seg *g = &c->eh.v[i];

		for (k = 0; k < c->nr_exec; k++) {
			ph = &c->exec[k];
			if (g->start >= ph->p_vaddr &&
			    g->start < ph->p_vaddr + ph->p_filesz)
				break;
		}
		if (k == c->nr_exec)
			continue;
		e = g->end;
		if (e > ph->p_vaddr + ph->p_filesz)
			e = ph->p_vaddr + ph->p_filesz;
		s = g->start - ph->p_vaddr + ph->p_offset;
		e = e - ph->p_vaddr + ph->p_offset;
		/* offsets only grow with vaddrs in any ELF ld writes */
		if (s < end)
			s = end;
		if (e > UINT_MAX)
			e = UINT_MAX;
		if (s >= e)
			continue;
		if (img->nr && s > end) {
			err = add_row(img, &cap, end, &none);
			if (err)
				return err;
		}
		err = add_row(img, &cap, s, &g->row);
		if (err)
			return err;
		end = e;
	}
	if (!img->nr)
		return -ENODATA;
	return add_row(img, &cap, end, &none);
}

static int compile(int fd, const char *path, struct unw_image *img)
{
	struct ctx c = { .img = img, .hash = FNV_OFFSET };
	bool have_dbg = false;
	const void *id;
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t i, n;
	ssize_t len;
	int err;
	Elf *elf;

	memset(img, 0, sizeof(*img));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		err = -ENOTSUP;
		goto cleanup;
	}
	if (elf_getphdrnum(elf, &n)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	for (i = 0;
	     i < n && c.nr_exec < (int)(sizeof(c.exec) / sizeof(c.exec[0]));
	     i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		c.exec[c.nr_exec++] = ph;
		img->text_bytes += ph.p_filesz;
	}

	len = dwelf_elf_gnu_build_id(elf, &id);
	if (len > 0) {
		img->build_id_size =
			len < UNWIND_BUILD_ID_SIZE ? len : UNWIND_BUILD_ID_SIZE;
		memcpy(img->build_id, id, img->build_id_size);
	}

	err = compile_eh_frame(&c, elf);
	if (err)
		goto cleanup;
	n = c.eh.n;
	err = debug_frame(&c, elf, path);
	if (err)
		goto cleanup;
	err = merge_debug(&c);
	if (err)
		goto cleanup;
	have_dbg = c.eh.n > n;
	if (!c.eh.n) {
		err = -ENODATA;
		goto cleanup;
	}
	err = emit_rows(&c);
	if (err)
		goto cleanup;
	img->source = "eh_frame";
	if (have_dbg)
		img->source = n ? "eh_frame+debug_frame" : "debug_frame";
	img->table_id = len > 0 ? fnv(FNV_OFFSET, id, len) : c.hash;
	if (!img->table_id)
		img->table_id = 1;
cleanup:
	free(c.eh.v);
	free(c.dbg.v);
	elf_end(elf);
	if (err)
		unw_image_free(img);
	return err;
}

int unw_image_compile_fd(int fd, struct unw_image *img)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0 || path[0] != '/')
		return compile(fd, NULL, img);
	path[n] = '\0';
	return compile(fd, path, img);
}

int unw_image_compile(const char *path, struct unw_image *img)
{
	int fd, err;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = compile(fd, path, img);
	close(fd);
	return err;
}

void unw_image_free(struct unw_image *img)
{
	free(img->rows);
	memset(img, 0, sizeof(*img));
}

const struct unw_row *unw_image_find(const struct unw_image *img, __u32 off)
{
	size_t lo = 0, hi = img->nr;

	/* the first row past @off; the one before it covers @off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->rows[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &img->rows[lo - 1] : NULL;
}
