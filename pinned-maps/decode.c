// SPDX-License-Identifier: GPL-2.0
/*
 * Fields out of rows: per-CPU sums, counting entries, and formatting each
 * field for tables and labels (map_read.c reads the rows).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "log.h"
#include "pinmaps.h"

static void add_int(void *dst, const void *src, __u32 size)
{
	switch (size) {
	case 1:
		*(__u8 *)dst += *(const __u8 *)src;
		break;
	case 2: {
		__u16 a, b;

		memcpy(&a, dst, 2);
		memcpy(&b, src, 2);
		a += b;
		memcpy(dst, &a, 2);
		break;
	}
	case 4: {
		__u32 a, b;

		memcpy(&a, dst, 4);
		memcpy(&b, src, 4);
		a += b;
		memcpy(dst, &a, 4);
		break;
	}
	case 8: {
		__u64 a, b;

		memcpy(&a, dst, 8);
		memcpy(&b, src, 8);
		a += b;
		memcpy(dst, &a, 8);
		break;
	}
	}
}

void pm_value_add(const struct pm_schema *s, void *dst, const void *src)
{
	const struct pm_field *f;
	__u32 i;
	int j;

	for (j = 0; j < s->cnt; j++) {
		f = &s->fields[j];
		if (f->kind == PM_K_INT && !f->bit_size) {
			add_int((char *)dst + f->off,
				(const char *)src + f->off, f->size);
		} else if (f->kind == PM_K_HIST) {
			for (i = 0; i < f->nslots; i++)
				add_int((char *)dst + f->off + i * 8,
					(const char *)src + f->off + i * 8, 8);
			if (f->sum_off >= 0)
				add_int((char *)dst + f->sum_off,
					(const char *)src + f->sum_off, 8);
		}
		/* strings, enums, addresses: CPU 0's copy stands */
	}
}

/* An unsigned integer of 1, 2, 4 or 8 bytes (any alignment). */
static __u64 get_uint(const void *p, __u32 size)
{
	__u8 u8;
	__u16 u16;
	__u32 u32;
	__u64 u64 = 0;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	case 8: memcpy(&u64, p, 8); return u64;
	}
	return 0;
}

static void put_uint(void *p, __u32 size, __u64 v)
{
	__u8 u8 = v;
	__u16 u16 = v;
	__u32 u32 = v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	case 8: memcpy(p, &v, 8); break;
	}
}

bool pm_field_is_counter(const struct pm_field *f)
{
	return (f->kind == PM_K_INT && !f->bit_size && !f->gauge &&
		!f->internal && !f->local) ||
	       f->kind == PM_K_HIST;
}

bool pm_value_delta(const struct pm_schema *s, void *cur, const void *prev)
{
	char *c = cur;
	const char *p = prev;
	const struct pm_field *f;
	bool moved = false, counters = false;
	__u32 i, n, w;
	int j;

	for (j = 0; j < s->cnt; j++) {
		f = &s->fields[j];
		if (!pm_field_is_counter(f))
			continue;
		counters = true;
		/* a histogram is nslots 8-byte counters, then its sum */
		n = f->kind == PM_K_HIST ? f->nslots : 1;
		w = f->kind == PM_K_HIST ? 8 : f->size;
		/* a field below its last value was reset: all of it is new */
		for (i = 0; i < n; i++)
			if (get_uint(c + f->off + i * w, w) <
			    get_uint(p + f->off + i * w, w))
				break;
		if (i < n) {
			moved = true;
			continue;
		}
		for (i = 0; i < n; i++) {
			__u64 d = get_uint(c + f->off + i * w, w) -
				  get_uint(p + f->off + i * w, w);

			put_uint(c + f->off + i * w, w, d);
			moved |= d != 0;
		}
		if (f->kind == PM_K_HIST && f->sum_off >= 0)
			put_uint(c + f->sum_off, 8,
				 get_uint(c + f->sum_off, 8) -
					 get_uint(p + f->sum_off, 8));
	}
	return moved || !counters;
}

