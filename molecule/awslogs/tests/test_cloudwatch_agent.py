"""The same stream list rendered for amazon-cloudwatch-agent (a FIXTURE package here).

The real agent cannot be downloaded in tests, so this proves the verified install, the
JSON the agent would load, and that the role loads it with the agent's own ctl command.
"""

import json
import os
from pathlib import Path

testinfra_hosts = ["ironclad-awslogs-debian13"]
PREFIX = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "awslogs-prefix").read_text().strip()
ETC = "/opt/aws/amazon-cloudwatch-agent/etc"


def config(host):
    return json.loads(host.file(f"{ETC}/amazon-cloudwatch-agent.json").content_string)


def test_verified_fixture_agent_is_installed_and_running(host):
    assert host.package("amazon-cloudwatch-agent").version == "0.0.0~fixture"
    service = host.service("amazon-cloudwatch-agent")
    assert service.is_enabled and service.is_running
    assert not host.package("awscli").is_installed
    assert not host.file("/opt/awslogs").exists


def test_streams_become_the_collect_list(host):
    by_file = {entry["file_path"]: entry for entry in config(host)["logs"]["logs_collected"]["files"]["collect_list"]}
    assert set(by_file) == {
        "/var/log/auth.log",
        "/var/log/ironclad-test/app.log",
        "/var/log/ironclad-test/trace.log",
        "/var/log/ironclad-test/rotated.log",
    }
    app = by_file["/var/log/ironclad-test/app.log"]
    assert app == {
        "file_path": "/var/log/ironclad-test/app.log",
        "log_group_name": f"{PREFIX}/app",
        "log_stream_name": "{instance_id}",
        "timestamp_format": "%Y-%m-%d %H:%M:%S",
        "timezone": "UTC",
    }
    assert by_file["/var/log/ironclad-test/trace.log"]["multi_line_start_pattern"] == "{timestamp_format}"
    assert by_file["/var/log/auth.log"]["log_group_name"] == f"{PREFIX}/auth"


def test_region_endpoint_and_credentials(host):
    data = config(host)
    assert data["agent"]["region"] == "us-east-1"
    assert data["logs"]["endpoint_override"] == "http://moto:5000"
    common = host.file(f"{ETC}/common-config.toml").content_string
    assert f'shared_credential_file = "{ETC}/credentials"' in common
    assert 'ca_bundle_path = "/etc/ssl/ironclad-test-ca.pem"' in common
    credentials = host.file(f"{ETC}/credentials")
    assert (credentials.user, credentials.mode) == ("root", 0o600)


def test_configuration_was_loaded_with_fetch_config(host):
    loaded = host.file(f"{ETC}/amazon-cloudwatch-agent.d/file_amazon-cloudwatch-agent.json")
    assert json.loads(loaded.content_string) == config(host)
    assert host.file(f"{ETC}/fixture-mode").content_string.strip() == "onPremise"
