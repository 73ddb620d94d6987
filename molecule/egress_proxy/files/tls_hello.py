#!/usr/bin/env python3
"""A TLS client that sends any bytes as its SNI, to attack the proxy's name checks.

  tls_hello.py session ADDRESS SNI_HEX PATH   handshake (no verification), GET PATH
  tls_hello.py raw ADDRESS SNI_HEX            send only a ClientHello, see what answers

The SNI is given in hex so that spaces, newlines, NUL and names longer than any library
accepts survive the shell. `session` uses OpenSSL's own hello (up to 255 bytes, no NUL);
`raw` takes that hello and puts the SNI bytes in its server_name extension, so any
length and any byte can be sent. One JSON line is printed: what the far end did and,
for a session, the certificate it showed (a proxy-minted one has the proxy's issuer)."""

import contextlib
import json
import socket
import ssl
import struct
import subprocess
import sys

PLACEHOLDER = "placeholder.invalid"


def connect(address, source):
    return socket.create_connection((address, 443), timeout=10, source_address=(source, 0) if source else None)


def context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def describe(der):
    """Issuer, subject and SHA-256 fingerprint of the certificate the far end showed."""
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-issuer", "-subject", "-fingerprint", "-sha256"],
        input=ssl.DER_cert_to_PEM_cert(der).encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    return dict(line.split("=", 1) for line in out.splitlines())


def session(address, sni, path, source):
    sock = connect(address, source)
    try:
        tls = context().wrap_socket(sock, server_hostname=sni)
    except (ssl.SSLError, OSError) as e:
        return {"outcome": "refused", "error": str(e)}
    with tls:
        der = tls.getpeercert(binary_form=True)
        host = sni.split(b"\n")[0].split(b" ")[0].decode("ascii", "replace")
        tls.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        body = b""
        with contextlib.suppress(ssl.SSLError, OSError):
            while chunk := tls.recv(65536):
                body += chunk
    return {
        "outcome": "session",
        "certificate": describe(der),
        "body": body.decode("utf-8", "replace"),
    }


def client_hello():
    """OpenSSL's ClientHello (one record) for the placeholder name."""
    out, inc = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = context().wrap_bio(inc, out, server_hostname=PLACEHOLDER)
    # It stops at once, waiting for the server's answer: the hello is in `out`.
    with contextlib.suppress(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def with_sni(hello, sni):
    """The same hello with its server_name extension carrying `sni` as the host name."""
    body = bytearray(hello[9:])  # after the record (5) and handshake (4) headers
    pos = 2 + 32  # version, random
    pos += 1 + body[pos]  # session id
    pos += 2 + struct.unpack_from("!H", body, pos)[0]  # cipher suites
    pos += 1 + body[pos]  # compression methods
    ext_start = pos + 2
    ext_end = ext_start + struct.unpack_from("!H", body, pos)[0]
    exts, i = [], ext_start
    while i < ext_end:
        kind, length = struct.unpack_from("!HH", body, i)
        data = bytes(body[i + 4 : i + 4 + length])
        if kind == 0:
            entry = b"\x00" + struct.pack("!H", len(sni)) + sni
            data = struct.pack("!H", len(entry)) + entry
        exts.append(struct.pack("!HH", kind, len(data)) + data)
        i += 4 + length
    ext_blob = b"".join(exts)
    body = bytes(body[:pos]) + struct.pack("!H", len(ext_blob)) + ext_blob
    handshake = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return hello[:3] + struct.pack("!H", len(handshake)) + handshake


def raw(address, sni, source):
    sock = connect(address, source)
    with sock:
        sock.sendall(with_sni(client_hello(), sni))
        try:
            first = sock.recv(5)
        except ConnectionResetError:
            return {"outcome": "reset"}
        except TimeoutError:
            return {"outcome": "timeout"}
    if not first:
        return {"outcome": "closed"}
    # 0x16: a handshake record (the server's hello), 0x15: an alert.
    return {"outcome": {0x16: "server-hello", 0x15: "alert"}.get(first[0], "other"), "first_byte": first[0]}


def main(argv):
    source = None
    if argv[:1] == ["--source"]:
        source, argv = argv[1], argv[2:]
    mode, address, sni = argv[0], argv[1], bytes.fromhex(argv[2])
    result = session(address, sni, argv[3], source) if mode == "session" else raw(address, sni, source)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
