// SPDX-License-Identifier: GPL-2.0
/*
 * `pinsight list` and `pinsight-load list`: every instance with its
 * programs (from the link pins: attach point, run stats), maps and config.
 */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cmdline.h"
#include "lifetime_read.h"
#include "log.h"
#include "pin_layout.h"
#include "pinmaps.h"

/*
 * struct bpf_link_info as of Linux 6.9: the installed uapi header (6.1)
 * lacks perf_event, which is what tracepoint, kprobe and uprobe links
 * report. Only the parts we print are spelled out.
 */
struct link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	union {
		struct {
			__u64 tp_name;
			__u32 tp_name_len;
		} raw_tp;
		struct {
			__u32 attach_type;
			__u32 target_obj_id;
			__u32 target_btf_id;
		} tracing;
		struct {
			__u32 ifindex;
			__u32 attach_type;
		} netdev; /* xdp, tcx, netkit */
		struct {
			__u32 type; /* enum bpf_perf_event_type */
			__u32 : 32;
			union {
				struct {
					__u64 file_name;
					__u32 name_len;
					__u32 offset;
				} uprobe;
				struct {
					__u64 func_name;
					__u32 name_len;
					__u32 offset;
					__u64 addr;
				} kprobe;
				struct {
					__u64 tp_name;
					__u32 name_len;
				} tracepoint;
				struct {
					__u64 config;
					__u32 type;
				} event;
			};
		} perf_event;
		struct {
			__u64 path;
			__u64 offsets;
			__u64 ref_ctr_offsets;
			__u64 cookies;
			__u32 path_size;
			__u32 count;
			__u32 flags; /* 1: return probes */
			__u32 pid;
		} uprobe_multi; /* 6.10+ */
		__u8 pad[96];
	};
} __attribute__((aligned(8)));

enum {
	PE_UPROBE = 1,
	PE_URETPROBE,
	PE_KPROBE,
	PE_KRETPROBE,
	PE_TRACEPOINT,
	PE_EVENT
};
enum {
	LINK_PERF_EVENT = 7,
	LINK_TCX = 11,
	LINK_UPROBE_MULTI = 12,
	LINK_NETKIT = 13
};

struct prog_row {
	char pin[NAME_MAX + 1];
	char link_type[32];
	char attach[PATH_MAX];
	char err[128];
	__u32 prog_id;
	struct bpf_prog_info info;
	bool have_prog;
};

static void str_attach_type(char *buf, size_t sz, __u32 t)
{
	const char *s = libbpf_bpf_attach_type_str(t);

	if (s)
		snprintf(buf, sz, "%s", s);
	else
		snprintf(buf, sz, "attach type %u", t);
}

/* Where a link is attached, in words: "sys_enter", "syscalls/sys_enter_read". */
static void attach_point(const struct link_info *li, char *name,
			 struct prog_row *r)
{
	char at[64], ifname[IF_NAMESIZE] = "?";
	size_t sz = sizeof(r->attach);

	switch (li->type) {
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		snprintf(r->attach, sz, "%s", name);
		break;
	case BPF_LINK_TYPE_TRACING:
		str_attach_type(at, sizeof(at), li->tracing.attach_type);
		snprintf(r->attach, sz, "%s btf %u:%u", at,
			 li->tracing.target_obj_id, li->tracing.target_btf_id);
		break;
	case BPF_LINK_TYPE_XDP:
	case LINK_TCX:
	case LINK_NETKIT:
		if_indextoname(li->netdev.ifindex, ifname);
		snprintf(r->attach, sz, "%s (ifindex %u)", ifname,
			 li->netdev.ifindex);
		break;
	case LINK_PERF_EVENT:
		switch (li->perf_event.type) {
		case PE_TRACEPOINT:
			snprintf(r->attach, sz, "tracepoint %s", name);
			break;
		case PE_KPROBE:
		case PE_KRETPROBE:
			snprintf(r->attach, sz, "%s %s+%u",
				 li->perf_event.type == PE_KPROBE ? "kprobe" :
								    "kretprobe",
				 name, li->perf_event.kprobe.offset);
			break;
		case PE_UPROBE:
		case PE_URETPROBE:
			snprintf(r->attach, sz, "%s %s:0x%x",
				 li->perf_event.type == PE_UPROBE ? "uprobe" :
								    "uretprobe",
				 name, li->perf_event.uprobe.offset);
			break;
		case PE_EVENT:
			snprintf(
				r->attach, sz, "perf event type %u config %llu",
				li->perf_event.event.type,
				(unsigned long long)li->perf_event.event.config);
			break;
		default:
			snprintf(r->attach, sz, "perf event");
		}
		break;
	case LINK_UPROBE_MULTI: /* "uprobe_multi PATH [functions]" */
		snprintf(r->attach, sz, "%s %s [%u]",
			 li->uprobe_multi.flags & 1 ? "uretprobe_multi" :
						      "uprobe_multi",
			 name, li->uprobe_multi.count);
		break;
	default:
		r->attach[0] = '\0';
	}
}

