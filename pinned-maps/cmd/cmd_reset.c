// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight reset: zero an instance's counters in place, without a reload
 * (the programs stay attached, the config and the gauges stay). Which
 * fields are counters is read from BTF, as everywhere else (PIN-LAYOUT.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cmd.h"
#include "log.h"
#include "pinmaps.h"

const char usage_reset[] =
	"Usage: pinsight [-j|-p] reset INSTANCE [MAP]\n"
	"\n"
	"Zero the counters (integer fields not tagged gauge or internal, and\n"
	"histograms) of every counter map of INSTANCE, or of MAP only, while\n"
	"the programs stay attached. A row holding counters alone is deleted\n"
	"(it comes back at its next event); in a row that also holds gauges or\n"
	"program state, only the counters are zeroed. The config (rodata),\n"
	"state/, stack and ring buffer maps, and maps holding anything else\n"
	"(strings, records) are not counters: naming one is refused (exit 2).\n"
	"Needs write access to the pins (root); events counted while a row is\n"
	"reset may be lost. Prometheus sees a counter reset, as after a\n"
	"reload.\n" EXIT_CODES_HELP;

/*
 * Whether @m holds counters that reset may zero; else the reason, for a
 * message. Every value field must be a counter, a gauge or the program's
 * own (internal, or a static variable of a DATASEC): a field that is
 * none of them (a string, an address) says the map holds records.
 */
static const char *not_counters(const struct pm_map *m, bool *only)
{
	const struct pm_field *f;
	bool counters = false;
	int i;

	*only = true;
	if (!strcmp(m->name, "rodata"))
		return "is the config, not counters";
	if (!m->decodable)
		return "has no rows of counters (a stack, ring buffer or unknown map)";
	for (i = 0; i < m->value.cnt; i++) {
		f = &m->value.fields[i];
		if (pm_field_is_counter(f)) {
			counters = true;
			continue;
		}
		*only = false;
		if (f->local || f->internal || (f->gauge && f->kind == PM_K_INT))
			continue;
		return "holds records (fields that are not counters or gauges)";
	}
	return counters ? NULL : "has no counters";
}

/* Zero the counter fields of one value (one CPU's copy). */
static void zero_counters(const struct pm_map *m, char *v)
{
	const struct pm_field *f;
	int i;

	for (i = 0; i < m->value.cnt; i++) {
		f = &m->value.fields[i];
		if (!pm_field_is_counter(f))
			continue;
		if (f->kind == PM_K_HIST) {
			memset(v + f->off, 0, (size_t)f->nslots * 8);
			if (f->sum_off >= 0)
				memset(v + f->sum_off, 0, 8);
		} else {
			memset(v + f->off, 0, f->size);
		}
	}
}

/* Whether every counter of one (summed) value is 0 already. */
static bool counters_zero(const struct pm_map *m, const char *v)
{
	const struct pm_field *f;
	__u32 i, n;
	int j;

	for (j = 0; j < m->value.cnt; j++) {
		f = &m->value.fields[j];
		if (!pm_field_is_counter(f))
			continue;
		n = f->kind == PM_K_HIST ? f->nslots * 8 : f->size;
		for (i = 0; i < n; i++)
			if (v[f->off + i])
				return false;
		if (f->kind == PM_K_HIST && f->sum_off >= 0 &&
		    memcmp(v + f->sum_off, "\0\0\0\0\0\0\0\0", 8))
			return false;
	}
	return true;
}

/*
 * Reset @m through a writable fd: delete its rows (hash maps whose values
 * are counters alone) or zero their counters in place. The number of rows
 * reset in *rows.
 */
static int reset_map(struct pm_map *m, bool only, __u32 *rows)
{
	__u32 vsz = m->info.value_size, stride, i;
	int fd, ncpu = 1, err;
	bool del = only && !m->is_array;
	char *raw = NULL;

	*rows = 0;
	fd = bpf_obj_get(m->path);
	if (fd < 0) {
		err = -errno;
		p_err("%s: %s%s", m->what, strerror(-err),
		      err == -EACCES || err == -EPERM ?
			      " (reset writes the map: run as root)" :
			      "");
		return err;
	}
	/* the rows now: deleting while walking with get_next_key restarts it */
	err = pm_map_read(m);
	if (err)
		goto cleanup;
	if (m->percpu) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu < 0) {
			err = ncpu;
			goto cleanup;
		}
	}
	/* the kernel's per-CPU values are 8-byte aligned, one per CPU */
	stride = m->percpu ? (vsz + 7) / 8 * 8 : vsz;
	raw = calloc(ncpu, stride);
	if (!raw) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < m->nrows; i++) {
		const void *key = pm_row_key(m, i);
		int c;

		/* unused array slots and rows with nothing counted stay */
		if (counters_zero(m, pm_row_value(m, i)))
			continue;
		if (del) {
			err = bpf_map_delete_elem(fd, key) ? -errno : 0;
		} else if (only) {
			memset(raw, 0, (size_t)ncpu * stride);
			err = bpf_map_update_elem(fd, key, raw, BPF_EXIST) ?
				      -errno :
				      0;
		} else {
			err = bpf_map_lookup_elem(fd, key, raw) ? -errno : 0;
			for (c = 0; !err && c < ncpu; c++)
				zero_counters(m, raw + (size_t)c * stride);
			if (!err)
				err = bpf_map_update_elem(fd, key, raw,
							  BPF_EXIST) ?
					      -errno :
					      0;
		}
		/* a row the program's LRU evicted meanwhile is reset too */
		if (err == -ENOENT)
			err = 0;
		if (err) {
			p_err("%s: cannot reset a row: %s", m->what,
			      strerror(-err));
			goto cleanup;
		}
		(*rows)++;
	}