bool pm_value_is_zero(const struct pm_map *m, const void *value)
{
	const unsigned char *p = value;
	__u32 i;

	for (i = 0; i < m->info.value_size; i++)
		if (p[i])
			return false;
	return true;
}

int pm_map_count(const struct pm_map *m)
{
	__u32 ksz = m->info.key_size;
	char *a = NULL, *b = NULL;
	void *prev = NULL;
	int n = 0, err = 0;

	if (m->is_array)
		return m->info.max_entries;
	a = malloc(ksz ? ksz : 1);
	b = malloc(ksz ? ksz : 1);
	if (!a || !b) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (!bpf_map_get_next_key(m->fd, prev, a)) {
		char *t = a;

		n++;
		a = b;
		b = t;
		prev = b;
	}
	if (errno != ENOENT)
		err = -errno;
cleanup:
	free(a);
	free(b);
	return err ? err : n;
}

/* The .bss variable @name of value @v, 0 when there is none. */
static __u64 var_u64(const struct pm_map *bss, const void *v, const char *name)
{
	int i;

	for (i = 0; i < bss->value.cnt; i++)
		if (!strcmp(bss->value.fields[i].name, name))
			return pm_field_u64(&bss->value.fields[i], v);
	return 0;
}

/*
 * Nothing deletes from "stacks", so each stack inserted is in the map or
 * was evicted: inserts - entries. Counting the entries takes a syscall
 * per entry, during which new stacks may go in (and evict): the figure
 * holds when no insert was under way before (begin == end) and none ran
 * meanwhile (the counters did not move). A busy host gets several tries.
 */
int pm_stack_evictions(const struct pm_map *bss, const struct pm_map *stacks,
		       __u64 *ev)
{
	const int tries = 32;
	__u64 begin, end, ins;
	char *a, *b;
	int i, n = 0, err = 0;

	*ev = 0;
	a = malloc(bss->info.value_size);
	b = malloc(bss->info.value_size);
	if (!a || !b) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < tries; i++) {
		__u32 zero = 0;

		if (bpf_map_lookup_elem(bss->fd, &zero, a)) {
			err = -errno;
			goto cleanup;
		}
		n = pm_map_count(stacks);
		if (n < 0) {
			err = n;
			goto cleanup;
		}
		if (bpf_map_lookup_elem(bss->fd, &zero, b)) {
			err = -errno;
			goto cleanup;
		}
		begin = var_u64(bss, b, "stack_insert_begin");
		end = var_u64(bss, b, "stack_insert_end");
		ins = var_u64(bss, b, "stack_inserts");
		*ev = ins > (__u64)n ? ins - n : 0;
		if (begin == end &&
		    begin == var_u64(bss, a, "stack_insert_begin") &&
		    end == var_u64(bss, a, "stack_insert_end") &&
		    ins == var_u64(bss, a, "stack_inserts"))
			break;
	}
	err = i == tries;
	if (err)
		p_debug("%s: stacks went in while %s was counted, %d times: %llu evictions, off by those that went in and out meanwhile",
			bss->what, stacks->what, tries,
			(unsigned long long)*ev);
cleanup:
	free(a);
	free(b);
	return err;
}

__u64 pm_field_u64(const struct pm_field *f, const void *data)
{
	const unsigned char *p = (const unsigned char *)data + f->off;
	unsigned int shift;
	__u64 v = 0;

	if (f->bit_size) {
		unsigned __int128 w = 0;

		p = (const unsigned char *)data + f->bit_off / 8;
		memcpy(&w, p, (f->bit_off % 8 + f->bit_size + 7) / 8);
		w >>= f->bit_off % 8;
		v = (__u64)w;
		if (f->bit_size < 64)
			v &= (1ULL << f->bit_size) - 1;
		shift = 64 - f->bit_size;
	} else {
		memcpy(&v, p, f->size <= 8 ? f->size : 8);
		shift = f->size < 8 ? 64 - f->size * 8 : 0;
	}
	if (f->is_signed && shift)
		v = (__u64)(((__s64)(v << shift)) >> shift);
	return v;
}

