// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what a reader trusts least: a pin's BTF (the btf
 * pin is any bytes someone with write access pinned) and the rows decoded
 * by it. Drives the BTF walk (pm_schema_build) and every renderer (table,
 * JSON, Prometheus) over arbitrary BTF, type ids and row bytes.
 *
 * Input: u32 key type id, u32 value type id, u8 map type selector, u8
 * flags, u16 BTF length, the raw BTF, then rows (key, value) back to back.
 * Sizes come from the BTF, as pm_map_open() requires them to match.
 *
 * pm_map_read() is wrapped (-Wl,--wrap=pm_map_read): rows come from the
 * input, not the kernel.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pinmaps.h"
#include "schema.h"

#define MAX_ROWS 8
#define MAX_SIZE 65536

int __wrap_pm_map_read(struct pm_map *m);

int __wrap_pm_map_read(struct pm_map *m)
{
	(void)m;
	return 0; /* rows are already in m->keys and m->values */
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static const __u32 map_types[] = {
	BPF_MAP_TYPE_HASH,	     BPF_MAP_TYPE_ARRAY,
	BPF_MAP_TYPE_PERCPU_HASH,    BPF_MAP_TYPE_PERCPU_ARRAY,
	BPF_MAP_TYPE_LRU_HASH,	     BPF_MAP_TYPE_LRU_PERCPU_HASH,
};

static FILE *devnull;

static void render(struct pm_map *m)
{
	struct pm_instance in = { .name = "fz@x", .tool = "fz", .label = "x" };
	struct pm_map *maps[1] = { m };
	json_writer_t *jw;
	struct pm_prom *p;

	in.maps = maps;
	in.map_cnt = 1;
	pm_render_table(devnull, &in, m);
	jw = jsonw_new(devnull, true);
	if (jw) {
		pm_render_json(jw, m);
		jsonw_destroy(&jw);
	}
	p = pm_prom_new(m->info.map_flags & 1);
	if (p) {
		pm_prom_add_instance(p, &in);
		pm_prom_print(p, devnull);
		pm_prom_free(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_map *m = NULL;
	struct btf *btf = NULL;
	__u32 kid, vid, btf_len, rowsz, i;
	__s64 ks = 0, vs;
	const uint8_t *rows;
	size_t left;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		libbpf_set_print(quiet);
	}
	if (size < 12)
		return 0;
	memcpy(&kid, data, 4);
	memcpy(&vid, data + 4, 4);
	btf_len = data[10] | data[11] << 8;
	if (btf_len > size - 12)
		return 0;
	btf = btf__new(data + 12, btf_len);
	if (!btf)
		return 0;
	/* As pm_map_open(): the kernel's sizes equal the BTF's. */
	if (kid)
		ks = btf__resolve_size(btf, kid);
	vs = btf__resolve_size(btf, vid);
	if (ks < 0 || ks > MAX_SIZE || vs <= 0 || vs > MAX_SIZE ||
	    !btf__type_by_id(btf, vid))
		goto cleanup;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto cleanup;
	m->fd = -1;
	strcpy(m->name, "fuzzed");
	strcpy(m->what, "fz: maps/fuzzed");
	m->btf = btf;
	m->info.type = map_types[data[8] % 6];
	m->info.map_flags = data[9];
	m->info.key_size = ks ? ks : 4;
	m->info.value_size = vs;
	m->info.max_entries = MAX_ROWS;
	m->key_type_id = kid;
	m->value_type_id = vid;
	m->is_array = m->info.type == BPF_MAP_TYPE_ARRAY ||
		      m->info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	m->percpu = m->info.type == BPF_MAP_TYPE_PERCPU_HASH ||
		    m->info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    m->info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	if (pm_schema_build(m))
		goto cleanup;
	m->decodable = true;

	rows = data + 12 + btf_len;
	left = size - 12 - btf_len;
	rowsz = m->info.key_size + m->info.value_size;
	m->nrows = left / rowsz < MAX_ROWS ? left / rowsz : MAX_ROWS;
	m->keys = malloc((size_t)m->nrows * m->info.key_size + 1);
	m->values = malloc((size_t)m->nrows * m->info.value_size + 1);
	if (!m->keys || !m->values)
		goto cleanup;
	for (i = 0; i < m->nrows; i++) {
		memcpy((char *)m->keys + (size_t)i * m->info.key_size,
		       rows + (size_t)i * rowsz, m->info.key_size);
		memcpy((char *)m->values + (size_t)i * m->info.value_size,
		       rows + (size_t)i * rowsz + m->info.key_size,
		       m->info.value_size);
	}
	render(m);
cleanup:
	if (m) {
		m->own_btf = NULL;
		pm_map_close(m);
	}
	btf__free(btf);
	return 0;
}
