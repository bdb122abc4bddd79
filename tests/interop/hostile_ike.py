#!/usr/bin/env python3
"""Hostile input against a running nicsecd (responder): sends the corpus below over UDP, one
case at a time, and checks each answer against RFC 7296 / RFC 7383.

  usage: hostile_ike.py <responder-ip> <psk> <our-id> [--port 500] [--list]

Expected answers:
  silence        nothing comes back within the wait (the RFC says drop)
  N:<NAME>       an unprotected IKE_SA_INIT answer carrying that notify
  SK:<NAME>      a protected (SK) response whose decrypted payloads carry that notify
  cached         the same octets as the response to the original request (RFC 7296 2.1)
  answer         a normal response (positive control: the harness itself is right)
Each case runs on its own IKE SA (its own SPIi) unless it says otherwise. Exit status 0 when
every case got its expected answer."""

import argparse
import os
import socket
import struct
import sys

import hostile_ike_lib as ike
from hostile_ike_lib import PT, FLAG_I, FLAG_R, EXCH_IKE_SA_INIT, EXCH_IKE_AUTH, EXCH_INFORMATIONAL

SILENCE_WAIT = 0.4


class Ctx:
    def __init__(self, args, sock):
        self.args, self.sock = args, sock
        self.peer = (args.responder, args.port)

    def session(self, spi_i=None):
        return ike.Session(self.sock, self.peer, self.args.psk, self.args.id, spi_i)

    def established(self):
        """A session through IKE_SA_INIT (keys derived), IKE_AUTH not yet sent."""
        s = self.session()
        s.handshake_init()
        return s


def init_with(ctx, edit):
    """A fresh session and its IKE_SA_INIT request passed through edit(session, octets)."""
    s = ctx.session()
    return s, edit(s, s.clear_message(s.init_payloads()))


def set_u32(msg, off, value):
    return msg[:off] + struct.pack("!I", value) + msg[off + 4:]


def set_u16(msg, off, value):
    return msg[:off] + struct.pack("!H", value) + msg[off + 2:]


# ---- the cases: each returns (session or None, octets to send[, port]) ------------------------

def c_truncated_header(ctx):
    s, m = init_with(ctx, lambda s, m: m)
    return s, m[:20]


def c_length_longer(ctx):
    return init_with(ctx, lambda s, m: set_u32(m, 24, len(m) + 40))


def c_length_shorter(ctx):
    return init_with(ctx, lambda s, m: set_u32(m, 24, len(m) - 8))


def c_trailing_octets(ctx):
    return init_with(ctx, lambda s, m: set_u32(m + b"\x00" * 8, 24, len(m) + 8))


def c_payload_len_below_4(ctx):
    return init_with(ctx, lambda s, m: set_u16(m, 28 + 2, 2))


def c_payload_len_past_end(ctx):
    return init_with(ctx, lambda s, m: set_u16(m, 28 + 2, 4000))


def c_transform_len_bad(ctx):
    # SA payload header (4) + proposal header (8) + transform length field at +2
    return init_with(ctx, lambda s, m: set_u16(m, 28 + 4 + 8 + 2, 200))


def c_proposal_count_bad(ctx):
    # proposal says 9 transforms, carries 3
    return init_with(ctx, lambda s, m: m[:28 + 4 + 7] + b"\x09" + m[28 + 4 + 8:])


def init_request(ctx, extra=(), replace=None, spi_i=None, **header):
    """A fresh session's IKE_SA_INIT request: extra payloads appended, replace(session) ->
    (index, payload) swapped in, header fields (version, spi_r, mid, flags) overridden."""
    s = ctx.session(spi_i)
    p = s.init_payloads(extra)
    if replace:
        index, item = replace(s)
        p[index] = item
    return s, s.clear_message(p, **header)


def c_missing_ke(ctx):
    s = ctx.session()
    return s, s.clear_message([(PT["SA"], ike.ike_sa_body()), (PT["Nonce"], s.ni)])


def c_nonce_too_short(ctx):
    return init_request(ctx, replace=lambda s: (2, (PT["Nonce"], os.urandom(8))))


