#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_sk_open and fuzz_ke_peer (corpus_sk/, corpus_ke/).

The seeds are built with python `cryptography` (an implementation independent of ours) from
the public vectors in tests/vectors/, so the fuzzers start from real, valid inputs and from a
few known-bad ones. Re-run after changing the fuzzers' input layout:
    python3 tests/fuzz/host/crypto/make_seeds.py
"""
import hashlib
import hmac
import json
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "..", "vectors")

# Must match the suite table and fixed keys of fuzz_sk_open.c.
SK_E = bytes(0x80 + i for i in range(36))
SK_A = bytes(0x40 + i for i in range(64))
SUITES = [  # (index, kind, key length, hash for HMAC, ICV length)
    (0, "gcm", 16, None, 16),
    (1, "gcm", 32, None, 16),
    (2, "chacha", 32, None, 16),
    (3, "cbc", 16, hashlib.sha256, 16),
    (4, "cbc", 32, hashlib.sha512, 32),
    (5, "cbc", 24, hashlib.sha384, 24),
]
# A Notify payload (SET_WINDOW_SIZE 10), as in the RFC 7634 IKEv2 example.
INNER = bytes.fromhex("0000000c000040010000000a")
SPIS = bytes.fromhex("c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d7")


def load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)["vectors"]


def aad_for(body_len):
    """IKE header (INFORMATIONAL request, Message ID 9) + SK payload header with real lengths."""
    header = SPIS + bytes([0x2E, 0x20, 0x25, 0x08]) + struct.pack(">II", 9, 28 + 4 + body_len)
    return header + bytes([0x29, 0x00]) + struct.pack(">H", 4 + body_len)


def seal(kind, key_len, digest, icv_len, iv_len):
    iv = bytes(range(0x10, 0x10 + iv_len))
    if kind == "cbc":
        pad = (-(len(INNER) + 1)) % 16
        plain = INNER + bytes(pad) + bytes([pad])
        enc = Cipher(algorithms.AES(SK_E[:key_len]), modes.CBC(iv)).encryptor()
        ct = enc.update(plain) + enc.finalize()
        body_len = iv_len + len(ct) + icv_len
        aad = aad_for(body_len)
        icv = hmac.new(SK_A[: 2 * icv_len], aad + iv + ct, digest).digest()[:icv_len]
        return aad, iv + ct + icv
    aead = AESGCM(SK_E[:key_len]) if kind == "gcm" else ChaCha20Poly1305(SK_E[:key_len])
    nonce = SK_E[key_len : key_len + 4] + iv
    plain = INNER + b"\x00"
    aad = aad_for(iv_len + len(plain) + icv_len)
    return aad, iv + aead.encrypt(nonce, plain, aad)


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def sk_seeds():
    out = os.path.join(HERE, "corpus_sk")
    rfc = load("chacha20poly1305_rfc.json")[3]
    msg = bytes.fromhex(rfc["ike_message"])
    write(out, "rfc7634_ikev2_example", bytes([2, 0, 32]) + msg)
    write(out, "rfc7634_truncated", bytes([2, 0, 32]) + msg[:-1])
    for index, kind, key_len, digest, icv_len in SUITES:
        aad, body = seal(kind, key_len, digest, icv_len, 16 if kind == "cbc" else 8)
        write(out, f"sealed_suite{index}", bytes([index, 0, len(aad)]) + aad + body)
    write(out, "seal_mode_chacha", bytes([2, 1, 32]) + aad_for(37) + INNER)
    write(out, "seal_mode_cbc_empty", bytes([3, 1, 32]) + aad_for(48))


def ke_seeds():
    out = os.path.join(HERE, "corpus_ke")
    index = {19: 1, 20: 2, 21: 3}
    for v in load("ecp_dh_rfc5903.json"):
        m = index[int(v["ike_dh_group"])]
        write(out, f"rfc5903_group{v['ike_dh_group']}_kei", bytes([m, 1]) + bytes.fromhex(v["ke_i_data"]))
        write(out, f"rfc5903_group{v['ike_dh_group']}_ker", bytes([m, 0]) + bytes.fromhex(v["ke_r_data"]))
    p256 = bytearray(bytes.fromhex(load("ecp_dh_rfc5903.json")[0]["ke_i_data"]))
    p256[-1] ^= 1
    write(out, "p256_off_curve", bytes([1, 0]) + bytes(p256))
    for v in load("x25519_x448_rfc7748.json"):
        if v["type"] == "dh":
            m = 4 if v["curve"] == "X25519" else 5
            write(out, f"rfc7748_{v['curve']}_alice", bytes([m, 3]) + bytes.fromhex(v["alice_public"]))
    write(out, "x25519_low_order", bytes([4, 0]) + bytes.fromhex(
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))
    p = int(  # RFC 3526 group 14 prime
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E34"
        "04DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6"
        "F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A6916"
        "3FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C"
        "32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA95"
        "6AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)
    public = pow(2, int.from_bytes(hashlib.sha256(b"nicsec seed").digest(), "big"), p)
    write(out, "modp2048_public", bytes([0, 1]) + public.to_bytes(256, "big"))
    write(out, "modp2048_p_minus_1", bytes([0, 0]) + (p - 1).to_bytes(256, "big"))
    # ML-KEM-768 (method index 6, present when built with OpenSSL >= 3.5).
    keygen = next(v for v in load("mlkem_keygen_acvp.json") if v["parameter_set"] == "ML-KEM-768")
    write(out, "mlkem768_ek", bytes([6, 3]) + bytes.fromhex(keygen["ek"]))
    bad_ek = bytearray(bytes.fromhex(keygen["ek"]))
    bad_ek[0], bad_ek[1] = 0xFF, bad_ek[1] | 0x0F  # coefficient 4095 >= q
    write(out, "mlkem768_ek_bad_modulus", bytes([6, 2]) + bytes(bad_ek))
    decap = next(v for v in load("mlkem_encapdecap_acvp.json") if v["parameter_set"] == "ML-KEM-768")
    write(out, "mlkem768_ciphertext", bytes([6, 0]) + bytes.fromhex(decap["c"]))


if __name__ == "__main__":
    sk_seeds()
    ke_seeds()
