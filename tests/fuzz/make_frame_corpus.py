#!/usr/bin/env python3
"""Writes the seed corpus of frame_decoder_fuzz (tests/fuzz/corpus/frame_decoder/).

Each seed is a 4-byte chunk plan (see frame_decoder_fuzz.cpp) followed by a
byte stream of frames: a 4-byte big-endian length, then one Envelope. The
envelopes are written in Protobuf text format and encoded by `protoc
--encode`, so the seeds follow proto/internal.proto exactly. The output is
deterministic; rerun after changing the protocol and commit the result.

usage: tests/fuzz/make_frame_corpus.py [OUT_DIR]
"""
import pathlib
import struct
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto"

HELLO_AGENT = 'hello { protocol_version: 1 peer: "agent" software_version: "0.1.0" }'
HELLO_MASTER = 'hello { protocol_version: 1 peer: "master" software_version: "0.1.0" }'


def scalar(name, value):
    return f'{{ name: "{name}" type: SCALAR scalar {{ value: {value} }} }}'


AGENT_INFO = (
    'hostname: "agent-1.example" port: 5051 '
    + "resources " + scalar("cpus", 4)
    + " resources " + scalar("mem", 16384)
    + " resources " + scalar("disk", 100000)
    + ' resources { name: "ports" type: RANGES ranges { range { begin: 31000 end: 32000 } } }'
    + ' resources { name: "cpus" type: SCALAR scalar { value: 1 }'
    + ' reservations { type: STATIC role: "slave_public" } }'
    + ' attributes { name: "rack" type: TEXT text { value: "r1" } }'
    + ' attributes { name: "level" type: SCALAR scalar { value: 3 } }'
    + ' attributes { name: "os" type: SET set { item: "linux" item: "debian" } }'
)
AGENT_ID = "0b6f3a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b-S0"


def encode(text):
    """One Envelope from text format, serialized."""
    return subprocess.run(
        ["protoc", f"--proto_path={PROTO_DIR}", "--encode=dcos.internal.Envelope", "internal.proto"],
        input=text.encode(), stdout=subprocess.PIPE, check=True).stdout


def frame(text):
    body = encode(text)
    return struct.pack(">I", len(body)) + body


def with_unknown_field(body):
    body += bytes([0x98, 0x06, 0x01])
    return struct.pack(">I", len(body)) + body


def big_register():
    """A register_agent of several KiB, so small chunks cross many feeds."""
    attributes = " ".join(f'attributes {{ name: "label{i}" type: TEXT text {{ value: "value-{i:04d}" }} }}'
                          for i in range(300))
    return f'register_agent {{ agent {{ hostname: "big.example" {attributes} }} }}'


def seeds():
    register = frame(f"register_agent {{ agent {{ {AGENT_INFO} }} }}")
    return {
        "hello_whole": bytes(4) + frame(HELLO_AGENT),
        "hello_bytewise": bytes([1, 1, 1, 1]) + frame(HELLO_AGENT),
        "agent_session": bytes([1, 7, 3, 255]) + frame(HELLO_AGENT) + register
        + frame("pong { sequence: 1 }")
        + frame(f'update_agent_resources {{ agent_id {{ value: "{AGENT_ID}" }} resources '
                + scalar("cpus", 8) + ' attributes { name: "rack" type: TEXT text { value: "r2" } } }'),
        "agent_reregister": bytes([16, 0, 2, 9]) + frame(HELLO_AGENT)
        + frame(f'reregister_agent {{ agent {{ {AGENT_INFO} id {{ value: "{AGENT_ID}" }} '
                'domain { fault_domain { region { name: "eu" } zone { name: "eu-1a" } } } } }'),
        "master_session": bytes([5, 40, 2, 128]) + frame(HELLO_MASTER)
        + frame(f'agent_registered {{ agent_id {{ value: "{AGENT_ID}" }} master {{ id: "m-1" ip: 16777343 '
                'port: 5050 pid: "master@127.0.0.1:5050" hostname: "master.example" version: "0.1.0" '
                'address { ip: "127.0.0.1" port: 5050 } capabilities { type: AGENT_UPDATE } } '
                'ping_interval_ns: 15000000000 max_missed_pings: 5 }')
        + frame("ping { sequence: 7 connected: true }")
        + frame('registration_refused { reason: "hostname is empty or too long" }')
        + frame('error { message: "unexpected run_task message" }'),
        "task_placeholders": bytes([3, 3, 3, 3]) + frame(HELLO_MASTER) + frame("run_task {}")
        + frame("kill_task {}") + frame("status_update {}") + frame("status_update_acknowledgement {}"),
        "big_register": bytes([200, 13, 255, 1]) + frame(HELLO_AGENT) + frame(big_register()),
        # Streams the decoder must refuse or wait on.
        "wrong_version_hello": bytes(4) + frame('hello { protocol_version: 2 peer: "agent" }'),
        "first_not_hello": bytes(4) + frame("ping { sequence: 1 }") + frame(HELLO_AGENT),
        "truncated_frame": bytes([2, 0, 0, 0]) + frame(HELLO_AGENT) + register[: len(register) // 2],
        "oversized_header": bytes(4) + frame(HELLO_AGENT) + struct.pack(">I", 64 * 1024 + 1) + b"x" * 16,
        "garbage_payload": bytes(4) + struct.pack(">I", 4) + b"\xff\xff\xff\xff",
        "empty_envelope": bytes(4) + struct.pack(">I", 0) + frame(HELLO_AGENT),
        # Field 99 (varint 1) is unknown to Envelope: kept, and re-encoded as is.
        "unknown_field": bytes(4) + with_unknown_field(encode(HELLO_AGENT)),
    }


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/fuzz/corpus/frame_decoder"
    out.mkdir(parents=True, exist_ok=True)
    corpus = seeds()
    for name, data in corpus.items():
        (out / f"{name}.bin").write_bytes(data)
    print(f"wrote {len(corpus)} seeds to {out}")


if __name__ == "__main__":
    main()
