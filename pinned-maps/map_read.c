// SPDX-License-Identifier: GPL-2.0
/*
 * Reading rows out of maps, a bounded batch at a time: hash maps with
 * batch lookups (one syscall per batch, not two per entry), falling back to
 * get_next_key + lookup where the kernel or map type has no batch ops;
 * arrays by index. Per-CPU values are summed as each batch arrives and the
 * batch is handed on before the next is read, so a reader's memory is the
 * batch, not the map (bpftool's dump needs ~2 MiB whatever the map holds).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pinmaps.h"

/*
 * Bytes of keys, raw and summed values per batch: big enough that the
 * syscalls stay few (~300 entries of io_comm on 2 CPUs), small next to the
 * reader's own few MiB. A batch holds at least SCAN_MIN entries, as a hash
 * batch must take a whole bucket at once.
 */
#define SCAN_BYTES (256 << 10)
#define SCAN_MIN   16
#define SCAN_MAX   4096

/* The kernel's ENOTSUPP, which it returns for maps without batch ops. */
#define ENOTSUPP_KERNEL 524

struct scan {
	struct pm_map *m;
	pm_rows_fn fn;
	void *ctx;
	int ncpu;
	__u32 cap; /* entries per batch */
	__u32 seen; /* rows handed on so far */
	size_t rsz; /* one raw value: value_size, or a slot per CPU */
	void *keys, *raw, *sums, *prev;
};

/* Per-CPU values come as one round_up(value_size, 8) slot per CPU. */
static size_t raw_value_size(const struct pm_map *m, int ncpu)
{
	if (!m->percpu)
		return m->info.value_size;
	return (size_t)((m->info.value_size + 7) & ~7U) * ncpu;
}

/* (Re)size the batch buffers for @cap entries. */
static int scan_alloc(struct scan *s, __u32 cap)
{
	const struct pm_map *m = s->m;
	size_t ksz = m->info.key_size ? m->info.key_size : 1;
	void *k, *r, *v = NULL;

	k = realloc(s->keys, cap * ksz);
	if (k)
		s->keys = k;
	r = realloc(s->raw, cap * s->rsz);
	if (r)
		s->raw = r;
	/* only per-CPU values need room of their own to be summed into */
	if (m->percpu) {
		v = realloc(s->sums, (size_t)cap * m->info.value_size);
		if (v)
			s->sums = v;
	}
	if (!k || !r || (m->percpu && !v))
		return -ENOMEM;
	s->cap = cap;
	return 0;
}

/* Sum the first @n raw values and hand the batch on. */
static int flush(struct scan *s, __u32 n)
{
	struct pm_map *m = s->m;
	size_t stride = (m->info.value_size + 7) & ~7U;
	const char *raw;
	void *dst;
	__u32 i;
	int cpu;

	if (!n)
		return 0;
	for (i = 0; m->percpu && i < n; i++) {
		raw = (const char *)s->raw + i * s->rsz;
		dst = (char *)s->sums + (size_t)i * m->info.value_size;
		memcpy(dst, raw, m->info.value_size);
		for (cpu = 1; cpu < s->ncpu; cpu++)
			pm_value_add(&m->value, dst, raw + cpu * stride);
	}
	s->seen += n;
	return s->fn(s->ctx, m, s->keys, m->percpu ? s->sums : s->raw, n);
}

/* One more row in the batch: hand the batch on once it is full. */
static int row_added(struct scan *s, __u32 *n)
{
	int err;

	if (++*n < s->cap)
		return 0;
	err = flush(s, *n);
	*n = 0;
	return err;
}

/* .bss's stack_evictions as pm_stack_evictions() says (map_open.c). */
static void put_evictions(const struct pm_map *m, void *v)
{
	__u64 ev;
	int i;
	int err = pm_stack_evictions(m, m->evict_stacks, &ev);

	if (err < 0) { /* the stored 0 stays */
		p_err("%s: cannot count the evictions of %s: %s", m->what,
		      m->evict_stacks->what, strerror(-err));
		return;
	}
	for (i = 0; i < m->value.cnt; i++)
		if (!strcmp(m->value.fields[i].name, "stack_evictions"))
			memcpy((char *)v + m->value.fields[i].off, &ev,
			       sizeof(ev));
}

static int scan_array(struct scan *s)
{
	const struct pm_map *m = s->m;
	__u32 i, n = 0;
	int err;

	for (i = 0; i < m->info.max_entries; i++) {
		if (bpf_map_lookup_elem(m->fd, &i,
					(char *)s->raw + n * s->rsz)) {
			err = -errno;
			p_err("%s: lookup of index %u: %s", m->what, i,
			      strerror(-err));
			return err;
		}
		memcpy((char *)s->keys + (size_t)n * m->info.key_size, &i,
		       m->info.key_size);
		if (m->evict_stacks)
			put_evictions(m, (char *)s->raw + n * s->rsz);
		err = row_added(s, &n);
		if (err)
			return err;
	}
	return flush(s, n);
}

/*
 * Batch lookup: -EINVAL/-EOPNOTSUPP/ENOTSUPP on the first batch mean the
 * kernel or map type has no batch ops (kernels before 5.6, some map
 * kinds); the caller falls back. A bucket bigger than the batch is -ENOSPC:
 * the batch grows. An error after the first batch ends the scan with what
 * was read, as a scrape is a snapshot anyway.
 */