/* Enumerator name without the prefix all its enumerators share, lowercase:
 * IO_OP_PREAD64 -> pread64.
 */
static int fmt_enum(const struct btf *btf, const struct pm_field *f, __u64 v,
		    char *buf, size_t sz)
{
	const struct btf_type *t = btf__type_by_id(btf, f->type_id);
	const char *name, *match = NULL, *first = NULL;
	size_t prefix = 0, i, k;
	int j, n = btf_vlen(t);

	for (j = 0; j < n; j++) {
		__u64 ev;

		if (btf_is_enum(t)) {
			name = btf__name_by_offset(btf,
						   btf_enum(t)[j].name_off) ?: "";
			ev = (__u64)(__s64)btf_enum(t)[j].val;
			if (!f->is_signed)
				ev &= 0xffffffffULL;
		} else {
			name = btf__name_by_offset(btf,
						   btf_enum64(t)[j].name_off) ?: "";
			ev = btf_enum64_value(&btf_enum64(t)[j]);
		}
		if (!first) {
			first = name;
			prefix = strlen(name);
		}
		for (k = 0; k < prefix && name[k] == first[k]; k++)
			;
		prefix = k;
		if (ev == v && !match)
			match = name;
	}
	if (!match) { /* not a named enumerator: the number */
		snprintf(buf, sz, "%llu", (unsigned long long)v);
		return 0;
	}
	/* cut back to a word boundary: IO_OP_P(READ/WRITE) -> IO_OP_ */
	while (prefix && first[prefix - 1] != '_')
		prefix--;
	if (n == 1 || !match[prefix])
		prefix = 0;
	for (i = 0; match[prefix + i] && i + 1 < sz; i++)
		buf[i] = tolower((unsigned char)match[prefix + i]);
	buf[i] = '\0';
	return 0;
}

/* Kernel addresses, on x86-64 and arm64 (48- and 52-bit VAs). */
#define KADDR_MIN 0xfff0000000000000ULL