static int read_link(const char *path, struct prog_row *r)
{
	struct link_info li = {};
	__u32 len = sizeof(li), plen = sizeof(r->info);
	const char *t;
	char name[PATH_MAX] = "";
	int fd, pfd, err = 0;
	__u32 type;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(r->err, sizeof(r->err), "%s", strerror(errno));
		return -errno;
	}
	/* first the type, then again with a name buffer where that type
	 * has one: the union's fields overlap, and a stray pointer or length
	 * in the wrong place makes the kernel refuse (-EINVAL)
	 */
	if (bpf_obj_get_info_by_fd(fd, &li, &len)) {
		err = -errno;
		snprintf(r->err, sizeof(r->err), "not a link: %s",
			 strerror(-err));
		goto cleanup;
	}
	type = li.type;
	memset(&li, 0, sizeof(li));
	if (type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
		li.raw_tp.tp_name = (unsigned long)name;
		li.raw_tp.tp_name_len = sizeof(name);
	} else if (type == LINK_PERF_EVENT) {
		/* same offset for the tracepoint, kprobe and uprobe names */
		li.perf_event.tracepoint.tp_name = (unsigned long)name;
		li.perf_event.tracepoint.name_len = sizeof(name);
	} else if (type == LINK_UPROBE_MULTI) {
		li.uprobe_multi.path = (unsigned long)name;
		li.uprobe_multi.path_size = sizeof(name);
	}
	len = sizeof(li);
	if (bpf_obj_get_info_by_fd(fd, &li, &len)) {
		err = -errno;
		snprintf(r->err, sizeof(r->err), "link info: %s",
			 strerror(-err));
		goto cleanup;
	}
	t = libbpf_bpf_link_type_str(li.type);
	snprintf(r->link_type, sizeof(r->link_type), "%s", t ? t : "link");
	attach_point(&li, name, r);
	r->prog_id = li.prog_id;
	pfd = bpf_prog_get_fd_by_id(li.prog_id);
	if (pfd >= 0) {
		r->have_prog = !bpf_obj_get_info_by_fd(pfd, &r->info, &plen);
		close(pfd);
	}
cleanup:
	close(fd);
	return err;
}

/* Link pins, sorted; a per-CPU link (links/<prog>.<cpu>) is one row each. */
static int read_links(const char *dir, struct prog_row **rows)
{
	struct dirent **ents = NULL;
	char path[PATH_MAX];
	int n, i, cnt = 0;

	*rows = NULL;
	snprintf(path, sizeof(path), "%s/links", dir);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	*rows = calloc(n ? n : 1, sizeof(**rows));
	for (i = 0; i < n; i++) {
		if (*rows && ents[i]->d_name[0] != '.') {
			struct prog_row *r = &(*rows)[cnt++];

			snprintf(r->pin, sizeof(r->pin), "%s", ents[i]->d_name);
			snprintf(path, sizeof(path), "%s/links/%s", dir,
				 ents[i]->d_name);
			read_link(path, r);
		}
		free(ents[i]);
	}
	free(ents);
	return *rows ? cnt : -ENOMEM;
}

