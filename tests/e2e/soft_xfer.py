#!/usr/bin/env python3
"""Bulk TCP transfer for the e2e tests: the sender streams pseudo-random data, both ends print
the SHA-256 of what they sent/received, and the test compares the two lines.

  soft_xfer.py recv <bind-addr> <port> <ready-file>   accepts one connection, reads to EOF
  soft_xfer.py send <addr> <port> <megabytes>         connects and sends
Each prints "<octets> <sha256-hex>"."""
import hashlib
import random
import socket
import sys

CHUNK = 1 << 20
TIMEOUT_S = 40


def receive(addr, port, ready_file):
    with socket.create_server((addr, port)) as server:
        server.settimeout(TIMEOUT_S)
        open(ready_file, "w").close()  # listening: the sender may start
        conn, _ = server.accept()
        with conn:
            conn.settimeout(TIMEOUT_S)
            digest, total = hashlib.sha256(), 0
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                digest.update(data)
                total += len(data)
    print(total, digest.hexdigest())


def send(addr, port, megabytes):
    rng = random.Random(4303)  # the content only has to differ chunk to chunk
    digest, total = hashlib.sha256(), 0
    with socket.create_connection((addr, port), timeout=TIMEOUT_S) as conn:
        for _ in range(megabytes):
            chunk = rng.randbytes(CHUNK)
            conn.sendall(chunk)
            digest.update(chunk)
            total += len(chunk)
        conn.shutdown(socket.SHUT_WR)
        conn.recv(1)  # wait for the receiver to close: everything arrived
    print(total, digest.hexdigest())


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "recv":
        receive(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
