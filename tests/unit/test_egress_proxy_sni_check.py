"""roles/egress_proxy/files/sni_destination_check.py, Squid's SNI-to-destination helper:
one answer per input line whatever the line holds (so the protocol cannot slip), OK only
for an LDH host name that resolves to the destination, refusals logged. The lookup is
replaced by a table here; the egress_proxy scenario runs the helper inside Squid
(test_hostile_sni)."""

import importlib.util
import io
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "egress_proxy" / "files" / "sni_destination_check.py"
spec = importlib.util.spec_from_file_location("sni_destination_check", SCRIPT)
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)

ALLOWED_IP = "10.0.0.10"
TABLE = {"www.allowed.test": {check.address(ALLOWED_IP), check.address("2001:db8::10")}}


def lookup(name):
    return TABLE.get(name, set())


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        (f"www.allowed.test {ALLOWED_IP} -\n", "OK"),  # Squid appends %DATA ("-")
        (f"www.allowed.test {ALLOWED_IP}\n", "OK"),
        ("www.allowed.test 2001:db8::10 -\n", "OK"),
        (f"www.allowed.test ::ffff:{ALLOWED_IP} -\n", "OK"),  # an IPv4-mapped destination
        ("www.allowed.test 10.0.0.20 -\n", "ERR"),  # resolves elsewhere
        (f"WWW.Allowed.TEST {ALLOWED_IP} -\n", "OK"),  # lower-cased before the lookup
        (f"www%2eallowed%2etest {ALLOWED_IP} -\n", "OK"),  # Squid's escapes are undone
        (f"- {ALLOWED_IP} -\n", "ERR"),  # no SNI
    ],
)
def test_answers(line, reply):
    assert check.answer(line, lookup)[0] == reply


@pytest.mark.parametrize(
    "sni",
    [
        "www.blocked.test%2010.0.0.10%20x.allowed.test",  # an escaped space: still one word
        "www.allowed.test%0Awww.allowed.test",  # an escaped newline
        "www.allowed.test%00x",  # NUL
        "%25",
        "a" * 64 + ".allowed.test",  # a label over 63
        ".".join(["a" * 63] * 4) + ".test",  # over 253 in all
        "-www.allowed.test",
        "www-.allowed.test",
        "www..allowed.test",
        "www.allowed.test.",
        "www_x.allowed.test",
        "www.%C3%A9.test",  # not ASCII
    ],
)
def test_what_is_no_host_name_is_refused(sni):
    reply, refused = check.answer(f"{sni} {ALLOWED_IP} -\n", lookup)
    assert reply == "ERR" and refused == "not a host name"


def test_the_longest_names_and_labels_are_host_names():
    assert check.host_name("a" * 63 + ".test") == "a" * 63 + ".test"
    name = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(name) == 253 and check.host_name(name) == name


@pytest.mark.parametrize(
    "line",
    [
        "www.allowed.test\n",
        "\n",
        f"a b {ALLOWED_IP} -\n",
        f"www.allowed.test {ALLOWED_IP} - x\n",
        f"www.allowed.test {ALLOWED_IP} {ALLOWED_IP}\n",  # what an unescaped "name IP" SNI gives
    ],
)
def test_a_line_of_another_shape_is_refused(line):
    assert check.answer(line, lookup) == ("ERR", "not an SNI, a destination and no arguments")


def test_bad_destination_is_refused():
    assert check.answer("www.allowed.test not-an-ip -\n", lookup) == ("ERR", "destination is not an IP address")


def test_one_answer_per_line_and_refusals_logged(monkeypatch):
    """Whatever arrives, as many answers as lines: raw newlines in a name (which an
    unescaped format would pass on) give one answer each, never a surplus for Squid to
    take as the next request's."""
    monkeypatch.setattr(check, "resolve", lookup)
    lines = [f"www.allowed.test {ALLOWED_IP} -", "www.allowed.test", "www.allowed.test", "\xff\x00 junk", ""]
    stdin = io.BytesIO(("\n".join(lines) + "\n").encode("latin-1"))
    stdout, stderr = io.StringIO(), io.StringIO()
    check.main(stdin, stdout, stderr)
    assert stdout.getvalue().splitlines() == ["OK", "ERR", "ERR", "ERR", "ERR"]
    assert stderr.getvalue().count("sni_destination_check: refused") == 4


def test_the_real_resolver_reads_the_hosts_file():
    assert check.address("127.0.0.1") in check.resolve("localhost")
    assert check.resolve("no-such-name.invalid") == set()
