#!/usr/bin/env python3
"""Compares what strongSwan and nicsecd each report about the SAs they negotiated.

Inputs (files written by the interop script):
  --swanctl   output of `swanctl --list-sas --raw`
  --nicsec    output of `nicsecctl list-sas --json`
  --charon-log  strongSwan's file log with chd=4 (ESP keys), optional
  --keys      nicsecd's --export-esp-keys file, optional
  --conn/--child  names on both sides; --nicsec-role initiator|responder

Pass = one ESTABLISHED IKE SA on each side with equal SPIs and algorithms, one INSTALLED Child
SA with crossed SPIs (nicsecd's inbound SPI is strongSwan's outbound one), and, when the key
files are given, equal ESP keys per direction. Prints one line per check; exits 1 on failure.
"""
import argparse
import json
import re
import sys

failures = []


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok:
        failures.append(what)


def parse_swanctl_raw(text, conn):
    """The IKE SA block of `conn` from swanctl's raw vici dump, as flat dicts."""
    match = re.search(r"list-sa event \{%s \{(.*)\}\}\s*$" % re.escape(conn), text, re.M)
    if not match:
        return None, None
    body = match.group(1)
    child_match = re.search(r"child-sas \{[^{]*\{(.*?)\}\}", body)
    ike_part = body[: child_match.start()] if child_match else body
    ike = dict(re.findall(r"([\w-]+)=(\S+)", ike_part))
    child = dict(re.findall(r"([\w-]+)=(\[[^\]]*\]|\S+)", child_match.group(1))) if child_match else None
    return ike, child


def cipher_name(sa):
    """strongSwan's encr-alg/encr-keysize in nicsecd's naming (AES_GCM_16_256, CHACHA20_POLY1305)."""
    if sa["encr-alg"] == "CHACHA20_POLY1305":
        return sa["encr-alg"]
    return "%s_%s" % (sa["encr-alg"], sa["encr-keysize"])


def charon_child_keys(log_text):
    """The last 'encryption initiator/responder key' hex dumps of strongSwan's chd=4 log."""
    keys = {}
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"encryption (initiator|responder) key => (\d+) bytes", line)
        if not m:
            continue
        want, hexed = int(m.group(2)), ""
        for dump in lines[i + 1:]:
            d = re.match(r".*\[CHD\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})", dump)
            if not d or len(hexed) >= 2 * want:
                break
            hexed += d.group(1).replace(" ", "").lower()
        keys[m.group(1)] = hexed[: 2 * want]
    return keys


def nicsec_exported_keys(text):
    """SPI (hex, 8 digits) -> (src, dst, key||salt hex) from the Wireshark esp_sa lines."""
    out = {}
    for line in text.splitlines():
        # Algorithms Wireshark 4.0 cannot decrypt are written as comments; the keys are there.
        fields = [f.strip('"') for f in line.lstrip("# ").split('","')]
        if len(fields) < 6:
            continue
        spi = fields[3].lower().replace("0x", "")
        out[spi] = (fields[1], fields[2], fields[5].lower().replace("0x", ""))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swanctl", required=True)
    ap.add_argument("--nicsec", required=True)
    ap.add_argument("--charon-log")
    ap.add_argument("--keys")
    ap.add_argument("--conn", default="peer")
    ap.add_argument("--child", default="net")
    ap.add_argument("--nicsec-role", choices=["initiator", "responder"], required=True)
    ap.add_argument("--encap", choices=["yes", "no"], default="yes")
    # After a rekey the Child SA's keys follow the role in the CREATE_CHILD_SA exchange that
    # made it, which need not be the role in the IKE SA.
    ap.add_argument("--key-role", choices=["initiator", "responder"])
    args = ap.parse_args()

    ike, child = parse_swanctl_raw(open(args.swanctl).read(), args.conn)
    ours = [sa for sa in json.load(open(args.nicsec))["ike_sas"] if sa["name"] == args.conn]
    check(ike is not None and ike.get("state") == "ESTABLISHED", "strongSwan: IKE SA ESTABLISHED")
    check(len(ours) == 1 and ours[0]["state"] == "ESTABLISHED", "nicsecd: one IKE SA ESTABLISHED")
    if failures:
        return 1
    sa = ours[0]
    check(sa["role"] == args.nicsec_role, "nicsecd is the %s" % args.nicsec_role)
    check(ike.get("initiator", "no") == ("no" if args.nicsec_role == "initiator" else "yes"),
          "strongSwan is the other role")
    check(ike["initiator-spi"] == sa["spi_i"] and ike["responder-spi"] == sa["spi_r"],
          "IKE SPIs equal: %s_i %s_r" % (sa["spi_i"], sa["spi_r"]))
    proposal = "/".join([cipher_name(ike), ike["prf-alg"]] +
                        ([ike["integ-alg"]] if "integ-alg" in ike else []) + [ike["dh-group"]])
    check(proposal == sa["proposal"], "IKE algorithms equal: %s" % proposal)
    check(ike["local-id"] == sa["remote_id"] and ike["remote-id"] == sa["local_id"],
          "identities: %s <-> %s" % (sa["local_id"], sa["remote_id"]))
    kids = [c for c in sa["children"] if c["name"] == args.child]
    check(child is not None and child.get("state") == "INSTALLED", "strongSwan: CHILD SA INSTALLED")
    check(len(kids) == 1 and kids[0]["state"] == "INSTALLED", "nicsecd: CHILD SA INSTALLED")
    if failures:
        return 1
    kid = kids[0]
    check(kid["proposal"].split("/")[0] == cipher_name(child),
          "ESP algorithms equal: %s" % kid["proposal"])
    check(kid["spi_in"] == child["spi-out"] and kid["spi_out"] == child["spi-in"],
          "ESP SPIs crossed: nicsecd in %s / out %s" % (kid["spi_in"], kid["spi_out"]))
    check(child.get("encap") == args.encap and kid["encap"] == (args.encap == "yes"),
          "UDP encapsulation: %s on both sides" % args.encap)
    check(child["local-ts"].strip("[]") == " ".join(kid["remote_ts"]) and
          child["remote-ts"].strip("[]") == " ".join(kid["local_ts"]),
          "traffic selectors: %s === %s" % (" ".join(kid["local_ts"]), " ".join(kid["remote_ts"])))
    if args.charon_log and args.keys:
        theirs = charon_child_keys(open(args.charon_log).read())
        exported = nicsec_exported_keys(open(args.keys).read())
        # nicsecd's outbound SA carries the initiator's key when nicsecd initiated, and so on.
        out_role = args.key_role or args.nicsec_role
        in_role = "responder" if out_role == "initiator" else "initiator"
        got_out = exported.get(kid["spi_out"], (None, None, None))[2]
        got_in = exported.get(kid["spi_in"], (None, None, None))[2]
        check(got_out is not None and got_out == theirs.get(out_role),
              "ESP key (+salt) nicsecd -> strongSwan equals strongSwan's %s key" % out_role)
        check(got_in is not None and got_in == theirs.get(in_role),
              "ESP key (+salt) strongSwan -> nicsecd equals strongSwan's %s key" % in_role)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