def c_unknown_critical(ctx):
    return init_request(ctx, extra=[(200, b"hostile", True)])


def c_unknown_noncritical(ctx):
    return init_request(ctx, extra=[(200, b"ignore me", False)])


def c_major_version_3(ctx):
    return init_request(ctx, version=0x30)


def c_major_version_1(ctx):
    return init_request(ctx, version=0x10)


def c_zero_spi_i(ctx):
    return init_request(ctx, spi_i=0)


def c_spi_r_set(ctx):
    return init_request(ctx, spi_r=0x1122334455667788)


def c_mid_not_zero(ctx):
    return init_request(ctx, mid=1)


def c_response_flag(ctx):
    return init_request(ctx, flags=FLAG_I | FLAG_R)


def c_ke_group_mismatch(ctx):
    # ECP-256 data while only X25519 (31) is offered
    return init_request(ctx, replace=lambda s: (1, (PT["KE"], ike.ke_body(19, os.urandom(64)))))


def c_ke_length_bad(ctx):
    return init_request(ctx, replace=lambda s: (1, (PT["KE"], ike.ke_body(ike.GROUP_X25519,
                                                                          s.public()[:31]))))


def c_ke_length_long(ctx):
    return init_request(ctx, replace=lambda s: (1, (PT["KE"], ike.ke_body(ike.GROUP_X25519,
                                                                          s.public() + b"\0"))))


def c_ke_low_order(ctx):
    # all-zero u coordinate: a low-order point, the shared secret would be zero
    return init_request(ctx, replace=lambda s: (1, (PT["KE"], ike.ke_body(ike.GROUP_X25519,
                                                                          bytes(32)))))


def c_no_proposal(ctx):
    weak = ike.proposal(1, 1, b"", [(1, 3, b""), (2, 2, b""), (3, 2, b""), (4, 2, b"")])
    return init_request(ctx, replace=lambda s: (0, (PT["SA"], weak)))  # 3DES/SHA1/MODP-1024


def c_empty_datagram(ctx):
    return None, b""


def c_natt_no_marker(ctx):
    s, m = init_with(ctx, lambda s, m: m)
    return s, m, 4500  # on 4500 without the zero marker the first 4 octets are an ESP SPI


def c_init_retransmit(ctx):
    s = ctx.session()
    s.init_request = s.clear_message(s.init_payloads())
    ctx.reference = s.exchange(s.init_request)
    return s, s.init_request


def c_init_same_spi_new_content(ctx):
    s = ctx.session()
    s.exchange(s.clear_message(s.init_payloads()))
    s.ni = os.urandom(32)
    return s, s.clear_message(s.init_payloads())


def c_auth_good(ctx):
    s = ctx.established()
    ctx.good = s
    ctx.good_auth = s.protect(s.auth_payloads(), EXCH_IKE_AUTH, 1)
    return s, ctx.good_auth


def c_auth_replayed(ctx):
    s = ctx.good
    s.sock.sendto(ctx.good_auth, s.peer)
    ctx.reference = s.receive(1.0)
    return s, ctx.good_auth


def c_info_old_mid(ctx):
    s = ctx.good
    return s, s.protect([], EXCH_INFORMATIONAL, 1)  # mid 1 again, other content


def c_info_future_mid(ctx):
    s = ctx.good
    return s, s.protect([], EXCH_INFORMATIONAL, 7)


def c_info_next_mid(ctx):
    s = ctx.good
    return s, s.protect([], EXCH_INFORMATIONAL, 2)  # liveness check: must be answered


def c_auth_bad_psk(ctx):
    s = ctx.established()
    return s, s.protect(s.auth_payloads(psk="not the key"), EXCH_IKE_AUTH, 1)


def c_auth_bad_icv(ctx):
    s = ctx.established()
    return s, s.protect(s.auth_payloads(), EXCH_IKE_AUTH, 1, tamper_icv=True)


def c_auth_wrong_spi_r(ctx):
    s = ctx.established()
    return s, s.protect(s.auth_payloads(), EXCH_IKE_AUTH, 1, spi_r=s.spi_r ^ 0xFFFF)


