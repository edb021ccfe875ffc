# SPDX-License-Identifier: GPL-2.0
"""vector-studio's protocol: u32 op, u32 len, payload; reply u32 status,
u32 len, payload (host byte order)."""
import socket
import struct

OP_INSERT, OP_SEARCH, OP_BUILD, OP_STATS, OP_QUIT = 1, 2, 3, 4, 5


class Error(Exception):
    pass


class Client:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port))

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise Error("vector-studio closed the connection")
            buf += chunk
        return buf

    def request(self, op, payload=b""):
        self.sock.sendall(struct.pack("=II", op, len(payload)) + payload)
        status, n = struct.unpack("=II", self._recv(8))
        if status:
            raise Error("op %d: status %d" % (op, status))
        return self._recv(n)

    def close(self):
        self.sock.close()