/* Does kallsyms show this reader addresses? Its first text symbol says. */
static bool kallsyms_readable(void)
{
	char line[256], type;
	unsigned long long addr;
	bool ok = false;
	FILE *f = fopen("/proc/kallsyms", "r");
	int n = 0;

	while (f && n++ < 100000 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c", &addr, &type) == 2 &&
		    (type == 'T' || type == 't')) {
			ok = addr != 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return ok;
}

bool pm_kaddr_hidden(__u64 v)
{
	static int hide = -1;

	if (v < KADDR_MIN)
		return false;
	if (hide < 0)
		hide = !kallsyms_readable();
	return hide;
}

void pm_argv_join(const unsigned char *p, size_t size, char *buf, size_t sz)
{
	size_t i, o;

	if (!sz)
		return;
	/* a NUL between words is a space; two NULs (or the end) end it */
	for (i = 0, o = 0; i < size && o + 1 < sz; i++) {
		if (!p[i] && (i + 1 >= size || !p[i + 1]))
			break;
		if (!p[i])
			buf[o++] = ' ';
		else
			buf[o++] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : p[i];
	}
	buf[o] = '\0';
}

int pm_field_fmt(const struct btf *btf, const struct pm_field *f,
		 const void *data, char *buf, size_t sz)
{
	const unsigned char *p = (const unsigned char *)data + f->off;
	size_t i, o;
	__u64 v;

	if (!sz)
		return -EINVAL;
	switch (f->kind) {
	case PM_K_INT:
		v = pm_field_u64(f, data);
		if (f->names && v < f->names_cnt &&
		    f->names[v * f->names_len]) {
			snprintf(buf, sz, "%.*s", (int)f->names_len,
				 f->names + v * f->names_len);
			return 0;
		}
		if (!f->is_signed && pm_kaddr_hidden(v))
			v = 0;
		snprintf(buf, sz, f->is_signed ? "%lld" : "%llu",
			 (unsigned long long)v);
		return 0;
	case PM_K_ENUM:
		return fmt_enum(btf, f, pm_field_u64(f, data), buf, sz);
	case PM_K_STR:
		if (f->argv) {
			pm_argv_join(p, f->size, buf, sz);
			return 0;
		}
		for (i = 0, o = 0; i < f->size && p[i] && o + 1 < sz; i++)
			buf[o++] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : p[i];
		buf[o] = '\0';
		return 0;
	case PM_K_STRV:
		buf[0] = '\0';
		for (i = 0, o = 0; i < f->names_cnt && o + 1 < sz; i++) {
			const char *e = (const char *)p + i * f->names_len;

			if (!*e)
				continue;
			o += snprintf(buf + o, sz - o, "%s%.*s", o ? "," : "",
				      (int)f->names_len, e);
		}
		return 0;
	case PM_K_IP:
		/*
		 * Keys that hold both families keep IPv4 as ::ffff:a.b.c.d;
		 * people (and label matchers) know it as a.b.c.d.
		 */
		if (f->size == 16 && IN6_IS_ADDR_V4MAPPED((const void *)p))
			return inet_ntop(AF_INET, p + 12, buf, sz) ? 0 : -errno;
		if (!inet_ntop(f->size == 4 ? AF_INET : AF_INET6, p, buf, sz))
			return -errno;
		return 0;
	case PM_K_HEX:
		/* a byte array (an OpenTelemetry id): its bytes in order */
		if (f->hex_bytes) {
			for (i = 0, o = 0; i < f->size && o + 3 <= sz; i++, o += 2)
				snprintf(buf + o, sz - o, "%02x", p[i]);
			buf[o < sz ? o : sz - 1] = '\0';
			return 0;
		}
		if (f->size <= 8) {
			v = pm_field_u64(f, data);
			snprintf(buf, sz, "0x%llx",
				 pm_kaddr_hidden(v) ? 0ULL : (unsigned long long)v);
			return 0;
		}
		for (i = 0, o = 0; i < f->size && o + 3 <= sz; i++, o += 2) {
			/* arrays of addresses (stack traces): word by word */
			if (!(i % 8) && i + 8 <= f->size && !f->hex_bytes) {
				memcpy(&v, p + i, 8);
				if (pm_kaddr_hidden(v)) {
					snprintf(buf + o, sz - o, "%.*s",
						 (int)(sz - o - 1),
						 "0000000000000000");
					o += 14;
					i += 7;
					continue;
				}
			}
			snprintf(buf + o, sz - o, "%02x", p[i]);
		}
		buf[o < sz ? o : sz - 1] = '\0';
		return 0;
	case PM_K_CGROUP:
		pm_cgroup_name(pm_field_u64(f, data), buf, sz);
		return 0;
	case PM_K_HIST: {
		const __u64 *s = pm_field_slots(f, data);
		__u64 total = 0;

		for (i = 0; i < f->nslots; i++)
			total += s[i];
		snprintf(buf, sz, "%llu", (unsigned long long)total);
		return 0;
	}
	}
	return -EINVAL;
}

const __u64 *pm_field_slots(const struct pm_field *f, const void *data)
{
	return (const __u64 *)((const char *)data + f->off);
}

__u64 pm_field_hist_sum(const struct pm_field *f, const void *data)
{
	__u64 v = 0;

	if (f->sum_off >= 0)
		memcpy(&v, (const char *)data + f->sum_off, 8);
	return v;
}

bool pm_field_is_metric(const struct pm_field *f)
{
	if (f->internal)
		return false;
	return f->kind == PM_K_INT || f->kind == PM_K_HIST;
}
