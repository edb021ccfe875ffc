// SPDX-License-Identifier: GPL-2.0
/*
 * io counts exactly: iogen makes a known number of each call under a comm
 * of our choosing, and every counter and histogram total must match.
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "alert_read.h"
#include "io.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

struct op_counts {
	struct io_comm_val comm[IO_OP_NR]; /* io_comm: per command */
	struct io_proc_val proc[IO_OP_NR]; /* io_proc: summed over tgids */
	__u64 hist_total[IO_OP_NR];
	int tgids; /* distinct tgids seen under the comm */
};

/* Sum everything the io instance @inst holds for @comm. */
static int read_counts(const char *inst, const char *comm,
		       struct op_counts *c)
{
	struct io_proc_key key, next, *prev = NULL;
	struct io_comm_key ck = {};
	__u32 last_tgid = 0;
	int pfd, cfd, op, i, err = 0;

	memset(c, 0, sizeof(*c));
	pfd = pin_open(inst, "maps/io_proc");
	cfd = pin_open(inst, "maps/io_comm");
	if (pfd < 0 || cfd < 0) {
		err = pfd < 0 ? pfd : cfd;
		goto cleanup;
	}
	while (!bpf_map_get_next_key(pfd, prev, &next)) {
		struct io_proc_val v;

		key = next;
		prev = &key;
		if (strcmp(key.comm, comm) || key.op >= IO_OP_NR)
			continue;
		err = map_lookup_sum(pfd, &key, &v, sizeof(v));
		if (err)
			goto cleanup;
		c->proc[key.op].ops += v.ops;
		c->proc[key.op].bytes += v.bytes;
		c->proc[key.op].errors += v.errors;
		if (key.tgid != last_tgid)
			c->tgids++;
		last_tgid = key.tgid;
	}
	snprintf(ck.comm, sizeof(ck.comm), "%s", comm);
	for (op = 0; op < IO_OP_NR; op++) {
		ck.op = op;
		if (map_lookup_sum(cfd, &ck, &c->comm[op], sizeof(c->comm[op])))
			continue; /* no calls of this op */
		for (i = 0; i < HIST_SLOTS; i++)
			c->hist_total[op] += c->comm[op].duration_ns.slots[i];
	}
cleanup:
	if (pfd >= 0)
		close(pfd);
	if (cfd >= 0)
		close(cfd);
	return err;
}

static void check_exact(const char *variant)
{
	const long n = 50, size = 100, fail = 3;
	struct op_counts c;
	char comm[16];
	int op, err;

	snprintf(comm, sizeof(comm), "io-%s-%d", variant, getpid() % 10000);
	err = loader_run(NULL, "io --comm %s --attach %s --per-pid", comm,
			 variant);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(NULL, "%s/workloads/iogen --comm %s --count %ld --size %ld --fail %ld",
		      env_output_dir(), comm, n, size, fail);
	ASSERT_EQ(err, 0, "iogen");
	err = read_counts("io", comm, &c);
	if (!ASSERT_OK(err, "read_counts"))
		goto cleanup;
	ASSERT_EQ(c.tgids, 1, "one process");
	for (op = 0; op < IO_OP_NR; op++) {
		bool fails = op == IO_OP_READ || op == IO_OP_WRITE;

		ASSERT_EQ(c.comm[op].ops, n + (fails ? fail : 0), "ops");
		ASSERT_EQ(c.comm[op].bytes, n * size, "bytes");
		ASSERT_EQ(c.comm[op].errors, fails ? fail : 0, "errors");
		ASSERT_EQ(c.hist_total[op], c.comm[op].ops, "histogram count");
		ASSERT_GT(c.comm[op].duration_ns.sum, 0, "histogram sum");
		ASSERT_EQ(c.proc[op].ops, c.comm[op].ops, "per-process ops");
		ASSERT_EQ(c.proc[op].bytes, c.comm[op].bytes, "per-process bytes");
		ASSERT_EQ(c.proc[op].errors, c.comm[op].errors,
			  "per-process errors");
	}
cleanup:
	loader_run(NULL, "unload io");
}

/*
 * fentry, the first choice where the kernel allows it, counts exactly as
 * the tracepoints; where it does not (this host), asking for it is exit 7
 * naming the cause and the variant that loads, and the default is tp.
 */
