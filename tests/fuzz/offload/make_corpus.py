#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_esp_decap from the KAT vectors (tests/vectors).
First octet = mode (see fuzz_esp_decap.c); mode 1 and 2 then take one SA-variant octet."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "vectors")


def load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)["vectors"]


def checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_udp(payload, port):
    udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0) + payload
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                                bytes([203, 0, 113, 5]), bytes([203, 0, 113, 153])))
    hdr[10:12] = struct.pack("!H", checksum(bytes(hdr)))
    return bytes(hdr) + udp


def write(name, data):
    with open(os.path.join(HERE, "corpus", name), "wb") as f:
        f.write(data)


esp = next(v for v in load("chacha20poly1305_rfc.json") if "esp_packet" in v)
write("raw_rfc7634_ipv4_esp", b"\x00" + bytes.fromhex(esp["ip_packet"]))
write("raw_ike_marker_udp4500", b"\x00" + ipv4_udp(bytes(36), 4500))
write("raw_natt_keepalive", b"\x00" + ipv4_udp(b"\xff", 4500))
# 0x40 picks the ChaCha20-Poly1305 tunnel SA, 0x41 the transport one, 0x0c UDP+ESN AES-GCM.
write("plain_rfc7634_tunnel", b"\x01\x40" + bytes.fromhex(esp["plaintext"]))
write("roundtrip_rfc7634_inner", b"\x02\x40" + bytes.fromhex(esp["inner_packet"]))
write("roundtrip_transport_udp_esn", b"\x02\x0d" + bytes.fromhex(esp["inner_packet"]))
# 0xc0: the ChaCha20-Poly1305 BEET SA bound to the inner packet's hosts. Round trip of the
# inner packet, and a plaintext carrying a BEET pseudo header (next header 94) with a 4-octet
# Router Alert option in front of the inner packet's ICMP payload.
inner = bytes.fromhex(esp["inner_packet"])
write("roundtrip_beet_inner", b"\x02\xc0" + inner)
beet_pt = bytes([1, 0, 0, 0, 0x94, 4, 0, 0]) + inner[20:]
beet_pad = (4 - (len(beet_pt) + 2) % 4) % 4
write("plain_beet_pseudo_header",
      b"\x01\xc0" + beet_pt + bytes(range(1, beet_pad + 1)) + bytes([beet_pad, 94]))
for v in load("esp_aes_gcm_mcgrew.json"):
    if v["id"] in (1, 2, 12) and v["algorithm"] == "AES-GCM-ESP":
        write("plain_mcgrew_%d" % v["id"], b"\x01\x01" + bytes.fromhex(v["plaintext"]))
