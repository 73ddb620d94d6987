"""molecule/lab/report.py's per-host log check: each host is judged by its own stream,
and the FIXTURE CloudWatch agent (which ships nothing) is reported as n/a, never ok."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "molecule" / "lab" / "report.py"
spec = importlib.util.spec_from_file_location("lab_report", SCRIPT)
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

HOSTS = {
    report.BASTION: {"hostname": "bastion", "agent": "awslogs", "fixture": False},
    report.PROXY: {"hostname": "proxy", "agent": "awslogs", "fixture": False},
    report.APP: {"hostname": "app", "agent": "cloudwatch-agent", "fixture": True},
}


def test_each_host_is_judged_by_its_own_stream():
    streams = {"/ironclad-lab/auth": ["bastion"], "/ironclad-lab/bastion-users-changelog": ["bastion"]}
    found = report.stream_findings(HOSTS, streams)
    assert found[report.BASTION]["status"] == "ok"
    assert found[report.BASTION]["groups"] == ["/ironclad-lab/auth", "/ironclad-lab/bastion-users-changelog"]
    # Before, any matching event in any group made "host logs in CloudWatch Logs" ok.
    assert found[report.PROXY]["status"] == "FAIL"
    assert found[report.APP]["status"] == "n/a"


def test_the_fixture_agent_is_said_to_ship_nothing():
    found = report.stream_findings(HOSTS, {"/ironclad-lab/auth": ["bastion", "proxy"]})
    lines = {text.split()[2].rstrip(":"): (status, text) for status, text in report.stream_lines(found)}
    status, text = lines["app"]
    assert status == "n/a" and "FIXTURE CloudWatch agent, which ships nothing" in text
    assert lines["proxy"][0] is True
    assert report.mark("n/a") == "n/a " and report.mark(False) == "FAIL"
