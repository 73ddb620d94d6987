"""roles/awslogs/files/cwlogs_patch.py, the in-place fixes of the pinned awscli-cwlogs.

The edits are checked on text (applied once, each independently, refused on unknown
code), and the edited `_instance_id` is run against the token-requiring stand-in for
the metadata service (tests/golden/fake_imds.py) over real HTTP on 127.0.0.1. The
released method is run the same way: it is what named streams after the host.
"""

import importlib.util
import logging
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


patch = load("cwlogs_patch", ROOT / "roles" / "awslogs" / "files" / "cwlogs_patch.py")
fake_imds = load("fake_imds", ROOT / "tests" / "golden" / "fake_imds.py")

# Stand-ins for the rest of push.py around the three edited places.
RELEASED = "import requests\n\n" + "\n# ...\n".join([patch.STATE_BEFORE, patch.PUT_BEFORE, patch.IMDS_BEFORE])


def test_every_edit_applies_once():
    edited, applied = patch.patch(RELEASED)
    assert applied == ["state saved after the put, no replay", "instance id with an IMDSv2 session token"]
    assert patch.IMDS_AFTER in edited and patch.STATE_AFTER in edited and patch.PUT_AFTER in edited
    assert patch.patch(edited) == (edited, [])


def test_a_host_patched_before_the_imds_fix_gets_only_that_edit():
    older = RELEASED.replace(patch.STATE_BEFORE, patch.STATE_AFTER).replace(patch.PUT_BEFORE, patch.PUT_AFTER)
    edited, applied = patch.patch(older)
    assert applied == ["instance id with an IMDSv2 session token"]
    assert patch.IMDS_AFTER in edited


def test_other_code_is_refused_naming_the_edit():
    other = RELEASED.replace("timeout=5)", "timeout=10)")
    with pytest.raises(patch.UnknownCode, match="IMDSv2"):
        patch.patch(other)


@pytest.fixture
def imds():
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake_imds.Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def stream_config(method_source, base_url, http=requests):
    """A class holding just the method and what it uses of push.py's module scope."""
    scope = {"requests": http, "logger": logging.getLogger("cwlogs.push")}
    exec("class StreamConfig:\n" + method_source, scope)  # noqa: S102 - the plugin's own code
    config = scope["StreamConfig"]()
    config.INSTANCE_ID_URL = base_url + "/latest/meta-data/instance-id"
    return config


def test_released_code_gets_no_instance_id_when_tokens_are_required(imds):
    assert stream_config(patch.IMDS_BEFORE, imds)._instance_id() is None


def test_edited_code_gets_the_instance_id_with_a_token(imds):
    assert stream_config(patch.IMDS_AFTER, imds)._instance_id() == "i-0123456789abcdef0"


class NoAnswerToPut:
    """requests, except that the PUT times out, as behind a hop limit of 1; the GET
    goes to a metadata service that answers plain GETs (IMDSv1)."""

    def __init__(self):
        self.gets = []

    def put(self, *args, **kwargs):
        raise requests.exceptions.ConnectTimeout("no answer")

    def get(self, url, timeout, headers):
        self.gets.append(headers)

        class Answer:
            status_code = 200
            text = "i-0v1only"

        return Answer()


def test_plain_get_only_when_the_put_gets_no_answer():
    http = NoAnswerToPut()
    assert stream_config(patch.IMDS_AFTER, "http://169.254.169.254", http)._instance_id() == "i-0v1only"
    assert http.gets == [{}]


def test_a_refused_token_is_not_followed_by_a_plain_get(imds):
    class RefusesTokens(NoAnswerToPut):
        def put(self, *args, **kwargs):
            return requests.put(imds + "/latest/api/token", timeout=5)  # no TTL header: 400

    http = RefusesTokens()
    assert stream_config(patch.IMDS_AFTER, imds, http)._instance_id() is None
    assert http.gets == []
