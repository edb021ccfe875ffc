// SPDX-License-Identifier: GPL-2.0
/*
 * The readers' schema walk in process, kernel-selftest style: what
 * pm_schema_build() makes of a tool's key and value types, read from its
 * BPF object's BTF with nothing loaded. The end-to-end tests see the same
 * fields through `pinsight show` and `metrics`; these pin each rule down
 * (kinds, units, tags) where a regression names the rule it broke.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "pinmaps.h"
#include "pinsight_helpers.h"
#include "schema.h"
#include "test_progs.h"

static const struct pm_field *field(const struct pm_schema *s, const char *name)
{
	int i;

	for (i = 0; i < s->cnt; i++)
		if (!strcmp(s->fields[i].name, name))
			return &s->fields[i];
	return NULL;
}

/* @m as a map of @key (NULL: a 4-byte index) to @value, both structs. */
static int build(struct pm_map *m, struct btf *btf, const char *key,
		 const char *value)
{
	__s32 k = 0, v;

	memset(m, 0, sizeof(*m));
	m->btf = btf;
	snprintf(m->name, sizeof(m->name), "%s", value);
	snprintf(m->what, sizeof(m->what), "schema test: %s", value);
	if (key) {
		k = btf__find_by_name_kind(btf, key, BTF_KIND_STRUCT);
		if (k < 0)
			return k;
	}
	v = btf__find_by_name_kind(btf, value, BTF_KIND_STRUCT);
	if (v < 0)
		return v;
	m->key_type_id = k;
	m->value_type_id = v;
	m->info.key_size = k ? btf__resolve_size(btf, k) : 4;
	m->info.value_size = btf__resolve_size(btf, v);
	return pm_schema_build(m);
}

static void release(struct pm_map *m)
{
	free(m->key.fields);
	free(m->value.fields);
}

static struct btf *object_btf(const char *tool)
{
	char path[512], rel[64];
	struct btf *btf;

	snprintf(rel, sizeof(rel), "progs/%s.bpf.o", tool);
	btf = btf__parse_elf(out_path(path, sizeof(path), rel), NULL);
	ASSERT_OK_PTR(btf, path);
	return btf;
}

/* io_comm: a string and an enum label, counters with HELP, a histogram. */
static void check_io(void)
{
	const struct pm_field *f;
	struct btf *btf = object_btf("io");
	struct pm_map m;

	if (!btf ||
	    !ASSERT_OK(build(&m, btf, "io_comm_key", "io_comm_val"), "build"))
		goto out;
	f = field(&m.key, "comm");
	ASSERT_TRUE(f && f->kind == PM_K_STR && f->size == 16,
		    "comm: char[16]");
	f = field(&m.key, "op");
	ASSERT_TRUE(f && f->kind == PM_K_ENUM, "op: an enum label");
	f = field(&m.value, "ops");
	ASSERT_TRUE(f && f->kind == PM_K_INT && !f->gauge, "ops: a counter");
	ASSERT_TRUE(f && f->help && strstr(f->help, "system calls"),
		    "ops: HELP from __help");
	f = field(&m.value, "bytes");
	/* units come from a _ns, _us or _bytes suffix only */
	ASSERT_TRUE(f && f->kind == PM_K_INT && f->unit == PM_UNIT_NONE,
		    "bytes: no unit suffix, no unit");
	f = field(&m.value, "duration_ns");
	ASSERT_TRUE(f && f->kind == PM_K_HIST && f->unit == PM_UNIT_NS &&
			    f->sum_off >= 0,
		    "duration_ns: a histogram in ns with a sum");
	ASSERT_EQ(m.value.cnt, 4, "io_comm_val: four fields");
	release(&m);
out:
	btf__free(btf);
}

/* execmon's exec_log record: internal fields, argv joined by readers. */
static void check_execmon(void)
{
	static const unsigned char argv[16] = "true\0--x\0y\0\0";
	const struct pm_field *f;
	struct btf *btf = object_btf("execmon");
	struct pm_map m;
	char buf[64];

	if (!btf || !ASSERT_OK(build(&m, btf, NULL, "exec_rec"), "build"))
		goto out;
	f = field(&m.value, "args");
	ASSERT_TRUE(f && f->kind == PM_K_STR && f->argv, "args: fmt=argv");
	f = field(&m.value, "filename");
	ASSERT_TRUE(f && f->kind == PM_K_STR && !f->argv,
		    "filename: a plain string");
	f = field(&m.value, "alerted");
	ASSERT_TRUE(f && f->internal, "alerted: internal, never exported");
	pm_argv_join(argv, sizeof(argv), buf, sizeof(buf));
	ASSERT_STREQ(buf, "true --x y", "argv joined at two NULs");
	pm_argv_join(argv, 6, buf, sizeof(buf));
	ASSERT_STREQ(buf, "true -", "argv cut by the field's size");
	release(&m);
out:
	btf__free(btf);
}

/* profile_counts' key: a stack id in hex, a cgroup id, per-pid labels. */
static void check_profile(void)
{
	const struct pm_field *f;
	struct btf *btf = object_btf("profile");
	struct pm_map m;

	if (!btf ||
	    !ASSERT_OK(build(&m, btf, "profile_key", "profile_val"), "build"))
		goto out;
	f = field(&m.key, "stack_id");
	ASSERT_TRUE(f && f->kind == PM_K_HEX, "stack_id: fmt=hex");
	f = field(&m.key, "cgroup");
	ASSERT_TRUE(f && f->kind == PM_K_CGROUP, "cgroup: fmt=cgroup");
	f = field(&m.key, "tgid");
	ASSERT_TRUE(f && f->per_pid, "tgid: per-pid, dropped by default");
	f = field(&m.value, "samples");
	ASSERT_TRUE(f && !strcmp(f->prom, "ebpf_profile_thread_samples"),
		    "samples: the __metric name");
	release(&m);
out:
	btf__free(btf);
}

void test_schema(void)
{
	if (test__start_subtest("io_comm"))
		check_io();
	if (test__start_subtest("exec_log"))
		check_execmon();
	if (test__start_subtest("profile_key"))
		check_profile();
}
