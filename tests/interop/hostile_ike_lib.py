"""A minimal IKEv2 initiator for hostile-input tests (RFC 7296): builds messages field by field
so that any field can be broken on purpose, and runs the real key schedule (X25519,
PRF-HMAC-SHA-256, AES-GCM-16-256, PSK authentication) so that broken messages can also be
authentic. Used by hostile_ike.py; nothing here knows about nicsecd."""

import hashlib
import hmac
import os
import socket
import struct

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# RFC 7296 3.1 / 3.2 / 3.3.2 / 3.10.1 code points (IANA "IKEv2 Parameters").
EXCH_IKE_SA_INIT, EXCH_IKE_AUTH, EXCH_INFORMATIONAL = 34, 35, 37
FLAG_I, FLAG_R = 0x08, 0x20
PT = dict(NONE=0, SA=33, KE=34, IDi=35, IDr=36, AUTH=39, Nonce=40, N=41, D=42, TSi=44, TSr=45,
          SK=46, SKF=53)
N_NAMES = {1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI", 5: "INVALID_MAJOR_VERSION",
           7: "INVALID_SYNTAX", 9: "INVALID_MESSAGE_ID", 14: "NO_PROPOSAL_CHOSEN",
           17: "INVALID_KE_PAYLOAD", 24: "AUTHENTICATION_FAILED", 16390: "COOKIE",
           16430: "IKEV2_FRAGMENTATION_SUPPORTED"}
N_CODES = {name: code for code, name in N_NAMES.items()}
GROUP_X25519, ENCR_AES_GCM_16, PRF_HMAC_SHA2_256 = 31, 20, 5


def payload(ptype, body, next_type, critical=False):
    """Generic payload header (RFC 7296 3.2) + body; returns (type, octets) for chain()."""
    return ptype, struct.pack("!BBH", next_type, 0x80 if critical else 0, 4 + len(body)) + body


def chain(items):
    """items: [(type, body, critical?)] -> (first type, octets) with Next Payload filled in."""
    out, first = b"", PT["NONE"]
    for i, item in enumerate(items):
        ptype, body = item[0], item[1]
        critical = len(item) > 2 and item[2]
        nxt = items[i + 1][0] if i + 1 < len(items) else PT["NONE"]
        out += payload(ptype, body, nxt, critical)[1]
        if i == 0:
            first = ptype
    return first, out


def header(spi_i, spi_r, next_type, exch, flags, mid, length, version=0x20):
    return struct.pack("!QQBBBBII", spi_i, spi_r, next_type, version, exch, flags, mid, length)


def transform(ttype, tid, attrs=b"", last=True):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def key_length_attr(bits):
    return struct.pack("!HH", 0x800E, bits)  # TV format, Key Length (RFC 7296 3.3.5)


def proposal(num, proto, spi, transforms):
    body = b"".join(transform(*t[:3], last=(i == len(transforms) - 1))
                    for i, t in enumerate(transforms))
    head = struct.pack("!BBBB", num, proto, len(spi), len(transforms)) + spi
    return struct.pack("!BBH", 0, 0, 4 + len(head) + len(body)) + head + body


def ike_sa_body(encr=ENCR_AES_GCM_16, group=GROUP_X25519):
    return proposal(1, 1, b"", [(1, encr, key_length_attr(256)), (2, PRF_HMAC_SHA2_256, b""),
                                (4, group, b"")])


def esp_sa_body(spi):
    return proposal(1, 3, spi, [(1, ENCR_AES_GCM_16, key_length_attr(256)), (5, 0, b"")])


def ke_body(group, data):
    return struct.pack("!HH", group, 0) + data


def notify_body(ntype, data=b"", proto=0):
    return struct.pack("!BBH", proto, 0, ntype) + data


def ts_body(addr):
    ip = socket.inet_aton(addr)
    sel = struct.pack("!BBHHH", 7, 0, 16, 0, 65535) + ip + ip  # TS_IPV4_ADDR_RANGE
    return struct.pack("!B3x", 1) + sel


