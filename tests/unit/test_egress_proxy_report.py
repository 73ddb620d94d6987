"""Report mode (issue 13 E9): squid.conf as rendered in each mode, and
egress-proxy-report, the host-side script that reads the access log squid.conf writes.
The log tokens and the annotation have one definition, the script's constants; the
rendered squid.conf is checked against them here."""

import gzip
import sys
from pathlib import Path

import pytest

from tests.unit.test_egress_proxy_template import lines_starting, render

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "roles/egress_proxy/files"))
import egress_proxy_report as report  # noqa: E402

# Lines as Squid 6.13 wrote them in report mode (the role's logformat).
LOG = """\
1796316241.007 1 10.0.1.10 TCP_MISS/200 221 GET http://www.blocked.test/r1 10.0.2.20 sni=- bump=- host=www.blocked.test report=http
1796316241.043 6 10.0.1.10 NONE_NONE/000 0 CONNECT 10.0.2.20:443 - sni=www.blocked.test bump=splice host=10.0.2.20 report=https
1796316241.048 5 10.0.1.10 TCP_TUNNEL/200 3178 CONNECT www.blocked.test:443 10.0.2.20 sni=www.blocked.test bump=splice host=www.blocked.test report=-
1796316241.078 3 10.0.1.10 NONE_NONE/000 0 CONNECT 10.0.2.20:443 - sni=WWW.Blocked.test bump=splice host=10.0.2.20 report=https
1796316241.149 1 10.0.1.10 TCP_MISS/200 221 GET http://www.allowed.test/r3 10.0.2.10 sni=- bump=- host=www.allowed.test report=-
1796316241.221 58 10.0.1.10 NONE_NONE/000 0 CONNECT 10.0.2.10:443 - sni=www.allowed.test bump=splice host=10.0.2.10 report=-
1796316241.287 10 10.0.1.10 NONE_NONE/000 0 CONNECT 10.0.2.20:443 - sni=- bump=terminate host=10.0.2.20 report=-
1796316241.377 0 10.0.1.10 TCP_DENIED/403 3364 GET http://169.254.169.254/x - sni=- bump=- host=169.254.169.254 report=-
"""  # noqa: E501


def test_enforce_mode_has_no_report_rules():
    conf = render("squid.conf.j2")
    assert "annotate_transaction" not in conf
    assert not [line for line in lines_starting(conf, "http_access") if "report_" in line]
    assert not [line for line in lines_starting(conf, "ssl_bump") if "report_" in line]


@pytest.mark.parametrize("peek", [False, True])
def test_report_mode_splices_what_the_allowlist_would_refuse(peek):
    conf = render("squid.conf.j2", egress_proxy_mode="report", egress_proxy_peek_server_hello=peek)
    acls = {line.split()[1]: line.split()[2:] for line in lines_starting(conf, "acl")}
    # The annotation is the script's: its note name and one value per scheme it reads.
    assert acls["report_http"] == ["annotate_transaction", f"{report.NOTE}=http"]
    assert acls["report_https"] == ["annotate_transaction", f"{report.NOTE}=https"]
    assert set(report.SCHEMES) == {"http", "https"}
    http_access = lines_starting(conf, "http_access")
    # Denied addresses and other sources come first, as in enforce mode; deny all stays last.
    assert http_access[:3] == [
        "http_access deny denied_addresses",
        "http_access deny !clients",
        "http_access deny CONNECT http_intercept",
    ]
    assert http_access[3:] == [
        "http_access allow http_intercept allowed_http_sites",
        "http_access allow http_intercept report_http",
        "http_access allow https_intercept",
        "http_access deny all",
    ]
    bump = lines_starting(conf, "ssl_bump")
    # Spliced after the allowlist's own rules and before any terminate; never bumped.
    assert bump[-3:] == [
        "ssl_bump splice step2 sni_host_name sni_host_name_length sni_matches_destination report_https",
        "ssl_bump terminate step2 all",
        "ssl_bump terminate all",
    ]
    assert not [line for line in bump if line.split()[1] in ("bump", "stare")]


def test_report_mode_checks_the_sni_even_without_an_https_allowlist():
    conf = render("squid.conf.j2", egress_proxy_mode="report", egress_proxy_allowed_https_domains=[])
    acls = [line.split()[1] for line in lines_starting(conf, "acl")]
    assert "sni_host_name" in acls and "sni_host_name_length" in acls and "allowed_https_sites" not in acls


def test_the_log_format_writes_the_tokens_the_report_reads():
    (logformat,) = lines_starting(render("squid.conf.j2"), "logformat")
    words = logformat.split()
    assert f"{report.REPORT_KEY}=%note{{{report.NOTE}}}" in words
    assert f"{report.SNI_KEY}=%ssl::>sni" in words
    assert f"{report.HOST_KEY}=%>rd" in words


def test_report_counts_what_report_mode_let_through():
    counts = report.would_refuse(LOG.splitlines())
    # The HTTPS connection is counted once (its hello line), names compare lower-cased.
    assert counts == {("http", "www.blocked.test"): 1, ("https", "www.blocked.test"): 2}


def test_report_prints_most_used_first():
    out = report.render({("http", "a.example"): 1, ("https", "b.example"): 5, ("https", "a.example"): 1})
    assert out.splitlines() == [
        "   count  scheme name",
        "       5  https  b.example",
        "       1  http   a.example",
        "       1  https  a.example",
    ]


def test_report_reads_rotated_logs_and_names_a_missing_one(tmp_path, capsys):
    current, rotated = tmp_path / "access.log", tmp_path / "access.log.1.gz"
    current.write_text(LOG)
    with gzip.open(rotated, "wt") as f:
        f.write(LOG)
    assert report.main([str(current), str(rotated)]) == 0
    assert "       4  https  www.blocked.test" in capsys.readouterr().out
    assert report.main([str(tmp_path / "missing.log")]) == 1
    assert "missing.log: No such file or directory" in capsys.readouterr().err


def test_report_ignores_lines_without_tokens():
    assert report.would_refuse(["", "garbage", "report=other host=x.example"]) == {}
