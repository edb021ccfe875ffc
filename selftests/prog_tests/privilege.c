// SPDX-License-Identifier: GPL-2.0
/*
 * Least privilege: pins are root-only (0600, directories 0700) unless
 * --group G grants read access; a real unprivileged user in G can run
 * `pinsight show`/`metrics` (BTF from the instance's btf pin, no
 * CAP_SYS_ADMIN) but cannot write maps or open, detach or remove links;
 * users outside G get a clear permission error. The loader works with
 * only the capabilities README.md lists.
 *
 * Unprivileged bpf() here: kernel.unprivileged_bpf_disabled only gates
 * BPF_MAP_CREATE and BPF_PROG_LOAD since 6.5, so BPF_OBJ_GET of a pin the
 * file mode allows, map lookups and BPF_OBJ_GET_INFO_BY_FD work for any
 * user; before 6.5 a set sysctl refuses every bpf() call without
 * CAP_BPF, and --group cannot help.
 */
#include <dirent.h>
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "io.h"
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

#define NOBODY 65534

static gid_t test_gid;

/* A gid no group on this host has, so membership is only what we set. */
static gid_t free_gid(void)
{
	gid_t g;

	for (g = 64990; g > 60000; g--)
		if (!getgrgid(g))
			return g;
	return 0;
}

/* Every pin and directory under @path has these modes, group, owner root. */
static void check_modes(const char *path, mode_t file, mode_t dir, gid_t gid)
{
	char sub[4200];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!ASSERT_OK(lstat(path, &st), path))
		return;
	ASSERT_EQ(st.st_uid, 0, "owned by root");
	ASSERT_EQ(st.st_gid, gid, "group");
	if (!S_ISDIR(st.st_mode)) {
		if (!ASSERT_EQ(st.st_mode & 07777, file, "pin mode"))
			printf("  %s: %o\n", path, st.st_mode & 07777);
		return;
	}
	if (!ASSERT_EQ(st.st_mode & 07777, dir, "directory mode"))
		printf("  %s: %o\n", path, st.st_mode & 07777);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		check_modes(sub, file, dir, gid);
	}
	if (d)
		closedir(d);
}

static void check_default_modes(void)
{
	char path[4096];

	if (!ASSERT_EQ(loader_run(NULL, "io --name modes"), 0, "load"))
		return;
	snprintf(path, sizeof(path), "%s/io@modes", pin_root());
	check_modes(path, 0600, 0700, 0);
	loader_run(NULL, "unload io@modes");
}

/* Run pinsight as nobody, in @gid's group or (gid 0) in none. */
static int reader_as_nobody(char **out, gid_t gid, const char *args)
{
	char groups[32];

	snprintf(groups, sizeof(groups), gid ? "--groups=%u" : "--clear-groups",
		 gid);
	return run_cmd(out, "setpriv --reuid=%d --regid=%d %s %s/pinsight %s",
		       NOBODY, NOBODY, groups, env_output_dir(), args);
}

/*
 * In a child that is nobody in the group: reads work, writes, link opens
 * and removals do not. Assertions made in the child count.
 */
static void group_member_cannot_write(const char *inst)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char map[4200], link[4200], dir[4096];
	struct io_comm_key key = {};
	struct io_comm_val val = {};
	int fd, status;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/%s", pin_root(), inst);
	snprintf(map, sizeof(map), "%s/maps/io_comm", dir);
	snprintf(link, sizeof(link), "%s/links/tp__enter_read", dir);
	pid = fork();
	if (pid == 0) {
		if (!ASSERT_OK(setgroups(1, &test_gid), "setgroups") ||
		    !ASSERT_OK(setresgid(NOBODY, NOBODY, NOBODY), "setresgid") ||
		    !ASSERT_OK(setresuid(NOBODY, NOBODY, NOBODY), "setresuid"))
			_exit(1);
		fd = bpf_obj_get_opts(map, &ro);
		if (ASSERT_GE(fd, 0, "member opens a map read-only")) {
			ASSERT_ERR(bpf_map_update_elem(fd, &key, &val, 0),
				   "but cannot update it");
			close(fd);
		}
		ASSERT_ERR(bpf_obj_get(map), "cannot open a map read-write");
		ASSERT_EQ(errno, EACCES, "EACCES");
		ASSERT_ERR(bpf_obj_get(link), "cannot open a link");
		ASSERT_ERR(unlink(link), "cannot remove a link pin");
		ASSERT_EQ(errno, EACCES, "EACCES");
		ASSERT_ERR(rename(dir, "/sys/fs/bpf/stolen"), "cannot move it");
		_exit(0);
	}
	ASSERT_GT(pid, 0, "fork");
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid");
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "child ran");
	ASSERT_OK(access(link, F_OK), "link still pinned");
}