def prf(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def prf_plus(key, seed, length):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = prf(key, block + seed + bytes([counter]))
        out += block
        counter += 1
    return out[:length]


def parse_chain(first, data):
    """[(type, critical, body)] of a payload chain; stops quietly at a malformed length."""
    out, ptype, off = [], first, 0
    while ptype != PT["NONE"] and off + 4 <= len(data):
        nxt, flags, length = struct.unpack_from("!BBH", data, off)
        if length < 4 or off + length > len(data):
            break
        out.append((ptype, bool(flags & 0x80), data[off + 4:off + length]))
        ptype, off = nxt, off + length
    return out


def notifies(payloads):
    return [(struct.unpack_from("!H", body, 2)[0], body[4 + body[1]:])
            for ptype, _, body in payloads if ptype == PT["N"] and len(body) >= 4]


class Session:
    """One IKE SA as the initiator: SPIs, nonces, keys, Message IDs and the UDP socket."""

    def __init__(self, sock, peer, psk, my_id, spi_i=None):
        self.sock, self.peer, self.psk, self.my_id = sock, peer, psk, my_id
        self.spi_i = spi_i if spi_i is not None else struct.unpack("!Q", os.urandom(8))[0] | 1
        self.spi_r = 0
        self.ni = os.urandom(32)
        self.key = X25519PrivateKey.generate()
        self.keys = None
        self.mid = 1
        self.init_request = self.init_response = b""

    # ---- IKE_SA_INIT ------------------------------------------------------------------------
    def public(self):
        return self.key.public_key().public_bytes_raw()

    def init_payloads(self, extra=()):
        return [(PT["SA"], ike_sa_body()), (PT["KE"], ke_body(GROUP_X25519, self.public())),
                (PT["Nonce"], self.ni), *extra]

    def clear_message(self, items, exch=EXCH_IKE_SA_INIT, flags=FLAG_I, mid=0, spi_r=0,
                      version=0x20):
        first, body = chain(items)
        return header(self.spi_i, spi_r, first, exch, flags, mid, 28 + len(body), version) + body

    def handshake_init(self, extra=()):
        """A valid IKE_SA_INIT; returns the parsed response payloads and derives the keys."""
        self.init_request = self.clear_message(self.init_payloads(extra))
        reply = self.exchange(self.init_request)
        if reply is None:
            raise RuntimeError("no IKE_SA_INIT response")
        self.init_response = reply
        self.spi_r = struct.unpack_from("!Q", reply, 8)[0]
        payloads = parse_chain(reply[16], reply[28:])
        ke = [b for t, _, b in payloads if t == PT["KE"]]
        nr = [b for t, _, b in payloads if t == PT["Nonce"]]
        if not ke or not nr:
            raise RuntimeError("IKE_SA_INIT response without KE/Nonce: %s" % notifies(payloads))
        self.derive(ke[0][4:], nr[0])
        return payloads

    def derive(self, peer_public, nr):
        shared = self.key.exchange(X25519PublicKey.from_public_bytes(peer_public))
        self.nr = nr
        skeyseed = prf(self.ni + nr, shared)
        seed = self.ni + nr + struct.pack("!QQ", self.spi_i, self.spi_r)
        km = prf_plus(skeyseed, seed, 32 + 2 * 36 + 2 * 32)
        names, lens, off, self.keys = ["d", "ei", "er", "pi", "pr"], [32, 36, 36, 32, 32], 0, {}
        for name, n in zip(names, lens):
            self.keys[name], off = km[off:off + n], off + n

    # ---- protected messages -----------------------------------------------------------------
    def protect(self, items, exch, mid, flags=FLAG_I, spi_r=None, tamper_icv=False):
        """An SK message (RFC 7296 3.14 with AES-GCM, RFC 5282): header | SK header | IV |
        ciphertext | ICV, the AAD being the header and the SK generic header."""
        first, inner = chain(items)
        return self.protect_raw(first, inner, exch, mid, flags, spi_r, tamper_icv)

    def protect_raw(self, first, inner, exch, mid, flags=FLAG_I, spi_r=None, tamper_icv=False):
        """protect() for an inner chain already in octets (possibly broken on purpose)."""
        plain = inner + b"\x00"  # Pad Length 0: AEAD needs no alignment
        sk_len = 4 + 8 + len(plain) + 16
        hdr = header(self.spi_i, self.spi_r if spi_r is None else spi_r, PT["SK"], exch, flags,
                     mid, 28 + sk_len)
        sk_hdr = struct.pack("!BBH", first, 0, sk_len)
        iv = os.urandom(8)
        key, salt = self.keys["ei"][:32], self.keys["ei"][32:]
        sealed = AESGCM(key).encrypt(salt + iv, plain, hdr + sk_hdr)
        if tamper_icv:
            sealed = sealed[:-1] + bytes([sealed[-1] ^ 0x01])
        return hdr + sk_hdr + iv + sealed

    def fragment(self, inner_first, data, number, total, mid, exch=EXCH_IKE_AUTH):
        """One SKF payload (RFC 7383 2.5) carrying data, protected like SK."""
        plain = data + b"\x00"
        skf_len = 4 + 4 + 8 + len(plain) + 16
        hdr = header(self.spi_i, self.spi_r, PT["SKF"], exch, FLAG_I, mid, 28 + skf_len)
        skf_hdr = struct.pack("!BBHHH", inner_first if number == 1 else 0, 0, skf_len, number,
                              total)
        iv = os.urandom(8)
        key, salt = self.keys["ei"][:32], self.keys["ei"][32:]
        return hdr + skf_hdr + iv + AESGCM(key).encrypt(salt + iv, plain, hdr + skf_hdr)

    def open(self, message):
        """Decrypts a protected response from the responder; None if it is not one."""
        if len(message) < 28 + 4 + 8 + 16 or message[16] != PT["SK"]:
            return None
        sk_first, _, sk_len = struct.unpack_from("!BBH", message, 28)
        body = message[32:28 + sk_len]
        key, salt = self.keys["er"][:32], self.keys["er"][32:]
        plain = AESGCM(key).decrypt(salt + body[:8], body[8:], message[:32])
        return parse_chain(sk_first, plain[:len(plain) - 1 - plain[-1]])

    # ---- IKE_AUTH ---------------------------------------------------------------------------
    def id_body(self):
        return struct.pack("!B3x", 3) + self.my_id.encode()  # ID_RFC822_ADDR

    def auth_body(self, psk=None):
        """PSK AUTH (RFC 7296 2.15):
        prf(prf(PSK, "Key Pad for IKEv2"), msg1 | Nr | prf(SK_pi, IDi'))."""
        macid = prf(self.keys["pi"], self.id_body())
        octets = self.init_request + self.nr + macid
        key = prf((psk if psk is not None else self.psk).encode(), b"Key Pad for IKEv2")
        return struct.pack("!B3x", 2) + prf(key, octets)

    def auth_payloads(self, psk=None, local_net="198.51.100.1", remote_net="203.0.113.1"):
        return [(PT["IDi"], self.id_body()), (PT["AUTH"], self.auth_body(psk)),
                (PT["SA"], esp_sa_body(os.urandom(4))), (PT["TSi"], ts_body(local_net)),
                (PT["TSr"], ts_body(remote_net))]

    # ---- transport --------------------------------------------------------------------------
    def exchange(self, message, wait=1.0):
        self.sock.sendto(message, self.peer)
        return self.receive(wait)

    def receive(self, wait):
        self.sock.settimeout(wait)
        try:
            data, _ = self.sock.recvfrom(65535)
            return data
        except socket.timeout:
            return None
