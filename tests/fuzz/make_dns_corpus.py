#!/usr/bin/env python3
"""Writes the seed corpus of dns_message_fuzz (tests/fuzz/corpus/dns_message/).

Each seed is one DNS message as it travels over UDP, written out in hex
below: real queries (dig, a resolver's stub), real reply shapes with
compression, EDNS and truncation, and a few broken packets so the fuzzer
starts next to the parser's error paths. The output is deterministic.
Files named found_* in the corpus are not written here: they are inputs
the fuzzer found failing, kept as regression seeds.

usage: tests/fuzz/make_dns_corpus.py [OUT_DIR]
"""
import pathlib
import sys

EXAMPLE_COM = "07 6578616d706c65 03 636f6d 00"
OPT_1232 = "00 0029 04d0 00000000 0000"

SEEDS = {
    # dig example.com A (BIND 9.18): RD, AD, EDNS 1232 with a client cookie.
    "dig_query.bin": "1234 0120 0001 0000 0000 0001" + EXAMPLE_COM + "0001 0001"
    "00 0029 04d0 00000000 000c 000a 0008 0102030405060708",
    # glibc's stub resolver: no EDNS, mixed case from a 0x20 client.
    "stub_query_srv.bin": "4242 0100 0001 0000 0000 0000"
    "04 5f576562 04 5f746370 08 4d61726174686f6e 05 6d65736f73 00 0021 0001",
    # An A answer pointing at the question, with OPT.
    "a_reply.bin": "1234 8180 0001 0001 0000 0001" + EXAMPLE_COM + "0001 0001"
    "c00c 0001 0001 00000e10 0004 5db8d822" + OPT_1232,
    # NXDOMAIN with a SOA whose owner and data names are compressed.
    "nxdomain_reply.bin": "1234 8183 0001 0000 0001 0000"
    "04 6e6f7065" + EXAMPLE_COM + "0001 0001"
    "c011 0006 0001 00000e10 0023 02 6e73 c011 03 6e6f63 03 646e73 c011"
    "00000007 00000708 00000384 00093a80 0000012c",
    # CNAME chain, NS in authority and glue in additional, DO bit set.
    "referral_reply.bin": "beef 8580 0001 0002 0001 0002"
    "03 777777" + EXAMPLE_COM + "0001 0001"
    "c00c 0005 0001 0000003c 0006 03 636470 c010"
    "c02d 0001 0001 0000003c 0004 0a000001"
    "c010 0002 0001 0000003c 0005 02 6e73 c010"
    "c04f 0001 0001 0000003c 0004 0a000035"
    "00 0029 1000 00 00 8000 0000",
    # A truncated UDP reply: TC and no answers.
    "tc_reply.bin": "0007 8380 0001 0000 0000 0000" + EXAMPLE_COM + "00ff 0001",
    # SRV and AAAA answers.
    "srv_reply.bin": "0008 8580 0001 0001 0000 0001"
    "04 5f776562 04 5f746370 05 6d65736f73 00 0021 0001"
    "c00c 0021 0001 00000005 000e 0000 0001 7918 05 7765622d31 c016"
    "05 7765622d31 c016 001c 0001 00000005 0010 fd000000000000000000000000000001",
    # Broken: a compression loop, a label over 63, counts beyond the packet.
    "pointer_loop.bin": "dead 0100 0001 0001 0000 0000 00 0001 0001 0161 c011 0001 0001 00000000 0000",
    "long_label.bin": "dead 0100 0001 0000 0000 0000 46" + "61" * 70 + "00 0001 0001",
    "huge_counts.bin": "dead 0100 ffff ffff ffff ffff 00 0001 0001",
}


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus" / "dns_message"
    out.mkdir(parents=True, exist_ok=True)
    for name, text in SEEDS.items():
        (out / name).write_bytes(bytes.fromhex(text.replace(" ", "")))


if __name__ == "__main__":
    main()
