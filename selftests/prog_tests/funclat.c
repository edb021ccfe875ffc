// SPDX-License-Identifier: GPL-2.0
/*
 * funclat counts exactly: each target makes a known number of calls (the
 * stubs' --iterations, the load generator's request counts, allocgen's
 * sleeps of known length), and calls, histogram slots and breaches must
 * match. Bad targets fail with exit 3, naming what is missing, and pin
 * nothing. Both attach paths are covered: the session program where the
 * kernel has it, the uprobe/uretprobe pair (perf_uprobe_pair).
 */
#include <bpf/bpf.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "alert_read.h"
#include "funclat.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

#define ONNX_RUN_MANGLED \
	"_ZN4onnx16InferenceSession3RunERKSt6vectorIfSaIfEERS3_"

/* funclat_stats of @inst for (@comm, function index @func), CPUs summed. */
static int read_func(const char *inst, const char *comm, __u32 func,
		     struct funclat_val *v)
{
	struct funclat_key key = { .func = func };

	memset(v, 0, sizeof(*v));
	memcpy(key.comm, comm, strnlen(comm, sizeof(key.comm)));
	return pin_lookup_sum(inst, "maps/funclat_stats", &key, v, sizeof(*v));
}

/* Two instances at once on one C++ method: demangled and mangled names. */
static void check_cpp_method(void)
{
	struct funclat_val v;
	char bin[PATH_MAX], *out = NULL;
	int err;

	out_path(bin, sizeof(bin), "workloads/onnx-stub");
	err = loader_run(
		NULL,
		"funclat --name onnx --binary %s --func 'onnx::InferenceSession::Run'",
		bin);
	if (!ASSERT_EQ(err, 0, "load demangled"))
		return;
	err = loader_run(NULL, "funclat --name onnxm --binary %s --func %s",
			 bin, ONNX_RUN_MANGLED);
	if (!ASSERT_EQ(err, 0, "load mangled"))
		goto cleanup;
	ASSERT_EQ(run_cmd(NULL, "%s --iterations 437", bin), 0, "onnx-stub");
	if (ASSERT_OK(read_func("funclat@onnx", "onnx-stub", 0, &v), "read")) {
		ASSERT_EQ(v.calls, 437, "calls (demangled)");
		ASSERT_EQ(hist_samples(&v.latency_ns), 437, "histogram total");
	}
	if (ASSERT_OK(read_func("funclat@onnxm", "onnx-stub", 0, &v), "read"))
		ASSERT_EQ(v.calls, 437, "calls (mangled)");
	/* readers show the name, not the index */
	err = reader_run(&out, "metrics funclat@onnx");
	ASSERT_EQ(err, 0, "metrics");
	ASSERT_HAS_SUBSTR(
		out,
		"ebpf_funclat_calls_total{service=\"onnx-stub\",func=\"onnx::InferenceSession::Run\",name=\"onnx\"} 437\n",
		"calls by name");
cleanup:
	free(out);
	loader_run(NULL, "unload funclat@onnx funclat@onnxm");
}

static void check_shared_lib(void)
{
	struct funclat_val v;
	char lib[PATH_MAX];
	int err;

	err = loader_run(
		NULL, "funclat --name cuda --binary %s --func cudaLaunchKernel",
		out_path(lib, sizeof(lib), "workloads/libcudastub.so"));
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(NULL, "%s/workloads/cuda-stub --iterations 321",
		      env_output_dir());
	ASSERT_EQ(err, 0, "cuda-stub");
	if (ASSERT_OK(read_func("funclat@cuda", "cuda-stub", 0, &v), "read"))
		ASSERT_EQ(v.calls, 321, "calls");
	loader_run(NULL, "unload funclat@cuda");
}

/*
 * slow_call(us) sleeps at least us microseconds (later on a loaded host,
 * never sooner): 40 ms lands in slot 25 ([2^25, 2^26) ns = [33.6, 67.1)
 * ms), 150 ms in slot 27 ([134, 268) ms), 0 well below both. With
 * --threshold 100ms exactly the three 150 ms calls are breaches, each an
 * alert naming the function.
 */
