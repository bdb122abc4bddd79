#!/usr/bin/env python3
"""Back-to-back Child SA rekeys between two strongSwan daemons, driven over their vici sockets.

usage: swan_rekey.py <left.vici> <right.vici> <rekeys> [--conn peer] [--child net]

Rekeys alternate between the daemons (even: left), like bench/rekey/rekey_loop. Each rekey is
asked for by CHILD_SA unique id (vici "rekey" with child-id) and counts as done once both
daemons raised their "child-rekey" event for it; the new unique ids come from those events.
Prints one line: swan_rekey: rekeys=N seconds=S rekeys_per_s=R

The vici wire format (strongSwan's src/libcharon/plugins/vici/README.md): each segment is a
32-bit big-endian length and a packet; a packet is a type octet, for named types an 8-bit name
length and the name, then a message of elements. Implemented here with the standard library
only (the python vici package is not installed on the rig).
"""
import select
import socket
import struct
import sys
import time

# Packet types and message element types of the vici protocol.
CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
EVENT_REGISTER, EVENT_UNREGISTER, EVENT_CONFIRM, EVENT_UNKNOWN, EVENT = 3, 4, 5, 6, 7
SECTION_START, SECTION_END, KEY_VALUE, LIST_START, LIST_ITEM, LIST_END = 1, 2, 3, 4, 5, 6
NAMED_PACKETS = (CMD_REQUEST, EVENT_REGISTER, EVENT_UNREGISTER, EVENT)


def encode_message(items):
    """A flat dict of str -> str (all this script sends) as a vici message."""
    out = b""
    for key, value in items.items():
        k, v = key.encode(), str(value).encode()
        out += bytes([KEY_VALUE, len(k)]) + k + struct.pack(">H", len(v)) + v
    return out


def decode_message(data):
    """A vici message as nested dicts (sections) and lists; values as str."""
    root, stack, pos = {}, [], 0
    current, current_list = root, None
    while pos < len(data):
        kind = data[pos]
        pos += 1
        if kind in (SECTION_START, KEY_VALUE, LIST_START):
            name_len = data[pos]
            name = data[pos + 1:pos + 1 + name_len].decode()
            pos += 1 + name_len
        if kind == SECTION_START:
            stack.append(current)
            current[name] = {}
            current = current[name]
        elif kind == SECTION_END:
            current = stack.pop()
        elif kind in (KEY_VALUE, LIST_ITEM):
            (length,) = struct.unpack_from(">H", data, pos)
            value = data[pos + 2:pos + 2 + length].decode(errors="replace")
            pos += 2 + length
            if kind == KEY_VALUE:
                current[name] = value
            else:
                current_list.append(value)
        elif kind == LIST_START:
            current_list = current[name] = []
        elif kind == LIST_END:
            current_list = None
        else:
            raise ValueError("bad vici element type %d" % kind)
    return root


class Vici:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.events = []  # (name, message) received while waiting for a response

    def _send(self, ptype, name, message=b""):
        body = bytes([ptype])
        if ptype in NAMED_PACKETS:
            body += bytes([len(name)]) + name.encode()
        body += message
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("vici socket closed")
            buf += chunk
        return buf

    def read_packet(self):
        (length,) = struct.unpack(">I", self._recv_exact(4))
        body = self._recv_exact(length)
        ptype, pos, name = body[0], 1, None
        if ptype in NAMED_PACKETS:
            name = body[2:2 + body[1]].decode()
            pos = 2 + body[1]
        return ptype, name, decode_message(body[pos:])

    def _wait_reply(self, accept):
        while True:
            ptype, name, msg = self.read_packet()
            if ptype == EVENT:
                self.events.append((name, msg))
            elif ptype in accept:
                return ptype, msg
            else:
                raise RuntimeError("unexpected vici packet type %d" % ptype)

    def request(self, command, **items):
        self._send(CMD_REQUEST, command, encode_message(items))
        ptype, msg = self._wait_reply((CMD_RESPONSE, CMD_UNKNOWN))
        if ptype == CMD_UNKNOWN:
            raise RuntimeError("vici does not know command %s" % command)
        return msg

    def register(self, event):
        self._send(EVENT_REGISTER, event)
        ptype, _ = self._wait_reply((EVENT_CONFIRM, EVENT_UNKNOWN))
        if ptype != EVENT_CONFIRM:
            raise RuntimeError("vici refused event %s" % event)

    def next_event(self, timeout):
        if not self.events:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return None
            ptype, name, msg = self.read_packet()
            return (name, msg) if ptype == EVENT else None
        return self.events.pop(0)


def installed_child_id(v, conn, child):
    """The unique id of the INSTALLED CHILD_SA `child` (list-sas streams list-sa events)."""
    v.register("list-sa")
    v.request("list-sas", ike=conn)
    found = None
    for name, msg in v.events:
        if name != "list-sa":
            continue
        for cname, c in msg.get(conn, {}).get("child-sas", {}).items():
            if c.get("name", cname.split("-")[0]) == child and c.get("state") == "INSTALLED":
                found = c["uniqueid"]
    v.events.clear()
    v._send(EVENT_UNREGISTER, "list-sa")
    v._wait_reply((EVENT_CONFIRM, EVENT_UNKNOWN))
    return found


def new_child_id(msg, conn):
    for c in msg.get(conn, {}).get("child-sas", {}).values():
        return c["new"]["uniqueid"]
    return None


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    paths, rekeys = sys.argv[1:3], int(sys.argv[3])
    conn, child = "peer", "net"
    sides = [Vici(p) for p in paths]
    ids = [installed_child_id(v, conn, child) for v in sides]
    if None in ids:
        sys.exit("no INSTALLED CHILD_SA %s on both daemons" % child)
    for v in sides:
        v.register("child-rekey")
    start = time.monotonic()
    for r in range(rekeys):
        initiator = sides[r % 2]
        reply = initiator.request("rekey", **{"child-id": ids[r % 2]})
        if reply.get("success") != "yes":
            sys.exit("rekey %d refused: %s" % (r, reply.get("errmsg")))
        for i, v in enumerate(sides):
            event = v.next_event(5.0)
            while event is not None and event[0] != "child-rekey":
                event = v.next_event(5.0)
            if event is None:
                sys.exit("rekey %d: no child-rekey event from daemon %d within 5 s" % (r, i))
            ids[i] = new_child_id(event[1], conn)
    seconds = time.monotonic() - start
    print("swan_rekey: rekeys=%d seconds=%.3f rekeys_per_s=%.1f" % (rekeys, seconds,
                                                                    rekeys / seconds))


if __name__ == "__main__":
    main()
