// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for fuzz_decode from real pins: for every decodable map of the
 * instances named, one file in fuzz_decode's input format (type ids, map
 * type, the instance's BTF, up to 8 rows as the reader read them).
 * Usage: gen_seeds DIR INSTANCE...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "log.h"
#include "pinmaps.h"

static const __u32 map_types[] = {
	BPF_MAP_TYPE_HASH,	     BPF_MAP_TYPE_ARRAY,
	BPF_MAP_TYPE_PERCPU_HASH,    BPF_MAP_TYPE_PERCPU_ARRAY,
	BPF_MAP_TYPE_LRU_HASH,	     BPF_MAP_TYPE_LRU_PERCPU_HASH,
};

static int write_seed(const char *dir, const struct pm_instance *in,
		      struct pm_map *m)
{
	__u32 btf_len, i, sel = 0;
	const void *raw;
	char path[4096];
	__u8 hdr[12];
	FILE *f;

	raw = btf__raw_data(m->btf, &btf_len);
	if (!raw || btf_len > 0xffff || pm_map_read(m))
		return -EINVAL;
	for (i = 0; i < 6; i++)
		if (map_types[i] == m->info.type)
			sel = i;
	memcpy(hdr, &m->key_type_id, 4);
	memcpy(hdr + 4, &m->value_type_id, 4);
	hdr[8] = sel;
	hdr[9] = 0;
	hdr[10] = btf_len & 0xff;
	hdr[11] = btf_len >> 8;
	snprintf(path, sizeof(path), "%s/%s-%s", dir, in->name, m->name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(raw, 1, btf_len, f);
	for (i = 0; i < m->nrows && i < 8; i++) {
		/* keyless maps (DATASEC) still take key_size bytes */
		fwrite(pm_row_key(m, i), 1, m->info.key_size, f);
		fwrite(pm_row_value(m, i), 1, m->info.value_size, f);
	}
	fclose(f);
	printf("%s: %u rows\n", path, m->nrows);
	return 0;
}

int main(int argc, char **argv)
{
	struct pm_instance *in;
	int i, j;

	prog_name = "gen_seeds";
	if (argc < 3) {
		fprintf(stderr, "Usage: gen_seeds DIR INSTANCE...\n");
		return EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		if (pm_instance_open(argv[i], &in))
			return EXIT_FAIL;
		for (j = 0; j < in->map_cnt; j++)
			if (in->maps[j]->decodable && in->maps[j]->btf)
				write_seed(argv[1], in, in->maps[j]);
		pm_instance_close(in);
	}
	return 0;
}
