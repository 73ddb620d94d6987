#!/usr/bin/env python3
"""A test origin: HTTP on 80, HTTPS on 443 (its own self-signed certificate) and UDP
listeners on 443 and 4433, on IPv4 and IPv6. Every request and datagram is logged, so a
test can tell whether anything reached the origin even when no answer came back.
/stream/... is a long download (a line every half second), for flows that outlive a change."""

import http.server
import socket
import socketserver
import ssl
import sys
import threading
import time

NAME, CERT, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a", encoding="utf-8") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        log(f"{self.server.scheme} {self.client_address[0]} {self.headers.get('Host')} {self.path}")
        if self.path.startswith("/stream/"):
            return self.stream()
        body = f"origin={NAME} path={self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self):
        """A long download: one line every half second until the client leaves (or 10 min)."""
        self.send_response(200)
        self.end_headers()
        try:
            for i in range(1200):
                self.wfile.write(f"origin={NAME} path={self.path} line={i}\n".encode())
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass

    def log_message(self, *args):
        pass


class DualStackServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve_http(port, tls):
    server = DualStackServer(("::", port), Handler)
    server.scheme = "https" if tls else "http"
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


def serve_udp(port):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", port))
    while True:
        data, peer = sock.recvfrom(2048)
        log(f"udp/{port} {peer[0]} {data.decode(errors='replace')}")


threads = [
    threading.Thread(target=serve_http, args=(80, False)),
    threading.Thread(target=serve_http, args=(443, True)),
    threading.Thread(target=serve_udp, args=(443,)),
    threading.Thread(target=serve_udp, args=(4433,)),
]
for t in threads:
    t.start()
for t in threads:
    t.join()
