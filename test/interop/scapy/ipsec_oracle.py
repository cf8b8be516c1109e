#!/usr/bin/python3
"""scapy as an independent ESP/AH implementation for ike-ts's interop tests.

Reads a JSON array of cases on stdin and writes a JSON array of results on stdout.
Each case:
  op          "encrypt" (plain IP packet -> protected IP packet), "decrypt" (the reverse), or
              "checksum" (the packet with scapy's own IP/TCP/UDP checksums filled in)
  proto       "ESP" or "AH"
  spi, seq    integers; esn_en (bool) and esn (high-order 32 bits) for ESN
  crypt_algo, crypt_key (hex, salt included), crypt_icv_size   ESP only
  auth_algo, auth_key (hex)
  tunnel      null for transport mode, else {"src": ..., "dst": ...} (outer header)
  nat_t       true for UDP encapsulation (RFC 3948) on 4500/4500
  iv          hex, optional fixed IV for encrypt
  packet      hex input
Result: {"ok": true, "packet": hex} or {"ok": false, "error": text}.
Run with Debian's python3-scapy (/usr/bin/python3).
"""
import json
import sys

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import AH, ESP, SecurityAssociation


def outer_class(addr):
    return IPv6 if ":" in addr else IP


def make_sa(c):
    kw = dict(spi=c["spi"], auth_algo=c.get("auth_algo") or "NULL",
              esn_en=bool(c.get("esn_en")), esn=c.get("esn", 0))
    if c.get("auth_key"):
        kw["auth_key"] = bytes.fromhex(c["auth_key"])
    if c["proto"] == "ESP":
        kw["crypt_algo"] = c.get("crypt_algo") or "NULL"
        if c.get("crypt_key"):
            kw["crypt_key"] = bytes.fromhex(c["crypt_key"])
        if c.get("crypt_icv_size"):
            kw["crypt_icv_size"] = c["crypt_icv_size"]
    t = c.get("tunnel")
    if t:
        kw["tunnel_header"] = outer_class(t["dst"])(src=t["src"], dst=t["dst"])
    if c.get("nat_t"):
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    return SecurityAssociation(ESP if c["proto"] == "ESP" else AH, **kw)


def parse_ip(raw):
    return IPv6(raw) if (raw[0] >> 4) == 6 else IP(raw)


def with_checksums(raw):
    pkt = parse_ip(raw)
    for layer in (IP, UDP):
        if layer in pkt:
            del pkt[layer].chksum
    return bytes(pkt.__class__(bytes(pkt)))


def run(c):
    raw = bytes.fromhex(c["packet"])
    if c["op"] == "checksum":
        return with_checksums(raw)
    sa = make_sa(c)
    if c["op"] == "encrypt":
        kw = {"seq_num": c["seq"]}
        if c.get("iv"):
            kw["iv"] = bytes.fromhex(c["iv"])
        pkt = sa.encrypt(parse_ip(raw), **kw)
        if c.get("nat_t"):
            # scapy 2.5 writes UDP length 8 for nat_t_header (see shared/interop/tools/esp-ping.py)
            pkt[UDP].len = 8 + len(pkt[UDP].payload)
            pkt[UDP].chksum = 0
        if IP in pkt and pkt.version == 4:
            del pkt[IP].len
            del pkt[IP].chksum
        elif IPv6 in pkt:
            del pkt[IPv6].plen
        return bytes(pkt)
    pkt = parse_ip(raw)
    return bytes(sa.decrypt(pkt))


def main():
    out = []
    for c in json.load(sys.stdin):
        try:
            out.append({"ok": True, "packet": run(c).hex()})
        except Exception as e:  # report, the TypeScript side asserts
            out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
