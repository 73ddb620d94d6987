"""Debian's lynis (`lynis audit system --quick`) on each hardened host: no warning, and
the hardening index with every test id that did not get its points, printed (shown by
`-r P` in this scenario's verifier). The points a container cannot give (running sysctls,
auditd, separate partitions...) are itemised in the role README. On the plain base
images lynis warns PKGS-7388 (no security suite) and the index is 58 (Debian 12) / 60
(Debian 13)."""

from tests.harness import lynis

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]
# Below this the role has lost a control it had (the index is stable run to run: no
# test here depends on time or the network beyond the apt index).
FLOOR = 78  # measured 80 on both (issue 17 round): a lost concern costs 2 or more


def test_lynis_warns_nothing(host):
    run = host.run(lynis.COMMAND)
    assert run.rc == 0, run.stderr
    result = lynis.parse(host.file(lynis.REPORT).content_string, host.file(lynis.LOG).content_string)
    print(f"{host.check_output('hostname')}: {lynis.summary(result)}")
    assert result.warnings == []
    assert result.index >= FLOOR