static void fmt_config(const struct pm_instance *in, json_writer_t *jw,
		       FILE *out)
{
	struct pm_map *m = pm_instance_config(in);
	const struct pm_field *f;
	char buf[256];
	int i;

	if (!m || !m->decodable || pm_map_read(m) || !m->nrows)
		return;
	for (i = 0; i < m->value.cnt; i++) {
		f = &m->value.fields[i];
		if (f->local || f->kind == PM_K_HIST)
			continue;
		pm_field_fmt(m->btf, f, pm_row_value(m, 0), buf, sizeof(buf));
		if (jw) {
			jsonw_name(jw, f->name);
			if (f->kind == PM_K_INT)
				jsonw_printf(jw, "%s", buf);
			else
				jsonw_string(jw, buf);
		} else {
			fprintf(out,
				f->kind == PM_K_STR ? " %s=\"%s\"" : " %s=%s",
				f->name, buf);
		}
	}
}

/*
 * An instance with a lifetime (--pid, --duration): "finished (process
 * exited 12s ago, status 0)", "expired 3s ago", "running, expires in 58s".
 */
static void fmt_lifetime(const struct pm_lifetime *lt, char *buf, size_t sz)
{
	long long dl =
		(long long)(lt->rec.deadline_ns - lt->now_ns) / 1000000000;

	switch (lt->state) {
	case PM_LIFE_FINISHED:
		snprintf(
			buf, sz,
			"finished (the --pid process exited %llus ago, status %d)",
			(unsigned long long)(lt->now_ns - lt->rec.exited_ns) /
				1000000000,
			lt->rec.exit_code);
		break;
	case PM_LIFE_EXPIRED:
		snprintf(buf, sz, "expired (--duration ran out %llds ago)",
			 -dl);
		break;
	default:
		if (lt->rec.deadline_ns)
			snprintf(buf, sz, "running, expires in %llds", dl);
		else
			snprintf(buf, sz, "running");
	}
}

/* Evictions of @m when it is an LRU stacks map (map_open.c), else -1. */
static int evictions(const struct pm_instance *in, const struct pm_map *m,
		     __u64 *ev)
{
	const struct pm_map *bss = pm_instance_map(in, "bss");

	if (!bss || bss->evict_stacks != m)
		return -1;
	return pm_stack_evictions(bss, m, ev) < 0 ? -1 : 0;
}

