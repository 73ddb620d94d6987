#!/usr/bin/env python3
"""A DNS server that answers like S3's: each A query for a name under ZONE gets ONE
address of the pool, the next one in turn, with TTL 0; AAAA and other types under ZONE
get no records; anything else is NXDOMAIN. UDP only (the answers are small).
Usage: rotating_dns.py LISTEN_ADDRESS ZONE POOL_ADDRESS... ; one log line per answer."""

import socket
import struct
import sys

listen, zone, pool = sys.argv[1], sys.argv[2].lower().strip("."), sys.argv[3:]
A, IN, TTL = 1, 1, 0


def question(packet):
    """(name, qtype, end of the question) of a one-question query."""
    labels, i = [], 12
    while packet[i]:
        labels.append(packet[i + 1 : i + 1 + packet[i]].decode("ascii", "replace"))
        i += 1 + packet[i]
    qtype = struct.unpack("!H", packet[i + 1 : i + 3])[0]
    return ".".join(labels).lower(), qtype, i + 5


def reply(packet, turn):
    name, qtype, end = question(packet)
    ours = name == zone or name.endswith("." + zone)
    answers = b""
    if ours and qtype == A:
        address = socket.inet_aton(pool[turn % len(pool)])
        answers = struct.pack("!HHHIH", 0xC00C, A, IN, TTL, 4) + address
    # QR, opcode as asked, AA, RD as asked, RA; RCODE 3 (NXDOMAIN) for a name not ours.
    flags = 0x8400 | (struct.unpack("!H", packet[2:4])[0] & 0x7900) | 0x0080 | (0 if ours else 3)
    header = packet[:2] + struct.pack("!HHHHH", flags, 1, 1 if answers else 0, 0, 0)
    return header + packet[12:end] + answers, name, qtype, bool(answers)


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((listen, 53))
turn = 0
while True:
    data, peer = sock.recvfrom(512)
    try:
        out, name, qtype, answered = reply(data, turn)
    except (IndexError, struct.error):
        continue
    sock.sendto(out, peer)
    if answered:
        print(f"{peer[0]} {name} {pool[turn % len(pool)]}", flush=True)
        turn += 1
