/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pprof output: a gzip'd perftools.profiles.Profile (pprof.proto, encoded
 * by protobuf-c) with two sample types, samples/count and cpu/nanoseconds,
 * and comm/pid labels (cgroup, and OpenTelemetry trace_id/span_id, when
 * known); one function and one location per frame name.
 */
#ifndef __PPROF_H
#define __PPROF_H

#include <stdio.h>
#include "flamegraph.h"

int pprof_write(FILE *f, const struct prof_data *d);

#endif /* __PPROF_H */
