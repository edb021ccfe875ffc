// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight reads what bpftool reads: show -j agrees with bpftool's
 * formatted dump, metrics pass promtool, and pins that are not what the
 * reader expects give clear errors.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "io.h"
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

static int load_io_with_traffic(const char *comm)
{
	int err = loader_run(NULL, "io --comm %s --per-pid", comm);

	if (err)
		return err;
	return run_cmd(NULL, "%s/workloads/iogen --comm %s --count 20 --fail 2",
		       env_output_dir(), comm);
}

/* jq: bpftool's per-CPU values summed field by field (histogram slots too). */
static const char sum_cpus[] =
	"def add($a; $b): if ($a|type) == \"object\" then "
	"reduce ($a|keys[]) as $k ({}; .[$k] = add($a[$k]; $b[$k])) "
	"elif ($a|type) == \"array\" then "
	"[range($a|length) as $i | add($a[$i]; $b[$i])] "
	"elif ($a|type) == \"number\" then $a + $b else $a end; ";
#define BPFTOOL_SUMMED                           \
	"{key, value: (.values | map(.value) | " \
	"reduce .[1:][] as $v (.[0]; add(.; $v)))}"

/* Both dumps normalised by jq into sorted [{key, value}]. */
static void check_show_matches_bpftool(void)
{
	char *a = NULL, *b = NULL;
	int err;

	if (!ASSERT_OK(load_io_with_traffic("rd-show"), "load + traffic"))
		goto cleanup;
	err = run_cmd(&a,
		      "%s/pinsight show io io_comm -j | jq -S '.[0].entries | sort_by(.key)'",
		      env_output_dir());
	ASSERT_EQ(err, 0, "pinsight show -j");
	err = run_cmd(&b,
		      "bpftool map dump pinned %s/io/maps/io_comm -j | jq -S '%s"
		      "[.[].formatted | " BPFTOOL_SUMMED "] | sort_by(.key)'",
		      pin_root(), sum_cpus);
	ASSERT_EQ(err, 0, "bpftool map dump -j");
	if (ASSERT_OK_PTR(a, "show") && ASSERT_OK_PTR(b, "dump")) {
		ASSERT_HAS_SUBSTR(a, "\"rd-show\"", "our comm is there");
		ASSERT_STREQ(a, b, "pinsight show -j == bpftool formatted dump");
	}
	free(a);
	free(b);
	a = b = NULL;
	/* The config too: rodata by variable name, as bpftool shows it. */
	run_cmd(&a, "%s/pinsight show io rodata -j | jq -S '.[0].entries[0].value'",
		env_output_dir());
	run_cmd(&b, "bpftool map dump pinned %s/io/maps/rodata -j | jq -S '.[0].formatted.value'",
		pin_root());
	if (ASSERT_OK_PTR(a, "show rodata") && ASSERT_OK_PTR(b, "dump rodata")) {
		ASSERT_HAS_SUBSTR(a, "rd-show", "targ_comm");
		ASSERT_STREQ(a, b, "rodata agrees");
	}
cleanup:
	free(a);
	free(b);
	loader_run(NULL, "unload io");
}

static void check_promtool(void)
{
	char *out = NULL;
	int err;

	if (!ASSERT_OK(load_io_with_traffic("rd-prom"), "load + traffic"))
		goto cleanup;
	err = run_cmd(&out, "%s/pinsight metrics > metrics.prom.$$ && "
		      "promtool check metrics < metrics.prom.$$; e=$?; "
		      "cat metrics.prom.$$; rm -f metrics.prom.$$; exit $e",
		      env_output_dir());
	ASSERT_EQ(err, 0, "promtool check metrics");
	ASSERT_HAS_SUBSTR(out, "# TYPE ebpf_io_duration_seconds histogram",
			  "a real histogram");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_ops_total{service=\"rd-prom\",op=\"read\"} 22",
			  "ops counter with service and op");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_errors_total{service=\"rd-prom\",op=\"write\"} 2",
			  "errors counter");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_duration_seconds_bucket{service=\"rd-prom\",op=\"read\",le=\"+Inf\"} 22",
			  "+Inf bucket");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_drops_total", "drops exported");
	ASSERT_TRUE(!strstr(out, "tgid="), "no pid label by default");
	free(out);
	out = NULL;
	err = run_cmd(&out, "%s/pinsight metrics --per-pid", env_output_dir());
	ASSERT_EQ(err, 0, "metrics --per-pid");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_process_ops_total{service=\"rd-prom\",tgid=",
			  "per-process series on request");
cleanup:
	free(out);
	loader_run(NULL, "unload io");
}

