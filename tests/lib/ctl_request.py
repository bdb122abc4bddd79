#!/usr/bin/env python3
"""Sends one request to a nicsecd control socket and prints its one-line JSON reply.

usage: ctl_request.py <ctl.sock> <cmd>   (e.g. "metrics": the devices' datapath counters and the
daemon's stats, which nicsecctl shows only as Prometheus text)
"""
import json
import socket
import sys


def request(path, cmd):
    # The control socket speaks one JSON object per line each way.
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(json.dumps({"cmd": cmd}).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return buf.decode()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.stdout.write(request(sys.argv[1], sys.argv[2]))
