// SPDX-License-Identifier: GPL-2.0
/*
 * onnx-stub: stands in for an ONNX Runtime user so uprobes on a mangled C++
 * method can be tested without the real library.  Only the symbol name and
 * the fact that each call does measurable work matter.
 */
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <vector>
#include "workload.h"

namespace onnx {

class InferenceSession {
public:
	InferenceSession(size_t in_dim, size_t out_dim);
	int Run(const std::vector<float> &in, std::vector<float> &out);

private:
	size_t in_dim_, out_dim_;
	std::vector<float> w_, b_;
};

InferenceSession::InferenceSession(size_t in_dim, size_t out_dim)
	: in_dim_(in_dim), out_dim_(out_dim), w_(in_dim * out_dim), b_(out_dim)
{
	/* Fixed pseudo-random weights so every run computes the same thing. */
	for (size_t i = 0; i < w_.size(); i++)
		w_[i] = std::sin(0.001f * i);
	for (size_t i = 0; i < b_.size(); i++)
		b_[i] = 0.01f * i;
}

/* One dense layer with ReLU. */
PROBE_TARGET int
InferenceSession::Run(const std::vector<float> &in, std::vector<float> &out)
{
	if (in.size() != in_dim_)
		return -1;
	out.resize(out_dim_);
	for (size_t o = 0; o < out_dim_; o++) {
		const float *row = &w_[o * in_dim_];
		float acc = b_[o];

		for (size_t i = 0; i < in_dim_; i++)
			acc += row[i] * in[i];
		out[o] = acc > 0 ? acc : 0;
	}
	return 0;
}

} /* namespace onnx */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: onnx-stub [options]\n"
		"  -n, --iterations N  calls to InferenceSession::Run (default 1000)\n"
		"  -s, --sleep-us N    sleep between calls (default 0)\n"
		"  -h, --help          this text\n");
}

int main(int argc, char **argv)
{
	long iters = 1000, sleep_us = 0, calls = 0;

	if (stub_parse_args(argc, argv, usage, &iters, &sleep_us, NULL))
		return 2;

	onnx::InferenceSession sess(256, 64);
	std::vector<float> in(256), out;
	double sum = 0;

	for (long i = 0; i < iters; i++) {
		for (size_t j = 0; j < in.size(); j++)
			in[j] = (float)((i + j) % 17) / 17.0f;
		if (sess.Run(in, out) == 0) {
			calls++;
			sum += out[i % out.size()];
		}
		if (sleep_us)
			usleep(sleep_us);
	}
	/* Print the checksum so the work cannot be optimised away. */
	printf("onnx-stub: %ld calls to onnx::InferenceSession::Run (checksum %.3f)\n",
	       calls, sum);
	return calls == iters ? 0 : 1;
}