/* A link pinned where a map should be. */
static void check_not_a_map(void)
{
	char map[4096], link[4096], *out = NULL;
	int fd, err;

	if (!ASSERT_EQ(loader_run(NULL, "io --attach tp"), 0, "load"))
		return;
	snprintf(map, sizeof(map), "%s/io/maps/io_comm", pin_root());
	snprintf(link, sizeof(link), "%s/io/links/tp__enter_read", pin_root());
	fd = bpf_obj_get(link);
	ASSERT_GE(fd, 0, "open link");
	ASSERT_OK(unlink(map), "remove the map pin");
	ASSERT_OK(bpf_obj_pin(fd, map), "pin the link as maps/io_comm");
	close(fd);
	err = reader_run(&out, "show io");
	ASSERT_EQ(err, EXIT_CONTRACT, "show refuses");
	ASSERT_HAS_SUBSTR(out, "maps/io_comm", "names the pin");
	ASSERT_HAS_SUBSTR(out, "not a map", "says why");
	free(out);
	out = NULL;
	err = reader_run(&out, "metrics");
	ASSERT_EQ(err, EXIT_CONTRACT, "metrics reports it");
	ASSERT_HAS_SUBSTR(out, "ebpf_io_drops_total", "and still exports the rest");
	free(out);
	ASSERT_EQ(loader_run(NULL, "unload io"), 0, "unload still works");
}

static void check_bad_input(void)
{
	static const struct {
		const char *args, *msg;
		int code;
	} cases[] = {
		{ "show nosuch", "nosuch: no such instance", EXIT_NOENT },
		{ "show 'a/b'", "a/b: not an instance name", EXIT_USAGE },
		{ "show io nosuchmap", "io: maps/nosuchmap: no such map", EXIT_NOENT },
		{ "frobnicate", "frobnicate: unknown command", EXIT_USAGE },
		{ "show io --bogus", "unknown option", EXIT_USAGE },
		{ "metrics -j", "no JSON output", EXIT_USAGE },
		{ "", "no command given", EXIT_USAGE },
	};
	char *out = NULL;
	size_t i;

	if (!ASSERT_EQ(loader_run(NULL, "io"), 0, "load"))
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = reader_run(&out, "%s", cases[i].args);

		ASSERT_EQ(err, cases[i].code, cases[i].args);
		ASSERT_HAS_SUBSTR(out, cases[i].msg, cases[i].args);
		free(out);
		out = NULL;
	}
	reader_run(&out, "-j show nosuch");
	ASSERT_HAS_SUBSTR(out, "{\"error\":\"", "JSON errors in bpftool's style");
	free(out);
	loader_run(NULL, "unload io");
}

#define BIG_KEYS 50000
/* bpftool's JSON of the whole map is ~240 MB, for jq minutes: a part */
#define CMP_KEYS 10000

/*
 * Key @i of the big map: op i % IO_OP_NR, comm "rb" and i / IO_OP_NR in
 * four base-31 digits 1..31. Distinct keys, but control bytes print as
 * '?', so every key of one op is one series: service="rb????".
 */
static void big_key(struct io_comm_key *k, __u32 i)
{
	__u32 n = i / IO_OP_NR;
	int d;

	memset(k, 0, sizeof(*k));
	strcpy(k->comm, "rb");
	for (d = 0; d < 4; d++, n /= 31)
		k->comm[2 + d] = 1 + n % 31;
	k->op = (enum io_op)(i % IO_OP_NR);
}

/* Every word of key @i's value on @cpu: small, varied, never all zero. */
static __u64 big_word(__u32 i, __u32 word, int cpu)
{
	return 1 + (i + word * 7 + cpu) % 100;
}