static void check_group_reader(void)
{
	char path[4096], *out = NULL;
	int err;

	/* tp: group_member_cannot_write() opens links/tp__enter_read */
	err = loader_run(NULL, "io --name grp --group %u --attach tp",
			 test_gid);
	if (!ASSERT_EQ(err, 0, "load --group"))
		return;
	snprintf(path, sizeof(path), "%s/io@grp", pin_root());
	check_modes(path, 0640, 0750, test_gid);
	/* Traffic under our own comm, so there is something to read. */
	run_cmd(NULL, "%s/workloads/iogen --comm priv-rd --count 3",
		env_output_dir());

	err = reader_as_nobody(&out, test_gid, "show io@grp io_comm");
	ASSERT_EQ(err, 0, "member: show");
	ASSERT_HAS_SUBSTR(out, "priv-rd", "member sees the rows");
	free(out);
	out = NULL;
	err = reader_as_nobody(&out, test_gid, "metrics io@grp");
	ASSERT_EQ(err, 0, "member: metrics");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_ops_total{service=\"priv-rd\"",
			  "member gets metrics");
	free(out);
	out = NULL;
	group_member_cannot_write("io@grp");

	err = reader_as_nobody(&out, 0, "show io@grp");
	ASSERT_EQ(err, EXIT_PERM, "non-member: show refused");
	ASSERT_HAS_SUBSTR(out, "io@grp: ", "names the instance");
	ASSERT_HAS_SUBSTR(out, "Permission denied", "says why");
	free(out);
	out = NULL;
	err = reader_as_nobody(&out, 0, "metrics io@grp");
	ASSERT_EQ(err, EXIT_PERM, "non-member: metrics refused");
	free(out);
	out = NULL;

	/* Without --group, even a member of the group is refused. */
	if (ASSERT_EQ(loader_run(NULL, "io --name nogrp"), 0, "load")) {
		err = reader_as_nobody(&out, test_gid, "show io@nogrp");
		ASSERT_EQ(err, EXIT_PERM, "no --group: refused");
		ASSERT_HAS_SUBSTR(out, "Permission denied", "says why");
		free(out);
		loader_run(NULL, "unload io@nogrp");
	}
	ASSERT_EQ(loader_run(NULL, "unload io@grp"), 0, "unload");
}

/*
 * A --group that names no group is refused before anything loads: exit 3
 * (not found, as for an unknown binary or instance), nothing pinned, no
 * program left behind.
 */
static void check_unknown_group(void)
{
	char comm[16], group[32], *out = NULL;
	struct bpf_ids ids;
	int err;

	snprintf(comm, sizeof(comm), "nogrp%d", getpid() % 100000);
	snprintf(group, sizeof(group), "pinsight-nogroup-%d", getpid());
	if (!ASSERT_NULL(getgrnam(group), "the group does not exist"))
		return;
	err = loader_run(&out, "io --name nogroup --comm %s --group %s", comm,
			 group);
	ASSERT_EQ(err, EXIT_NOENT, "exit 3");
	ASSERT_HAS_SUBSTR(out, "io@nogroup: --group ", "names the instance");
	ASSERT_HAS_SUBSTR(out, "no such group", "says why");
	/* the pin root itself may not exist yet: -ENOENT */
	err = dir_count(pin_root());
	ASSERT_TRUE(err == 0 || err == -ENOENT, "nothing pinned");
	ASSERT_EQ(root_temporaries(), 0, "no temporary left");
	bpf_ids_tagged(comm, &ids);
	ASSERT_EQ(ids.progs, 0, "no program loaded");
	free(out);
}