cleanup:
	free(raw);
	close(fd);
	return err;
}

/* Is there a state/<name> pin: program state a reset must not touch? */
static bool is_state(const struct pm_instance *in, const char *name)
{
	char path[PATH_MAX + NAME_MAX + 8];

	snprintf(path, sizeof(path), "%s/state/%s", in->dir, name);
	return !access(path, F_OK);
}

int cmd_reset(int argc, char **argv)
{
	struct pm_instance *in = NULL;
	json_writer_t *jw = NULL;
	const char *why, *only_map;
	struct pm_map *m;
	bool only;
	__u32 rows;
	int i, err, ret = 0;

	err = cmd_args(argc, argv, usage_reset, 1, 2);
	if (err != -1)
		return err;
	only_map = argc - optind == 2 ? argv[optind + 1] : NULL;
	err = pm_instance_open(argv[optind], &in);
	if (err)
		return exit_code_for(err);
	if (only_map) {
		m = pm_instance_map(in, only_map);
		if (!m && is_state(in, only_map)) {
			p_err("%s: state/%.80s: program state, not counters: not reset",
			      in->name, only_map);
			ret = -EINVAL;
			goto cleanup;
		}
		if (!m) {
			if (!in->err)
				p_err("%s: maps/%.80s: no such map", in->name,
				      only_map);
			ret = in->err ?: -ENOENT;
			goto cleanup;
		}
		why = not_counters(m, &only);
		if (why) {
			p_err("%s: %s: not reset", m->what, why);
			ret = -EINVAL;
			goto cleanup;
		}
	}
	ret = cmd_json_array_begin(json_output, &jw);
	if (ret)
		goto cleanup;
	for (i = 0; i < in->map_cnt; i++) {
		m = in->maps[i];
		if ((only_map && strcmp(m->name, only_map)) ||
		    not_counters(m, &only))
			continue;
		err = reset_map(m, only, &rows);
		if (err) {
			ret = ret ?: err;
			continue;
		}
		if (jw) {
			jsonw_start_object(jw);
			jsonw_string_field(jw, "map", m->name);
			jsonw_u64_field(jw, "rows", rows);
			jsonw_end_object(jw);
		} else {
			printf("%s: maps/%s: %u row%s reset\n", in->name,
			       m->name, rows, rows == 1 ? "" : "s");
		}
	}
	cmd_json_array_end(&jw);
	ret = ret ?: in->err;
cleanup:
	pm_instance_close(in);
	return exit_code_for(ret);
}