static void check_threshold(void)
{
	struct alert_list l = {};
	struct funclat_val v;
	char comm[16], *out = NULL;
	int err, i, pid = 0;
	__u64 fast = 0;

	snprintf(comm, sizeof(comm), "fl-thr-%d", getpid() % 100000);
	err = loader_run(
		NULL,
		"funclat --name thr --comm %s --binary %s/workloads/allocgen --func slow_call,leak_here --threshold 100ms",
		comm, env_output_dir());
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(
		&out,
		"%s/workloads/allocgen --comm %s --sleep-us 0,40000,150000,0,40000,150000,150000",
		env_output_dir(), comm);
	ASSERT_EQ(err, 0, "allocgen");
	if (out && strstr(out, "pid "))
		pid = atoi(strstr(out, "pid ") + 4);
	if (!ASSERT_OK(read_func("funclat@thr", comm, 0, &v), "read"))
		goto cleanup;
	ASSERT_EQ(v.calls, 7, "calls");
	ASSERT_EQ(v.breaches, 3, "breaches");
	for (i = 0; i < 25; i++)
		fast += v.latency_ns.slots[i];
	ASSERT_EQ(fast, 2, "0 us calls below slot 25");
	ASSERT_EQ(v.latency_ns.slots[25], 2, "40 ms calls in slot 25");
	ASSERT_EQ(v.latency_ns.slots[27], 3, "150 ms calls in slot 27");
	ASSERT_GE(v.latency_ns.sum, 530000000ULL, "sum >= 530 ms");
	/* leak_here was never called: no row for it */
	ASSERT_ERR(read_func("funclat@thr", comm, 1, &v), "no leak_here row");

	ASSERT_EQ(alerts_counted("funclat@thr", ALERT_LATENCY), 3, "counted");
	err = alerts_drain("funclat@thr", 0, &l);
	if (!ASSERT_EQ(err, 3, "alerts in the ring buffer"))
		goto cleanup;
	for (i = 0; i < l.n; i++) {
		ASSERT_EQ(l.a[i].kind, ALERT_LATENCY, "kind");
		ASSERT_STREQ(l.a[i].what, "slow_call", "function name");
		ASSERT_STREQ(l.a[i].comm, comm, "comm");
		ASSERT_EQ(l.a[i].tgid, pid, "pid");
		ASSERT_EQ(l.a[i].threshold, 100000000ULL, "threshold");
		ASSERT_GE(l.a[i].value, 150000000ULL, "duration >= 150 ms");
		ASSERT_LT(l.a[i].value, 5000000000ULL, "duration < 5 s");
	}
cleanup:
	free(l.a);
	free(out);
	loader_run(NULL, "unload funclat@thr");
}

/*
 * vector-studio under its load generator: search_vectors and
 * insert_vectors calls equal the requests the load generator reports (plus
 * the preload's one insert), build_index runs once (at preload).
 */
