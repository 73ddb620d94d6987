# Managed by Ansible (role ironclad.aws.egress_proxy).
"""Squid external ACL helper: is the IP the client connects to one the SNI resolves to?

Input, one request per line: the TLS SNI URL-escaped by Squid (%#ssl::>sni, so a name
can never carry a space or a newline into the line), the destination IP and the acl
line's arguments (there are none: Squid sends "-"). Output,
one line per input line whatever it holds: OK only when the name is a host name (LDH
labels of at most 63, 253 in all), lower-cased before the lookup, and the destination
is among its addresses; ERR otherwise. One answer per line is what keeps Squid and the
helper in step: a reply Squid did not ask for would be taken as the next request's.
Squid's own ACLs refuse such names before asking; a refusal here is logged (to
Squid's cache.log), since it means one got past them."""

import ipaddress
import re
import socket
import sys
from urllib.parse import unquote_to_bytes

MAX_NAME = 253
LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")


def host_name(escaped):
    """The lower-cased host name Squid escaped, or None when it is not an LDH name."""
    raw = unquote_to_bytes(escaped)
    try:
        name = raw.decode("ascii").lower()
    except UnicodeDecodeError:
        return None
    if not name or len(name) > MAX_NAME:
        return None
    if all(LABEL.match(label) for label in name.split(".")):
        return name
    return None


def address(text):
    """The destination as an IP address (IPv4-mapped IPv6 as IPv4), or None."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def resolve(name):
    """Every address the system resolver (hosts file, DNS) gives for name."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return set()
    return {address(info[4][0]) for info in infos} - {None}


def answer(line, lookup=None):
    """(reply, why refused or None) for one request line."""
    fields = line.split()
    # Squid appends the acl line's arguments (%DATA): the role gives none, sent as "-".
    if fields[2:] not in ([], ["-"]) or len(fields) < 2:
        return "ERR", "not an SNI, a destination and no arguments"
    sni, destination = fields[:2]
    if sni == "-":
        return "ERR", None  # no SNI: nothing to check, and nothing hostile either
    name, ip = host_name(sni), address(destination)
    if name is None:
        return "ERR", "not a host name"
    if ip is None:
        return "ERR", "destination is not an IP address"
    return ("OK" if ip in (lookup or resolve)(name) else "ERR"), None


def main(stdin, stdout, stderr):
    # Bytes in, decoded as Latin-1: no input can stop the loop with a decoding error.
    for raw in iter(stdin.readline, b""):
        line = raw.decode("latin-1")
        reply, refused = answer(line)
        if refused:
            shown = line.rstrip("\n")[:300]
            stderr.write(f"sni_destination_check: refused {shown!r}: {refused}\n")
            stderr.flush()
        stdout.write(reply + "\n")
        stdout.flush()


if __name__ == "__main__":
    main(sys.stdin.buffer, sys.stdout, sys.stderr)
