// SPDX-License-Identifier: GPL-2.0
/*
 * JSON rows in the shape of `bpftool map dump -j`'s "formatted" objects, so
 * a test can compare the two: same member names, char arrays as strings,
 * enums by enumerator name, DATASECs as {".bss": [{"var": v}]}. Two
 * differences, on purpose: a per-CPU map's entry has the summed "value"
 * where bpftool lists "values": [{"cpu": N, "value": ...}], and a UTF-8
 * char array is a string (see is_str_array()).
 */
#include <ctype.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pinmaps.h"

static void dump_type(json_writer_t *jw, const struct btf *btf, __u32 id,
		      __u8 bit_off, __u8 bit_size, const void *data);

/*
 * The end of the key or value being dumped, and the nesting depth: the btf
 * pin is whatever bytes were pinned there, so its BTF must not make us read
 * past the row or recurse without end (selftests/fuzz/fuzz_decode). The
 * reader is single-threaded.
 */
static const char *dump_end;
static int dump_depth, dump_budget;
#define MAX_DUMP_DEPTH 32
#define MAX_DUMP_NODES 65536 /* per value: wide and deep BTF is exponential */

static __u64 read_bits(const void *data, __u8 bit_off, __u8 bit_size)
{
	unsigned __int128 w = 0;
	__u64 v;

	if (bit_off + bit_size > 128 ||
	    (const char *)data + (bit_off + bit_size + 7) / 8 > dump_end)
		return 0;
	memcpy(&w, data, (bit_off + bit_size + 7) / 8);
	v = (__u64)(w >> bit_off);
	return bit_size < 64 ? v & ((1ULL << bit_size) - 1) : v;
}

static void dump_int(json_writer_t *jw, const struct btf_type *t, __u8 bit_off,
		     __u8 bit_size, const void *data)
{
	__u8 enc = btf_int_encoding(t);
	__s64 sv = 0;
	__u64 v = 0;
	int shift;

	if (bit_size || btf_int_bits(t) % 8 || btf_int_offset(t)) {
		bit_off += btf_int_offset(t);
		v = read_bits(data, bit_off,
			      bit_size ? bit_size : btf_int_bits(t));
		/* bpftool prints bitfields in hex, as strings */
		jsonw_printf(jw, "\"0x%llx\"", (unsigned long long)v);
		return;
	}
	if (t->size > 16) { /* only crafted BTF has wider ints */
		jsonw_null(jw);
		return;
	}
	if (t->size > 8) {
		/* bpftool prints 128-bit integers as hex strings */
		const unsigned char *p = data;
		char buf[40] = "0x";
		int i, o = 2, started = 0;

		for (i = t->size - 1; i >= 0; i--) {
			if (!started && !p[i] && i)
				continue;
			o += snprintf(buf + o, sizeof(buf) - o,
				      started ? "%02x" : "%x", p[i]);
			started = 1;
		}
		jsonw_string(jw, buf);
		return;
	}
	memcpy(&v, data, t->size);
	if (t->size == 8 && !(enc & BTF_INT_SIGNED) && pm_kaddr_hidden(v))
		v = 0;
	if (enc & BTF_INT_BOOL) {
		jsonw_bool(jw, v);
		return;
	}
	if (enc & BTF_INT_SIGNED) {
		shift = 64 - t->size * 8;
		sv = shift ? ((__s64)(v << shift)) >> shift : (__s64)v;
		jsonw_i64(jw, sv);
		return;
	}
	jsonw_u64(jw, v);
}

