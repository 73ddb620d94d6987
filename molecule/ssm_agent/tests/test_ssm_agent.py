"""The SSM agent, installed from the FIXTURE mirror, runs as a real systemd service."""

import json

testinfra_hosts = ["ironclad-ssm-agent-debian12", "ironclad-ssm-agent-debian13"]


def test_the_verified_fixture_package_is_installed(host):
    pkg = host.package("amazon-ssm-agent")
    assert pkg.is_installed
    assert pkg.version == "0.0.0~fixture"


def test_agent_is_enabled_and_running(host):
    service = host.service("amazon-ssm-agent")
    assert service.is_enabled
    assert service.is_running
    pid = host.check_output("systemctl show -p MainPID --value amazon-ssm-agent")
    assert int(pid) > 0


def test_download_staging_is_removed(host):
    assert host.run("ls -d /tmp/*.verified_package").rc != 0


def test_proxy_reaches_the_running_agent_only_where_configured(host):
    pid = host.check_output("systemctl show -p MainPID --value amazon-ssm-agent")
    environ = host.file(f"/proc/{pid}/environ").content_string.split("\0")
    dropin = host.file("/etc/systemd/system/amazon-ssm-agent.service.d/ironclad-proxy.conf")
    if host.backend.get_hostname() == "ironclad-ssm-agent-debian12":
        assert "https_proxy=http://proxy.fixture.invalid:3128" in environ
        assert "no_proxy=169.254.169.254" in environ
        assert "Managed by Ansible" in dropin.content_string
    else:
        assert not dropin.exists
        assert not any(v.startswith("https_proxy=") for v in environ)


def test_hybrid_activation_registered_only_where_configured(host):
    registration = host.file("/var/lib/amazon/ssm/registration")
    if host.backend.get_hostname() != "ironclad-ssm-agent-debian13":
        assert not registration.exists
        return
    data = json.loads(registration.content_string)
    assert data["Region"] == "us-east-1"
    assert data["ActivationId"] == "00000000-fixture-activation"
    # The agent was restarted after registering, so it runs as a managed instance.
    registered = registration.mtime.timestamp()
    started = host.check_output('date -d "$(systemctl show -p ActiveEnterTimestamp --value amazon-ssm-agent)" +%s')
    assert int(started) >= int(registered)