static int scan_hash_batch(struct scan *s)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const struct pm_map *m = s->m;
	__u64 in_tok = 0, out_tok = 0;
	bool first = true, last = false;
	__u32 count;
	int err;

	while (!last && s->seen < m->info.max_entries) {
		count = m->info.max_entries - s->seen;
		count = count < s->cap ? count : s->cap;
		err = bpf_map_lookup_batch(m->fd, first ? NULL : &in_tok,
					   &out_tok, s->keys, s->raw, &count,
					   &opts);
		err = err ? -errno : 0;
		if (err == -ENOSPC && s->cap < m->info.max_entries) {
			err = scan_alloc(s, s->cap * 2);
			if (err)
				return err;
			continue;
		}
		if (err == -ENOENT) {
			last = true; /* count holds the last entries */
		} else if (err && first) {
			return err;
		} else if (err) {
			p_debug("%s: batch lookup stopped: %s", m->what,
				strerror(-err));
			return 0;
		}
		err = flush(s, count);
		if (err)
			return err;
		first = false;
		in_tok = out_tok;
	}
	return 0;
}

static int scan_hash_iter(struct scan *s)
{
	const struct pm_map *m = s->m;
	__u32 ksz = m->info.key_size, n = 0;
	bool first = true;
	void *key;
	int err;

	while (s->seen + n < m->info.max_entries) {
		key = (char *)s->keys + (size_t)n * ksz;
		if (bpf_map_get_next_key(m->fd, first ? NULL : s->prev, key)) {
			err = -errno;
			if (err == -ENOENT)
				break;
			p_err("%s: next key: %s", m->what, strerror(-err));
			return err;
		}
		memcpy(s->prev, key, ksz);
		first = false;
		if (bpf_map_lookup_elem(m->fd, key,
					(char *)s->raw + n * s->rsz)) {
			err = -errno;
			if (err == -ENOENT)
				continue; /* deleted meanwhile */
			p_err("%s: lookup: %s", m->what, strerror(-err));
			return err;
		}
		err = row_added(s, &n);
		if (err)
			return err;
	}
	return flush(s, n);
}

static int not_decodable(const struct pm_map *m)
{
	char buf[32];
	const char *type = pm_map_type_str(m->info.type, buf, sizeof(buf));

	if (!m->value_type_id) {
		/* the contract: every map carries its BTF */
		p_err("%s: %s map without BTF, cannot decode", m->what, type);
		return -EPROTO;
	}
	p_err("%s: cannot decode a %s map", m->what, type);
	return -EOPNOTSUPP;
}

int pm_map_scan(struct pm_map *m, pm_rows_fn fn, void *ctx)
{
	struct scan s = { .m = m, .fn = fn, .ctx = ctx, .ncpu = 1 };
	size_t per;
	__u32 cap;
	int err;

	if (!m->decodable)
		return not_decodable(m);
	/* rows pm_map_read() holds: what the caller read is what it shows */
	if (m->keys) {
		err = m->nrows ? fn(ctx, m, m->keys, m->values, m->nrows) : 0;
		return err > 0 ? 0 : err;
	}
	if (m->percpu) {
		s.ncpu = libbpf_num_possible_cpus();
		if (s.ncpu < 0)
			return s.ncpu;
	}
	s.rsz = raw_value_size(m, s.ncpu);
	per = m->info.key_size + s.rsz + (m->percpu ? m->info.value_size : 0);
	cap = SCAN_BYTES / (per ? per : 1);
	cap = cap < SCAN_MIN ? SCAN_MIN : cap > SCAN_MAX ? SCAN_MAX : cap;
	if (m->info.max_entries && cap > m->info.max_entries)
		cap = m->info.max_entries;
	s.prev = malloc(m->info.key_size ? m->info.key_size : 1);
	err = s.prev ? scan_alloc(&s, cap) : -ENOMEM;
	if (err)
		goto cleanup;
	if (m->is_array) {
		err = scan_array(&s);
		goto cleanup;
	}
	err = scan_hash_batch(&s);
	if (!s.seen &&
	    (err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUPP_KERNEL)) {
		p_debug("%s: no batch lookup (%s), iterating", m->what,
			strerror(-err));
		err = scan_hash_iter(&s);
	} else if (err < 0 && !s.seen) {
		p_err("%s: batch lookup: %s", m->what, strerror(-err));
	}
cleanup:
	free(s.keys);
	free(s.raw);
	free(s.sums);
	free(s.prev);
	return err > 0 ? 0 : err;
}

struct held {
	void *keys, *values;
	__u32 n, cap;
};

/* pm_map_read()'s batch handler: keep the rows. */
static int hold_rows(void *ctx, const struct pm_map *m, const void *keys,
		     const void *values, __u32 n)
{
	struct held *h = ctx;

	/* entries added while we read may not fit: a snapshot is enough */
	if (n > h->cap - h->n)
		n = h->cap - h->n;
	memcpy((char *)h->keys + (size_t)h->n * m->info.key_size, keys,
	       (size_t)n * m->info.key_size);
	memcpy((char *)h->values + (size_t)h->n * m->info.value_size, values,
	       (size_t)n * m->info.value_size);
	h->n += n;
	return 0;
}

int pm_map_read(struct pm_map *m)
{
	struct held h = {};
	int err;

	free(m->keys);
	free(m->values);
	m->keys = m->values = NULL;
	m->nrows = 0;
	if (m->decodable) {
		h.cap = m->info.max_entries ? m->info.max_entries : 1;
		h.keys = calloc(h.cap, m->info.key_size ? m->info.key_size : 1);
		h.values = calloc(h.cap, m->info.value_size);
		if (!h.keys || !h.values) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	err = pm_map_scan(m, hold_rows, &h);
	if (err)
		goto cleanup;
	m->keys = h.keys;
	m->values = h.values;
	m->nrows = h.n;
	return 0;
cleanup:
	free(h.keys);
	free(h.values);
	return err;
}
