"""The lab's promises, checked as a user would: the same findings `make lab` prints."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import report  # noqa: E402


@pytest.fixture(scope="module")
def session():
    return report.recorded_session()


@pytest.fixture(scope="module")
def egress():
    return report.egress()


def test_a_synced_user_session_is_recorded_with_what_was_typed(session):
    assert session["user_synced"]
    assert session["audit_key"]
    assert session["typed_command_recorded"], session


def test_the_recording_reaches_s3_encrypted(session):
    assert session["ship_ok"]
    assert session["shipped_objects"], session
    assert set(session["sse"].values()) == {"AES256"}


def test_a_supplied_command_is_refused(session):
    assert session["refused_command"]


def test_private_host_reaches_the_allowed_origin_over_http_and_https(egress):
    assert egress["allowed_http"]["ok"], egress["allowed_http"]
    assert egress["allowed_https"]["ok"], egress["allowed_https"]
    # Spliced, not decrypted: the client sees the origin's own certificate.
    assert "www.allowed.test" in egress["allowed_https_certificate_issuer"]


def test_private_host_cannot_reach_the_blocked_origin(egress):
    assert not egress["blocked_http"]["ok"], egress["blocked_http"]
    assert not egress["blocked_https"]["ok"], egress["blocked_https"]


def test_host_logs_arrive_in_cloudwatch_logs(session):
    found = report.cloudwatch_logs("alice")
    assert found["matching_events"], found


def test_each_log_host_is_reported_with_its_own_stream(session):
    """The bastion's stream arrived; the private host's FIXTURE CloudWatch agent ships
    nothing, and the report says so instead of counting other hosts' streams."""
    found = report.log_streams()
    assert set(found) == set(report.LOG_HOSTS)
    assert found[report.BASTION]["status"] == "ok", found
    assert found[report.APP]["status"] == "n/a", found
    assert found[report.APP]["groups"] == [], found


def test_ebs_backup_snapshots_the_tagged_instances():
    result = report.ebs_backup()
    assert result["playbook_rc"] == 0
    assert len(result["created_snapshot_ids"]) >= 2