/* The loader with only the capabilities README.md documents. */
static void check_capabilities(void)
{
	static const char *const caps = "-all,+bpf,+perfmon,+net_admin,+sys_admin";
	char *out = NULL, *help = NULL, *p, tool[64], args[512];
	int err, n = 0;

	/* Every tool, with its example options; pktstat's --dev lo is ours. */
	if (!ASSERT_OK(unshare(CLONE_NEWNET), "netns") ||
	    !ASSERT_EQ(run_cmd(NULL, "ip link set lo up"), 0, "lo up"))
		return;
	loader_run(&help, "--help");
	p = help ? strstr(help, "Tools:\n") : NULL;
	for (p = p ? p + 7 : NULL; p && p[0] == ' ' &&
	     sscanf(p, " %63s", tool) == 1; p = strchr(p, '\n') + 1) {
		tool_example(tool, args, sizeof(args));
		err = run_cmd(NULL, "setpriv --bounding-set=%s %s/pinsight-load %s --name cap %s",
			      caps, env_output_dir(), tool, args);
		if (!ASSERT_EQ(err, 0, tool))
			continue;
		err = run_cmd(NULL, "setpriv --bounding-set=%s %s/pinsight-load unload %s@cap",
			      caps, env_output_dir(), tool);
		ASSERT_EQ(err, 0, "unload with them");
		n++;
	}
	free(help);
	ASSERT_GT(n, 0, "tools loaded with the documented capabilities");

	/*
	 * io's raw_tp variant needs only CAP_BPF and CAP_PERFMON. Its
	 * tracepoint variant opens perf events, which Debian kernels
	 * (perf_event_paranoid 3 by default) give only to CAP_SYS_ADMIN.
	 */
	err = run_cmd(NULL, "setpriv --bounding-set=-all,+bpf,+perfmon %s/pinsight-load io --name cap2 --attach raw",
		      env_output_dir());
	ASSERT_EQ(err, 0, "io with CAP_BPF and CAP_PERFMON");
	loader_run(NULL, "unload io@cap2");
	/* --group changes the pins' group: CAP_CHOWN as well. */
	err = run_cmd(&out, "setpriv --bounding-set=-all,+bpf,+perfmon %s/pinsight-load io --name cap3 --attach raw --group %u",
		      env_output_dir(), test_gid);
	ASSERT_EQ(err, EXIT_PERM, "--group without CAP_CHOWN: permission error");
	ASSERT_HAS_SUBSTR(out, "io@cap3: --group ", "names the instance and option");
	ASSERT_HAS_SUBSTR(out, "cannot set pin ownership: Operation not permitted",
			  "says why");
	ASSERT_EQ(dir_count(pin_root()), 0, "and pins nothing");
	free(out);
	out = NULL;
	err = run_cmd(NULL, "setpriv --bounding-set=-all,+bpf,+perfmon,+chown %s/pinsight-load io --name cap3 --attach raw --group %u",
		      env_output_dir(), test_gid);
	ASSERT_EQ(err, 0, "--group with CAP_CHOWN");
	loader_run(NULL, "unload io@cap3");
	/* Too little: a clear permission error, nothing pinned. */
	err = run_cmd(&out, "setpriv --bounding-set=-all,+bpf %s/pinsight-load io --name cap4 --attach raw",
		      env_output_dir());
	ASSERT_EQ(err, EXIT_PERM, "CAP_BPF alone: permission error");
	ASSERT_HAS_SUBSTR(out, "io@cap4: ", "names the instance");
	ASSERT_HAS_SUBSTR(out, "Operation not permitted", "says why");
	ASSERT_EQ(dir_count(pin_root()), 0, "nothing pinned");
	free(out);
}

/*
 * Kernel addresses (profile's kernel stacks) reach a group reader only as
 * zeros or symbol names: printing them would undo KASLR. Root sees them.
 */
static void check_no_kernel_addresses(void)
{
	static const char *const cmds[] = {
		"show profile@ka", "-j show profile@ka", "profile profile@ka",
		"profile profile@ka --folded",
	};
	static const char kaddr[] =
		"grep -cE 'f{8}[0-9a-f]{8}|18446744[0-9]{12}'";
	char *out = NULL;
	size_t i;
	int err;

	err = loader_run(NULL, "profile --name ka --freq 199 --group %u",
			 test_gid);
	if (err == EXIT_NOENT) {
		test__skip("no profile tool");
		return;
	}
	if (!ASSERT_EQ(err, 0, "load profile --group"))
		return;
	/* Kernel samples: a second of syscalls. */
	run_cmd(NULL, "timeout 1 sh -c 'while :; do cat /proc/self/stat; done' >/dev/null");
	err = run_cmd(&out, "%s/pinsight show profile@ka | %s", env_output_dir(),
		      kaddr);
	ASSERT_EQ(err, 0, "root sees kernel addresses (the check works)");
	free(out);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		out = NULL;
		err = run_cmd(&out, "setpriv --reuid=%d --regid=%d --groups=%u %s/pinsight %s | %s",
			      NOBODY, NOBODY, test_gid, env_output_dir(),
			      cmds[i], kaddr);
		ASSERT_NEQ(err, 0, cmds[i]); /* grep -c finds none: exit 1 */
		ASSERT_HAS_SUBSTR(out, "0", "no kernel address");
		free(out);
	}
	loader_run(NULL, "unload profile@ka");
}

void test_privilege(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	test_gid = free_gid();
	if (!ASSERT_NEQ(test_gid, 0, "a free gid"))
		return;
	if (test__start_subtest("default_modes"))
		check_default_modes();
	if (test__start_subtest("group_reader"))
		check_group_reader();
	if (test__start_subtest("no_kernel_addresses"))
		check_no_kernel_addresses();
	if (test__start_subtest("unknown_group"))
		check_unknown_group();
	if (test__start_subtest("capabilities"))
		check_capabilities();
}
