# SPDX-License-Identifier: GPL-2.0
"""pyvdb: a small Python client and API layer for vector-studio (a stand-in
for a service's Python API over its C++ core). client.py speaks the
protocol (selftests/workloads/vector-studio/README.md); api.py is the
layer with the hot Python functions: api.make_query builds query vectors,
api.rerank re-scores the hits, both in pure Python."""
