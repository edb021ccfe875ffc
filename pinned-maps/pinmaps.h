/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpinmaps: read pinsight's pins (PIN-LAYOUT.md) with no per-tool code.
 *
 *   pm_instance_open()   opens <root>/<instance>: every maps/<map> read-only,
 *                        its BTF (the instance's btf pin, else the kernel's
 *                        by id), checked against the map's sizes;
 *   pm_map_scan()        reads every entry a bounded batch at a time,
 *                        per-CPU values summed, and hands each batch on;
 *   pm_map_read()        keeps every entry (for renderers that sort);
 *   struct pm_field      one label (key) or metric (value) as the BTF walk
 *                        found it, with pm_field_*() to read it from a row;
 *   pm_render_*()        table, JSON (bpftool's "formatted" shape), and
 *                        Prometheus text exposition;
 *   pm_list()            instances, programs, maps, config, for both
 *                        `pinsight list` and `pinsight-load list`.
 *
 * Functions return 0 or a negative errno; the ones that open or read pins
 * print the error (object first, then cause) before returning it.
 */
#ifndef __PINMAPS_H
#define __PINMAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include "json_writer.h"

struct btf;

enum pm_unit {
	PM_UNIT_NONE,
	PM_UNIT_NS, /* exported in seconds */
	PM_UNIT_US, /* exported in seconds */
	PM_UNIT_BYTES,
};

enum pm_kind {
	PM_K_INT, /* integer, bool, enum-less scalar: decimal */
	PM_K_ENUM, /* enumerator name, common prefix dropped, lowercase */
	PM_K_STR, /* char[]: a string (pinsight:fmt=argv: NUL-separated) */
	PM_K_IP, /* pinsight:fmt=ip: __u32 in network order or __u8[16] */
	PM_K_HEX, /* pinsight:fmt=hex, pointers, and arrays we cannot name */
	PM_K_HIST, /* struct hist: log2 slots and a sum */
	PM_K_STRV, /* char[n][len]: the non-empty strings, comma-separated */
	PM_K_CGROUP, /* pinsight:fmt=cgroup: __u64 cgroup v2 id, as a name */
};

/* One flattened field of a key or value (nested structs joined by '_'). */
struct pm_field {
	char name[64];
	/* pinsight:label= (key) or pinsight:name= (value) override, or "" */
	char prom[128];
	enum pm_kind kind;
	enum pm_unit unit; /* from the name suffix: _ns, _us, _bytes */
	bool is_signed;
	bool gauge; /* pinsight:gauge */
	bool per_pid; /* key field pid/tgid/tid: dropped unless --per-pid */
	bool local; /* a static variable of a DATASEC: not config, not exported */
	bool internal; /* pinsight:internal: shown, never exported */
	bool argv; /* pinsight:fmt=argv: a string of NUL-separated words */
	/*
	 * PM_K_HEX of a byte array (a trace or span id): its bytes in order,
	 * whatever its size, never read as a number or hidden as a kernel
	 * address
	 */
	bool hex_bytes;
	/*
	 * pinsight:names=VAR: the integer indexes the rodata array of strings
	 * VAR; pm_instance_open() points names at a copy of it (names_cnt
	 * strings of names_len bytes), and the field shows names[value].
	 */
	char names_var[64];
	char stack_map[64]; /* pinsight:stack=MAP: a stack id, frames in MAP */
	/*
	 * pinsight:exemplars=MAP on a histogram: MAP holds struct
	 * hist_exemplar values keyed by this map's key and a __u32 bucket
	 */
	char exemplars[64];
	/*
	 * pinsight:help=TEXT: what the metric means, or NULL; points into
	 * the map's BTF, so it lives as long as the map is open.
	 */
	const char *help;
	/*
	 * pinsight:if=VAR:BIT: the field exists only when bit BIT of the
	 * rodata integer VAR is set; pm_instance_open() drops it otherwise.
	 */
	char if_var[64];
	int if_bit;
	const char *names;
	__u32 names_len, names_cnt;
	__u32 off; /* bytes into the key or value */
	__u32 size; /* bytes; for PM_K_HIST the slots array */
	__u32 bit_off, bit_size; /* bitfields; bit_size 0 when not one */
	__u32 type_id; /* resolved type id (the enum for PM_K_ENUM) */
	__u32 nslots; /* PM_K_HIST */
	int sum_off; /* PM_K_HIST: offset of the __u64 sum, -1 if none */
};

struct pm_schema {
	struct pm_field *fields;
	int cnt;
};

struct pm_map {
	char name[NAME_MAX + 1]; /* the pin's name under maps/ */
	char what[NAME_MAX + 100]; /* "<instance>: maps/<name>", for messages */
	char path[PATH_MAX];
	int fd;
	struct bpf_map_info info;
	const struct btf *btf; /* the instance's, or own_btf */
	struct btf *own_btf;
	/* a hash or array kind with BTF: pm_map_read() can read it */
	bool decodable;
	bool datasec; /* .bss, .data, .rodata: value is a DATASEC of variables */
	bool percpu;
	bool is_array;
	__u32 key_type_id, value_type_id; /* 0 when the map has none */
	struct pm_schema key, value;
	/*
	 * .bss of an instance whose "stacks" map is LRU: its stack_evictions
	 * is read as pm_stack_evictions() of this map, not the stored 0
	 */
	const struct pm_map *evict_stacks;
	/* after pm_map_read(): nrows keys and (summed) values, else NULL */
	__u32 nrows;
	void *keys;
	void *values;
};

struct pm_instance {
	char name[80]; /* "<tool>" or "<tool>@<name>" */
	char tool[80];
	const char *label; /* the part after '@', or NULL */
	char dir[PATH_MAX];
	struct btf *btf; /* from the btf pin; NULL if absent */
	struct pm_map **maps; /* sorted by name */
	int map_cnt;
	void *rodata; /* a copy of the rodata value, for pinsight:names= */
	/* the first error of a map pin that could not be opened (reported
	 * and left out of maps[]), or 0
	 */
	int err;
};

/* ---- map_open.c ---- */

/* Open <root>/<inst>. -ENOENT (with a message) when there is none. */
int pm_instance_open(const char *inst, struct pm_instance **out);
void pm_instance_close(struct pm_instance *in);
struct pm_map *pm_instance_map(const struct pm_instance *in, const char *name);
/* The instance's rodata map, or NULL. */
struct pm_map *pm_instance_config(const struct pm_instance *in);
/*
 * The rodata variable @var of @in, by its BTF name: a field to read from
 * in->rodata (pm_field_u64(f, in->rodata), or in->rodata + f->off), or
 * NULL when the instance has no such variable or no readable rodata.
 */
const struct pm_field *pm_instance_var(const struct pm_instance *in,
				       const char *var);
/*
 * Open one map pin read-only and check it against @btf (NULL: the
 * kernel's BTF by id). @what names it in messages.
 */
int pm_map_open(const char *path, const char *what, const struct btf *btf,
		struct pm_map **out);
void pm_map_close(struct pm_map *m);
/* bpf_map_info's type as libbpf spells it ("percpu_hash"), or "type N". */
const char *pm_map_type_str(__u32 type, char *buf, size_t sz);

/* ---- map_read.c ---- */

/*
 * One batch of @n rows: keys of key_size bytes and values of value_size
 * bytes back to back, per-CPU values summed. Return 0 to go on, > 0 to
 * stop (pm_map_scan() then returns 0), or -errno to fail with.
 */
typedef int (*pm_rows_fn)(void *ctx, const struct pm_map *m, const void *keys,
			  const void *values, __u32 n);
/*
 * Every entry in the map's order (bpftool's), a batch at a time, each
 * handed to @fn before the next is read: memory is one batch, whatever the
 * map's size. Rows that pm_map_read() holds are scanned as one batch.
 */
int pm_map_scan(struct pm_map *m, pm_rows_fn fn, void *ctx);
/* Read and keep every entry in m->keys/m->values (per-CPU values summed). */
int pm_map_read(struct pm_map *m);

static inline const void *pm_key_at(const struct pm_map *m, const void *keys,
				    __u32 i)
{
	return (const char *)keys + (size_t)i * m->info.key_size;
}

static inline const void *pm_value_at(const struct pm_map *m,
				      const void *values, __u32 i)
{
	return (const char *)values + (size_t)i * m->info.value_size;
}

static inline const void *pm_row_key(const struct pm_map *m, __u32 i)
{
	return pm_key_at(m, m->keys, i);
}

static inline const void *pm_row_value(const struct pm_map *m, __u32 i)
{
	return pm_value_at(m, m->values, i);
}

/* ---- decode.c ---- */

/* Count entries in use without reading values (hash kinds), or -errno. */
int pm_map_count(const struct pm_map *m);
/*
 * Stacks the LRU map @stacks evicted, from the counters in .bss map @bss
 * (progs/stacks.bpf.h): 0 when exact, 1 when inserts kept running while
 * the entries were counted, every try (*ev is then off by the stacks
 * that went in and out meanwhile), or -errno.
 */
int pm_stack_evictions(const struct pm_map *bss, const struct pm_map *stacks,
		       __u64 *ev);

/* Whether a value is all zero bytes (unused array slots are skipped). */
bool pm_value_is_zero(const struct pm_map *m, const void *value);
/* NUL-separated words (pinsight:fmt=argv) joined by spaces into @buf */
void pm_argv_join(const unsigned char *p, size_t size, char *buf, size_t sz);
/* Does member @comp of struct @owner carry BTF decl tag @tag? */
bool pm_btf_member_tagged(const struct btf *btf, __u32 owner, int comp,
			  const char *tag);
/* dst += src field by field (integers and histograms; the rest kept). */
void pm_value_add(const struct pm_schema *s, void *dst, const void *src);

/*
 * Whether a value field counts up: an integer not tagged gauge or
 * internal, or a histogram. Only these are differenced or reset.
 */
bool pm_field_is_counter(const struct pm_field *f);
/*
 * @cur -= @prev for the counter fields of @s, leaving the others as read;
 * a field below its previous value was reset or re-created, and keeps all
 * of @cur. Whether a counter moved (or @s has none).
 */
bool pm_value_delta(const struct pm_schema *s, void *cur, const void *prev);

/* An integer or enum field's value, sign-extended when signed. */
__u64 pm_field_u64(const struct pm_field *f, const void *data);
/* A field formatted for a table cell or a label value. */
int pm_field_fmt(const struct btf *btf, const struct pm_field *f,
		 const void *data, char *buf, size_t sz);
/* A histogram field's slots (f->nslots of them) and sum. */
const __u64 *pm_field_slots(const struct pm_field *f, const void *data);
__u64 pm_field_hist_sum(const struct pm_field *f, const void *data);
/* Whether a value field is a metric (a number or a histogram). */
bool pm_field_is_metric(const struct pm_field *f);
/*
 * Whether @v is a kernel address this reader must not print: a reader that
 * cannot read kallsyms' addresses (no CAP_SYSLOG, e.g. a --group member)
 * would otherwise learn what KASLR hides. Such values print as 0.
 */
bool pm_kaddr_hidden(__u64 v);

/* ---- hist.c ---- */

/* Factor from the unit to the exported one: 1e-9 for ns, 1 for bytes. */
double pm_unit_scale(enum pm_unit unit);
/*
 * Prometheus `le` of log2 slot @slot of @nslots: (2^(slot+1) - 1) scaled,
 * the largest integer the slot holds; +Inf for the last slot.
 */
double pm_hist_le(unsigned int slot, unsigned int nslots, enum pm_unit unit);
/* libbpf-tools' print_log2_hist, for every tool's histograms. */
void pm_print_log2_hist(FILE *f, const __u64 *slots, unsigned int nslots,
			enum pm_unit unit);

/* ---- render_table.c, render_json.c ---- */

/* One map as a table (rows) or as name = value lines (DATASEC). */
int pm_render_table(FILE *f, const struct pm_instance *in, struct pm_map *m);
/* {"map":..,"type":..,"entries":[{"key":..,"value":..}]} like bpftool's
 * "formatted" objects, with per-CPU values summed into "value". Streams:
 * each batch is printed as it is read (pm_map_scan()).
 */
int pm_render_json(json_writer_t *jw, struct pm_map *m);
/* A typed value as bpftool's btf_dumper prints it. */
void pm_json_btf_value(json_writer_t *jw, const struct btf *btf, __u32 type_id,
		       const void *data);

/* ---- render_prom.c ---- */

struct pm_prom;

struct pm_prom *pm_prom_new(bool per_pid);
/*
 * Add every exported map of an instance: reads each once, a batch at a
 * time, summing its rows into their series (one per label set), and keeps
 * the series, so the instance may be closed before pm_prom_print().
 */
int pm_prom_add_instance(struct pm_prom *p, struct pm_instance *in);
/*
 * OpenMetrics 1.0 text from pm_prom_print() (with exemplars, # EOF)
 * instead of the Prometheus text format 0.0.4.
 */
void pm_prom_set_openmetrics(struct pm_prom *p, bool on);
bool pm_prom_is_openmetrics(const struct pm_prom *p);
/* Print all families, each with one HELP/TYPE block. */
int pm_prom_print(struct pm_prom *p, FILE *f);
void pm_prom_free(struct pm_prom *p);
/* The metric name of a value field, before _total/_bucket suffixes. */
int pm_metric_name(const struct pm_instance *in, const struct pm_map *m,
		   const struct pm_field *f, char *buf, size_t sz);
/* The label name of a key field. */
const char *pm_label_name(const struct pm_field *f);

/* ---- list.c ---- */

/* Every instance: programs, attach points, run stats, maps, config. */
int pm_list(bool json);

#endif /* __PINMAPS_H */