static void dump_enum(json_writer_t *jw, const struct btf *btf,
		      const struct btf_type *t, const void *data)
{
	__s64 sv = 0;
	__u64 v = 0;
	int i;

	if (t->size > 8) {
		jsonw_null(jw);
		return;
	}
	memcpy(&v, data, t->size);
	if (t->size < 8 && btf_kflag(t)) {
		int shift = 64 - t->size * 8;

		v = (__u64)(((__s64)(v << shift)) >> shift);
	}
	for (i = 0; i < btf_vlen(t); i++) {
		__u64 ev;
		__u32 name_off;

		if (btf_is_enum(t)) {
			ev = (__u64)(__s64)btf_enum(t)[i].val;
			name_off = btf_enum(t)[i].name_off;
			if (!btf_kflag(t))
				ev &= 0xffffffffULL;
			if (t->size < 8 && !btf_kflag(t))
				v &= (1ULL << (t->size * 8)) - 1;
		} else {
			ev = btf_enum64_value(&btf_enum64(t)[i]);
			name_off = btf_enum64(t)[i].name_off;
		}
		if (ev == v) {
			jsonw_string(jw, btf__name_by_offset(btf, name_off));
			return;
		}
	}
	sv = (__s64)v;
	if (btf_kflag(t))
		jsonw_i64(jw, sv);
	else
		jsonw_u64(jw, v);
}

