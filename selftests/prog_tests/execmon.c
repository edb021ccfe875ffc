// SPDX-License-Identifier: GPL-2.0
/*
 * execmon: a target process made here (held on a pipe until the instance
 * is loaded) execs, changes uid, is ptrace()d, has its binary written; each
 * must raise exactly the alerts it should, read straight from the pinned
 * ring buffer.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <bpf/bpf.h>
#include "alert_read.h"
#include "pin_layout.h"
#include "execmon.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

enum action { DO_EXEC, DO_FORK_EXEC, DO_SETUID, DO_WAIT, DO_EXEC_BIN };

static char bin_path[256]; /* DO_EXEC_BIN runs this copy of sleep */

/* A child that waits for a byte on @fd, then does @what. */
static pid_t target_start(enum action what, int *go)
{
	int p[2];
	pid_t pid, c;
	char b;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid) {
		close(p[0]);
		*go = p[1];
		return pid;
	}
	close(p[1]);
	if (read(p[0], &b, 1) != 1)
		_exit(1);
	switch (what) {
	case DO_EXEC:
		execl("/bin/true", "true", "--from", "execmon-test", NULL);
		_exit(errno == EPERM ? 13 : 127);
	case DO_FORK_EXEC:
		c = fork();
		if (c == 0) {
			execl("/bin/true", "true", NULL);
			_exit(127);
		}
		waitpid(c, NULL, 0);
		_exit(0);
	case DO_SETUID:
		_exit(setuid(65534) ? 1 : 0);
	case DO_WAIT:
		read(p[0], &b, 1); /* until the test closes the pipe */
		_exit(0);
	case DO_EXEC_BIN:
		/* argv[0] "sleep": in a busybox initramfs, sleep is busybox */
		execl(bin_path, "sleep", "30", NULL);
		_exit(127);
	}
	_exit(1);
}

/* Let the target go on without waiting for it. */
static void target_finish_nowait(int go)
{
	if (write(go, "x", 1) != 1)
		perror("target pipe");
	close(go);
}

