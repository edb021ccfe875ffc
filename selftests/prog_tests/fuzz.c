// SPDX-License-Identifier: GPL-2.0
/*
 * A short libFuzzer run of the reader's BTF walk and decoders
 * (selftests/fuzz/fuzz_decode, ASan+UBSan) over the committed corpus, and
 * over seeds taken from live pins, so the corpus keeps up with the tools.
 * `make fuzz` builds it (`make test` does); a longer run:
 *   .output/fuzz/fuzz_decode -max_total_time=600 DIR selftests/fuzz/corpus
 */
#include <sys/stat.h>
#include "pinsight_helpers.h"
#include "test_progs.h"

#define RUNS 20000

static bool have_fuzzer(char *bin, size_t sz)
{
	snprintf(bin, sz, "%s/fuzz/fuzz_decode", env_output_dir());
	if (access(bin, X_OK)) {
		test__skip("%s not built (make fuzz)", bin);
		return false;
	}
	return true;
}

static void check_corpus(void)
{
	char bin[4096], dir[] = "/tmp/pinsight-fuzz-XXXXXX", *out = NULL;
	int err;

	if (!have_fuzzer(bin, sizeof(bin)) ||
	    !ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	/* New inputs go to the temporary dir; a crash's input is kept there. */
	err = run_cmd(&out, "timeout 300 %s -runs=%d -close_fd_mask=2 -artifact_prefix=%s/ %s %s/selftests/fuzz/corpus",
		      bin, RUNS, dir, dir, env_src_dir());
	ASSERT_EQ(err, 0, "fuzz run");
	ASSERT_HAS_SUBSTR(out, "Done ", "every run done, no crash");
	free(out);
	run_cmd(NULL, "find %s -maxdepth 1 -name 'crash-*' -o -name 'leak-*' | grep -q . || rm -rf %s",
		dir, dir);
}

static void check_live_seeds(void)
{
	char bin[4096], dir[] = "/tmp/pinsight-seeds-XXXXXX", *out = NULL;
	int err;

	if (!have_fuzzer(bin, sizeof(bin)) ||
	    !ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	if (!ASSERT_OK(private_bpffs(), "private bpffs") ||
	    !ASSERT_EQ(loader_run(NULL, "io --comm fuzz-seed --alert-latency 1ns"),
		       0, "load io"))
		goto cleanup;
	run_cmd(NULL, "%s/workloads/iogen --comm fuzz-seed --count 3 --fail 1",
		env_output_dir());
	err = run_cmd(&out, "%s/fuzz/gen_seeds %s io", env_output_dir(), dir);
	ASSERT_EQ(err, 0, "gen_seeds");
	ASSERT_HAS_SUBSTR(out, "io-io_comm", "a seed per map");
	free(out);
	out = NULL;
	/* -runs=0: run each seed once, as the reader would decode it */
	err = run_cmd(&out, "%s -runs=0 -close_fd_mask=2 %s", bin, dir);
	ASSERT_EQ(err, 0, "live seeds decode");
	ASSERT_HAS_SUBSTR(out, "Done ", "no crash");
	loader_run(NULL, "unload io");
cleanup:
	free(out);
	run_cmd(NULL, "rm -rf %s", dir);
}

void test_fuzz(void)
{
	if (test__start_subtest("corpus"))
		check_corpus();
	if (test__start_subtest("live_seeds"))
		check_live_seeds();
}