static void check_fentry(void)
{
	const char *why = NULL;
	char *out = NULL;
	int err;

	if (!fentry_allowed("__x64_sys_read", &why)) {
		check_exact("fentry");
		err = loader_run(&out, "io --name dflt");
		ASSERT_EQ(err, 0, "load the default");
		ASSERT_HAS_SUBSTR(out, "(attach fentry)", "the default");
		goto cleanup;
	}
	check_variant_refused("io", "f", "fentry", why, "tp");
	err = loader_run(&out, "io --name dflt");
	ASSERT_EQ(err, 0, "load the default");
	ASSERT_HAS_SUBSTR(out, "(attach tp)", "the default falls back to tp");
cleanup:
	free(out);
	loader_run(NULL, "unload io@dflt");
}

/* Without --per-pid io_proc stays empty: its update is the cost saved. */
static void check_per_pid_off(void)
{
	struct op_counts c;
	char comm[16];
	int err;

	snprintf(comm, sizeof(comm), "io-np-%d", getpid() % 10000);
	if (!ASSERT_EQ(loader_run(NULL, "io --comm %s", comm), 0, "load"))
		return;
	err = run_cmd(NULL, "%s/workloads/iogen --comm %s --count 7",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "iogen");
	if (ASSERT_OK(read_counts("io", comm, &c), "read_counts")) {
		ASSERT_EQ(c.comm[IO_OP_READ].ops, 7, "io_comm counts");
		ASSERT_EQ(c.tgids, 0, "io_proc empty");
	}
	loader_run(NULL, "unload io");
}

