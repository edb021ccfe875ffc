# SPDX-License-Identifier: GPL-2.0
# pinsight: progs/*.bpf.c -> .output/*.bpf.o -> skeletons -> pinsight-load;
# pinned-maps/ -> libpinmaps.a -> pinsight; selftests/ -> test_progs.
OUTPUT := .output
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
CLANG ?= $(shell command -v clang-19 || command -v clang)
LLVM_STRIP ?= $(shell command -v llvm-strip-19 || command -v llvm-strip)
BPFTOOL ?= bpftool
CC ?= cc
CXX ?= g++
PKG_LIBS := libbpf libxdp libelf libdw zlib libprotobuf-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
PKG_LDLIBS := $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null || echo -lbpf -lxdp -lelf -ldw -lz -lprotobuf-c)

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -MMD -MP -D_GNU_SOURCE
INCLUDES := -I$(OUTPUT) -Iprogs -Ipinned-maps -Iloader $(PKG_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(OUTPUT) -Ivmlinux/$(ARCH) -Iprogs -MMD -MP

TOOLS := $(patsubst progs/%.bpf.c,%,$(wildcard progs/*.bpf.c))
BPF_OBJS := $(TOOLS:%=$(OUTPUT)/progs/%.bpf.o)
SKELS := $(TOOLS:%=$(OUTPUT)/%.skel.h)

LIB_SRCS := $(filter-out pinned-maps/pinsight.c,$(wildcard pinned-maps/*.c))
# protobuf-c message code generated from pinned-maps/*.proto (e.g. pprof)
PROTOS := $(wildcard pinned-maps/*.proto)
PROTO_C := $(PROTOS:pinned-maps/%.proto=$(OUTPUT)/%.pb-c.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(OUTPUT)/%.o) $(PROTO_C:%.c=%.o)
LIB := $(OUTPUT)/libpinmaps.a
LOADER_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(wildcard loader/*.c))
READER_OBJS := $(OUTPUT)/pinned-maps/pinsight.o
TEST_SRCS := $(wildcard selftests/*.c) $(wildcard selftests/prog_tests/*.c)
TEST_OBJS := $(TEST_SRCS:%.c=$(OUTPUT)/%.o)
WORKLOADS := $(patsubst selftests/workloads/%.c,$(OUTPUT)/workloads/%,\
	$(wildcard selftests/workloads/*.c))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s%s\n' "$(1)" "$(patsubst $(abspath $(OUTPUT))/%,%,$(2))" \
	"$(if $(3), $(3))";
MAKEFLAGS += --no-print-directory
endif

.PHONY: all clean test demo bench
.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS)
all: $(OUTPUT)/pinsight-load $(OUTPUT)/pinsight $(OUTPUT)/test_progs workloads

-include $(wildcard selftests/workloads/*/build.mk)
workloads: $(WORKLOADS)
.PHONY: workloads

$(OUTPUT) $(OUTPUT)/progs $(OUTPUT)/loader $(OUTPUT)/pinned-maps \
$(OUTPUT)/selftests/prog_tests $(OUTPUT)/workloads:
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

# BPF objects: DWARF stripped (BTF stays) to keep the embedded ELF small.
$(OUTPUT)/progs/%.bpf.o: progs/%.bpf.c | $(OUTPUT)/progs
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/progs/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# The loader's tool table: one TOOL(name) per loader/tool_<name>.c.
LOADER_TOOLS := $(patsubst loader/tool_%.c,%,$(wildcard loader/tool_*.c))
$(OUTPUT)/tools.def: $(wildcard loader/tool_*.c) | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)printf 'TOOL(%s)\n' $(sort $(LOADER_TOOLS)) > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

# Generated headers are order-only: -MMD then tracks who includes them.
$(OUTPUT)/loader/%.o: loader/%.c | $(OUTPUT)/tools.def $(SKELS) $(OUTPUT)/loader
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/pinned-maps/%.o: pinned-maps/%.c | $(PROTO_C) $(OUTPUT)/pinned-maps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/%.pb-c.c $(OUTPUT)/%.pb-c.h: pinned-maps/%.proto | $(OUTPUT)
	$(call msg,PROTOC,$@)
	$(Q)protoc-c --proto_path=pinned-maps --c_out=$(OUTPUT) $<

$(OUTPUT)/%.pb-c.o: $(OUTPUT)/%.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $(INCLUDES) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/pinsight-load: $(LOADER_OBJS) $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(PKG_LDLIBS) -o $@

$(OUTPUT)/pinsight: $(READER_OBJS) $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(PKG_LDLIBS) -o $@

# Selftests: tests.h lists every prog_tests/<name>.c for the runner; it is
# rewritten only when the list changes, so editing a test rebuilds just it.
$(OUTPUT)/tests.h: $(wildcard selftests/prog_tests/*.c) | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)for f in $(sort $(notdir $(basename $^))); do \
		echo "DEFINE_TEST($$f)"; done > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(OUTPUT)/selftests/%.o: selftests/%.c | $(OUTPUT)/tests.h $(SKELS) \
		$(OUTPUT)/selftests/prog_tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Iselftests -c $< -o $@

$(OUTPUT)/test_progs: $(TEST_OBJS) $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(PKG_LDLIBS) -o $@

$(OUTPUT)/workloads/%: selftests/workloads/%.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -pthread $< -o $@

# The README's two commands. Both install what is missing first, in a
# sub-make so that tool paths are looked up after the install.
test:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) all
	$(Q)$(OUTPUT)/test_progs $(TESTFLAGS)

demo:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) all
	$(Q)scripts/demo.sh

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*/*.d $(OUTPUT)/*/*/*.d)
