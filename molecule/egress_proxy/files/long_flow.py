#!/usr/bin/env python3
"""One long download through the proxy across a change on it: requests URL (a streaming
path of the test origin; over HTTPS the tunnel is spliced), writes "open" to OUT once
data flows, waits until GO exists, then writes "alive" if data still arrives on the same
connection after that, or "cut" (and why) if the connection ended."""

import os
import socket
import ssl
import sys
import time
from urllib.parse import urlsplit

url, cafile, out, go = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
WAIT = 600  # seconds, in case the caller never creates GO


def write(line):
    with open(out, "a", encoding="utf-8") as f:
        f.write(line + "\n")


parts = urlsplit(url)
try:
    sock = socket.create_connection((parts.hostname, 443 if parts.scheme == "https" else 80), timeout=30)
    if parts.scheme == "https":
        sock = ssl.create_default_context(cafile=cafile).wrap_socket(sock, server_hostname=parts.hostname)
    sock.sendall(f"GET {parts.path} HTTP/1.0\r\nHost: {parts.hostname}\r\n\r\n".encode())
    first = sock.recv(65536)
    if b"origin=" not in first:
        first += sock.recv(65536)
    write("open" if b"origin=" in first else f"cut before data: {first!r}")
    deadline = time.monotonic() + WAIT
    while not os.path.exists(go) and time.monotonic() < deadline:
        if not sock.recv(65536):
            write("cut: the connection ended before the change was over")
            sys.exit()
    data = sock.recv(65536)
    write(f"alive: {data.decode(errors='replace').splitlines()[-1]}" if data else "cut: ended after the change")
except OSError as error:
    write(f"cut: {error!r}")
