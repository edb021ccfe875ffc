// SPDX-License-Identifier: GPL-2.0
/*
 * BTF is the schema: walk a map's key and value types into flat lists of
 * fields (labels and metrics), reading the conventions of progs/pinsight.h
 * from decl tags and field names. No per-tool code lives here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "log.h"
#include "pinmaps.h"
#include "schema.h"

#define MAX_DEPTH 8 /* nested structs; deeper ones are not rows anyway */

/* What decl tags say about one member or variable. */
struct tags {
	bool gauge;
	bool internal;
	char prom[128];
	char names[64];
	char stack[64];
	char exemplars[64];
	char if_var[64];
	int if_bit;
	const char *help; /* in the BTF's strings */
	enum { FMT_NONE, FMT_IP, FMT_HEX, FMT_CGROUP, FMT_ARGV } fmt;
};

struct walk {
	const struct btf *btf;
	struct pm_schema *s;
	bool is_key;
	int err;
	int visits; /* types walked: crafted BTF can nest wide and deep */
};

/* Far beyond any real map, far below what makes a reader hang. */
#define MAX_FIELDS 4096
#define MAX_VISITS 65536

void pm_btf_type_desc(const struct btf *btf, __u32 id, char *buf, size_t sz)
{
	static const char *const kinds[] = {
		[BTF_KIND_INT] = "int",	    [BTF_KIND_PTR] = "pointer",
		[BTF_KIND_ARRAY] = "array", [BTF_KIND_STRUCT] = "struct",
		[BTF_KIND_UNION] = "union", [BTF_KIND_ENUM] = "enum",
		[BTF_KIND_FWD] = "fwd",	    [BTF_KIND_TYPEDEF] = "typedef",
		[BTF_KIND_VAR] = "var",	    [BTF_KIND_DATASEC] = "DATASEC",
		[BTF_KIND_ENUM64] = "enum",
	};
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *name, *kind = NULL;

	if (!t) {
		snprintf(buf, sz, "type %u", id);
		return;
	}
	/* NULL for a bad offset: BTF from a pin is only checked by btf__new() */
	name = btf__name_by_offset(btf, t->name_off) ?: "";
	if (btf_kind(t) < sizeof(kinds) / sizeof(kinds[0]))
		kind = kinds[btf_kind(t)];
	if (btf_is_int(t))
		snprintf(buf, sz, "%s", name);
	else if (name && *name)
		snprintf(buf, sz, "%s %s", kind ? kind : "type", name);
	else
		snprintf(buf, sz, "%s (type %u)", kind ? kind : "type", id);
}

/* "VAR:BIT" of pinsight:if= (BIT 0..63); a malformed one is ignored. */
static void read_if(const char *s, struct tags *tg)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long bit;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(tg->if_var))
		goto bad;
	bit = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || bit < 0 || bit > 63)
		goto bad;
	snprintf(tg->if_var, sizeof(tg->if_var), "%.*s", (int)(colon - s), s);
	tg->if_bit = bit;
	return;
bad:
	p_debug("BTF: malformed tag pinsight:if=%s ignored", s);
}

/* Decl tags on member @comp of type @owner (-1: on the type or var itself). */
static void read_tags(const struct btf *btf, __u32 owner, int comp,
		      struct tags *tg)
{
	__u32 id, n = btf__type_cnt(btf);
	const struct btf_type *t;
	const char *s;

	memset(tg, 0, sizeof(*tg));
	for (id = 1; id < n; id++) {
		t = btf__type_by_id(btf, id);
		if (!btf_is_decl_tag(t) || t->type != owner ||
		    btf_decl_tag(t)->component_idx != comp)
			continue;
		s = btf__name_by_offset(btf, t->name_off);
		if (!s || strncmp(s, "pinsight:", 9))
			continue;
		s += 9;
		if (!strcmp(s, "gauge"))
			tg->gauge = true;
		else if (!strncmp(s, "name=", 5))
			snprintf(tg->prom, sizeof(tg->prom), "%s", s + 5);
		else if (!strncmp(s, "label=", 6))
			snprintf(tg->prom, sizeof(tg->prom), "%s", s + 6);
		else if (!strcmp(s, "fmt=ip"))
			tg->fmt = FMT_IP;
		else if (!strcmp(s, "fmt=hex"))
			tg->fmt = FMT_HEX;
		else if (!strcmp(s, "fmt=cgroup"))
			tg->fmt = FMT_CGROUP;
		else if (!strcmp(s, "fmt=argv"))
			tg->fmt = FMT_ARGV;
		else if (!strncmp(s, "names=", 6))
			snprintf(tg->names, sizeof(tg->names), "%s", s + 6);
		else if (!strncmp(s, "stack=", 6))
			snprintf(tg->stack, sizeof(tg->stack), "%s", s + 6);
		else if (!strncmp(s, "exemplars=", 10))
			snprintf(tg->exemplars, sizeof(tg->exemplars), "%s",
				 s + 10);
		else if (!strcmp(s, "internal"))
			tg->internal = true;
		else if (!strncmp(s, "help=", 5))
			tg->help = s + 5;
		else if (!strncmp(s, "if=", 3))
			read_if(s + 3, tg);
		else
			p_debug("BTF: unknown tag pinsight:%s ignored", s);
	}
}