static void list_json(json_writer_t *jw, const struct pm_instance *in,
		      const struct prog_row *progs, int nprog)
{
	struct pm_lifetime lt;
	const struct pm_map *m;
	char tbuf[32];
	int i, cnt;
	__u64 ev;

	jsonw_start_object(jw);
	jsonw_string_field(jw, "instance", in->name);
	jsonw_string_field(jw, "tool", in->tool);
	if (in->label)
		jsonw_string_field(jw, "name", in->label);
	if (!pm_lifetime_read(in->name, &lt) && lt.state != PM_LIFE_NONE) {
		jsonw_string_field(jw, "state", pm_life_str(lt.state));
		if (lt.state == PM_LIFE_FINISHED)
			jsonw_i64_field(jw, "exit_status", lt.rec.exit_code);
		if (lt.rec.deadline_ns)
			jsonw_u64_field(jw, "deadline_boot_ns",
					lt.rec.deadline_ns);
	}
	jsonw_name(jw, "programs");
	jsonw_start_array(jw);
	for (i = 0; i < nprog; i++) {
		const struct prog_row *r = &progs[i];

		jsonw_start_object(jw);
		jsonw_string_field(jw, "pin", r->pin);
		if (r->err[0])
			jsonw_string_field(jw, "error", r->err);
		jsonw_string_field(jw, "link_type", r->link_type);
		jsonw_string_field(jw, "attach", r->attach);
		jsonw_u64_field(jw, "prog_id", r->prog_id);
		if (r->have_prog) {
			jsonw_string_field(jw, "name", r->info.name);
			jsonw_string_field(
				jw, "type",
				libbpf_bpf_prog_type_str(r->info.type) ?: "?");
			jsonw_u64_field(jw, "run_cnt", r->info.run_cnt);
			jsonw_u64_field(jw, "run_time_ns", r->info.run_time_ns);
		}
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_name(jw, "maps");
	jsonw_start_array(jw);
	for (i = 0; i < in->map_cnt; i++) {
		m = in->maps[i];
		jsonw_start_object(jw);
		jsonw_string_field(jw, "name", m->name);
		jsonw_string_field(jw, "type",
				   pm_map_type_str(m->info.type, tbuf,
						   sizeof(tbuf)));
		jsonw_u64_field(jw, "id", m->info.id);
		jsonw_u64_field(jw, "max_entries", m->info.max_entries);
		cnt = pm_map_count(m);
		if (cnt >= 0 && !m->datasec)
			jsonw_u64_field(jw, "entries", cnt);
		if (!evictions(in, m, &ev))
			jsonw_u64_field(jw, "evictions", ev);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_name(jw, "config");
	jsonw_start_object(jw);
	fmt_config(in, jw, NULL);
	jsonw_end_object(jw);
	jsonw_end_object(jw);
}

static void list_table(FILE *out, const struct pm_instance *in,
		       const struct prog_row *progs, int nprog)
{
	struct pm_lifetime lt;
	char buf[160];
	const struct pm_map *m;
	char tbuf[32];
	int i, cnt;
	__u64 ev;

	fprintf(out, "%s\n", in->name);
	if (!pm_lifetime_read(in->name, &lt) && lt.state != PM_LIFE_NONE) {
		fmt_lifetime(&lt, buf, sizeof(buf));
		fprintf(out, "  state: %s\n", buf);
	}
	fprintf(out, "  config:");
	fmt_config(in, NULL, out);
	fprintf(out, "\n  programs:\n");
	for (i = 0; i < nprog; i++) {
		const struct prog_row *r = &progs[i];

		if (r->err[0]) {
			fprintf(out, "    %-24s %s\n", r->pin, r->err);
			continue;
		}
		fprintf(out, "    %-24s %-15s %-32s prog %u", r->pin,
			r->link_type, r->attach, r->prog_id);
		if (r->have_prog && r->info.run_cnt)
			fprintf(out, "  run_cnt %llu  avg %llu ns",
				(unsigned long long)r->info.run_cnt,
				(unsigned long long)(r->info.run_time_ns /
						     r->info.run_cnt));
		fputc('\n', out);
	}
	fprintf(out, "  maps:\n");
	for (i = 0; i < in->map_cnt; i++) {
		m = in->maps[i];
		cnt = pm_map_count(m);
		fprintf(out, "    %-24s %-15s ", m->name,
			pm_map_type_str(m->info.type, tbuf, sizeof(tbuf)));
		if (m->is_array)
			fprintf(out, "%u entries\n", m->info.max_entries);
		else if (cnt >= 0 && !evictions(in, m, &ev))
			fprintf(out, "%d/%u entries, %llu evicted\n", cnt,
				m->info.max_entries, (unsigned long long)ev);
		else if (cnt >= 0)
			fprintf(out, "%d/%u entries\n", cnt,
				m->info.max_entries);
		else
			fputc('\n',
			      out); /* not iterable: task storage, ringbuf */
	}
}

int pm_list(bool json)
{
	struct prog_row *progs = NULL;
	json_writer_t *jw = NULL;
	struct pm_instance *in;
	char **names = NULL;
	int n, i, nprog, err, ret = 0;

	n = inst_list(&names);
	if (n < 0) {
		p_err("%s: %s", pin_root(), strerror(-n));
		return n;
	}
	ret = cmd_json_array_begin(json, &jw);
	if (ret)
		goto cleanup;
	for (i = 0; i < n; i++) {
		/* a broken instance is reported and the others still listed */
		err = pm_instance_open(names[i], &in);
		if (err) {
			ret = ret ? ret : err;
			continue;
		}
		nprog = read_links(in->dir, &progs);
		if (nprog < 0)
			nprog = 0;
		if (jw)
			list_json(jw, in, progs, nprog);
		else
			list_table(stdout, in, progs, nprog);
		free(progs);
		progs = NULL;
		pm_instance_close(in);
	}
	if (!jw && !n)
		printf("no instances under %s\n", pin_root());
	cmd_json_array_end(&jw);
cleanup:
	strv_free(names);
	return ret;
}