/* Reads of a 20 ms timerfd land in slot 24: [2^24, 2^25) ns = [16.8, 33.6) ms */
static void check_latency(void)
{
	char comm[16], *out = NULL, line[256];
	struct op_counts c;
	int err;

	snprintf(comm, sizeof(comm), "io-lat-%d", getpid() % 10000);
	err = loader_run(NULL, "io --comm %s", comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(NULL, "%s/workloads/iogen --comm %s --count 10 --slow 3 --slow-ms 20",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "iogen");
	err = read_counts("io", comm, &c);
	if (!ASSERT_OK(err, "read_counts"))
		goto cleanup;
	ASSERT_EQ(c.comm[IO_OP_READ].duration_ns.slots[24], 3, "slow reads in slot 24");
	ASSERT_EQ(c.hist_total[IO_OP_READ], 13, "reads");
	/* not 3 x 20 ms: a read starts after its timer (check_slot_collisions) */
	ASSERT_GE(c.comm[IO_OP_READ].duration_ns.sum, 3 * (1ULL << 24),
		  "sum >= 3 x 16.8 ms");

	/* The same readings through Prometheus: le is the slot's largest value */
	err = reader_run(&out, "metrics");
	if (!ASSERT_EQ(err, 0, "pinsight metrics"))
		goto cleanup;
	snprintf(line, sizeof(line),
		 "ebpf_io_duration_seconds_bucket{service=\"%s\",op=\"read\",le=\"0.016777215\"} 10\n",
		 comm);
	ASSERT_HAS_SUBSTR(out, line, "fast reads below 2^24-1 ns");
	snprintf(line, sizeof(line),
		 "ebpf_io_duration_seconds_bucket{service=\"%s\",op=\"read\",le=\"0.033554431\"} 13\n",
		 comm);
	ASSERT_HAS_SUBSTR(out, line, "slow reads at or below 2^25-1 ns");
	snprintf(line, sizeof(line),
		 "ebpf_io_duration_seconds_count{service=\"%s\",op=\"read\"} 13\n",
		 comm);
	ASSERT_HAS_SUBSTR(out, line, "_count");
cleanup:
	free(out);
	loader_run(NULL, "unload io");
}

/*
 * --max-entries io_slots=1: four processes share the one thread slot, so
 * while one waits in a 20 ms read holding it, the others' calls keep their
 * start in task storage. Every call is still counted and timed.
 */
static void check_slot_collisions(void)
{
	struct op_counts c;
	__u64 slow = 0;
	char comm[16];
	int err, i;

	snprintf(comm, sizeof(comm), "io-slot-%d", getpid() % 10000);
	err = loader_run(NULL, "io --comm %s --max-entries io_slots=1", comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(
		NULL,
		"for i in 1 2 3 4; do %s/workloads/iogen --comm %s --count 10 --slow 3 --slow-ms 20 & done; wait",
		env_output_dir(), comm);
	ASSERT_EQ(err, 0, "iogen x4");
	err = read_counts("io", comm, &c);
	if (!ASSERT_OK(err, "read_counts"))
		goto cleanup;
	ASSERT_EQ(c.comm[IO_OP_READ].ops, 4 * 13, "reads");
	ASSERT_EQ(c.hist_total[IO_OP_READ], 4 * 13, "reads timed");
	/* 2^24 ns and up: four at once on a slow VM can take over 33.6 ms */
	for (i = 24; i < HIST_SLOTS; i++)
		slow += c.comm[IO_OP_READ].duration_ns.slots[i];
	ASSERT_GE(slow, 4 * 3, "slow reads over 16.8 ms");
	/*
	 * A slow read lasts 20 ms less the time between arming its timer
	 * and entering read(), which a busy CPU stretches (239.76 ms for
	 * twelve under ASan): the bound is the buckets' 2^24 ns each.
	 */
	ASSERT_GE(c.comm[IO_OP_READ].duration_ns.sum, 4 * 3 * (1ULL << 24),
		  "read time >= 12 x 16.8 ms");
	ASSERT_EQ(c.comm[IO_OP_WRITEV].ops, 4 * 10, "writev");
cleanup:
	loader_run(NULL, "unload io");
}

/* --pid: another process with the same comm is not counted. */
static void check_pid_filter(void)
{
	int err, status, release;
	struct op_counts c;
	char comm[16];
	pid_t pid;

	snprintf(comm, sizeof(comm), "io-pid-%d", getpid() % 10000);
	pid = spawn_sh_gated(&release,
			     "exec %s/workloads/iogen --comm %s --count 7 >/dev/null",
			     env_output_dir(), comm);
	if (!ASSERT_GT(pid, 0, "fork"))
		return;
	err = loader_run(NULL, "io --pid %d --per-pid", pid);
	ASSERT_EQ(err, 0, "load --pid");
	close(release); /* its I/O starts now, with io attached */
	err = run_cmd(NULL, "%s/workloads/iogen --comm %s --count 5",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "other iogen");
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "target iogen");
	err = read_counts("io", comm, &c);
	if (ASSERT_OK(err, "read_counts")) {
		ASSERT_EQ(c.tgids, 1, "only the target");
		ASSERT_EQ(c.proc[IO_OP_PREAD64].ops, 7, "target's preads");
	}
	loader_run(NULL, "unload io");
}

/* --comm: a process under another comm is not counted. */
static void check_comm_filter(void)
{
	char comm[16], other[16];
	struct op_counts c;
	int err;

	snprintf(comm, sizeof(comm), "io-cA-%d", getpid() % 10000);
	snprintf(other, sizeof(other), "io-cB-%d", getpid() % 10000);
	err = loader_run(NULL, "io --comm %s", comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	run_cmd(NULL, "%s/workloads/iogen --comm %s --count 4", env_output_dir(),
		comm);
	run_cmd(NULL, "%s/workloads/iogen --comm %s --count 4", env_output_dir(),
		other);
	read_counts("io", comm, &c);
	ASSERT_EQ(c.comm[IO_OP_WRITEV].ops, 4, "target counted");
	read_counts("io", other, &c);
	ASSERT_EQ(c.comm[IO_OP_WRITEV].ops, 0, "other comm not counted");
	loader_run(NULL, "unload io");
}

/*
 * A task that renames itself counts under each name in turn, keyed
 * exactly as readers spell it: io reads comm from the task, and a shorter
 * new name can leave the old one's tail after its NUL where
 * __set_task_comm() does not pad (6.1 and later do). io@rn-pid follows
 * the child by --pid (both names), io@rn-comm by --comm (the short name).
 */
static void check_rename(void)
{
	char lng[32], shrt[16], go;
	struct op_counts c;
	int sync[2], i, fd, status;
	pid_t pid;

	snprintf(shrt, sizeof(shrt), "io-rn-%d", getpid() % 10000);
	snprintf(lng, sizeof(lng), "%s-xxxxxxxxxx", shrt);
	if (!ASSERT_OK(pipe(sync), "pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		close(sync[1]);
		fd = open("/dev/zero", O_RDONLY);
		prctl(PR_SET_NAME, lng);
		if (fd < 0 || read(sync[0], &go, 1) != 1)
			_exit(1);
		for (i = 0; i < 3; i++)
			if (read(fd, &go, 1) != 1)
				_exit(1);
		prctl(PR_SET_NAME, shrt);
		for (i = 0; i < 5; i++)
			if (read(fd, &go, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(sync[0]);
	if (!ASSERT_GT(pid, 0, "fork")) {
		close(sync[1]);
		return;
	}
	ASSERT_EQ(loader_run(NULL, "io --name rn-pid --pid %d", pid), 0,
		  "load --pid");
	ASSERT_EQ(loader_run(NULL, "io --name rn-comm --comm %s", shrt), 0,
		  "load --comm");
	ASSERT_EQ(write(sync[1], "g", 1), 1, "start the child");
	close(sync[1]);
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "child");
	lng[15] = '\0'; /* the kernel keeps 15 characters */
	if (ASSERT_OK(read_counts("io@rn-pid", lng, &c), "read_counts long"))
		ASSERT_EQ(c.comm[IO_OP_READ].ops, 3,
			  "reads under the long name");
	if (ASSERT_OK(read_counts("io@rn-pid", shrt, &c), "read_counts short"))
		ASSERT_EQ(c.comm[IO_OP_READ].ops, 5,
			  "reads under the short name");
	if (ASSERT_OK(read_counts("io@rn-comm", shrt, &c), "read_counts comm"))
		ASSERT_EQ(c.comm[IO_OP_READ].ops, 5,
			  "--comm: the short name's reads");
	loader_run(NULL, "unload io@rn-pid");
	loader_run(NULL, "unload io@rn-comm");
}

/* --alert-latency 10ms: two 20 ms timerfd reads alert, 30 fast calls do not. */
static void check_latency_alert(void)
{
	struct alert_list l = {};
	char comm[16];
	int err, i;

	snprintf(comm, sizeof(comm), "io-al-%d", getpid() % 10000);
	/*
	 * Wide margins either side of the threshold: in a qemu TCG guest
	 * on a busy host a vCPU can stall for >10 ms between the timer's
	 * arming and the read (the read then returns at once), or inside
	 * a fast read.
	 */
	err = loader_run(NULL, "io --comm %s --alert-latency 50ms", comm);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(NULL, "%s/workloads/iogen --comm %s --count 5",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "iogen fast");
	ASSERT_EQ(alerts_drain("io", ALERT_LATENCY, &l), 0, "no alert for fast calls");
	err = run_cmd(NULL, "%s/workloads/iogen --comm %s --count 5 --slow 2 --slow-ms 150",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "iogen slow");
	ASSERT_EQ(alerts_drain("io", ALERT_LATENCY, &l), 2, "two slow reads");
	for (i = 0; i < l.n; i++) {
		ASSERT_STREQ(l.a[i].what, "read", "what: the op");
		ASSERT_STREQ(l.a[i].comm, comm, "comm");
		ASSERT_GT(l.a[i].value, 50000000ULL, "value: above 50 ms");
		ASSERT_EQ(l.a[i].threshold, 50000000ULL, "threshold: 50 ms");
	}
	ASSERT_EQ(alerts_counted("io", ALERT_LATENCY), 2, "alert_counts");
	free(l.a);
	loader_run(NULL, "unload io");
}

void test_io(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("exact_counts_raw_tp"))
		check_exact("raw");
	if (test__start_subtest("exact_counts_tracepoint"))
		check_exact("tp");
	if (test__start_subtest("fentry_where_allowed"))
		check_fentry();
	if (test__start_subtest("latency_buckets"))
		check_latency();
	if (test__start_subtest("slot_collisions"))
		check_slot_collisions();
	if (test__start_subtest("pid_filter"))
		check_pid_filter();
	if (test__start_subtest("per_pid_off"))
		check_per_pid_off();
	if (test__start_subtest("comm_filter"))
		check_comm_filter();
	if (test__start_subtest("comm_rename"))
		check_rename();
	if (test__start_subtest("latency_alert"))
		check_latency_alert();
}