def c_auth_wrong_spi_i(ctx):
    s = ctx.established()
    s.spi_i ^= 0xFFFF
    return s, s.protect(s.auth_payloads(), EXCH_IKE_AUTH, 1)


def c_auth_missing_auth(ctx):
    s = ctx.established()
    p = [x for x in s.auth_payloads() if x[0] != PT["AUTH"]]
    return s, s.protect(p, EXCH_IKE_AUTH, 1)


def c_auth_inner_critical(ctx):
    s = ctx.established()
    return s, s.protect(s.auth_payloads() + [(201, b"x", True)], EXCH_IKE_AUTH, 1)


def c_auth_inner_bad_length(ctx):
    s = ctx.established()
    first, inner = ike.chain(s.auth_payloads())
    inner = inner[:2] + struct.pack("!H", 3000) + inner[4:]  # IDi claims 3000 octets
    return s, s.protect_raw(first, inner, EXCH_IKE_AUTH, 1)


def c_auth_sk_not_last(ctx):
    s = ctx.established()
    m = s.protect(s.auth_payloads(), EXCH_IKE_AUTH, 1)
    # the SK payload claims a Notify follows it, and one does: SK must end the message
    extra = ike.payload(PT["N"], ike.notify_body(16384), 0)[1]
    m = m[:28] + bytes([PT["N"]]) + m[29:] + extra
    return s, set_u32(m, 24, len(m))


def c_frag_not_negotiated(ctx):
    s = ctx.established()
    first, inner = ike.chain(s.auth_payloads())
    return s, s.fragment(first, inner[:60], 1, 2, 1)


def fragmenting(ctx):
    s = ctx.session()
    s.handshake_init([(PT["N"], ike.notify_body(ike.N_CODES["IKEV2_FRAGMENTATION_SUPPORTED"]))])
    return s


def c_frag_number_zero(ctx):
    s = fragmenting(ctx)
    first, inner = ike.chain(s.auth_payloads())
    return s, s.fragment(first, inner[:60], 0, 2, 1)


def c_frag_number_above_total(ctx):
    s = fragmenting(ctx)
    first, inner = ike.chain(s.auth_payloads())
    return s, s.fragment(first, inner[:60], 3, 2, 1)


def c_frag_oversized(ctx):
    s = fragmenting(ctx)
    first, inner = ike.chain(s.auth_payloads())
    return s, s.fragment(first, inner + os.urandom(60000), 1, 65535, 1)


def c_frag_complete_good(ctx):
    """Positive control for fragments: a correct IKE_AUTH in two SKF fragments."""
    s = fragmenting(ctx)
    ctx.good_fragmented = s
    first, inner = ike.chain(s.auth_payloads())
    half = len(inner) // 2
    s.sock.sendto(s.fragment(first, inner[:half], 1, 2, 1), s.peer)
    return s, s.fragment(first, inner[half:], 2, 2, 1)


