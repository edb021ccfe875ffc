// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight-load: every tool loads and attaches here; unload restores the
 * kernel's baseline; loads are atomic; bad input fails cleanly.
 */
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

/*
 * Link pins in @dir whose program is loaded: this test's own objects, not
 * kernel-wide counts that other BPF users on the host would disturb.
 */
static int count_attached(const char *dir)
{
	char path[4096 + 256 + 2];
	struct dirent *de;
	int n = 0, fd, pfd;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (!ASSERT_GE(fd, 0, path))
			continue;
		if (ASSERT_OK(bpf_obj_get_info_by_fd(fd, &info, &len), path)) {
			pfd = bpf_prog_get_fd_by_id(info.prog_id);
			if (ASSERT_GE(pfd, 0, "the link's program exists")) {
				n++;
				close(pfd);
			}
		}
		close(fd);
	}
	closedir(d);
	return n;
}

/* Whatever the root holds: instances and temporaries alike. */
static int root_entries(void)
{
	int n = dir_count(pin_root());

	return n == -ENOENT ? 0 : n;
}

static void check_all_tools_load(void)
{
	char *help = NULL, *p, tool[64], path[4096];
	int err, n = 0;

	err = loader_run(&help, "--help");
	if (!ASSERT_EQ(err, 0, "--help") || !ASSERT_OK_PTR(help, "help"))
		goto cleanup;
	p = strstr(help, "Tools:\n");
	if (!ASSERT_OK_PTR(p, "tool list"))
		goto cleanup;
	for (p += 7; sscanf(p, " %63s", tool) == 1 && p[0] == ' ';
	     p = strchr(p, '\n') + 1) {
		char args[512];

		tool_example(tool, args, sizeof(args));
		err = loader_run(NULL, "%s %s", tool, args);
		if (!ASSERT_EQ(err, 0, tool))
			continue;
		snprintf(path, sizeof(path), "%s/%s/links", pin_root(), tool);
		ASSERT_GT(count_attached(path), 0, tool);
		ASSERT_EQ(loader_run(NULL, "unload %s", tool), 0, "unload");
		n++;
	}
	ASSERT_GT(n, 0, "tools tried");
cleanup:
	free(help);
}

struct inst_ids {
	__u32 progs[64], maps[64], links[64];
	int nprogs, nmaps, nlinks;
};

static void add_id(__u32 *v, int *n, __u32 id)
{
	int i;

	for (i = 0; i < *n && v[i] != id; i++)
		;
	if (i == *n && *n < 64)
		v[(*n)++] = id;
}

/* Every program, map and link the instance's pins lead to. */
static void collect_ids(const char *inst, struct inst_ids *ids)
{
	char dir[4096], path[4096 + 256 + 2];
	struct dirent *de;
	DIR *d;

	memset(ids, 0, sizeof(*ids));
	snprintf(dir, sizeof(dir), "%s/%s/links", pin_root(), inst);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		struct bpf_link_info li = {};
		struct bpf_prog_info pi = {};
		__u32 len = sizeof(li), map_ids[32], nr = 32, i;
		int fd, pfd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &li, &len))
			goto next;
		add_id(ids->links, &ids->nlinks, li.id);
		add_id(ids->progs, &ids->nprogs, li.prog_id);
		pfd = bpf_prog_get_fd_by_id(li.prog_id);
		pi.nr_map_ids = nr;
		pi.map_ids = (__u64)(unsigned long)map_ids;
		len = sizeof(pi);
		if (pfd >= 0 && !bpf_obj_get_info_by_fd(pfd, &pi, &len))
			for (i = 0; i < pi.nr_map_ids && i < nr; i++)
				add_id(ids->maps, &ids->nmaps, map_ids[i]);
		if (pfd >= 0)
			close(pfd);
next:
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
}

/* How many of @ids the kernel still has, after up to 3 s of RCU frees. */
static int ids_alive(const struct inst_ids *ids)
{
	int i, n, tries;

	for (tries = 0; tries < 300; tries++, usleep(10000)) {
		int fd;

		n = 0;
		for (i = 0; i < ids->nprogs; i++) {
			fd = bpf_prog_get_fd_by_id(ids->progs[i]);
			n += fd >= 0;
			if (fd >= 0)
				close(fd);
		}
		for (i = 0; i < ids->nmaps; i++) {
			fd = bpf_map_get_fd_by_id(ids->maps[i]);
			n += fd >= 0;
			if (fd >= 0)
				close(fd);
		}
		for (i = 0; i < ids->nlinks; i++) {
			fd = bpf_link_get_fd_by_id(ids->links[i]);
			n += fd >= 0;
			if (fd >= 0)
				close(fd);
		}
		if (!n)
			break;
	}
	return n;
}

