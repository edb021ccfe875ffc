// SPDX-License-Identifier: GPL-2.0
/*
 * make static: the static pinsight-load has no libc mapped, yet finds the
 * host's for memalloc (which probes it by default), and demangles C++
 * names for --func with libstdc++ linked in, where dynamic builds dlopen
 * it. The static pinsight reads what it pinned.
 */
#include <limits.h>
#include <unistd.h>
#include "pinsight_helpers.h"
#include "test_progs.h"

void test_static_build(void)
{
	char load[PATH_MAX], rd[PATH_MAX], onnx[PATH_MAX], alloc[PATH_MAX];
	char comm[16], *out = NULL;
	int err;

	out_path(load, sizeof(load), "static/pinsight-load");
	out_path(rd, sizeof(rd), "static/pinsight");
	out_path(onnx, sizeof(onnx), "workloads/onnx-stub");
	out_path(alloc, sizeof(alloc), "workloads/allocgen");
	if (!ASSERT_OK(access(load, X_OK) || access(rd, X_OK),
		       "static binaries (make test runs make static)"))
		return;
	if (!ASSERT_OK(private_bpffs(), "private bpffs"))
		return;
	/* the file has no libc of its own: it must not need one mapped */
	ASSERT_NEQ(run_cmd(NULL, "ldd %s 2>&1 | grep -q libc.so", load), 0,
		   "statically linked");

	err = run_cmd(NULL,
		      "%s funclat --name st --binary %s --func 'onnx::InferenceSession::Run'",
		      load, onnx);
	if (ASSERT_EQ(err, 0, "funclat by demangled name")) {
		ASSERT_EQ(run_cmd(NULL, "%s --iterations 11", onnx), 0,
			  "onnx-stub");
		ASSERT_EQ(run_cmd(&out, "%s metrics funclat@st", rd), 0,
			  "static pinsight metrics");
		ASSERT_HAS_SUBSTR(
			out,
			"ebpf_funclat_calls_total{service=\"onnx-stub\",func=\"onnx::InferenceSession::Run\",name=\"st\"} 11\n",
			"calls under the demangled name");
		free(out);
		out = NULL;
		run_cmd(NULL, "%s unload funclat@st", load);
	}

	snprintf(comm, sizeof(comm), "st-al-%d", getpid() % 10000);
	err = run_cmd(NULL, "%s memalloc --calls --name st --comm %s", load, comm);
	if (ASSERT_EQ(err, 0, "memalloc on the host's libc")) {
		ASSERT_EQ(run_cmd(NULL, "%s --comm %s --count 9", alloc, comm),
			  0, "allocgen");
		ASSERT_EQ(run_cmd(&out, "%s metrics memalloc@st", rd), 0,
			  "static pinsight metrics");
		ASSERT_HAS_SUBSTR(out, comm, "the allocations counted");
		run_cmd(NULL, "%s unload memalloc@st", load);
	}
	free(out);
}
