#!/usr/bin/env python3
"""Sends one HTTP request at a time through the proxy from SOURCE, each on a new
connection with a short timeout, until STOP exists; prints one JSON line with the
monotonic time of every success and the number of failures, so a caller can compute
how long nothing got through."""

import http.client
import json
import os
import sys
import time

host, source, stop = sys.argv[1], sys.argv[2], sys.argv[3]
LIMIT = 300  # seconds, in case the caller never creates STOP

successes, failures, start = [], 0, time.monotonic()
while not os.path.exists(stop) and time.monotonic() - start < LIMIT:
    began = time.monotonic()
    try:
        conn = http.client.HTTPConnection(host, 80, timeout=1, source_address=(source, 0))
        conn.request("GET", "/probe")
        ok = b"origin=" in conn.getresponse().read()
        conn.close()
    except OSError:
        ok = False
    if ok:
        successes.append(round(began, 3))
    else:
        failures += 1
    time.sleep(0.05)
print(json.dumps({"successes": successes, "failures": failures}))