static int target_finish(pid_t pid, int go)
{
	int status = -1;

	if (write(go, "x", 1) != 1)
		kill(pid, SIGKILL);
	close(go);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int load_for(pid_t pid, const char *extra)
{
	return loader_run(NULL, "execmon --pid %d %s", pid, extra);
}

/*
 * A target held before @what, with execmon loaded for it (options @extra).
 * Returns its pid (release it with target_finish()), or -1 with no target
 * left behind.
 */
static pid_t target_loaded(enum action what, const char *extra, int *go)
{
	pid_t pid = target_start(what, go);

	if (!ASSERT_GT(pid, 0, "fork"))
		return -1;
	if (!ASSERT_EQ(load_for(pid, extra), 0, "load")) {
		target_finish(pid, *go);
		return -1;
	}
	return pid;
}

/*
 * Drain execmon's alerts into @l: exactly one more must have come (@name),
 * of @kind (0: any) about @what (NULL: anything). Returns it, or NULL.
 */
static const struct alert *one_alert(struct alert_list *l,
				     enum alert_kind kind, const char *what,
				     const char *name)
{
	const struct alert *a;

	if (!ASSERT_EQ(alerts_drain("execmon", 0, l), 1, name))
		return NULL;
	a = &l->a[l->n - 1];
	if (kind)
		ASSERT_EQ(a->kind, kind, "kind");
	if (what)
		ASSERT_STREQ(a->what, what, "what");
	return a;
}

/* exec of /bin/true by the target: one alert, and the exec is logged */
static void check_exec(const char *allow, int want)
{
	struct alert_list l = {};
	int go, fd, logged = 0;
	char *out = NULL;
	__u32 slot;
	pid_t pid;

	pid = target_loaded(DO_EXEC, allow, &go);
	if (pid < 0)
		return;
	ASSERT_EQ(target_finish(pid, go), 0, "target exit");
	ASSERT_EQ(alerts_drain("execmon", 0, &l), want, "alerts");
	if (want && l.n == 1) {
		ASSERT_EQ(l.a[0].kind, ALERT_EXEC, "kind");
		ASSERT_STREQ(l.a[0].what, "/bin/true", "filename");
		ASSERT_EQ(l.a[0].tgid, pid, "pid");
		ASSERT_EQ(l.a[0].ppid, getpid(), "parent pid");
		ASSERT_EQ(l.a[0].uid, getuid(), "uid");
	}
	ASSERT_EQ(alerts_counted("execmon", ALERT_EXEC), want, "alert_counts");
	fd = pin_open("execmon", "maps/exec_log");
	for (slot = 0; fd >= 0 && slot < EXEC_LOG_LEN; slot++) {
		static const char argv[] = "true\0--from\0execmon-test\0";
		struct exec_rec r;

		if (bpf_map_lookup_elem(fd, &slot, &r) || r.pid != (__u32)pid)
			continue;
		logged++;
		ASSERT_STREQ(r.filename, "/bin/true", "logged filename");
		/* as the process has it, ended by two NULs */
		ASSERT_OK(memcmp(r.args, argv, sizeof(argv)), "logged argv");
		ASSERT_EQ(r.ppid, getpid(), "logged parent");
		ASSERT_EQ(r.alerted, want, "logged alert flag");
		ASSERT_GT(r.ts_ns, 0, "logged time");
	}
	/* readers join the words with spaces */
	if (!reader_run(&out, "show execmon exec_log -j"))
		ASSERT_OK_PTR(strstr(out, "\"true --from execmon-test\""),
			      "argv as shown");
	free(out);
	ASSERT_EQ(logged, 1, "exec logged once");
	if (fd >= 0)
		close(fd);
	free(l.a);
	loader_run(NULL, "unload execmon");
}

/* a child of the target is a target too */
static void check_descendant(void)
{
	struct alert_list l = {};
	const struct alert *a;
	pid_t pid;
	int go;

	pid = target_loaded(DO_FORK_EXEC, "--allow /bin/sh", &go);
	if (pid < 0)
		return;
	ASSERT_EQ(target_finish(pid, go), 0, "target exit");
	a = one_alert(&l, 0, "/bin/true", "one alert");
	if (a) {
		ASSERT_NEQ(a->tgid, pid, "by the child");
		ASSERT_EQ(a->ppid, pid, "whose parent is the target");
	}
	free(l.a);
	loader_run(NULL, "unload execmon");
}

static void check_setuid(void)
{
	struct alert_list l = {};
	const struct alert *a;
	pid_t pid;
	int go;

	if (getuid() != 0) {
		test__skip("setuid(65534) needs root");
		return;
	}
	pid = target_loaded(DO_SETUID, "", &go);
	if (pid < 0)
		return;
	ASSERT_EQ(target_finish(pid, go), 0, "setuid");
	a = one_alert(&l, ALERT_SETUID, NULL, "one alert");
	if (a) {
		ASSERT_EQ(a->value, 65534, "new euid");
		ASSERT_EQ(a->threshold, 0, "old euid");
		ASSERT_EQ(a->uid, 65534, "uid after");
		ASSERT_HAS_SUBSTR(a->what, "uid 0/0 -> 65534/65534", "what");
	}
	free(l.a);
	loader_run(NULL, "unload execmon");
}

static void check_ptrace(void)
{
	struct alert_list l = {};
	const struct alert *a;
	pid_t pid;
	int go;

	pid = target_loaded(DO_WAIT, "", &go);
	if (pid < 0)
		return;
	if (ASSERT_OK(ptrace(PTRACE_ATTACH, pid, NULL, NULL), "attach")) {
		waitpid(pid, NULL, 0);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	a = one_alert(&l, ALERT_PTRACE, "PTRACE_ATTACH", "one alert");
	if (a) {
		ASSERT_EQ(a->value, pid, "traced pid");
		ASSERT_EQ(a->tgid, getpid(), "tracer");
	}
	close(go); /* the target's second read returns 0: it exits */
	waitpid(pid, NULL, 0);
	free(l.a);
	loader_run(NULL, "unload execmon");
}

/*
 * Wait (up to 2 s) until @pid runs the program called @comm: exec'd it and
 * is alive (a dynamic binary dies at once where there is no libc, as in a
 * static initramfs).
 */
static bool runs(pid_t pid, const char *comm)
{
	char path[64], buf[256], state = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < 200; i++, usleep(10000)) {
		f = fopen(path, "r");
		buf[0] = '\0';
		if (f && fscanf(f, "%*d (%255[^)]) %c", buf, &state) != 2)
			buf[0] = '\0';
		if (f)
			fclose(f);
		if (!strcmp(buf, comm))
			return state != 'Z' && (usleep(50000), true);
	}
	return false;
}

enum write_way { W_OPEN, W_OPENAT2, W_TRUNCATE, W_CREAT };

/*
 * Try to write @st's file @path the way @way does: each of these syscalls
 * has a program of its own, which reads the path and flags from that
 * syscall's own registers. Returns the value the alert must carry (0:
 * refused as busy; the inode: opened for writing), -1 for no alert (a
 * truncate that succeeded: no fd to look at), -2 if the kernel lacks the
 * syscall. W_TRUNCATE keeps the size, so only W_CREAT changes the file.
 */
static long try_write(const char *path, const struct stat *st,
		      enum write_way way)
{
	struct open_how how = { .flags = O_WRONLY };
	long ret;

	switch (way) {
	case W_OPEN:
		ret = syscall(SYS_open, path, O_WRONLY);
		break;
	case W_OPENAT2:
		ret = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
		break;
	case W_TRUNCATE:
		ret = syscall(SYS_truncate, path, st->st_size);
		return ret ? (errno == ETXTBSY ? 0 : -2) : -1;
	default:
		ret = syscall(SYS_creat, path, 0755);
		break;
	}
	if (ret < 0)
		return errno == ETXTBSY ? 0 : -2;
	close(ret);
	return st->st_ino;
}

/* @way alerts as try_write() says (@running: the target runs @path) */
static void check_write_way(const char *path, const struct stat *st,
			    enum write_way way, bool running,
			    struct alert_list *l)
{
	static const char *const names[] = { "open", "openat2", "truncate",
					     "creat" };
	long want = try_write(path, st, way);
	const struct alert *a;

	if (want == -2) {
		ASSERT_TRUE(way == W_OPENAT2 && errno == ENOSYS, names[way]);
		return;
	}
	if (!running)
		ASSERT_NEQ(want, 0, "not busy once the target is gone");
	if (want == -1) {
		ASSERT_EQ(alerts_drain("execmon", 0, l), 0, names[way]);
		return;
	}
	a = one_alert(l, ALERT_BINARY_WRITE, path, names[way]);
	if (a)
		ASSERT_EQ(a->value, want, "the inode, 0 if refused");
}

/*
 * Writes to the binary a target runs: an open for writing while it runs
 * alerts, whether it is refused (ETXTBSY: value 0) or, where the kernel
 * allows it (6.11/6.12), succeeds (value: the inode); an unrelated file
 * does not; once the target is gone the open succeeds, and alerts with the
 * inode. @seeded: the target runs it before the load (found in /proc),
 * else it execs it after.
 */
static void check_binary_write(bool seeded)
{
	char dir[64], other[300];
	struct alert_list l = {};
	const struct alert *a;
	struct stat st;
	int go = -1, fd, busy;
	pid_t pid;

	snprintf(dir, sizeof(dir), "/tmp/pinsight-em-%d", getpid());
	snprintf(bin_path, sizeof(bin_path), "%s/em-bin-%d", dir, seeded);
	snprintf(other, sizeof(other), "%s/em-other", dir);
	mkdir(dir, 0700);
	if (!ASSERT_EQ(run_cmd(NULL, "cp /bin/sleep %s && cp /bin/sleep %s",
			       bin_path, other),
		       0, "copy sleep") ||
	    !ASSERT_OK(stat(bin_path, &st), "stat"))
		goto cleanup;
	pid = target_start(DO_EXEC_BIN, &go);
	if (!ASSERT_GT(pid, 0, "fork"))
		goto cleanup;
	if (seeded) {
		target_finish_nowait(go);
		go = -1;
		if (!runs(pid, strrchr(bin_path, '/') + 1)) {
			test__skip("a copy of /bin/sleep does not run here");
			kill(pid, SIGKILL);
			goto reap;
		}
	}
	if (!ASSERT_EQ(loader_run(NULL, "execmon --pid %d --allow %s", pid,
				  bin_path),
		       0, "load")) {
		kill(pid, SIGKILL);
		goto reap;
	}
	if (!seeded) {
		target_finish_nowait(go);
		go = -1;
		if (!runs(pid, strrchr(bin_path, '/') + 1)) {
			test__skip("a copy of /bin/sleep does not run here");
			kill(pid, SIGKILL);
			loader_run(NULL, "unload execmon");
			goto reap;
		}
	}
	fd = open(bin_path, O_WRONLY);
	busy = fd < 0;
	ASSERT_TRUE(fd >= 0 || errno == ETXTBSY, "opened, or refused as busy");
	if (fd >= 0)
		close(fd);
	fd = open(other, O_WRONLY);
	ASSERT_GE(fd, 0, "another file opens");
	if (fd >= 0)
		close(fd);
	a = one_alert(&l, ALERT_BINARY_WRITE, bin_path, "one alert");
	if (a) {
		ASSERT_EQ(a->value, busy ? 0 : st.st_ino,
			  "the inode, 0 if refused");
		ASSERT_EQ(a->tgid, getpid(), "by us");
	}
	check_write_way(bin_path, &st, W_OPEN, true, &l);
	check_write_way(bin_path, &st, W_OPENAT2, true, &l);
	check_write_way(bin_path, &st, W_TRUNCATE, true, &l);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = 0;
	fd = open(bin_path, O_WRONLY);
	ASSERT_GE(fd, 0, "opens once the target is gone");
	if (fd >= 0)
		close(fd);
	a = one_alert(&l, ALERT_BINARY_WRITE, NULL, "one more alert");
	if (a)
		ASSERT_EQ(a->value, st.st_ino, "the inode");
	check_write_way(bin_path, &st, W_CREAT, false, &l); /* truncates it */
	loader_run(NULL, "unload execmon");
reap:
	if (pid > 0)
		waitpid(pid, NULL, 0);
cleanup:
	if (go >= 0)
		close(go);
	free(l.a);
	run_cmd(NULL, "rm -rf %s", dir);
}

/* --comm: a process that execs into the comm is a target from then on */
static void check_comm(void)
{
	char dir[64], bin[128], comm[16];
	struct alert_list l = {};
	int err;

	snprintf(dir, sizeof(dir), "/tmp/pinsight-emc-%d", getpid());
	snprintf(comm, sizeof(comm), "em-c-%d", getpid() % 100000);
	snprintf(bin, sizeof(bin), "%s/%s", dir, comm);
	mkdir(dir, 0700);
	if (!ASSERT_EQ(run_cmd(NULL, "cp /bin/sh %s", bin), 0, "copy sh"))
		goto cleanup;
	if (!ASSERT_EQ(loader_run(NULL, "execmon --comm %s", comm), 0, "load"))
		goto cleanup;
	run_cmd(NULL, "/bin/true"); /* not a target: no alert */
	err = run_cmd(NULL, "%s -c '/bin/true; exit 3'", bin);
	ASSERT_EQ(err, 3, "target ran");
	one_alert(&l, ALERT_EXEC, "/bin/true", "one alert");
	loader_run(NULL, "unload execmon");
cleanup:
	free(l.a);
	run_cmd(NULL, "rm -rf %s", dir);
}

/* --cgroup: processes in the cgroup (forked there after load) are targets */
static void check_cgroup(void)
{
	char root[256] = "", cg[512], dev[64], type[64];
	struct alert_list l = {};
	FILE *f = fopen("/proc/mounts", "r");

	while (f &&
	       fscanf(f, "%63s %255s %63s %*[^\n]", dev, root, type) == 3 &&
	       strcmp(type, "cgroup2"))
		root[0] = '\0';
	if (f)
		fclose(f);
	if (!root[0] || strcmp(type, "cgroup2")) {
		test__skip("no cgroup2 mount");
		return;
	}
	snprintf(cg, sizeof(cg), "%s/pinsight-em-%d", root, getpid());
	if (!ASSERT_OK(mkdir(cg, 0755), "mkdir cgroup"))
		return;
	if (!ASSERT_EQ(loader_run(NULL, "execmon --cgroup %s", cg), 0, "load"))
		goto cleanup;
	run_cmd(NULL, "/bin/true"); /* outside: no alert */
	ASSERT_EQ(
		run_cmd(NULL,
			"sh -c 'echo $$ > %s/cgroup.procs && /bin/true && echo $$ > %s/cgroup.procs'",
			cg, root),
		0, "exec in the cgroup");
	one_alert(&l, ALERT_EXEC, "/bin/true", "one alert");
	loader_run(NULL, "unload execmon");
cleanup:
	free(l.a);
	rmdir(cg);
}

/* How many attached programs of type LSM the kernel has. */
static int lsm_links(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info li = {};
		struct bpf_prog_info pi = {};
		__u32 len = sizeof(li);
		int fd = bpf_link_get_fd_by_id(id), pfd;

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &li, &len)) {
			pfd = bpf_prog_get_fd_by_id(li.prog_id);
			len = sizeof(pi);
			if (pfd >= 0 && !bpf_obj_get_info_by_fd(pfd, &pi, &len))
				n += pi.type == BPF_PROG_TYPE_LSM;
			if (pfd >= 0)
				close(pfd);
		}
		close(fd);
	}
	return n;
}

