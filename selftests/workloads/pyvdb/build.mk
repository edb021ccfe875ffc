# SPDX-License-Identifier: GPL-2.0
#
# The Python workloads (prog_tests/python.c), copied next to the other
# workloads so the tests find them under the output directory.
# Everything defined here is PYVDB_-prefixed.
PYVDB_SRC := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
PYVDB_FILES := $(patsubst $(PYVDB_SRC)/%,%,$(wildcard $(PYVDB_SRC)/*.py \
	$(PYVDB_SRC)/pyvdb/*.py))
PYVDB_OUT := $(addprefix $(OUTPUT)/workloads/pyvdb/,$(PYVDB_FILES))

$(OUTPUT)/workloads/pyvdb/%.py: $(PYVDB_SRC)/%.py
	$(call msg,CP,$@)
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

workloads: $(PYVDB_OUT)
