# SPDX-License-Identifier: GPL-2.0
#
# otelread: a slow read() under an OpenTelemetry span, for the io tool's
# exemplar and alert tests. It links the workloads' context writer
# (vector-studio/otelctx.c); -rdynamic exports its TLS symbol
# otel_thread_ctx_v1 in .dynsym, where the loader looks for it.

OR_SRC := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
OR_OTEL := $(OR_SRC)/../vector-studio/otelctx.c \
	   $(OR_SRC)/../vector-studio/otelctx.h

WORKLOADS += $(OUTPUT)/workloads/otelread

$(OUTPUT)/workloads/otelread: $(OR_SRC)/otelread.c $(OR_OTEL) | $(OUTPUT)/workloads
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -rdynamic \
		-I$(OR_SRC)/../vector-studio $(filter %.c,$^) -o $@
