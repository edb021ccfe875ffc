# SPDX-License-Identifier: GPL-2.0
# pinsight: progs/*.bpf.c -> .output/*.bpf.o -> skeletons -> pinsight-load;
# pinned-maps/ -> libpinmaps.a (the pin contract, both binaries),
# pinned-maps/reader/ -> libpinreader.a, pinned-maps/cmd/ -> pinsight;
# selftests/ -> test_progs.
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
INCLUDES := -I$(OUTPUT) -Iprogs -Ipinned-maps -Ipinned-maps/reader \
	-Ipinned-maps/cmd -Iloader $(PKG_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(OUTPUT) -Ivmlinux/$(ARCH) -Iprogs -MMD -MP

TOOLS := $(patsubst progs/%.bpf.c,%,$(wildcard progs/*.bpf.c))
BPF_OBJS := $(TOOLS:%=$(OUTPUT)/progs/%.bpf.o)
SKELS := $(TOOLS:%=$(OUTPUT)/%.skel.h)

# --version: `git describe` of a v* tag when built from a clone, else the
# release below with the commit; a tarball (no .git here, whatever repo
# it may sit in) has the release alone. PINSIGHT_VERSION=... overrides.
RELEASE := 0.1.0
GIT_DESCRIBE = $(if $(wildcard .git),$(shell git describe $(1) 2>/dev/null))
PINSIGHT_VERSION ?= $(or $(patsubst v%,%,$(call GIT_DESCRIBE,--tags \
	--match 'v[0-9]*' --dirty)),$(RELEASE)$(addprefix +g,$(call \
	GIT_DESCRIBE,--always --dirty)))

# Three rooms, each with its own source list:
# - the pin contract both binaries stand on (pinned-maps/*.c): paths and
#   names, the BTF schema, opening and reading pins, the command-line
#   grammar, units, messages, and the ELF/unwind-table code the loader
#   and the symbolizer share;
# - the reader library (pinned-maps/reader/): table, JSON and Prometheus
#   renderers, list, HTTP, symbolization, pprof and flame graphs;
# - the pinsight command (pinned-maps/cmd/): its main and its commands.
CONTRACT_SRCS := $(wildcard pinned-maps/*.c)
READER_SRCS := $(wildcard pinned-maps/reader/*.c)
CMD_SRCS := $(wildcard pinned-maps/cmd/*.c)
# protobuf-c message code generated from pinned-maps/reader/*.proto (pprof)
PROTOS := $(wildcard pinned-maps/reader/*.proto)
PROTO_C := $(PROTOS:pinned-maps/reader/%.proto=$(OUTPUT)/%.pb-c.c)
CONTRACT_LIB := $(OUTPUT)/libpinmaps.a
READER_LIB := $(OUTPUT)/libpinreader.a
# the reader's library before the contract's, which it uses
LIB := $(READER_LIB) $(CONTRACT_LIB)
LIB_SRCS := $(CONTRACT_SRCS) $(READER_SRCS)
LOADER_OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(wildcard loader/*.c))
READER_OBJS := $(CMD_SRCS:%.c=$(OUTPUT)/%.o)
TEST_SRCS := $(wildcard selftests/*.c) $(wildcard selftests/prog_tests/*.c)
TEST_OBJS := $(TEST_SRCS:%.c=$(OUTPUT)/%.o)
WORKLOADS := $(patsubst selftests/workloads/%.c,$(OUTPUT)/workloads/%,\
	$(wildcard selftests/workloads/*.c))
WORKLOADS += $(OUTPUT)/workloads/cpuburn-nofp $(OUTPUT)/workloads/allocgen-nofp \
	$(OUTPUT)/workloads/sortburn

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s%s\n' "$(1)" "$(patsubst $(abspath $(OUTPUT))/%,%,$(2))" \
	"$(if $(3), $(3))";
MAKEFLAGS += --no-print-directory
endif

.PHONY: all clean test demo bench bench-icount
.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS) $(PROTO_C)
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

# Rewritten only when the version changes: only cmdline.o then rebuilds.
$(OUTPUT)/version.h: FORCE | $(OUTPUT)
	$(Q)echo '#define PINSIGHT_VERSION "$(PINSIGHT_VERSION)"' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
.PHONY: FORCE
FORCE:

# Generated headers are order-only: -MMD then tracks who includes them.
$(OUTPUT)/loader/%.o: loader/%.c | $(OUTPUT)/tools.def $(SKELS) $(OUTPUT)/loader
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/pinned-maps/%.o: pinned-maps/%.c | $(PROTO_C) $(OUTPUT)/version.h \
		$(OUTPUT)/pinned-maps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/%.pb-c.c $(OUTPUT)/%.pb-c.h: pinned-maps/reader/%.proto | $(OUTPUT)
	$(call msg,PROTOC,$@)
	$(Q)protoc-c --proto_path=pinned-maps/reader --c_out=$(OUTPUT) $<

$(OUTPUT)/%.pb-c.o: $(OUTPUT)/%.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $(INCLUDES) -c $< -o $@

$(CONTRACT_LIB): $(CONTRACT_SRCS:%.c=$(OUTPUT)/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(READER_LIB): $(READER_SRCS:%.c=$(OUTPUT)/%.o) $(PROTO_C:%.c=%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@
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

# libFuzzer targets (selftests/fuzz/): libpinmaps built again with clang and
# ASan+UBSan into each; the fuzz selftest runs them briefly on the corpus.
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
.PHONY: fuzz
fuzz: $(OUTPUT)/fuzz/fuzz_decode $(OUTPUT)/fuzz/gen_seeds
$(OUTPUT)/fuzz/fuzz_decode: selftests/fuzz/fuzz_decode.c $(LIB_SRCS) $(PROTO_C) \
		$(OUTPUT)/version.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(INCLUDES) $(filter %.c,$^) \
		-Wl,--wrap=pm_map_read $(PKG_LDLIBS) -o $@
$(OUTPUT)/fuzz/gen_seeds: selftests/fuzz/gen_seeds.c $(LIB)
	$(call msg,BINARY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $^ $(PKG_LDLIBS) -o $@

# Static runner, loader and reader for selftests/vmtest.sh's initramfs, so the
# VM needs no shared libraries (Debian ships every .a these link).
# libstdc++.a for __cxa_demangle, which dynamic builds dlopen (elf_syms.c);
# its reference there is weak, which pulls nothing from an archive alone
STATIC_LDLIBS := $(shell pkg-config --static --libs $(PKG_LIBS) 2>/dev/null) \
	-Wl,--undefined=__cxa_demangle -lstdc++
STATIC_BINS := $(addprefix $(OUTPUT)/static/,pinsight-load pinsight test_progs)
.PHONY: static
static: $(STATIC_BINS)
$(OUTPUT)/static/pinsight-load: $(LOADER_OBJS) $(LIB)
$(OUTPUT)/static/pinsight: $(READER_OBJS) $(LIB)
$(OUTPUT)/static/test_progs: $(TEST_OBJS) $(LIB)
$(STATIC_BINS):
	$(call msg,STATIC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static $^ -Wl,--start-group $(STATIC_LDLIBS) \
		-Wl,--end-group -o $@

$(OUTPUT)/workloads/%: selftests/workloads/%.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -fno-omit-frame-pointer -pthread $< -o $@

# Built like packaged binaries, without frame pointers: the unwind tests'.
$(OUTPUT)/workloads/%-nofp: selftests/workloads/%.c | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -fomit-frame-pointer -pthread $< -o $@
$(OUTPUT)/workloads/sortburn: selftests/workloads/sortburn.cc | $(OUTPUT)/workloads
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O2 -g -fomit-frame-pointer -Wall -Wextra -Werror $< -o $@

# Benchmarks (`make bench`, never part of `make test`): the helper and the
# bench-only floor programs from selftests/benchs/bench*.
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard selftests/benchs/bench*.c))
BENCH_BPF := $(patsubst selftests/benchs/%.bpf.c,$(OUTPUT)/benchs/%.bpf.o,\
	$(wildcard selftests/benchs/bench*.bpf.c))
$(OUTPUT)/benchs:
	$(Q)mkdir -p $@
$(OUTPUT)/benchs/%.bpf.o: selftests/benchs/%.bpf.c | $(OUTPUT)/benchs
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@
$(OUTPUT)/benchs/%.o: selftests/benchs/%.c | $(OUTPUT)/benchs
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@
# The workloads' OpenTelemetry context writer, for bench event's "otel+"
# conditions: its otel_thread_ctx_v1 becomes the executable's own TLS.
$(OUTPUT)/benchs/otelctx.o: selftests/workloads/vector-studio/otelctx.c \
		selftests/workloads/vector-studio/otelctx.h | $(OUTPUT)/benchs
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -D_GNU_SOURCE,$(CFLAGS)) -c $< -o $@
# -rdynamic: bench_uprobe_target (and otel_thread_ctx_v1) must be in .dynsym
$(OUTPUT)/benchs/bench: $(BENCH_SRCS:selftests/benchs/%.c=$(OUTPUT)/benchs/%.o) \
		$(OUTPUT)/benchs/otelctx.o $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) -rdynamic $^ $(PKG_LDLIBS) -pthread -o $@
bench:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) $(OUTPUT)/pinsight-load $(OUTPUT)/pinsight workloads \
		$(OUTPUT)/benchs/bench $(BENCH_BPF)
	$(Q)selftests/benchs/bench.sh
# The overhead's components counted in instructions, in a qemu -icount VM,
# at the guide's request size and on light requests; updates RESULTS.md's
# section 0 (about 25 minutes; see selftests/benchs/README.md). Not part
# of make test. ICOUNT_ARGS: more icount.sh options, e.g. "-r 2".
bench-icount:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) all static $(OUTPUT)/benchs/bench $(BENCH_BPF)
	$(Q)selftests/benchs/icount.sh -u $(ICOUNT_ARGS)
	$(Q)selftests/benchs/icount.sh -o $(OUTPUT)/benchs/icount-light \
		-a "-d 64 -n 4" -n 1000 -u $(ICOUNT_ARGS)

# The README's two commands. Both install what is missing first, in a
# sub-make so that tool paths are looked up after the install.
test:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) all fuzz static
	$(Q)$(OUTPUT)/test_progs $(TESTFLAGS)

# The second configuration: all user space with ASan+UBSan (leaks are
# errors) in .output-asan, and every selftest run against those binaries.
# The workloads are the traced targets, not our code: built first and
# plain, since ASan's own malloc and frames hide them from memalloc and
# profile. CC in the tests' environment: the install test's `make install`
# may relink .output-asan, and must do it with the sanitizers.
ASAN_CC := $(CC) -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
.PHONY: asan-test
asan-test:
	$(Q)$(MAKE) OUTPUT=.output-asan workloads
	$(Q)$(MAKE) OUTPUT=.output-asan CC="$(ASAN_CC)" all
	$(Q)CC="$(ASAN_CC)" ASAN_OPTIONS=detect_leaks=1 \
		.output-asan/test_progs $(TESTFLAGS)

demo:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) all
	$(Q)scripts/demo.sh

# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc]: binaries,
# man pages rendered from scripts/man/*.scd (never committed), units and
# the SysV script with the installed paths filled in, completion, sysctl
# drop-in, example config, dashboard, Kubernetes and collector configs.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/pinsight
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCTLDIR ?= $(PREFIX)/lib/sysctl.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
TEXTFILE_DIR ?= /var/lib/prometheus/node-exporter
MANS := $(patsubst scripts/man/%.scd,$(OUTPUT)/man/%,$(wildcard scripts/man/*.scd))
SUBST := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@TEXTFILE_DIR@|$(TEXTFILE_DIR)|g'
DATA_DIRS := grafana kubernetes prometheus otel
I := $(DESTDIR)

.PHONY: man install uninstall
man: $(MANS)
$(OUTPUT)/man/%: scripts/man/%.scd
	$(call msg,SCDOC,$@)
	$(Q)command -v scdoc >/dev/null || \
		{ echo "scdoc renders the man pages: run scripts/setup.sh" >&2; exit 1; }
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@

install: $(OUTPUT)/pinsight-load $(OUTPUT)/pinsight $(MANS)
	$(call msg,INSTALL,$(I)$(PREFIX))
	$(Q)install -d $(I)$(BINDIR) $(I)$(SBINDIR) $(I)$(MANDIR)/man8 \
		$(I)$(UNITDIR) $(I)$(SYSCTLDIR) $(I)$(COMPLETIONDIR) \
		$(I)$(SYSCONFDIR)/pinsight $(I)$(SYSCONFDIR)/init.d \
		$(addprefix $(I)$(DATADIR)/,$(DATA_DIRS))
	$(Q)install -m 0755 $(OUTPUT)/pinsight $(I)$(BINDIR)/
	$(Q)install -m 0755 $(OUTPUT)/pinsight-load $(I)$(SBINDIR)/
	$(Q)install -m 0644 $(MANS) $(I)$(MANDIR)/man8/
	$(Q)for f in scripts/systemd/*; do \
		$(SUBST) $$f > $(I)$(UNITDIR)/$$(basename $$f .in) || exit 1; \
		chmod 0644 $(I)$(UNITDIR)/$$(basename $$f .in); done
	$(Q)$(SUBST) scripts/init.d/pinsight.in > $(I)$(SYSCONFDIR)/init.d/pinsight
	$(Q)chmod 0755 $(I)$(SYSCONFDIR)/init.d/pinsight
	$(Q)install -m 0644 scripts/sysctl/99-ebpf.conf $(I)$(SYSCTLDIR)/
	$(Q)install -m 0644 scripts/completion/pinsight $(I)$(COMPLETIONDIR)/
	$(Q)ln -sf pinsight $(I)$(COMPLETIONDIR)/pinsight-load
	$(Q)install -m 0644 scripts/pinsight.conf $(I)$(DATADIR)/pinsight.conf.example
	@# an admin's config is never overwritten
	$(Q)[ -e $(I)$(SYSCONFDIR)/pinsight/pinsight.conf ] || \
		install -m 0644 scripts/pinsight.conf $(I)$(SYSCONFDIR)/pinsight/
	$(Q)for d in $(DATA_DIRS); do \
		install -m 0644 $$(ls -d scripts/$$d/* | grep -v '\.py$$') \
			$(I)$(DATADIR)/$$d/ || exit 1; done

# Everything install put there except the config, which may be edited.
uninstall:
	$(call msg,UNINSTALL,$(I)$(PREFIX))
	$(Q)rm -f $(I)$(BINDIR)/pinsight $(I)$(SBINDIR)/pinsight-load \
		$(MANS:$(OUTPUT)/man/%=$(I)$(MANDIR)/man8/%) \
		$(patsubst scripts/systemd/%,$(I)$(UNITDIR)/%,$(basename $(wildcard scripts/systemd/*.in)) \
			$(filter-out %.in,$(wildcard scripts/systemd/*))) \
		$(I)$(SYSCONFDIR)/init.d/pinsight $(I)$(SYSCTLDIR)/99-ebpf.conf \
		$(I)$(COMPLETIONDIR)/pinsight $(I)$(COMPLETIONDIR)/pinsight-load
	$(Q)rm -rf $(I)$(DATADIR)

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*/*.d $(OUTPUT)/*/*/*.d $(OUTPUT)/*/*/*/*.d)
