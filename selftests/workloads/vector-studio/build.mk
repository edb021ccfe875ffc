# SPDX-License-Identifier: GPL-2.0
#
# vector-studio test workloads, included by the top-level Makefile.
# Uses only $(OUTPUT), $(CC), $(CXX), $(Q) and $(call msg,...) from it;
# everything defined here is VS_-prefixed to stay out of other fragments' way.

# Resolve our own directory now: MAKEFILE_LIST changes with later includes.
VS_SRC := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
VS_OUT := $(OUTPUT)/workloads

# Frame pointers and debug info for the profiler and symbolizer;
# -rdynamic puts the probe targets in .dynsym too.
VS_CFLAGS := -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror
VS_CXXFLAGS := $(VS_CFLAGS) -std=c++17
VS_LDFLAGS := -rdynamic

VS_BINS := $(VS_OUT)/vector-studio $(VS_OUT)/vs-loadgen \
	   $(VS_OUT)/onnx-stub $(VS_OUT)/libcudastub.so $(VS_OUT)/cuda-stub

# The server and the C++ stub again as distributions build them: without
# frame pointers (the unwind tests).
VS_NOFP := $(VS_OUT)/vector-studio-nofp $(VS_OUT)/onnx-stub-nofp

WORKLOADS += $(VS_BINS) $(VS_NOFP)

# The server and its client share the protocol code in vs_proto.{c,h};
# workload.h holds what all the workloads share.
VS_PROTO := $(VS_SRC)/vs_proto.c $(VS_SRC)/vs_proto.h

$(VS_OUT)/vector-studio: $(VS_SRC)/vector-studio.c $(VS_PROTO) \
			 $(VS_SRC)/workload.h | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) $(VS_LDFLAGS) -pthread $(filter %.c,$^) -o $@

$(VS_OUT)/vector-studio-nofp: $(VS_SRC)/vector-studio.c $(VS_PROTO) \
			      $(VS_SRC)/workload.h | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) -fomit-frame-pointer $(VS_LDFLAGS) -pthread \
		$(filter %.c,$^) -o $@

$(VS_OUT)/onnx-stub-nofp: $(VS_SRC)/onnx_stub.cc $(VS_SRC)/workload.h | $(VS_OUT)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(VS_CXXFLAGS) -fomit-frame-pointer $(VS_LDFLAGS) $< -o $@

$(VS_OUT)/vs-loadgen: $(VS_SRC)/loadgen.c $(VS_PROTO) $(VS_SRC)/workload.h \
		      | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) -pthread $(filter %.c,$^) -o $@

$(VS_OUT)/onnx-stub: $(VS_SRC)/onnx_stub.cc $(VS_SRC)/workload.h | $(VS_OUT)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(VS_CXXFLAGS) $(VS_LDFLAGS) $< -o $@

$(VS_OUT)/libcudastub.so: $(VS_SRC)/libcudastub.c $(VS_SRC)/cudastub.h | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) -fPIC -shared -Wl,-soname,libcudastub.so $< -o $@

# Linked (not dlopen'd) so the library is mapped before any uprobe attach;
# $ORIGIN lets the pair run from wherever $(OUTPUT) is.
$(VS_OUT)/cuda-stub: $(VS_SRC)/cuda_stub_main.c $(VS_SRC)/cudastub.h \
		     $(VS_SRC)/workload.h $(VS_OUT)/libcudastub.so | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) $(VS_LDFLAGS) $< -o $@ -L$(VS_OUT) -lcudastub \
		-Wl,-rpath,'$$ORIGIN'

# A pattern rule, not an explicit one: other workload fragments may create the
# same directory, and an explicit rule there silently wins over this one
# instead of triggering "overriding recipe" warnings.
%/workloads:
	$(Q)mkdir -p $@
