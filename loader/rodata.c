// SPDX-License-Identifier: GPL-2.0
/*
 * Options become .rodata values through BTF: the loader needs no per-tool
 * code to set a variable, only its name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "rodata.h"

struct var_loc {
	void *data;
	const struct btf *btf;
	const struct btf_type *type; /* resolved: no typedef/const/volatile */
	__u32 size;
};

static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);

		if (bpf_map__is_internal(map) && len >= 7 &&
		    !strcmp(name + len - 7, ".rodata"))
			return map;
	}
	return NULL;
}

static int var_find(struct bpf_object *obj, const char *var,
		    struct var_loc *loc)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec;
	struct bpf_map *map;
	size_t sz;
	char *data;
	int id, i;

	map = rodata_map(obj);
	if (!map || !btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	/* libbpf 1.1 returns it const, yet it is writable until load */
	data = (char *)bpf_map__initial_value(map, &sz);
	if (!data)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vsi = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *v = btf__type_by_id(btf, vsi->type);

		if (strcmp(btf__name_by_offset(btf, v->name_off), var))
			continue;
		if (vsi->offset + vsi->size > sz)
			return -EINVAL;
		loc->data = data + vsi->offset;
		loc->btf = btf;
		loc->size = vsi->size;
		id = btf__resolve_type(btf, v->type);
		if (id < 0)
			return id;
		loc->type = btf__type_by_id(btf, id);
		return 0;
	}
	return -ENOENT;
}

bool rodata_has(struct bpf_object *obj, const char *var)
{
	struct var_loc loc;

	return !var_find(obj, var, &loc);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int set_int(struct var_loc *loc, const char *var, const char *val,
		   bool is_signed, char *why, size_t why_sz)
{
	unsigned long long v, max;
	int err;

	if (ends_with(var, "_ns"))
		err = parse_duration_ns(val, &v);
	else
		err = parse_size(val, &v);
	if (err == -ERANGE) {
		snprintf(why, why_sz, "'%s' is out of range", val);
		return err;
	}
	if (err) {
		snprintf(
			why, why_sz, "'%s' is not a %s", val,
			ends_with(var, "_ns")
				? "duration with a unit: ns, us, ms, s, m or h (e.g. 100ms, 1.5s)"
				: "non-negative number (suffixes k, M, G, T: powers of 1024)");
		return err;
	}
	max = loc->size >= 8 ? ~0ULL : (1ULL << (loc->size * 8)) - 1;
	if (is_signed)
		max >>= 1;
	if (v > max) {
		snprintf(why, why_sz, "%s is out of range (max %llu)", val,
			 max);
		return -ERANGE;
	}
	/* Little- and big-endian alike: copy the low-order bytes. */
	switch (loc->size) {
	case 1: *(__u8 *)loc->data = v; break;
	case 2: *(__u16 *)loc->data = v; break;
	case 4: *(__u32 *)loc->data = v; break;
	case 8: *(__u64 *)loc->data = v; break;
	default:
		snprintf(why, why_sz, "unsupported integer size %u", loc->size);
		return -EINVAL;
	}
	return 0;
}

int rodata_set(struct bpf_object *obj, const char *var, const char *val,
	       char *why, size_t why_sz)
{
	const struct btf_type *t;
	struct var_loc loc;
	int err;

	err = var_find(obj, var, &loc);
	if (err) {
		snprintf(why, why_sz, "the program has no variable %s", var);
		return err;
	}
	t = loc.type;
	if (btf_is_int(t)) {
		__u8 enc = btf_int_encoding(t);

		if (enc & BTF_INT_BOOL) {
			*(__u8 *)loc.data = !val || !strcmp(val, "1") ||
					    !strcmp(val, "true");
			return 0;
		}
		return set_int(&loc, var, val, enc & BTF_INT_SIGNED, why,
			       why_sz);
	}
	if (btf_is_enum(t))
		return set_int(&loc, var, val, false, why, why_sz);
	if (btf_is_array(t)) {
		size_t len = strlen(val);

		/* "" would silently mean "unset", i.e. no filter at all */
		if (!len) {
			snprintf(why, why_sz, "an empty value");
			return -EINVAL;
		}
		if (len >= loc.size) {
			snprintf(why, why_sz, "'%s' is longer than %u bytes",
				 val, loc.size - 1);
			return -ERANGE;
		}
		memset(loc.data, 0, loc.size);
		memcpy(loc.data, val, len);
		return 0;
	}
	snprintf(why, why_sz, "variable %s has a type options cannot set", var);
	return -EINVAL;
}

void *rodata_var(struct bpf_object *obj, const char *var, size_t *size)
{
	struct var_loc loc;

	if (var_find(obj, var, &loc))
		return NULL;
	if (size)
		*size = loc.size;
	return loc.data;
}
