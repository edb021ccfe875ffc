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
	   $(VS_OUT)/onnx-stub $(VS_OUT)/libcudastub.so $(VS_OUT)/cuda-stub \
	   $(VS_OUT)/vector-studio-otelso $(VS_OUT)/vector-studio-otelgd \
	   $(VS_OUT)/otel-dlopen

# The server and the C++ stub again as distributions build them: without
# frame pointers (the unwind tests).
VS_NOFP := $(VS_OUT)/vector-studio-nofp $(VS_OUT)/onnx-stub-nofp

WORKLOADS += $(VS_BINS) $(VS_NOFP)

# The server and its client share the protocol code in vs_proto.{c,h};
# workload.h holds what all the workloads share.
VS_PROTO := $(VS_SRC)/vs_proto.c $(VS_SRC)/vs_proto.h
# The OpenTelemetry context writer (otelctx.h): in the server itself, its
# TLS symbol otel_thread_ctx_v1 is local-exec and exported by -rdynamic.
VS_OTEL := $(VS_SRC)/otelctx.c $(VS_SRC)/otelctx.h

$(VS_OUT)/vector-studio: $(VS_SRC)/vector-studio.c $(VS_PROTO) $(VS_OTEL) \
			 $(VS_SRC)/workload.h | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) $(VS_LDFLAGS) -pthread $(filter %.c,$^) -o $@

# The same server with the writer in a shared library, as SDKs ship it:
# libotelctx.so uses TLS descriptors (the OTEP's recommended dialect),
# libotelctx-gd.so the legacy general-dynamic __tls_get_addr calls. -z now:
# descriptors resolved at start, not on first use.
$(VS_OUT)/libotelctx.so: $(VS_OTEL) | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) -fPIC -mtls-dialect=gnu2 -shared -Wl,-z,now \
		-Wl,-soname,libotelctx.so $< -o $@

$(VS_OUT)/libotelctx-gd.so: $(VS_OTEL) | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) -fPIC -mtls-dialect=gnu -shared -Wl,-z,now \
		-Wl,-soname,libotelctx-gd.so $< -o $@

$(VS_OUT)/vector-studio-otelso: $(VS_SRC)/vector-studio.c $(VS_PROTO) \
				$(VS_SRC)/workload.h $(VS_OUT)/libotelctx.so | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) $(VS_LDFLAGS) -pthread $(filter %.c,$^) -o $@ \
		-L$(VS_OUT) -lotelctx -Wl,-rpath,'$$ORIGIN'

$(VS_OUT)/vector-studio-otelgd: $(VS_SRC)/vector-studio.c $(VS_PROTO) \
				$(VS_SRC)/workload.h $(VS_OUT)/libotelctx-gd.so | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) $(VS_LDFLAGS) -pthread $(filter %.c,$^) -o $@ \
		-L$(VS_OUT) -lotelctx-gd -Wl,-rpath,'$$ORIGIN'

# Either library loaded with dlopen() after start: TLS allocated at run time.
$(VS_OUT)/otel-dlopen: $(VS_SRC)/otel_dlopen.c $(VS_SRC)/otelctx.h \
		       $(VS_SRC)/workload.h | $(VS_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(VS_CFLAGS) $(VS_LDFLAGS) $< -o $@ -ldl

$(VS_OUT)/vector-studio-nofp: $(VS_SRC)/vector-studio.c $(VS_PROTO) $(VS_OTEL) \
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