/* The length of the UTF-8 sequence @s starts, 0 if it is not one. */
static int utf8_len(const unsigned char *s, const unsigned char *end)
{
	int n, i;

	if (*s < 0xc2 || *s > 0xf4)
		return 0;
	n = *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : 2;
	if (end - s < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* bpftool's rule: a char (not a typedef of one) array with a NUL and only
 * printable bytes before it is a string. Unlike bpftool, printable
 * includes UTF-8 sequences, so a comm such as "café" is a string here as
 * in the table, not an array of negative numbers.
 */
static bool is_str_array(const struct btf *btf, const struct btf_array *arr,
			 const char *s)
{
	const struct btf_type *e = btf__type_by_id(btf, arr->type);
	const char *end = s + arr->nelems;

	for (int hops = 0; e && btf_is_mod(e) && hops < MAX_DUMP_DEPTH; hops++)
		e = btf__type_by_id(btf, e->type);
	if (!arr->nelems || !e || !btf_is_int(e) || e->size != 1)
		return false;
	if (btf_int_encoding(e) != BTF_INT_CHAR &&
	    strcmp(btf__name_by_offset(btf, e->name_off) ?: "", "char"))
		return false;
	while (s < end) {
		const unsigned char c = *s;
		int n;

		if (!c)
			return true;
		if (c >= 0x20 && c < 0x7f) {
			s++;
			continue;
		}
		n = utf8_len((const unsigned char *)s,
			     (const unsigned char *)end);
		if (!n)
			return false;
		s += n;
	}
	return false;
}

static void dump_array(json_writer_t *jw, const struct btf *btf,
		       const struct btf_type *t, const void *data)
{
	const struct btf_array *arr = btf_array(t);
	__s64 esz = btf__resolve_size(btf, arr->type);
	__u32 i;

	if (is_str_array(btf, arr, data)) {
		jsonw_string(jw, data);
		return;
	}
	jsonw_start_array(jw);
	for (i = 0; i < arr->nelems && esz > 0; i++)
		dump_type(jw, btf, arr->type, 0, 0,
			  (const char *)data + i * esz);
	jsonw_end_array(jw);
}

/*
 * The struct whose argv members were looked up last, and which they are:
 * looking tags up walks the whole BTF, too slow to do per row. Reset per
 * map (pm_render_json), whose BTF lives as long as the render.
 */
static struct {
	const struct btf *btf;
	__u32 id;
	__u64 argv; /* bit i: member i is tagged pinsight:fmt=argv */
} argv_cache;

static bool is_argv_member(const struct btf *btf, __u32 owner, int comp)
{
	const struct btf_type *t;
	int i;

	if (comp >= 64)
		return false;
	if (argv_cache.btf != btf || argv_cache.id != owner) {
		argv_cache.btf = btf;
		argv_cache.id = owner;
		argv_cache.argv = 0;
		t = btf__type_by_id(btf, owner);
		for (i = 0; t && i < btf_vlen(t) && i < 64; i++)
			if (pm_btf_member_tagged(btf, owner, i,
						 "pinsight:fmt=argv"))
				argv_cache.argv |= 1ULL << i;
	}
	return argv_cache.argv & (1ULL << comp);
}

/* An argv member (pinsight:fmt=argv) reads as the table shows it. */
static bool dump_argv(json_writer_t *jw, const struct btf *btf, __u32 owner,
		      int comp, __u32 type, const void *data)
{
	const struct btf_type *t = btf__type_by_id(btf, type);
	__s64 sz = btf__resolve_size(btf, type);
	char buf[1024];

	if (!t || !btf_is_array(t) || sz <= 0 ||
	    (const char *)data + sz > dump_end ||
	    !is_argv_member(btf, owner, comp))
		return false;
	pm_argv_join(data, sz, buf, sizeof(buf));
	jsonw_string(jw, buf);
	return true;
}

static void dump_struct(json_writer_t *jw, const struct btf *btf, __u32 id,
			const struct btf_type *t, const void *data)
{
	const struct btf_member *m = btf_members(t);
	__u32 bits, bsz;
	int i;

	jsonw_start_object(jw);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		bits = btf_member_bit_offset(t, i);
		bsz = btf_member_bitfield_size(t, i);
		jsonw_name(jw, btf__name_by_offset(btf, m->name_off));
		if (!bsz && dump_argv(jw, btf, id, i, m->type,
				      (const char *)data + bits / 8))
			continue;
		dump_type(jw, btf, m->type, bsz ? bits % 8 : 0, bsz,
			  (const char *)data + bits / 8);
	}
	jsonw_end_object(jw);
}

static void dump_datasec(json_writer_t *jw, const struct btf *btf,
			 const struct btf_type *t, const void *data)
{
	const struct btf_var_secinfo *vsi = btf_var_secinfos(t);
	const struct btf_type *v;
	int i;

	jsonw_start_object(jw);
	jsonw_name(jw, btf__name_by_offset(btf, t->name_off));
	jsonw_start_array(jw);
	for (i = 0; i < btf_vlen(t); i++, vsi++) {
		v = btf__type_by_id(btf, vsi->type);
		if (!v)
			continue;
		jsonw_start_object(jw);
		jsonw_name(jw, btf__name_by_offset(btf, v->name_off));
		dump_type(jw, btf, v->type, 0, 0,
			  (const char *)data + vsi->offset);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

static void dump_type(json_writer_t *jw, const struct btf *btf, __u32 id,
		      __u8 bit_off, __u8 bit_size, const void *data)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	__s64 sz = btf__resolve_size(btf, id);
	int hops = 0;

	/* bounded: a crafted typedef cycle would loop here forever */
	while (t && (btf_is_mod(t) || btf_is_typedef(t) || btf_is_var(t)) &&
	       hops++ < MAX_DUMP_DEPTH) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (!t || sz < 0 || (const char *)data + sz > dump_end ||
	    dump_depth >= MAX_DUMP_DEPTH || --dump_budget < 0) {
		jsonw_null(jw);
		return;
	}
	dump_depth++;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		dump_int(jw, t, bit_off, bit_size, data);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (bit_size)
			jsonw_printf(jw, "\"0x%llx\"",
				     (unsigned long long)read_bits(
					     data, bit_off, bit_size));
		else
			dump_enum(jw, btf, t, data);
		break;
	case BTF_KIND_PTR: {
		__u64 p = 0;

		/* a PTR's size field is its pointee's type id: use sz */
		memcpy(&p, data, sz > 0 && sz <= 8 ? sz : 8);
		if (pm_kaddr_hidden(p))
			p = 0;
		jsonw_u64(jw, p);
		break;
	}
	case BTF_KIND_ARRAY:
		dump_array(jw, btf, t, data);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		dump_struct(jw, btf, id, t, data);
		break;
	case BTF_KIND_DATASEC:
		dump_datasec(jw, btf, t, data);
		break;
	case BTF_KIND_FLOAT:
		if (t->size == 4)
			jsonw_double(jw, *(const float *)data);
		else if (t->size == 8)
			jsonw_double(jw, *(const double *)data);
		else
			jsonw_null(jw);
		break;
	default:
		jsonw_null(jw);
	}
	dump_depth--;
}

/* Dump @size bytes at @data as type @id. */
static void dump_value(json_writer_t *jw, const struct btf *btf, __u32 id,
		       const void *data, size_t size)
{
	dump_end = (const char *)data + size;
	dump_depth = 0;
	dump_budget = MAX_DUMP_NODES;
	dump_type(jw, btf, id, 0, 0, data);
}

void pm_json_btf_value(json_writer_t *jw, const struct btf *btf, __u32 type_id,
		       const void *data)
{
	__s64 sz = btf__resolve_size(btf, type_id);

	/* the caller holds a whole value of this type */
	dump_value(jw, btf, type_id, data, sz > 0 ? sz : 0);
}

/*
 * Key fields whose label is a name the raw key does not hold (a cgroup id
 * as its unit or container id), as "labels": {"cgroup": "nginx.service"};
 * nothing for other maps, so the entry stays bpftool's shape.
 */
static void dump_labels(json_writer_t *jw, const struct pm_map *m,
			const void *key)
{
	const struct pm_field *f;
	bool open = false;
	char v[256];
	int i;

	for (i = 0; i < m->key.cnt; i++) {
		f = &m->key.fields[i];
		if (f->kind != PM_K_CGROUP)
			continue;
		if (!open) {
			jsonw_name(jw, "labels");
			jsonw_start_object(jw);
			open = true;
		}
		pm_field_fmt(m->btf, f, key, v, sizeof(v));
		jsonw_string_field(jw, pm_label_name(f), v);
	}
	if (open)
		jsonw_end_object(jw);
}

static void json_map_head(json_writer_t *jw, const struct pm_map *m)
{
	char tbuf[32];

	jsonw_start_object(jw);
	jsonw_string_field(jw, "map", m->name);
	jsonw_string_field(jw, "type",
			   pm_map_type_str(m->info.type, tbuf, sizeof(tbuf)));
}

struct json_scan {
	json_writer_t *jw;
	bool open; /* the map's object and its entries array are started */
};

static int json_rows(void *ctx, const struct pm_map *m, const void *keys,
		     const void *values, __u32 n)
{
	struct json_scan *js = ctx;
	json_writer_t *jw = js->jw;
	__u32 i;

	/* begun by the first batch: an unreadable map prints nothing */
	if (!js->open) {
		json_map_head(jw, m);
		jsonw_name(jw, "entries");
		jsonw_start_array(jw);
		js->open = true;
	}
	for (i = 0; i < n; i++) {
		/* unused array slots are all zero, as in the table */
		if (m->is_array && m->info.max_entries > 1 &&
		    pm_value_is_zero(m, pm_value_at(m, values, i)))
			continue;
		jsonw_start_object(jw);
		if (m->key_type_id) {
			jsonw_name(jw, "key");
			dump_value(jw, m->btf, m->key_type_id,
				   pm_key_at(m, keys, i), m->info.key_size);
			dump_labels(jw, m, pm_key_at(m, keys, i));
		}
		jsonw_name(jw, "value");
		dump_value(jw, m->btf, m->value_type_id,
			   pm_value_at(m, values, i), m->info.value_size);
		jsonw_end_object(jw);
	}
	return 0;
}

int pm_render_json(json_writer_t *jw, struct pm_map *m)
{
	struct json_scan js = { .jw = jw };
	int err;

	argv_cache.btf = NULL;
	if (!m->decodable) {
		/* no rows to show: say so rather than print an empty list */
		json_map_head(jw, m);
		jsonw_bool_field(jw, "decoded", false);
		jsonw_end_object(jw);
		return 0;
	}
	err = pm_map_scan(m, json_rows, &js);
	if (err && !js.open)
		return err;
	if (!js.open) /* no entries */
		json_rows(&js, m, NULL, NULL, 0);
	/* a read that failed midway still leaves valid JSON */
	jsonw_end_array(jw);
	jsonw_end_object(jw);
	return err;
}