bool pm_btf_member_tagged(const struct btf *btf, __u32 owner, int comp,
			  const char *tag)
{
	__u32 id, n = btf__type_cnt(btf);
	const struct btf_type *t;

	for (id = 1; id < n; id++) {
		t = btf__type_by_id(btf, id);
		if (btf_is_decl_tag(t) && t->type == owner &&
		    btf_decl_tag(t)->component_idx == comp &&
		    !strcmp(btf__name_by_offset(btf, t->name_off) ?: "", tag))
			return true;
	}
	return false;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcmp(s + n - k, suffix);
}

static enum pm_unit unit_of(const char *name)
{
	if (ends_with(name, "_ns"))
		return PM_UNIT_NS;
	if (ends_with(name, "_us"))
		return PM_UNIT_US;
	if (ends_with(name, "_bytes"))
		return PM_UNIT_BYTES;
	return PM_UNIT_NONE;
}

static const struct btf_type *resolved(const struct btf *btf, __u32 id,
				       __u32 *rid)
{
	int r = btf__resolve_type(btf, id);

	if (r < 0)
		return NULL;
	if (rid)
		*rid = r;
	return btf__type_by_id(btf, r);
}

/* A byte-sized integer element: char[], __u8[], __s8[]. */
static bool is_byte_array(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *e;

	if (!t || !btf_is_array(t))
		return false;
	e = resolved(btf, btf_array(t)->type, NULL);
	return e && btf_is_int(e) && e->size == 1;
}

/*
 * struct hist from progs/pinsight.h, recognized by shape rather than by
 * id: a struct named "hist" whose "slots" member is an array of 8-byte
 * integers. Fills the slot count and the offsets (bits) of slots and sum.
 */
static bool is_hist(const struct btf *btf, const struct btf_type *t,
		    __u32 *nslots, __u32 *slots_bits, int *sum_bits)
{
	const struct btf_member *m;
	const struct btf_type *a, *e;
	const char *name;
	bool found = false;
	int i;

	if (!btf_is_struct(t))
		return false;
	name = btf__name_by_offset(btf, t->name_off);
	if (!name || strcmp(name, "hist"))
		return false;
	*sum_bits = -1;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		name = btf__name_by_offset(btf, m->name_off) ?: "";
		if (!strcmp(name, "slots")) {
			a = resolved(btf, m->type, NULL);
			if (!a || !btf_is_array(a))
				return false;
			e = resolved(btf, btf_array(a)->type, NULL);
			if (!e || !btf_is_int(e) || e->size != 8)
				return false;
			*nslots = btf_array(a)->nelems;
			*slots_bits = btf_member_bit_offset(t, i);
			found = true;
		} else if (!strcmp(name, "sum")) {
			*sum_bits = btf_member_bit_offset(t, i);
		}
	}
	return found && *nslots > 0;
}

static struct pm_field *add_field(struct walk *w, const char *name)
{
	struct pm_field *nv, *f;