static void check_enforce(void)
{
	struct alert_list l = {};
	char *out = NULL;
	int go, err, before = lsm_links();
	pid_t pid;

	pid = target_start(DO_EXEC, &go);
	if (!ASSERT_GT(pid, 0, "fork"))
		return;
	err = loader_run(&out, "execmon --pid %d --enforce --allow /bin/sh",
			 pid);
	if (err == 7) {
		ASSERT_HAS_SUBSTR(out, "--enforce", "says which option");
		ASSERT_TRUE(strstr(out, "lsm=") || strstr(out, "refuses"),
			    "says why or how to enable it");
		ASSERT_EQ(pin_open("execmon", "maps/targets"), -ENOENT,
			  "nothing pinned");
		target_finish(pid, go);
		test__skip("BPF LSM programs do not load here: %s",
			   strstr(out, "refuses") ? "the kernel refuses them"
						  : "BPF LSM not active");
		goto cleanup;
	}
	if (!ASSERT_EQ(err, 0, "load --enforce")) {
		target_finish(pid, go);
		goto cleanup;
	}
	ASSERT_EQ(lsm_links(), before + 1, "LSM program attached");
	ASSERT_EQ(target_finish(pid, go), 13, "exec denied (EPERM)");
	if (ASSERT_EQ(alerts_drain("execmon", ALERT_EXEC, &l), 1,
		      "one alert")) {
		ASSERT_STREQ(l.a[0].what, "/bin/true", "filename");
		ASSERT_EQ(l.a[0].value, 1, "denied");
	}
	loader_run(NULL, "unload execmon");
	ASSERT_EQ(lsm_links(), before, "unload leaves no LSM program attached");
cleanup:
	free(l.a);
	free(out);
}

