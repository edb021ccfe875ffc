# SPDX-License-Identifier: GPL-2.0
"""The API layer: queries in, re-ranked hits out."""
import struct

from . import client

OP_SEARCH = client.OP_SEARCH


class VectorDB:
    def __init__(self, port, dim=64):
        self.cli = client.Client(port)
        self.dim = dim
        self.seed = 1

    def make_query(self):
        # a pure Python PRNG and normalisation: hot by design
        v = []
        s = self.seed
        for _ in range(self.dim * 40):
            s = (s * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
            v.append((s >> 40) / float(1 << 24))
        self.seed = s
        q = [sum(v[i::self.dim]) / 40.0 for i in range(self.dim)]
        return q

    def rerank(self, q, hits):
        # re-score in Python, as a service adding its own signal would
        out = []
        for hid, dist in hits:
            score = dist
            for i in range(self.dim):
                score += ((hid * 31 + i) % 7) * q[i] * 1e-3
            out.append((score, hid))
        out.sort()
        return out

    def search(self, k=16):
        q = self.make_query()
        payload = struct.pack("=I%df" % self.dim, k, *q)
        reply = self.cli.request(OP_SEARCH, payload)
        (n,) = struct.unpack_from("=I", reply)
        hits = [struct.unpack_from("=If", reply, 4 + 8 * i) for i in range(n)]
        return self.rerank(q, hits)
