"""The boot-time reader of per-instance settings, against a fake IMDSv2 over real HTTP."""

import importlib.machinery
import importlib.util
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles/instance_config/files/instance_config.py"


def load():
    loader = importlib.machinery.SourceFileLoader("instance_config", str(SCRIPT))
    spec = importlib.util.spec_from_loader("instance_config", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


ic = load()


class FakeImds(BaseHTTPRequestHandler):
    token = "t0ken"
    user_data: str | None = None
    tags: dict[str, str] = {}

    def log_message(self, *args):
        pass

    def _send(self, code, body=""):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self._send(200, self.token)
        return self._send(400)

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            return self._send(401)
        if self.path == "/latest/user-data":
            return self._send(404) if self.user_data is None else self._send(200, self.user_data)
        if self.path == "/latest/meta-data/tags/instance":
            return self._send(200, "\n".join(self.tags)) if self.tags else self._send(404)
        prefix = "/latest/meta-data/tags/instance/"
        if self.path.startswith(prefix) and self.path[len(prefix) :] in self.tags:
            return self._send(200, self.tags[self.path[len(prefix) :]])
        return self._send(404)


@pytest.fixture
def imds():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeImds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeImds.user_data, FakeImds.tags = None, {}
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_user_data_script_and_tags_are_merged_user_data_winning(imds, tmp_path):
    FakeImds.user_data = (
        "#!/bin/bash\nexport IRONCLAD_BASTION_BUCKET='audit-logs'\nIRONCLAD_REGION=eu-west-1\necho hi\n"
    )
    FakeImds.tags = {"IRONCLAD_REGION": "us-east-2", "IRONCLAD_AWSLOGS_GROUP": "hosts", "Name": "bastion-1"}
    env = tmp_path / "etc/instance.env"
    assert ic.main(["--endpoint", imds, "--env-file", str(env)]) == 0
    lines = env.read_text().splitlines()[1:]
    assert lines == ["IRONCLAD_AWSLOGS_GROUP=hosts", "IRONCLAD_BASTION_BUCKET=audit-logs", "IRONCLAD_REGION=eu-west-1"]
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600


def test_unsafe_values_are_refused_and_named(imds, tmp_path, capsys):
    FakeImds.user_data = "IRONCLAD_OK=fine\nIRONCLAD_BAD=$(reboot)\n"
    env = tmp_path / "instance.env"
    ic.main(["--endpoint", imds, "--env-file", str(env), "--sources", "user_data"])
    assert "IRONCLAD_OK=fine" in env.read_text()
    assert "IRONCLAD_BAD" not in env.read_text()
    assert "refused IRONCLAD_BAD" in capsys.readouterr().err


def test_no_user_data_and_no_tags_writes_an_empty_file(imds, tmp_path):
    env = tmp_path / "instance.env"
    ic.main(["--endpoint", imds, "--env-file", str(env)])
    assert [line for line in env.read_text().splitlines() if not line.startswith("#")] == []


def test_unreachable_metadata_keeps_the_existing_file(tmp_path, capsys):
    env = tmp_path / "instance.env"
    env.write_text("IRONCLAD_KEEP=1\n")
    # Port 9 on loopback: nothing listens, so the connection is refused at once.
    assert ic.main(["--endpoint", "http://127.0.0.1:9", "--env-file", str(env), "--timeout", "1"]) == 0
    assert env.read_text() == "IRONCLAD_KEEP=1\n"
    assert "not reachable" in capsys.readouterr().err


def test_lines_that_only_look_like_settings_are_ignored():
    text = 'IRONCLAD_lower=x\nNOT_IRONCLAD_X=y\n  IRONCLAD_SPACED = z\nIRONCLAD_Q="quoted value"\n'
    assert ic.parse_assignments(text) == {"IRONCLAD_Q": "quoted value"}


def test_a_non_http_endpoint_is_refused_by_name(tmp_path, capsys):
    with pytest.raises(SystemExit):
        ic.main(["--endpoint", "file:///etc/shadow", "--env-file", str(tmp_path / "x")])
    assert "--endpoint must be an http(s) URL" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