/*
 * Keys [@from, @to) into io's io_comm (sized by --max-entries) from user
 * space: a tool's own map, its own BTF, more keys than traffic would make.
 */
static int fill_big(int fd, int ncpu, __u32 from, __u32 to)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t stride = (sizeof(struct io_comm_val) + 7) / 8 * 8;
	__u32 i, j, w, chunk = 1000, cnt;
	struct io_comm_key *keys;
	__u64 *vals, *v;
	int cpu, err = 0;

	keys = calloc(chunk, sizeof(*keys));
	vals = calloc(chunk, stride * ncpu);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = from; i < to && !err; i += cnt) {
		cnt = to - i < chunk ? to - i : chunk;
		for (j = 0; j < cnt; j++) {
			big_key(&keys[j], i + j);
			for (cpu = 0; cpu < ncpu; cpu++) {
				v = vals + (j * ncpu + cpu) * (stride / 8);
				for (w = 0; w < stride / 8; w++)
					v[w] = big_word(i + j, w, cpu);
			}
		}
		if (bpf_map_update_batch(fd, keys, vals, &cnt, &opts))
			err = -errno;
	}
cleanup:
	free(keys);
	free(vals);
	return err;
}

/* Run a shell command: it must succeed and print @want. */
static void cmd_prints(const char *want, const char *name, const char *fmt, ...)
{
	char cmd[2048], *out = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (ASSERT_EQ(run_cmd(&out, "%s", cmd), 0, name))
		ASSERT_HAS_SUBSTR(out, want, name);
	free(out);
}

