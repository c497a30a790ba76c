#!/usr/bin/env python3
"""Writes the seed corpus of nft_replies_fuzz (tests/fuzz/corpus/nft_replies/).

Each seed is one selector byte (0: the answer to a GETTABLE, 1: to a
GETGEN, 2: to an element batch of two messages) followed by one datagram
of netfilter netlink replies as linux/net/netfilter/nf_tables_api.c and
nfnetlink.c send them, for sequence number 5 on port 42: a NEWTABLE and
its ack, ENOENT, a NEWGEN and its ack, the batch's acks, the ERESTART that
refuses a batch on an old generation, and a few broken ones. Host byte
order is little-endian (x86-64); the generation id is network order. The
output is deterministic.

usage: tests/fuzz/make_nft_replies_corpus.py [OUT_DIR]
"""
import pathlib
import struct
import sys

NLMSG_ERROR = 2
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_NEWTABLE, NFT_MSG_NEWGEN = 0, 15
NFTA_TABLE_NAME, NFTA_GEN_ID = 1, 1
PORT = 42


def attr(kind, payload):
    data = struct.pack("<HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def nft_message(kind, seq, family, attributes):
    body = bytes([family, 0, 0, 0]) + attributes
    return struct.pack("<IHHII", 16 + len(body), (NFNL_SUBSYS_NFTABLES << 8) | kind, 0, seq, PORT) + body


def ack(seq, code=0):
    # nlmsgerr: the code, then the request's header (capped: NETLINK_CAP_ACK).
    return struct.pack("<IHHIIi", 36, NLMSG_ERROR, 0x100, seq, PORT, code) + struct.pack("<IHHII", 20, 0, 0, seq, PORT)


SEEDS = {
    "table_found": (0, nft_message(NFT_MSG_NEWTABLE, 5, 1, attr(NFTA_TABLE_NAME, b"dcos-l4lb\0")) + ack(5)),
    "table_absent": (0, ack(5, -2)),
    "table_other": (0, nft_message(NFT_MSG_NEWTABLE, 5, 1, attr(NFTA_TABLE_NAME, b"other\0")) + ack(5)),
    "generation": (1, nft_message(NFT_MSG_NEWGEN, 5, 0, attr(NFTA_GEN_ID, struct.pack(">I", 77))) + ack(5)),
    "generation_refused": (1, ack(5, -1)),
    "generation_short": (1, nft_message(NFT_MSG_NEWGEN, 5, 0, attr(NFTA_GEN_ID, b"\1\2")) + ack(5)),
    "batch_applied": (2, ack(6) + ack(7)),
    "batch_old_generation": (2, ack(5, -85)),
    "batch_element_refused": (2, ack(6, -2) + ack(7)),
    "batch_truncated": (2, (ack(6) + ack(7))[:-6]),
}


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus" / "nft_replies")
    out.mkdir(parents=True, exist_ok=True)
    for name, (selector, data) in SEEDS.items():
        (out / name).write_bytes(bytes([selector]) + data)


if __name__ == "__main__":
    main()