static void check_vector_studio(void)
{
	char port[64], *out = NULL, comm[16] = "vector-studio";
	struct funclat_val v;
	const char *w = env_output_dir();
	pid_t vs;
	int err, i;

	snprintf(port, sizeof(port), "/tmp/pinsight-fl-vs-%d.port", getpid());
	unlink(port);
	/* attached by binary, before the server starts: build_index counts */
	err = loader_run(
		NULL,
		"funclat --name vs --binary %s/workloads/vector-studio --func search_vectors,insert_vectors,build_index",
		w);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	vs = fork();
	if (vs == 0) {
		char bin[PATH_MAX];

		snprintf(bin, sizeof(bin), "%s/workloads/vector-studio", w);
		execl(bin, "vector-studio", "-f", port, "-P", "3000", "-t", "2",
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(port, F_OK); i++)
		usleep(50000);
	if (!ASSERT_OK(access(port, F_OK), "server up"))
		goto cleanup;
	err = run_cmd(
		&out,
		"%s/workloads/vs-loadgen -f %s -n 2000 -m 75 -c 2 -j --quit", w,
		port);
	ASSERT_EQ(err, 0, "vs-loadgen");
	waitpid(vs, NULL, 0);
	vs = 0;
	if (ASSERT_OK(read_func("funclat@vs", comm, 0, &v), "search_vectors"))
		ASSERT_EQ(v.calls, json_num(out, "searches"), "searches");
	/* one more: the server's preload inserts its vectors in one call */
	if (ASSERT_OK(read_func("funclat@vs", comm, 1, &v), "insert_vectors"))
		ASSERT_EQ(v.calls, json_num(out, "inserts") + 1, "inserts");
	if (ASSERT_OK(read_func("funclat@vs", comm, 2, &v), "build_index"))
		ASSERT_EQ(v.calls, 1, "one build at preload");
	ASSERT_EQ(json_num(out, "searches") + json_num(out, "inserts"), 2000,
		  "requests");
cleanup:
	if (vs > 0) {
		kill(vs, SIGTERM);
		waitpid(vs, NULL, 0);
	}
	unlink(port);
	free(out);
	loader_run(NULL, "unload funclat@vs");
}

/* --pid: the same binary run by another process is not counted. */
static void check_pid_filter(void)
{
	int err, status, release;
	struct funclat_val v;
	char comm[16];
	pid_t pid;

	snprintf(comm, sizeof(comm), "fl-pid-%d", getpid() % 100000);
	pid = spawn_sh_gated(
		&release,
		"exec %s/workloads/allocgen --comm %s --sleep-us 0,0,0 >/dev/null",
		env_output_dir(), comm);
	if (!ASSERT_GT(pid, 0, "fork"))
		return;
	err = loader_run(
		NULL,
		"funclat --name pid --pid %d --binary %s/workloads/allocgen --func slow_call",
		pid, env_output_dir());
	ASSERT_EQ(err, 0, "load --pid");
	close(release); /* its calls start now, with funclat attached */
	err = run_cmd(NULL,
		      "%s/workloads/allocgen --comm %s --sleep-us 0,0,0,0,0",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "other allocgen");
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "target");
	if (ASSERT_OK(read_func("funclat@pid", comm, 0, &v), "read"))
		ASSERT_EQ(v.calls, 3, "only the target's 3 calls");
	loader_run(NULL, "unload funclat@pid");
}

/*
 * Nested and recursive calls from 8 threads at once: allocgen's nest_rec(3)
 * is 4 nested calls of nest_rec over one of slow_call(1 ms), each at least
 * 1 ms, so every one lands in slot 19 ([2^19, 2^20) ns) or above. @args
 * goes to the load: --max-entries funclat_slots=1 puts every thread on one
 * thread slot, so most calls take the task-storage path, and the slot
 * changes hands mid-stack (the pair only: sessions keep no stack).
 */
static void check_nested(const char *args)
{
	struct funclat_val rec, leaf;
	char comm[16], *out = NULL;
	__u64 low = 0;
	int err, i;

	snprintf(comm, sizeof(comm), "fl-nest-%d", getpid() % 100000);
	err = loader_run(
		NULL,
		"funclat --name nest --comm %s --binary %s/workloads/allocgen --func nest_rec,slow_call %s",
		comm, env_output_dir(), args);
	if (!ASSERT_EQ(err, 0, "load"))
		return;
	err = run_cmd(
		NULL,
		"%s/workloads/allocgen --comm %s --nest-threads 8 --nest-calls 5",
		env_output_dir(), comm);
	ASSERT_EQ(err, 0, "allocgen");
	if (!ASSERT_OK(read_func("funclat@nest", comm, 0, &rec), "nest_rec") ||
	    !ASSERT_OK(read_func("funclat@nest", comm, 1, &leaf), "slow_call"))
		goto cleanup;
	ASSERT_EQ(rec.calls, 8 * 5 * 4, "nest_rec calls");
	ASSERT_EQ(leaf.calls, 8 * 5, "slow_call calls");
	ASSERT_EQ(hist_samples(&rec.latency_ns), rec.calls, "nest_rec timed");
	for (i = 0; i < 19; i++)
		low += rec.latency_ns.slots[i] + leaf.latency_ns.slots[i];
	ASSERT_EQ(low, 0, "no call timed under 1 ms");
	ASSERT_GE(rec.latency_ns.sum, rec.calls * 1000000ULL,
		  "nest_rec time: each >= 1 ms");
	err = reader_run(&out, "metrics funclat@nest");
	ASSERT_EQ(err, 0, "metrics");
	ASSERT_HAS_SUBSTR(out, "ebpf_funclat_drops_total{name=\"nest\"} 0\n",
			  "no drops");
cleanup:
	free(out);
	loader_run(NULL, "unload funclat@nest");
}