static void check_unload_baseline(void)
{
	struct bpf_ids before, after;
	struct inst_ids ids;
	char path[4096], *out = NULL;
	int err, cycle;

	/*
	 * Exactly the instance's objects go: every program, map and link its
	 * pins led to is freed. Then bpftool's view as a whole is back at its
	 * baseline; other BPF users on the host can move those kernel-wide
	 * counts meanwhile, so a cycle that saw them move is retried.
	 */
	for (cycle = 0; cycle < 3; cycle++) {
		bpf_ids_settled(&before);
		err = loader_run(&out, "io");
		if (!ASSERT_EQ(err, 0, "load"))
			goto cleanup;
		ASSERT_HAS_SUBSTR(out, "pinned", "load says what it pinned");
		free(out);
		out = NULL;
		collect_ids("io", &ids);
		ASSERT_EQ(ids.nlinks, 12, "links: enter and exit of 6 calls");
		ASSERT_EQ(ids.nprogs, 12, "programs");
		ASSERT_GE(ids.nmaps, 3, "maps the programs use");
		err = loader_run(NULL, "unload io");
		ASSERT_EQ(err, 0, "unload");
		snprintf(path, sizeof(path), "%s/io", pin_root());
		ASSERT_NEQ(access(path, F_OK), 0, "instance directory removed");
		ASSERT_EQ(ids_alive(&ids), 0, "the instance's objects are freed");
		bpf_ids_settled(&after);
		if (!memcmp(&before, &after, sizeof(after)))
			break;
		printf("cycle %d: kernel-wide counts moved (progs %d->%d, maps %d->%d, links %d->%d); again\n",
		       cycle, before.progs, after.progs, before.maps,
		       after.maps, before.links, after.links);
	}
	ASSERT_EQ(after.progs, before.progs, "prog show baseline");
	ASSERT_EQ(after.maps, before.maps, "map show baseline");
	ASSERT_EQ(after.links, before.links, "link show baseline");
cleanup:
	free(out);
}

static void check_double_load(void)
{
	char *out = NULL;
	int err;

	ASSERT_EQ(loader_run(NULL, "io --name dbl"), 0, "first load");
	err = loader_run(&out, "io --name dbl");
	ASSERT_EQ(err, EXIT_EXISTS, "second load refused");
	ASSERT_HAS_SUBSTR(out, "io@dbl: already loaded", "names the instance");
	free(out);
	out = NULL;
	err = loader_run(&out, "io --name dbl --replace --comm xyz");
	ASSERT_EQ(err, 0, "--replace");
	ASSERT_EQ(root_entries(), 1, "one instance, no temporaries");
	err = run_cmd(&out, "bpftool map dump pinned %s/io@dbl/maps/rodata",
		      pin_root());
	ASSERT_HAS_SUBSTR(out, "\"targ_comm\": \"xyz\"", "replaced config");
	free(out);
	ASSERT_EQ(loader_run(NULL, "unload io@dbl"), 0, "unload");
}

/* A loader killed mid-load leaves a temporary; the next run removes it. */
static void check_stale_temporary(void)
{
	char tmp[4096], map[4200];
	int fd, err;

	mkdir(pin_root(), 0700);
	snprintf(tmp, sizeof(tmp), "%s/" PIN_TMP_PREFIX "io-999999", pin_root());
	snprintf(map, sizeof(map), "%s/leftover", tmp);
	ASSERT_OK(mkdir(tmp, 0700), "mkdir temporary");
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "leftover", 4, 8, 1, NULL);
	if (ASSERT_GE(fd, 0, "map")) {
		ASSERT_OK(bpf_obj_pin(fd, map), "pin into temporary");
		close(fd);
	}
	err = loader_run(NULL, "io");
	ASSERT_EQ(err, 0, "load");
	ASSERT_NEQ(access(tmp, F_OK), 0, "stale temporary removed");
	loader_run(NULL, "unload io");
}

