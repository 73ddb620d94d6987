#!/usr/bin/env python3
"""Opens COUNT TCP connections to HOST on PORTS (comma-separated, taken in turn) from
SOURCE and sends nothing on them, the way one client can tie up a proxy. Writes one
JSON line to OUT once every connect has finished and again when the peer has had SETTLE
seconds to close what it refuses; then holds the rest open until STOP exists (or HOLD
seconds pass)."""

import errno
import json
import os
import resource
import selectors
import socket
import sys
import time

host, ports, source, out, stop = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[5], sys.argv[6]
count = int(sys.argv[4])
SETTLE, HOLD = 5, 600

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def report(**fields):
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(fields) + "\n")


addresses = [socket.getaddrinfo(host, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4] for port in ports]
selector = selectors.DefaultSelector()
pending = 0
for i in range(count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.bind((source, 0))
    if sock.connect_ex(addresses[i % len(addresses)]) not in (0, errno.EINPROGRESS):
        sock.close()
        continue
    selector.register(sock, selectors.EVENT_WRITE)
    pending += 1

established, failed = [], 0
deadline = time.monotonic() + 60
while pending and time.monotonic() < deadline:
    for key, _ in selector.select(timeout=1):
        sock = key.fileobj
        selector.unregister(sock)
        pending -= 1
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            established.append(sock)
        else:
            failed += 1
            sock.close()
report(phase="connected", established=len(established), failed=failed + pending)


def still_open(sock):
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


time.sleep(SETTLE)
alive = [sock for sock in established if still_open(sock)]
report(phase="settled", open=len(alive), closed_by_peer=len(established) - len(alive))
deadline = time.monotonic() + HOLD
while not os.path.exists(stop) and time.monotonic() < deadline:
    time.sleep(0.5)
report(phase="done", open=sum(1 for sock in alive if still_open(sock)))
