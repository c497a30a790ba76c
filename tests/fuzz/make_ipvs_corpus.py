#!/usr/bin/env python3
"""Writes the seed corpus of ipvs_dump_fuzz (tests/fuzz/corpus/ipvs_dump/).

Each seed is one selector byte (0: a GET_SERVICE dump, 1: a GET_DEST dump of
an IPv4 service, 2: of an IPv6 service) followed by the dump's replies as
read from the socket: generic netlink messages back to back, shaped as
linux/net/netfilter/ipvs/ip_vs_ctl.c writes them (the fields, stats nests,
NLM_F_MULTI, NLMSG_DONE), plus an error reply and a few broken ones. Host
byte order is little-endian (x86-64); ports and addresses are network
order. The output is deterministic.

usage: tests/fuzz/make_ipvs_corpus.py [OUT_DIR]
"""
import pathlib
import struct
import sys

FAMILY = 0x20  # any generic netlink family id
NLM_F_MULTI = 2
NLMSG_ERROR, NLMSG_DONE = 2, 3
NESTED = 0x8000
AF_INET, AF_INET6 = 2, 10


def attr(kind, payload):
    data = struct.pack("<HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def message(kind, flags, command, attributes):
    body = bytes([command, 1, 0, 0]) + attributes
    return struct.pack("<IHHII", 16 + len(body), kind, flags, 0, 0) + body


def done():
    return struct.pack("<IHHIIi", 20, NLMSG_DONE, NLM_F_MULTI, 0, 0, 0)


def error(code):
    return struct.pack("<IHHIIi", 36, NLMSG_ERROR, 0, 0, 0, code) + b"\0" * 16


def stats(kind):
    return attr(kind | NESTED, attr(1, struct.pack("<I", 7)) + attr(4, struct.pack("<Q", 1234)))


def service(af, protocol, address, port, scheduler):
    fields = (attr(1, struct.pack("<H", af)) + attr(2, struct.pack("<H", protocol)) +
              attr(3, address.ljust(16, b"\0")) + attr(4, struct.pack(">H", port)) +
              attr(6, scheduler + b"\0") + attr(7, struct.pack("<II", 2, 0xffffffff)) +
              attr(8, struct.pack("<I", 0)) + attr(9, struct.pack("<I", 0xffffffff)) + stats(10) + stats(12))
    return message(FAMILY, NLM_F_MULTI, 1, attr(1 | NESTED, fields))


def fwmark_service(mark):
    fields = attr(1, struct.pack("<H", AF_INET)) + attr(5, struct.pack("<I", mark)) + attr(6, b"rr\0")
    return message(FAMILY, NLM_F_MULTI, 1, attr(1 | NESTED, fields))


def destination(af, address, port, weight, with_family=True):
    fields = (attr(1, address.ljust(16, b"\0")) + attr(2, struct.pack(">H", port)) +
              attr(3, struct.pack("<I", 0)) + attr(4, struct.pack("<I", weight)) +
              attr(5, struct.pack("<I", 0)) + attr(6, struct.pack("<I", 0)) + attr(7, struct.pack("<I", 2)) +
              attr(8, struct.pack("<I", 5)) + attr(9, struct.pack("<I", 0)) + stats(10))
    if with_family:
        fields += attr(11, struct.pack("<H", af))
    return message(FAMILY, NLM_F_MULTI, 5, attr(2 | NESTED, fields))


V4_VIP = bytes([11, 0, 0, 1])
V6_VIP = bytes.fromhex("fd000000000000000000000000000011")

SEEDS = {
    "services.bin": b"\0" + service(AF_INET, 6, V4_VIP, 80, b"wlc") + service(AF_INET6, 17, V6_VIP, 53, b"rr") +
    fwmark_service(5) + service(AF_INET, 132, V4_VIP, 9, b"sh") + done(),
    "services_empty.bin": b"\0" + done(),
    "services_error.bin": b"\0" + error(-3),
    "services_truncated.bin": b"\0" + service(AF_INET, 6, V4_VIP, 80, b"wlc")[:-5],
    "destinations.bin": b"\1" + destination(AF_INET, bytes([10, 201, 1, 2]), 8080, 1) +
    destination(AF_INET, bytes([10, 201, 2, 2]), 8080, 3, with_family=False) + done(),
    "destinations_v6.bin": b"\2" + destination(AF_INET6, bytes.fromhex("fd000000000000000000000000000102"), 80, 0) +
    done(),
    "destinations_ack.bin": b"\1" + error(0) + done(),
}


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus" / "ipvs_dump")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in SEEDS.items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
