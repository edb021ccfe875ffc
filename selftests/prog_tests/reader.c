// SPDX-License-Identifier: GPL-2.0
/*
 * pinsight reads what bpftool reads: show -j agrees with bpftool's
 * formatted dump, metrics pass promtool, and pins that are not what the
 * reader expects give clear errors.
 */
#include <bpf/bpf.h>
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

/*
 * Both dumps normalised by jq into sorted [{key, value}], bpftool's per-CPU
 * values summed field by field (histogram slots too).
 */
static void check_show_matches_bpftool(void)
{
	static const char sum_cpus[] =
		"def add($a; $b): if ($a|type) == \"object\" then "
		"reduce ($a|keys[]) as $k ({}; .[$k] = add($a[$k]; $b[$k])) "
		"elif ($a|type) == \"array\" then "
		"[range($a|length) as $i | add($a[$i]; $b[$i])] "
		"elif ($a|type) == \"number\" then $a + $b else $a end; ";
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
		      "[.[].formatted | {key, value: (.values | map(.value) | "
		      "reduce .[1:][] as $v (.[0]; add(.; $v)))}] | sort_by(.key)'",
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

	if (!ASSERT_EQ(loader_run(NULL, "io"), 0, "load"))
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
}
