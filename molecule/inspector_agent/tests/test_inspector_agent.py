"""Inspector v2 needs only the SSM agent; the classic agent is installed only on request."""

testinfra_hosts = ["ironclad-inspector-agent-debian12", "ironclad-inspector-agent-debian13"]
CLASSIC_HOST = "ironclad-inspector-agent-debian13"


def test_ssm_agent_runs_for_inspector_v2(host):
    assert host.package("amazon-ssm-agent").version == "0.0.0~fixture"
    service = host.service("amazon-ssm-agent")
    assert service.is_enabled and service.is_running


def test_classic_agent_only_where_requested(host):
    classic = host.package("awsagent")
    service = host.service("awsagent")
    if host.backend.get_hostname() == CLASSIC_HOST:
        assert classic.version == "0.0.0~fixture"
        assert service.is_enabled and service.is_running
    else:
        assert not classic.is_installed
        assert not host.file("/lib/systemd/system/awsagent.service").exists
