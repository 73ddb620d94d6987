"""The host firewall (issue 12 R9): what a user starts is unreachable from the network,
and only root reaches the instance metadata service (a stand-in at its addresses)."""

import pytest
from conftest import FETCH, IMDS_SECRET, IMDS_URLS, SEE_ALL, wait_for

PORT = 9099
# A listener that outlives the session, on every IPv4 and IPv6 address.
LISTENER = f"nohup python3 -m http.server {PORT} --bind :: >/dev/null 2>&1 &"


def listening(bastion):
    return bastion.run(f"ss -Hltn 'sport = :{PORT}'").stdout.strip() != ""


def test_a_listener_a_user_leaves_behind_is_unreachable_from_the_client(bastion, client):
    result = client.session(bastion, "erin", [LISTENER, "sleep 1"])
    assert result.rc == 0, result.stdout + result.stderr
    try:
        assert wait_for(lambda: listening(bastion)), "erin's listener did not start"
        # It still runs after the logout and answers on the bastion itself: only the
        # firewall stands between it and the network.
        assert bastion.run(f"{SEE_ALL} pgrep -u erin -f 'http.server {PORT}'").rc == 0
        assert bastion.run(f"{FETCH} http://127.0.0.1:{PORT}/").rc == 0
        for family, url in (("-4", "http://{}:%d/"), ("-6", "http://[{}]:%d/")):
            target = (url % PORT).format(bastion.address(family))
            reached = client.run(f"curl -sS --connect-timeout 5 -o /dev/null {target}")
            assert reached.rc != 0, f"the client reached erin's listener at {target}"
        # sshd still answers on both.
        for family in ("-4", "-6"):
            keyscan = client.run(f"ssh-keyscan -T 5 {bastion.address(family)}")
            assert "ssh-ed25519" in keyscan.stdout, keyscan.stderr
    finally:
        bastion.run(f"{SEE_ALL} pkill -u erin -f 'http.server {PORT}'")


@pytest.fixture(scope="module")
def metadata(bastion):
    bastion.route_metadata_to_the_stand_in()
    return bastion


@pytest.mark.parametrize("family", sorted(IMDS_URLS))
def test_root_reaches_the_metadata_service(metadata, family):
    """The jobs that need the instance profile run as root: the stand-in answers them."""
    assert IMDS_SECRET in metadata.check(f"{FETCH} {IMDS_URLS[family]}")


def test_a_user_in_a_session_cannot_reach_the_metadata_service(metadata, client):
    typed = [f"{FETCH} {url}; echo FETCH-{family}=$?" for family, url in sorted(IMDS_URLS.items())]
    result = client.session(metadata, "alice", typed)
    assert result.rc == 0, result.stdout + result.stderr
    for family in IMDS_URLS:
        assert f"FETCH-{family}=1" in result.stdout, result.stdout
    assert IMDS_SECRET not in result.stdout


def test_the_rules_are_the_bastions_own_table(bastion):
    """Loaded by a unit that runs before the network; its own table, nothing flushed."""
    unit = bastion.check("systemctl show -p ActiveState -p UnitFileState -p Before bastion-firewall.service")
    assert "ActiveState=active" in unit and "UnitFileState=enabled" in unit
    assert "network-pre.target" in unit
    table = bastion.check("nft list table inet ironclad_bastion")
    assert "policy drop" in table