static void check_bad_input(void)
{
	static const struct {
		const char *args, *msg;
		int code;
	} cases[] = {
		{ "nosuchtool", "nosuchtool: unknown tool", EXIT_NOENT },
		{ "io --pid abc", "io: --pid: 'abc' is not a", EXIT_USAGE },
		{ "io --pid 2147483647", "io: --pid 2147483647: no such process",
		  EXIT_NOENT },
		{ "io --bogus", "unknown option", EXIT_USAGE },
		{ "io --comm waytoolongforacomm", "io: --comm: 'waytoolongforacomm' is longer than 15",
		  EXIT_USAGE },
		{ "io --name a/b", "io: --name 'a/b' is not valid", EXIT_USAGE },
		{ "io --attach kprobe", "io: --attach kprobe: no such attach variant",
		  EXIT_USAGE },
		{ "unload io@nothere", "io@nothere: no such instance", EXIT_NOENT },
		{ "unload", "unload: name an instance", EXIT_USAGE },
		{ "", "Usage:", EXIT_USAGE },
	};
	char *out = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = loader_run(&out, "%s", cases[i].args);

		if (!ASSERT_EQ(err, cases[i].code, cases[i].args))
			printf("  output: %s\n", out);
		ASSERT_HAS_SUBSTR(out, cases[i].msg, cases[i].args);
		ASSERT_EQ(root_entries(), 0, "nothing pinned");
		free(out);
		out = NULL;
	}
}

static void check_foreign_pin(void)
{
	char path[4096], *out = NULL;
	int fd, err;

	if (!ASSERT_EQ(loader_run(NULL, "io"), 0, "load"))
		return;
	snprintf(path, sizeof(path), "%s/io/someone-elses", pin_root());
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "foreign", 4, 8, 1, NULL);
	ASSERT_OK(bpf_obj_pin(fd, path), "pin a foreign map");
	close(fd);
	err = loader_run(&out, "unload io");
	ASSERT_EQ(err, EXIT_CONTRACT, "unload refuses");
	ASSERT_HAS_SUBSTR(out, "someone-elses was not made by pinsight",
			  "names the foreign pin");
	ASSERT_OK(access(path, F_OK), "foreign pin left alone");
	ASSERT_EQ(dir_count(pin_root()), 1, "instance left alone");
	unlink(path);
	ASSERT_EQ(loader_run(NULL, "unload io"), 0, "unload after");
	free(out);
}

static void check_not_root(void)
{
	char *out = NULL;
	int err;

	err = run_cmd(&out, "setpriv --reuid=65534 --regid=65534 --clear-groups %s/pinsight-load io",
		      env_output_dir());
	ASSERT_EQ(err, EXIT_PERM, "refused");
	ASSERT_HAS_SUBSTR(out, "root is needed", "says why");
	free(out);
}

/* A fresh boot has no bpffs and no tracefs: the loader mounts both. */
static void check_mounts(void)
{
	struct statfs st;
	int i;

	if (!ASSERT_OK(unshare(CLONE_NEWNS), "unshare"))
		return;
	for (i = 0; i < 8 && !umount2("/sys/fs/bpf", MNT_DETACH); i++)
		;
	for (i = 0; i < 8 && !umount2("/sys/kernel/tracing", MNT_DETACH); i++)
		;
	ASSERT_TRUE(statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC,
		    "bpffs unmounted");
	ASSERT_EQ(loader_run(NULL, "io --attach tp"), 0, "load tracepoints");
	ASSERT_OK(statfs("/sys/fs/bpf", &st), "statfs bpffs");
	ASSERT_EQ(st.f_type, BPF_FS_MAGIC, "bpffs mounted");
	ASSERT_OK(statfs("/sys/kernel/tracing", &st), "statfs tracefs");
	ASSERT_EQ(st.f_type, TRACEFS_MAGIC, "tracefs mounted");
	ASSERT_EQ(loader_run(NULL, "unload io"), 0, "unload");
}

void test_loader(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("all_tools_load_and_attach"))
		check_all_tools_load();
	if (test__start_subtest("unload_restores_baseline"))
		check_unload_baseline();
	if (test__start_subtest("double_load_and_replace"))
		check_double_load();
	if (test__start_subtest("stale_temporary_cleaned"))
		check_stale_temporary();
	if (test__start_subtest("bad_input"))
		check_bad_input();
	if (test__start_subtest("foreign_pin_kept"))
		check_foreign_pin();
	if (test__start_subtest("not_root"))
		check_not_root();
	if (test__start_subtest("mounts_bpffs_and_tracefs"))
		check_mounts();
}