/* Peak RSS (KiB) of `pinsight ARGS` run with its output discarded, or -1. */
static long reader_peak_kb(const char *arg1, const char *arg2, const char *arg3)
{
	char bin[PATH_MAX];
	struct rusage ru;
	int pipefd[2], st;
	long kb = -1;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/pinsight", env_output_dir());
	if (pipe(pipefd))
		return -1;
	/*
	 * RUSAGE_CHILDREN is the largest of all children waited for: measure
	 * from a fresh process whose only child is the reader.
	 */
	pid = fork();
	if (pid == 0) {
		pid_t r = fork();
		int devnull = open("/dev/null", O_WRONLY);

		if (r == 0) {
			dup2(devnull, STDOUT_FILENO);
			execl(bin, bin, arg1, arg2, arg3, (char *)NULL);
			_exit(127);
		}
		if (r > 0 && waitpid(r, &st, 0) == r && WIFEXITED(st) &&
		    !WEXITSTATUS(st) && !getrusage(RUSAGE_CHILDREN, &ru))
			kb = ru.ru_maxrss;
		if (write(pipefd[1], &kb, sizeof(kb)) != sizeof(kb))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	if (pid < 0 || read(pipefd[0], &kb, sizeof(kb)) != sizeof(kb))
		kb = -1;
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return kb;
}

/*
 * A map far bigger than the readers' batches: show -j still equals
 * bpftool's dump entry for entry, in bpftool's order, and metrics still
 * sums every key into its series, while neither reader's peak RSS grows
 * with the map (as it did when they held it whole).
 */
static void check_big_map(void)
{
	long show0_kb, metrics0_kb, show_kb, metrics_kb, map_kb;
	int fd = -1, ncpu = libbpf_num_possible_cpus(), err, cpu;
	char path[PATH_MAX], *out = NULL, line[128];
	__u64 want[IO_OP_NR] = {};
	__u32 i;

	err = loader_run(NULL, "io --comm rd-big --max-entries io_comm=%d",
			 BIG_KEYS);
	if (!ASSERT_OK(err, "load io with a big io_comm"))
		return;
	snprintf(path, sizeof(path), "%s/io/maps/io_comm", pin_root());
	/* what the readers need with io_comm empty */
	show0_kb = reader_peak_kb("show", "-j", "io");
	metrics0_kb = reader_peak_kb("metrics", NULL, NULL);
	fd = bpf_obj_get(path);
	if (!ASSERT_GE(fd, 0, "open io_comm") ||
	    !ASSERT_OK(fill_big(fd, ncpu, 0, CMP_KEYS), "fill io_comm"))
		goto cleanup;

	/*
	 * bpftool's dump of CMP_KEYS keys (~30 of our batches), per-CPU values
	 * summed, line by line against ours (summed field by field: the
	 * generic add above takes minutes here)
	 */
	cmd_prints("10000\n", "show -j == bpftool's dump, in its order",
		   "d=$(mktemp -d) && "
		   "%s/pinsight show io io_comm -j | jq -c '.[0].entries[]' >$d/a && "
		   "bpftool map dump pinned %s -j | jq -c '.[].formatted | "
		   "{key, value: ([.values[].value] | {ops: map(.ops) | add, "
		   "bytes: map(.bytes) | add, errors: map(.errors) | add, "
		   "duration_ns: {slots: (map(.duration_ns.slots) | transpose | map(add)), "
		   "sum: map(.duration_ns.sum) | add}})}' >$d/b && "
		   "wc -l <$d/a && cmp $d/a $d/b; "
		   "e=$?; diff $d/a $d/b | head -c 2000; rm -rf $d; exit $e",
		   env_output_dir(), path);
	if (!ASSERT_OK(fill_big(fd, ncpu, CMP_KEYS, BIG_KEYS), "fill io_comm"))
		goto cleanup;
	cmd_prints("\n50000\n", "show -j shows every key",
		   "echo; %s/pinsight show io io_comm -j | jq '.[0].entries | length'",
		   env_output_dir());

	/* metrics: 50000 keys, IO_OP_NR series (the comms all print rb????) */
	for (i = 0; i < BIG_KEYS; i++)
		for (cpu = 0; cpu < ncpu; cpu++)
			want[i % IO_OP_NR] += big_word(i, 0, cpu);
	err = reader_run(&out, "metrics");
	ASSERT_EQ(err, 0, "metrics");
	snprintf(line, sizeof(line),
		 "ebpf_io_ops_total{service=\"rb????\",op=\"read\"} %llu\n",
		 (unsigned long long)want[IO_OP_READ]);
	ASSERT_HAS_SUBSTR(out, line, "read ops of 8334 keys summed");
	snprintf(line, sizeof(line),
		 "ebpf_io_ops_total{service=\"rb????\",op=\"writev\"} %llu\n",
		 (unsigned long long)want[IO_OP_WRITEV]);
	ASSERT_HAS_SUBSTR(out, line, "writev ops of 8333 keys summed");

	/*
	 * Peak RSS: the map's summed rows alone are ~15 MiB (its raw per-CPU
	 * values that per CPU); holding them is what the readers no longer
	 * do, so they may grow by a quarter of that over an empty io_comm.
	 */
	map_kb = BIG_KEYS * (long)sizeof(struct io_comm_key) / 1024 +
		 BIG_KEYS * (long)sizeof(struct io_comm_val) / 1024;
	show_kb = reader_peak_kb("show", "-j", "io");
	metrics_kb = reader_peak_kb("metrics", NULL, NULL);
	printf("peak RSS KiB: show -j %ld (%ld with io_comm empty), metrics %ld (%ld); io_comm's summed rows %ld\n",
	       show_kb, show0_kb, metrics_kb, metrics0_kb, map_kb);
	if (ASSERT_GT(show0_kb, 0, "show -j measured") &&
	    ASSERT_GT(show_kb, 0, "show -j measured, big"))
		ASSERT_LT(show_kb, show0_kb + map_kb / 4,
			  "show -j's memory is a batch");
	if (ASSERT_GT(metrics0_kb, 0, "metrics measured") &&
	    ASSERT_GT(metrics_kb, 0, "metrics measured, big"))
		ASSERT_LT(metrics_kb, metrics0_kb + map_kb / 4,
			  "metrics' memory is its series");
cleanup:
	if (fd >= 0)
		close(fd);
	free(out);
	loader_run(NULL, "unload io");
}

void test_reader(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("show_json_matches_bpftool"))
		check_show_matches_bpftool();
	if (test__start_subtest("metrics_pass_promtool"))
		check_promtool();
	if (test__start_subtest("link_pinned_as_map"))
		check_not_a_map();
	if (test__start_subtest("bad_input"))
		check_bad_input();
	if (test__start_subtest("big_map_streams"))
		check_big_map();
}
