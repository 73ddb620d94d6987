"""A stand-in for the EC2 instance metadata service (IMDSv2) for the golden-image test:
a token, user data, instance tags and instance-profile credentials (moto's fake keys)."""

import json
import sys
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "golden-test-token"
USER_DATA = sys.argv[1] if len(sys.argv) > 1 else ""
TAGS = {"Name": "golden-test", "IRONCLAD_BASTION_S3_REGION": "us-east-1"}
ROLE = "golden-test-role"


def credentials() -> str:
    expires = (datetime.now(UTC) + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "Code": "Success",
            "Type": "AWS-HMAC",
            "AccessKeyId": "testing",
            "SecretAccessKey": "testing",
            "Token": "testing",
            "Expiration": expires,
        }
    )


ROUTES = {
    "/latest/user-data": lambda: USER_DATA,
    "/latest/meta-data/tags/instance": lambda: "\n".join(TAGS),
    "/latest/meta-data/iam/security-credentials/": lambda: ROLE,
    f"/latest/meta-data/iam/security-credentials/{ROLE}": credentials,
    "/latest/meta-data/instance-id": lambda: "i-0123456789abcdef0",
    "/latest/meta-data/placement/region": lambda: "us-east-1",
}
ROUTES.update({f"/latest/meta-data/tags/instance/{k}": (lambda v=v: v) for k, v in TAGS.items()})


class Handler(BaseHTTPRequestHandler):
    def _send(self, code: int, body: str = "") -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):  # noqa: N802 - the stdlib's name
        ok = self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self._send(200, TOKEN) if ok else self._send(400)

    def do_GET(self):  # noqa: N802 - the stdlib's name
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self._send(401)
        route = ROUTES.get(self.path)
        return self._send(200, route()) if route else self._send(404)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 80), Handler).serve_forever()  # noqa: S104 - its own container
