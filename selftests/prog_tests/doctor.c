// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight-load doctor: its JSON is complete (every feature with ok and
 * detail, every tool with loads), each "no" says what to try (fix), the
 * exit code says whether every tool loads, and a capability it lacks
 * shows up as a "no" with a fix.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pinsight_helpers.h"
#include "test_progs.h"

/* Every feature doctor must report: a missing one is a regression. */
static const char features[] =
	"[\"root\",\"cap_bpf\",\"cap_perfmon\",\"cap_net_admin\","
	"\"cap_sys_admin\",\"unprivileged_bpf_disabled\","
	"\"perf_event_paranoid\",\"jit\",\"jit_harden\",\"jit_kallsyms\","
	"\"btf\",\"bpffs\",\"tracefs\",\"lockdown\",\"tracepoint\",\"raw_tp\","
	"\"tp_btf\",\"fentry\",\"kprobe\",\"uprobe\",\"perf_event\",\"hw_pmu\","
	"\"xdp_generic\",\"xdp_native\",\"tcx\",\"ringbuf\",\"task_storage\","
	"\"lsm_list\",\"bpf_lsm\"]";

static char json_path[256];

/* jq -e @expr over the saved doctor JSON: 0 when it holds. */
static int jq(const char *expr)
{
	return run_cmd(NULL, "jq -e '%s' %s > /dev/null", expr, json_path);
}

static void check_json(void)
{
	char expr[1024];
	int rc;

	snprintf(json_path, sizeof(json_path), "/tmp/pinsight-doctor-%d.json",
		 getpid());
	rc = run_cmd(NULL, "%s/pinsight-load -j doctor > %s", env_output_dir(),
		     json_path);
	/* 0: every tool loads with its example options; 7: one does not */
	if (!ASSERT_TRUE(rc == 0 || rc == 7, "doctor exit code"))
		goto cleanup;
	ASSERT_OK(jq("type == \"object\" and (.kernel | type) == \"string\""),
		  "valid JSON with the kernel");
	snprintf(expr, sizeof(expr), "%s - (.features | keys) == []", features);
	ASSERT_OK(jq(expr), "every feature key");
	ASSERT_OK(jq(".features | all(.[]; (.ok | type) == \"boolean\" and "
		     "(.detail | type) == \"string\")"),
		  "every feature has ok and detail");
	ASSERT_OK(jq(".features | all(.[]; .ok or ((.fix | type) == "
		     "\"string\" and (.fix | length) > 0))"),
		  "every no has a fix");
	/* the tools pinsight-load --help lists, no more, no fewer */
	ASSERT_OK(
		run_cmd(NULL,
			"test \"$(%s/pinsight-load --help 2>&1 | "
			"sed -n '/^Tools:/,/^$/p' | awk 'NF > 1 {print $1}' | sort)\" = "
			"\"$(jq -r '.tools | keys[]' %s | sort)\"",
			env_output_dir(), json_path),
		"every tool");
	ASSERT_OK(jq(".tools | all(.[]; (.loads | type) == \"boolean\")"),
		  "every tool has loads");
	ASSERT_OK(jq(".tools.io.loads == true"), "io loads here");
	ASSERT_OK(jq(".tools | all(.[]; .loads or (.fix | length > 0))"),
		  "a tool that does not load has a fix");
	snprintf(expr, sizeof(expr),
		 "[.tools[] | select(.loads | not)] | length %s 0",
		 rc ? ">" : "==");
	ASSERT_OK(jq(expr), "exit 7 exactly when a tool does not load");
	/* this lab's kernel has no kprobes: a real "no" and its fix */
	if (!jq(".features.kprobe.ok | not"))
		ASSERT_OK(jq(".features.kprobe.fix | test(\"CONFIG_KPROBES\")"),
			  "kprobe fix names the config");
cleanup:
	unlink(json_path);
}

/* Without CAP_SYS_ADMIN: a no for it, with the capability to grant. */
static void check_missing_cap(void)
{
	char *out = NULL;
	int rc;

	if (run_cmd(NULL, "command -v capsh > /dev/null")) {
		test__skip("no capsh to drop a capability");
		return;
	}
	rc = run_cmd(
		&out,
		"capsh --drop=cap_sys_admin -- -c '%s/pinsight-load -j doctor' | "
		"jq -c .features.cap_sys_admin",
		env_output_dir());
	if (ASSERT_EQ(rc, 0, "doctor without CAP_SYS_ADMIN") &&
	    ASSERT_OK_PTR(out, "out")) {
		ASSERT_HAS_SUBSTR(out, "\"ok\":false", "cap_sys_admin is a no");
		ASSERT_HAS_SUBSTR(
			out, "\"fix\":\"run as root, or grant CAP_SYS_ADMIN",
			"its fix");
	}
	free(out);
	out = NULL;
	/* the text form too: the no, then its fix on the next line */
	rc = run_cmd(
		&out,
		"capsh --drop=cap_sys_admin -- -c '%s/pinsight-load doctor' | "
		"grep -A1 '^  cap_sys_admin'",
		env_output_dir());
	if (ASSERT_EQ(rc, 0, "text doctor") && ASSERT_OK_PTR(out, "out")) {
		ASSERT_HAS_SUBSTR(out, " no ", "says no");
		ASSERT_HAS_SUBSTR(out, "fix: run as root", "says the fix");
	}
	free(out);
}

void test_doctor(void)
{
	if (test__start_subtest("json"))
		check_json();
	if (test__start_subtest("missing_capability"))
		check_missing_cap();
}