/* The ids of the programs an instance's links hold. */
static int instance_progs(const char *inst, __u32 *ids, int max)
{
	static const char *const names[] = {
		"sched_process_exec", "sched_process_fork",
		"sched_process_exit", "sys_exit_setuid", "sys_enter_ptrace"
	};
	char rel[64];
	int i, n = 0;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])) && n < max;
	     i++) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li);
		int fd;

		snprintf(rel, sizeof(rel), "links/%s", names[i]);
		fd = pin_open(inst, rel);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &li, &len))
			ids[n++] = li.prog_id;
		close(fd);
	}
	return n;
}

/* unload detaches everything: its programs are gone, no LSM program left */
static void check_unload(void)
{
	struct bpf_ids settled;
	int lsm = lsm_links(), i, n, fd;
	__u32 ids[8];

	if (!ASSERT_EQ(loader_run(NULL, "execmon --comm execmon-none"), 0,
		       "load"))
		return;
	n = instance_progs("execmon", ids, 8);
	ASSERT_EQ(n, 5, "programs found by their links");
	ASSERT_EQ(loader_run(NULL, "unload execmon"), 0, "unload");
	bpf_ids_settled(&settled); /* programs go after an RCU grace period */
	for (i = 0; i < n; i++) {
		fd = bpf_prog_get_fd_by_id(ids[i]);
		ASSERT_LT(fd, 0, "program freed");
		if (fd >= 0)
			close(fd);
	}
	ASSERT_EQ(lsm_links(), lsm, "no LSM program left attached");
}

void test_execmon(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("exec_alert"))
		check_exec("", 1);
	if (test__start_subtest("exec_allowed"))
		check_exec("--allow /bin/sh,/bin/true", 0);
	if (test__start_subtest("descendant_exec"))
		check_descendant();
	if (test__start_subtest("setuid"))
		check_setuid();
	if (test__start_subtest("ptrace_attach"))
		check_ptrace();
	if (test__start_subtest("comm_target"))
		check_comm();
	if (test__start_subtest("cgroup_target"))
		check_cgroup();
	if (test__start_subtest("binary_write_running"))
		check_binary_write(true);
	if (test__start_subtest("binary_write_exec"))
		check_binary_write(false);
	if (test__start_subtest("enforce"))
		check_enforce();
	if (test__start_subtest("unload"))
		check_unload();
}