# name, how it is built, expected answer, builder. Read top to bottom: this is the corpus.
CASES = [
    ("truncated-header", "valid IKE_SA_INIT cut to 20 octets", "silence", c_truncated_header),
    ("length-longer", "header Length = datagram + 40", "silence", c_length_longer),
    ("length-shorter", "header Length = datagram - 8", "silence", c_length_shorter),
    ("trailing-octets", "8 zero octets after the last payload, Length counts them", "silence",
     c_trailing_octets),
    ("payload-len-below-4", "SA Payload Length = 2", "silence", c_payload_len_below_4),
    ("payload-len-past-end", "SA Payload Length = 4000", "silence", c_payload_len_past_end),
    ("transform-len-bad", "first Transform Length = 200 inside a 40-octet proposal", "silence",
     c_transform_len_bad),
    ("proposal-count-bad", "Num Transforms = 9, three present", "silence", c_proposal_count_bad),
    ("missing-ke", "IKE_SA_INIT with SA and Ni only", "silence", c_missing_ke),
    ("nonce-too-short", "8-octet Ni (minimum 16)", "silence", c_nonce_too_short),
    ("unknown-critical", "extra payload type 200 with the critical bit",
     "N:UNSUPPORTED_CRITICAL_PAYLOAD:c8", c_unknown_critical),
    ("unknown-noncritical", "extra payload type 200 without the critical bit", "answer",
     c_unknown_noncritical),
    ("major-version-3", "version octet 0x30", "N:INVALID_MAJOR_VERSION", c_major_version_3),
    ("major-version-1", "version octet 0x10 (IKEv1)", "silence", c_major_version_1),
    ("zero-spi-i", "SPIi = 0", "silence", c_zero_spi_i),
    ("spi-r-set", "IKE_SA_INIT request with SPIr != 0", "silence", c_spi_r_set),
    ("mid-not-zero", "IKE_SA_INIT request with Message ID 1", "silence", c_mid_not_zero),
    ("response-flag", "IKE_SA_INIT 'request' with the R flag", "silence", c_response_flag),
    ("ke-group-mismatch", "SA offers X25519 only, KE says ECP-256", "N:INVALID_KE_PAYLOAD:001f",
     c_ke_group_mismatch),
    # Bad KE data ends IKE_SA_INIT silently: INVALID_SYNTAX only travels protected (RFC 7296
    # 3.10.1), INVALID_KE_PAYLOAD would ask for the group that was sent.
    ("ke-length-bad", "X25519 KE data of 31 octets", "silence", c_ke_length_bad),
    ("ke-length-long", "X25519 KE data of 33 octets", "silence", c_ke_length_long),
    ("ke-low-order", "X25519 KE data all zero (low-order point)", "silence",
     c_ke_low_order),
    ("no-proposal", "3DES/HMAC-SHA1/MODP-1024 only", "N:NO_PROPOSAL_CHOSEN", c_no_proposal),
    ("empty-datagram", "zero-length UDP datagram to 500", "silence", c_empty_datagram),
    ("natt-no-marker", "IKE_SA_INIT to 4500 without the non-ESP marker", "silence",
     c_natt_no_marker),
    ("init-retransmit", "the same IKE_SA_INIT twice", "cached", c_init_retransmit),
    ("init-same-spi-new-content", "second IKE_SA_INIT, same SPIi, new Ni", "silence",
     c_init_same_spi_new_content),
    ("auth-good", "correct IKE_AUTH (PSK, one Child SA)", "SK:answer", c_auth_good),
    ("auth-replayed", "auth-good's request again, same octets", "cached", c_auth_replayed),
    ("info-old-mid", "INFORMATIONAL with the used Message ID 1, new content", "silence",
     c_info_old_mid),
    ("info-future-mid", "INFORMATIONAL with Message ID 7 (expected 2)", "silence",
     c_info_future_mid),
    ("info-next-mid", "empty INFORMATIONAL with Message ID 2 (liveness)", "SK:answer",
     c_info_next_mid),
    ("auth-bad-psk", "IKE_AUTH whose AUTH uses another PSK", "SK:AUTHENTICATION_FAILED",
     c_auth_bad_psk),
    ("auth-bad-icv", "IKE_AUTH with the last ICV bit flipped", "silence", c_auth_bad_icv),
    ("auth-wrong-spi-r", "IKE_AUTH with an unknown SPIr", "silence", c_auth_wrong_spi_r),
    ("auth-wrong-spi-i", "IKE_AUTH with an unknown SPIi", "silence", c_auth_wrong_spi_i),
    ("auth-missing-auth", "authentic IKE_AUTH without the AUTH payload", "SK:INVALID_SYNTAX",
     c_auth_missing_auth),
    ("auth-inner-critical", "authentic IKE_AUTH with inner payload 201, critical",
     "SK:UNSUPPORTED_CRITICAL_PAYLOAD", c_auth_inner_critical),
    ("auth-inner-bad-length", "authentic IKE_AUTH whose IDi claims 3000 octets",
     "SK:INVALID_SYNTAX", c_auth_inner_bad_length),
    ("auth-sk-not-last", "a Notify payload after the SK payload", "silence", c_auth_sk_not_last),
    ("frag-not-negotiated", "SKF fragment on an SA without IKEV2_FRAGMENTATION_SUPPORTED",
     "silence", c_frag_not_negotiated),
    ("frag-number-zero", "SKF Fragment Number 0", "silence", c_frag_number_zero),
    ("frag-number-above-total", "SKF fragment 3 of 2", "silence", c_frag_number_above_total),
    ("frag-oversized", "authentic SKF fragment 1 of 65535 with 60 kB of data", "silence",
     c_frag_oversized),
    ("frag-complete-good", "correct IKE_AUTH in two SKF fragments", "SK:answer",
     c_frag_complete_good),
]


