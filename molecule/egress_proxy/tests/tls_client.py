"""Drives files/tls_hello.py on a client (installed by prepare.yml): a TLS hello with
any bytes as its SNI, and what came back (one JSON object)."""

import json
import shlex

TOOL = "/usr/local/bin/tls_hello.py"


def hello(host, mode, address, sni, path=None, source=None):
    """mode "session" (handshake, GET path) or "raw" (only the ClientHello)."""
    args = ["python3", TOOL]
    if source:
        args += ["--source", source]
    args += [mode, address, sni.hex()]
    if path:
        args.append(path)
    result = host.run(" ".join(shlex.quote(a) for a in args))
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)