	if (w->s->cnt >= MAX_FIELDS) {
		w->err = -E2BIG;
		return NULL;
	}
	nv = realloc(w->s->fields, (w->s->cnt + 1) * sizeof(*nv));
	if (!nv) {
		w->err = -ENOMEM;
		return NULL;
	}
	w->s->fields = nv;
	f = &nv[w->s->cnt++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->sum_off = -1;
	return f;
}

static void walk_type(struct walk *w, __u32 type_id, const char *name,
		      __u32 bits, __u32 bitfield, const struct tags *tg,
		      int depth);

/* @internal: the member holding them is, and so is each of them */
static void walk_members(struct walk *w, __u32 id, const struct btf_type *t,
			 const char *prefix, __u32 bits, int depth,
			 bool internal)
{
	const struct btf_member *m = btf_members(t);
	char sub[sizeof(((struct pm_field *)0)->name)];
	struct tags tg;
	const char *mn;
	int i;

	for (i = 0; i < btf_vlen(t) && !w->err; i++, m++) {
		mn = btf__name_by_offset(w->btf, m->name_off);
		/* anonymous structs and unions add no name part */
		if (!mn || !*mn)
			snprintf(sub, sizeof(sub), "%s", prefix);
		else if (!*prefix)
			snprintf(sub, sizeof(sub), "%s", mn);
		else
			snprintf(sub, sizeof(sub), "%s_%s", prefix, mn);
		read_tags(w->btf, id, i, &tg);
		tg.internal |= internal;
		walk_type(w, m->type, sub, bits + btf_member_bit_offset(t, i),
			  btf_member_bitfield_size(t, i), &tg, depth + 1);
	}
}

static void walk_type(struct walk *w, __u32 type_id, const char *name,
		      __u32 bits, __u32 bitfield, const struct tags *tg,
		      int depth)
{
	__u32 id, nslots = 0, slots_bits = 0;
	const struct btf_type *t;
	struct pm_field *f;
	int sum_bits;

	if (++w->visits > MAX_VISITS) {
		w->err = -E2BIG;
		return;
	}
	t = resolved(w->btf, type_id, &id);
	if (!t || depth > MAX_DEPTH)
		return;
	if (is_hist(w->btf, t, &nslots, &slots_bits, &sum_bits)) {
		f = add_field(w, name);
		if (!f)
			return;
		f->kind = PM_K_HIST;
		f->nslots = nslots;
		f->off = (bits + slots_bits) / 8;
		f->size = nslots * 8;
		f->sum_off = sum_bits < 0 ? -1 : (int)((bits + sum_bits) / 8);
		goto common;
	}
	if (btf_is_composite(t)) {
		/* a top-level struct's fields carry their own names */
		walk_members(w, id, t, depth ? name : "", bits, depth,
			     tg->internal);
		return;
	}
	if (!btf_is_int(t) && !btf_is_any_enum(t) && !btf_is_array(t) &&
	    !btf_is_ptr(t) && !btf_is_float(t))
		return; /* void, functions: nothing to show */
	f = add_field(w, name);
	if (!f)
		return;
	f->off = bits / 8;
	f->size = btf__resolve_size(w->btf, id);
	if (bitfield) {
		f->bit_off = bits;
		f->bit_size = bitfield;
	}
	if (btf_is_int(t)) {
		f->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		if (tg->fmt == FMT_IP && t->size == 4)
			f->kind = PM_K_IP;
		else if (tg->fmt == FMT_HEX || t->size > 8)
			f->kind = PM_K_HEX;
		else if (tg->fmt == FMT_CGROUP && t->size == 8)
			f->kind = PM_K_CGROUP;
		else
			f->kind = PM_K_INT;
	} else if (btf_is_any_enum(t)) {
		f->is_signed = btf_kflag(t);
		f->kind = tg->fmt == FMT_HEX ? PM_K_HEX : PM_K_ENUM;
	} else if (btf_is_array(t) &&
		   is_byte_array(w->btf, resolved(w->btf, btf_array(t)->type,
						  NULL))) {
		f->kind = PM_K_STRV;
		f->names_cnt = btf_array(t)->nelems;
		f->names_len = f->names_cnt ? f->size / f->names_cnt : 0;
	} else if (is_byte_array(w->btf, t)) {
		if (tg->fmt == FMT_IP && (f->size == 4 || f->size == 16))
			f->kind = PM_K_IP;
		else if (tg->fmt == FMT_HEX)
			f->kind = PM_K_HEX;
		else
			f->kind = PM_K_STR;
		/* ids such as an OpenTelemetry span id read in byte order */
		f->hex_bytes = f->kind == PM_K_HEX;
		f->argv = tg->fmt == FMT_ARGV;
	} else {
		/* pointers, floats, arrays of wider elements: bytes in hex */
		f->kind = PM_K_HEX;
	}
common:
	f->type_id = id;
	f->gauge = tg->gauge;
	f->internal = tg->internal;
	f->help = tg->help;
	snprintf(f->names_var, sizeof(f->names_var), "%s", tg->names);
	snprintf(f->stack_map, sizeof(f->stack_map), "%s", tg->stack);
	snprintf(f->exemplars, sizeof(f->exemplars), "%s", tg->exemplars);
	snprintf(f->if_var, sizeof(f->if_var), "%s", tg->if_var);
	f->if_bit = tg->if_bit;
	if (f->stack_map[0] && f->kind == PM_K_INT)
		f->kind = PM_K_HEX; /* ids are hashes: hex reads better */
	snprintf(f->prom, sizeof(f->prom), "%s", tg->prom);
	f->unit = w->is_key ? PM_UNIT_NONE : unit_of(name);
	f->per_pid = w->is_key &&
		     (!strcmp(name, "pid") || !strcmp(name, "tgid") ||
		      !strcmp(name, "tid"));
}

static int walk_datasec(struct walk *w, const struct btf_type *t)
{
	const struct btf_var_secinfo *vsi = btf_var_secinfos(t);
	const struct btf_type *v;
	struct tags tg;
	int i, j, first;

	for (i = 0; i < btf_vlen(t) && !w->err; i++, vsi++) {
		v = btf__type_by_id(w->btf, vsi->type);
		if (!v || !btf_is_var(v))
			continue;
		read_tags(w->btf, vsi->type, -1, &tg);
		first = w->s->cnt;
		walk_type(w, v->type,
			  btf__name_by_offset(w->btf, v->name_off) ?: "",
			  vsi->offset * 8, 0, &tg, 0);
		/* static variables are the program's business, not config */
		for (j = first; j < w->s->cnt; j++)
			w->s->fields[j].local = btf_var(v)->linkage ==
						BTF_VAR_STATIC;
	}
	return w->err;
}

/*
 * The btf pin's BTF is checked by btf__new() only, not by the kernel: a
 * crafted one can place members past the end of their struct. Every field
 * must lie inside the key or value it decodes, or reading it would run
 * past the row (found by selftests/fuzz/fuzz_decode).
 */
static int check_bounds(const struct pm_map *m, const struct pm_schema *s,
			__u32 size, const char *part)
{
	const struct pm_field *f;
	__u64 end;
	int i;

	for (i = 0, f = s->fields; i < s->cnt; i++, f++) {
		end = (__u64)f->off + f->size;
		if (f->bit_size) {
			/* decode.c reads a bitfield through one __u64 */
			if (f->bit_off % 8 + f->bit_size > 64)
				end = ~0ULL;
			else if ((f->bit_off + f->bit_size + 7) / 8 > end)
				end = (f->bit_off + f->bit_size + 7) / 8;
		}
		if (f->kind == PM_K_HIST && f->sum_off >= 0 &&
		    (__u64)f->sum_off + 8 > end)
			end = (__u64)f->sum_off + 8;
		/* size is nslots * 8 in 32 bits: a huge nslots wraps it */
		if (f->kind == PM_K_HIST && (__u64)f->nslots * 8 != f->size)
			end = ~0ULL;
		if ((f->kind == PM_K_INT || f->kind == PM_K_ENUM) && f->size > 8)
			end = ~0ULL;
		/*
		 * Histogram slots are read as __u64s in place, in rows laid
		 * out every @size bytes: any compiler aligns them so; only a
		 * crafted BTF does not (found by fuzz_decode).
		 */
		if (f->kind == PM_K_HIST &&
		    (f->off % 8 || size % 8 || (f->sum_off >= 0 && f->sum_off % 8))) {
			p_err("%s: BTF %s field %s (offset %u) is a histogram not aligned to 8 bytes",
			      m->what, part, f->name, f->off);
			return -EPROTO;
		}
		if (end > size || (int)f->size < 0) {
			p_err("%s: BTF %s field %s (offset %u, %d bytes) does not fit the %u-byte %s",
			      m->what, part, f->name, f->off, (int)f->size,
			      size, part);
			return -EPROTO;
		}
	}
	return 0;
}

int pm_schema_build(struct pm_map *m)
{
	struct walk w = { .btf = m->btf };
	const struct btf_type *t;
	struct tags none = {};
	struct pm_field *f;

	/* keys: internal maps (and some others) have no key type */
	w.s = &m->key;
	w.is_key = true;
	if (m->key_type_id) {
		walk_type(&w, m->key_type_id, "key", 0, 0, &none, 0);
	} else if (m->info.key_size && m->info.key_size <= 8) {
		f = add_field(&w, "key");
		if (f) {
			f->kind = PM_K_INT;
			f->size = m->info.key_size;
		}
	}
	if (w.err)
		return w.err;

	w.s = &m->value;
	w.is_key = false;
	t = resolved(m->btf, m->value_type_id, NULL);
	if (t && btf_is_datasec(t)) {
		m->datasec = true;
		walk_datasec(&w, t);
	} else {
		/* a value that is not a struct is one metric named after the map */
		walk_type(&w, m->value_type_id, m->name, 0, 0, &none, 0);
	}
	if (w.err == -E2BIG) {
		p_err("%s: its BTF nests too wide or too deep to decode",
		      m->what);
		return -EPROTO;
	}
	if (!w.err)
		w.err = check_bounds(m, &m->key, m->info.key_size, "key");
	if (!w.err)
		w.err = check_bounds(m, &m->value, m->info.value_size, "value");
	return w.err;
}