def delete_established(ctx):
    """Ends the IKE SAs the positive controls established (INFORMATIONAL Delete, RFC 7296
    1.4.1), as a well-behaved peer would; True when both deletions were answered."""
    answered = 0
    for s, mid in ((ctx.good, 3), (ctx.good_fragmented, 2)):
        drain(ctx.sock)
        delete = (PT["D"], struct.pack("!BBH", 1, 0, 0))  # protocol IKE, no SPIs
        reply = s.exchange(s.protect([delete], EXCH_INFORMATIONAL, mid))
        answered += reply is not None and describe(reply, s) == "SK:answer"
    print("deleted the %d IKE SAs of the positive controls" % answered)
    return answered == 2


def drain(sock):
    sock.setblocking(False)
    try:
        while True:
            sock.recvfrom(65535)
    except BlockingIOError:
        pass
    sock.setblocking(True)


def describe(reply, s):
    """A short account of what came back, for the report."""
    if reply is None:
        return "silence"
    if len(reply) >= 28 and reply[16] == PT["SK"] and s is not None and s.keys:
        try:
            inner = s.open(reply)
        except Exception as exc:  # noqa: BLE001 - reported, never hidden
            return "SK (undecryptable: %s)" % exc
        names = [ike.N_NAMES.get(t, str(t)) for t, _ in ike.notifies(inner)]
        return "SK:" + (",".join(names) if names else "answer")
    payloads = ike.parse_chain(reply[16], reply[28:]) if len(reply) >= 28 else []
    ns = ike.notifies(payloads)
    if ns and len(payloads) == 1:
        t, data = ns[0]
        return "N:%s%s" % (ike.N_NAMES.get(t, str(t)), (":" + data.hex()) if data else "")
    return "answer"


def matches(expected, got, reply, reference):
    if expected == "cached":
        return reply is not None and reply == reference
    if expected.startswith("SK:") and expected != "SK:answer":
        return got.startswith("SK:") and expected[3:] in got[3:].split(",")
    return got == expected


def run_case(ctx, case):
    name, how, expected, build = case
    drain(ctx.sock)
    ctx.reference = None
    built = build(ctx)
    s, message = built[0], built[1]
    port = built[2] if len(built) > 2 else ctx.args.port
    ctx.sock.sendto(message, (ctx.args.responder, port))
    ctx.sock.settimeout(1.0 if expected != "silence" else SILENCE_WAIT)
    try:
        reply = ctx.sock.recvfrom(65535)[0]
    except socket.timeout:
        reply = None
    got = "cached" if expected == "cached" and reply is not None and reply == ctx.reference \
        else describe(reply, s)
    ok = matches(expected, got, reply, ctx.reference)
    print("%-4s %-26s %-58s expected %-34s got %s" % ("ok" if ok else "FAIL", name, how,
                                                      expected, got), flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("responder")
    ap.add_argument("psk")
    ap.add_argument("id")
    ap.add_argument("--port", type=int, default=500)
    ap.add_argument("--list", action="store_true", help="print the corpus table and exit")
    args = ap.parse_args()
    if args.list:
        for name, how, expected, _ in CASES:
            print("%-26s %-62s %s" % (name, how, expected))
        return 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    ctx = Ctx(args, sock)
    failed = [c[0] for c in CASES if not run_case(ctx, c)]
    if not failed and not delete_established(ctx):
        failed.append("delete-established")
    print("%d cases, %d failed%s" % (len(CASES), len(failed),
                                     (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
