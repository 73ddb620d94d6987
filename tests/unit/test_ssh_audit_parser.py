"""The reading of ssh-audit's text output that the sshd scenarios rely on: every fail
and warning is found, on the first line of an algorithm and on its continuations, CVE
lines count as fails, and only the listed notes of an older tool are let through."""

from tests.harness.ssh_audit import NEWER_THAN_THE_TOOL, Audit, Finding, parse

# Trimmed from ssh-audit 3.3.0 against Debian 13's stock sshd.
STOCK = """\
# key exchange algorithms
(kex) mlkem768x25519-sha256               -- [info] available since OpenSSH 9.9
                                          `- [info] hybrid key exchange based on post-quantum resistant algorithm
(kex) ecdh-sha2-nistp256                  -- [fail] using elliptic curves that are suspected as being backdoored
                                          `- [info] available since OpenSSH 5.7, Dropbear SSH 2013.62
(kex) diffie-hellman-group-exchange-sha256 (2048-bit) -- [warn] 2048-bit modulus only provides 112-bits of strength
# host-key algorithms
(key) rsa-sha2-512 (3072-bit)             -- [info] available since OpenSSH 7.2
(key) ecdsa-sha2-nistp256                 -- [fail] using elliptic curves that are suspected as being backdoored
                                          `- [warn] using weak random number generator could reveal the key
# message authentication code algorithms
(mac) umac-64@openssh.com                 -- [warn] using encrypt-and-MAC mode
                                          `- [warn] using small 64-bit tag size
(mac) hmac-sha1                           -- [fail] using broken SHA-1 hash algorithm
(cve) CVE-2021-41617                      -- (CVSSv2: 7.0) privilege escalation via supplemental groups
# algorithm recommendations (for OpenSSH 10.0)
(rec) -ecdh-sha2-nistp256                 -- kex algorithm to remove
(nfo) Be aware that [warn] inside prose is not a finding
"""

# Trimmed from Debian 12's ssh-audit 2.5.0 against the policy on OpenSSH 9.2.
OLD_TOOL = """\
(kex) sntrup761x25519-sha512              -- [warn] unknown algorithm
(kex) sntrup761x25519-sha512@openssh.com  -- [warn] using experimental algorithm
                                          `- [info] available since OpenSSH 8.5
(kex) curve25519-sha256                   -- [info] available since OpenSSH 7.4, Dropbear SSH 2018.76
(kex) kex-strict-s-v00@openssh.com        -- [warn] unknown algorithm
(mac) hmac-sha2-512-etm@openssh.com       -- [info] available since OpenSSH 6.2
"""


def test_every_fail_and_warning_is_found_with_its_algorithm():
    audit = Audit(3, "3.3.0", parse(STOCK), STOCK)
    assert audit.levels("fail") == ["CVE-2021-41617", "ecdh-sha2-nistp256", "ecdsa-sha2-nistp256", "hmac-sha1"]
    assert audit.levels("warn") == [
        "diffie-hellman-group-exchange-sha256",
        "ecdsa-sha2-nistp256",
        "umac-64@openssh.com",
    ]
    assert Finding("mac", "umac-64@openssh.com", "warn", "using small 64-bit tag size") in audit.findings
    assert len(audit.problems()) == 8


def test_recommendations_and_notes_are_not_findings():
    assert not [f for f in parse(STOCK) if f.section in ("rec", "nfo")]


def test_only_the_listed_notes_of_an_older_tool_pass():
    audit = Audit(1, "2.5.0", parse(OLD_TOOL), OLD_TOOL)
    assert len(audit.problems(allowed=())) == 3
    assert audit.problems() == []
    worse = OLD_TOOL + "(mac) umac-64-etm@openssh.com -- [warn] using small 64-bit tag size\n"
    assert [f.algorithm for f in Audit(1, "2.5.0", parse(worse), worse).problems()] == ["umac-64-etm@openssh.com"]
    assert all(level == "warn" for _, _, level, _ in NEWER_THAN_THE_TOOL)
