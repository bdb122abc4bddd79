#!/usr/bin/env python3
"""Writes the seed corpora of the soft datapath I/O, soft device argument and nicsec-softdp key
file fuzzers (real inputs of each kind). Run from this folder; the files are committed."""
import os
import struct


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp(src, dst, sport, dport, payload):
    total = 20 + 8 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, 17, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv6_udp(src_last, dst_last, payload):
    src = bytes([0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [src_last])
    dst = bytes([0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [dst_last])
    hdr = struct.pack("!IHBB", 6 << 28, 8 + len(payload), 17, 64) + src + dst
    return hdr + struct.pack("!HHHH", 1000, 2000, 8 + len(payload), 0) + payload


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def soft_io():
    d = "corpus_soft_io"
    payload = bytes(range(48))
    write(d, "tun_protected", b"\x00" + ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 1000, 2000, payload))
    write(d, "tun_sa_selector_port", b"\x00" + ipv4_udp([10, 1, 0, 1], [10, 3, 0, 1], 999, 53, payload))
    write(d, "tun_discard", b"\x00" + ipv4_udp([10, 1, 0, 1], [10, 2, 9, 1], 1000, 2000, payload))
    write(d, "tun_no_policy", b"\x00" + ipv4_udp([10, 9, 0, 1], [10, 8, 0, 1], 1000, 2000, payload))
    write(d, "tun_ipv6", b"\x00" + ipv6_udp(1, 2, payload))
    write(d, "udp_ike", b"\x01" + bytes(4) + bytes(range(28)))
    write(d, "udp_keepalive", b"\x01\xff")
    esp = struct.pack("!II", 0x2002, 1) + struct.pack("!Q", 1) + bytes(range(64)) + bytes(16)
    write(d, "udp_esp_bad_icv", b"\x01" + esp)


def soft_config():
    d = "corpus_soft_config"
    write(d, "small_nic", b"max_sa=64,max_batch=16,spi_min=4096,spi_max=8191")
    write(d, "tun", b"tun=nsec0")
    write(d, "tun_fd_udp_only", b"tun_fd=3,raw_esp=0")
    write(d, "policies", b"max_policies=0,max_sa_in=8,max_sa_out=0x10")


def softdp_keys():
    d = "corpus_softdp_keys"
    write(d, "keyfile", b"# A -> B\nspi-out 0x00001001\nkey-out " + b"ab" * 36 +
          b"\nspi-in 0x00002002\nkey-in " + b"cd" * 36 + b"\n")
    write(d, "options", b"tun nsec0\nlocal 192.0.2.1\nremote 192.0.2.2\nlocal-net 10.1.0.0/16\n"
          b"remote-net 2001:db8::/32\nalg chacha20-poly1305\nicv 16\n"
          b"encap udp\nport 4500\nremote-port 4501\nreplay-window 4096\nesn\nraw-esp 0\n")


if __name__ == "__main__":
    soft_io()
    soft_config()
    softdp_keys()
