// SPDX-License-Identifier: GPL-2.0
/*
 * hwcount: without a PMU, asking for hardware counters fails cleanly
 * (exit 7, a message saying so, nothing pinned); software events count a
 * burner's CPU time to within a period per CPU; with a PMU, hardware
 * counters count.
 */
#include <ctype.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "hwcount.h"
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

static bool have_pmu(void)
{
	struct stat st;

	return !stat("/sys/bus/event_source/devices/cpu", &st) ||
	       !stat("/sys/bus/event_source/devices/armv8_pmuv3_0", &st);
}

static int read_comm(const char *comm, struct hwcount_val *v)
{
	struct hwcount_key key = {};
	int fd = pin_open("hwcount", "maps/hwcount"), err;

	if (fd < 0)
		return fd;
	snprintf(key.comm, sizeof(key.comm), "%s", comm);
	err = map_lookup_sum(fd, &key, v, sizeof(*v));
	close(fd);
	return err;
}

static void check_no_pmu(void)
{
	char *out = NULL, path[4096];
	int err;

	if (have_pmu()) {
		test__skip("this machine has a PMU");
		return;
	}
	err = loader_run(&out, "hwcount");
	ASSERT_EQ(err, EXIT_UNSUPP, "exit 7 without a PMU");
	ASSERT_HAS_SUBSTR(out,
			  "hardware counters not available on this machine",
			  "says why");
	snprintf(path, sizeof(path), "%s/hwcount", pin_root());
	ASSERT_NEQ(access(path, F_OK), 0, "nothing pinned");
	free(out);
	out = NULL;
	err = loader_run(&out, "hwcount --events cache-misses,cpu-clock");
	ASSERT_EQ(err, EXIT_UNSUPP, "any hardware event: exit 7");
	free(out);
}

static void check_software(void)
{
	struct hwcount_val v = {};
	char comm[16], *out = NULL;
	int err;

	snprintf(comm, sizeof(comm), "hwsw%d", getpid() % 100000);
	err = loader_run(
		NULL,
		"hwcount --events cpu-clock,page-faults,context-switches");
	if (!ASSERT_EQ(err, 0, "load software events"))
		return;
	err = run_cmd(NULL, "%s/workloads/cpuburn --comm %s --seconds 1",
		      env_output_dir(), comm);
	ASSERT_EQ(err, 0, "cpuburn");
	if (!ASSERT_OK(read_comm(comm, &v), "read"))
		goto cleanup;
	printf("cpu_ns %llu page_faults %llu context_switches %llu\n",
	       (unsigned long long)v.cpu_ns, (unsigned long long)v.page_faults,
	       (unsigned long long)v.context_switches);
	/* 1 s of CPU time, counted in 1 ms periods */
	ASSERT_GE(v.cpu_ns, 900000000ULL, "cpu_ns >= 0.9 s");
	ASSERT_LE(v.cpu_ns, 1200000000ULL, "cpu_ns <= 1.2 s");
	ASSERT_EQ(v.cycles, 0, "cycles not counted");
	/* the config says which events are counted: cpu-clock, page-faults,
	 * context-switches are bits 4, 5 and 6 */
	if (ASSERT_EQ(reader_run(&out, "show hwcount rodata"), 0,
		      "show rodata"))
		ASSERT_HAS_SUBSTR(out, "events = 112", "events mask");
	free(out);
	out = NULL;
	if (ASSERT_EQ(reader_run(&out, "metrics hwcount"), 0, "metrics")) {
		ASSERT_HAS_SUBSTR(out,
				  "ebpf_hwcount_cpu_seconds_total{service=\"",
				  "cpu seconds exported");
		ASSERT_HAS_SUBSTR(out, "ebpf_hwcount_page_faults_total{",
				  "page faults exported");
		/* not asked for: absent, not 0 */
		ASSERT_FALSE(out && strstr(out, "ebpf_hwcount_cycles"),
			     "no cycles series");
	}
cleanup:
	free(out);
	loader_run(NULL, "unload hwcount");
}

/* What hwcount --events cpu-clock does not count. */
static const char *const unasked[] = {
	"cycles",      "instructions", "cache_misses", "branch_misses",
	"page_faults", "context_switches",
};

/*
 * `pinsight ARGS` shows @has and none of the unasked fields, each named
 * as @fmt (upper case for table headers) makes it.
 */
static void shows_only(const char *args, const char *has, const char *fmt,
		       bool upper)
{
	char what[64], *out = NULL, *c;
	size_t i;

	if (!ASSERT_EQ(reader_run(&out, "%s", args), 0, args))
		goto cleanup;
	ASSERT_HAS_SUBSTR(out, has, has);
	for (i = 0; i < sizeof(unasked) / sizeof(unasked[0]); i++) {
		snprintf(what, sizeof(what), fmt, unasked[i]);
		for (c = what; upper && *c; c++)
			*c = toupper(*c);
		ASSERT_FALSE(out && strstr(out, what), what);
	}
cleanup:
	free(out);
}

/*
 * Only what --events asked for shows: in the table and the metrics the
 * other counters are absent rather than 0 (`show -j` is the raw typed
 * value, as bpftool prints it, and keeps them).
 */
static void check_only_requested(void)
{
	char comm[16];
	int err;

	snprintf(comm, sizeof(comm), "hwreq%d", getpid() % 100000);
	err = loader_run(NULL, "hwcount --events cpu-clock --comm %s", comm);
	if (!ASSERT_EQ(err, 0, "load cpu-clock only"))
		return;
	run_cmd(NULL, "%s/workloads/cpuburn --comm %s --seconds 0.3",
		env_output_dir(), comm);
	shows_only("metrics hwcount", "ebpf_hwcount_cpu_seconds_total{",
		   "ebpf_hwcount_%s", false);
	shows_only("show hwcount hwcount", "CPU_NS", "%s", true);
	loader_run(NULL, "unload hwcount");
}

static void check_hardware(void)
{
	struct hwcount_val v = {};
	char comm[16];
	int err;

	if (!have_pmu()) {
		test__skip(
			"no PMU on this machine (/sys/bus/event_source/devices has no cpu)");
		return;
	}
	snprintf(comm, sizeof(comm), "hwhw%d", getpid() % 100000);
	err = loader_run(NULL, "hwcount");
	if (!ASSERT_EQ(err, 0, "load hardware events"))
		return;
	run_cmd(NULL, "%s/workloads/cpuburn --comm %s --seconds 1",
		env_output_dir(), comm);
	if (ASSERT_OK(read_comm(comm, &v), "read")) {
		ASSERT_GT(v.cycles, 100000000ULL, "cycles");
		ASSERT_GT(v.instructions, 100000000ULL, "instructions");
	}
	loader_run(NULL, "unload hwcount");
}

void test_hwcount(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("no_pmu_refused"))
		check_no_pmu();
	if (test__start_subtest("software_events"))
		check_software();
	if (test__start_subtest("only_requested"))
		check_only_requested();
	if (test__start_subtest("hardware_events"))
		check_hardware();
}