/* A bad target: exit 3, a message naming it, nothing pinned or loaded. */
static void expect_noent(const char *args, const char *what)
{
	char comm[16], *out = NULL, path[PATH_MAX];
	struct bpf_ids before, after;
	int err;

	snprintf(comm, sizeof(comm), "fl-err-%d", getpid() % 100000);
	bpf_ids_tagged(comm, &before);
	err = loader_run(&out, "funclat --name err --comm %s %s", comm, args);
	ASSERT_EQ(err, 3, args);
	ASSERT_HAS_SUBSTR(out, what, "message names it");
	snprintf(path, sizeof(path), "%s/funclat@err", pin_root());
	ASSERT_NEQ(access(path, F_OK), 0, "no instance");
	ASSERT_EQ(root_temporaries(), 0, "no temporaries");
	bpf_ids_tagged(comm, &after);
	ASSERT_EQ(after.progs, before.progs, "no programs left");
	ASSERT_EQ(after.links, before.links, "no links left");
	free(out);
}

static void check_errors(void)
{
	char bin[PATH_MAX], args[PATH_MAX + 64], txt[64];
	FILE *f;

	out_path(bin, sizeof(bin), "workloads/onnx-stub");
	expect_noent("--binary /nonexistent/vs --func search_vectors",
		     "/nonexistent/vs");
	snprintf(args, sizeof(args), "--binary %s --func no_such_function",
		 bin);
	expect_noent(args, "no function 'no_such_function'");
	snprintf(args, sizeof(args), "--binary %s --func 'onnx::NoSuch::Run'",
		 bin);
	expect_noent(args, "onnx::NoSuch::Run");
	snprintf(txt, sizeof(txt), "/tmp/pinsight-fl-%d.txt", getpid());
	f = fopen(txt, "w");
	if (ASSERT_OK_PTR(f, "text file")) {
		fputs("not an ELF file\n", f);
		fclose(f);
		snprintf(args, sizeof(args), "--binary %s --func main", txt);
		expect_noent(args, "not an ELF file");
		unlink(txt);
	}
}

void test_funclat(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("cpp_method_two_instances"))
		check_cpp_method();
	if (test__start_subtest("shared_library"))
		check_shared_lib();
	if (test__start_subtest("threshold_alerts"))
		check_threshold();
	if (test__start_subtest("vector_studio_loadgen"))
		check_vector_studio();
	if (test__start_subtest("pid_filter"))
		check_pid_filter();
	if (test__start_subtest("nested_threads")) {
		check_nested("");
		/* the pair: 6.1 and 6.12 have nothing else */
		setenv("PINSIGHT_NO_UPROBE_MULTI", "1", 1);
		check_nested("");
		check_nested("--max-entries funclat_slots=1");
		unsetenv("PINSIGHT_NO_UPROBE_MULTI");
	}
	if (test__start_subtest("perf_uprobe_pair")) {
		/*
		 * Where the kernel has uprobe sessions (6.13+) the above ran
		 * funclat_session; kernels without uprobe_multi (< 6.9) get
		 * the entry/return pair on perf uprobes.
		 */
		setenv("PINSIGHT_NO_UPROBE_MULTI", "1", 1);
		check_threshold();
		check_pid_filter();
		unsetenv("PINSIGHT_NO_UPROBE_MULTI");
	}
	if (test__start_subtest("missing_targets"))
		check_errors();
}
