"""The AWS CLI profile writer of assume_role: it owns only the sections it names.

Attacks from issue 15: replacing its own section must not eat the comment or blank line
a user wrote above the next profile, a CRLF file must stay CRLF, a symlinked
~/.aws/config must be written through (the link kept), modes kept or set (credentials
0600), and a failed write must leave the old file whole. Real files in tmp_path.
"""

import os
import stat

import pytest
from ansible_collections.ironclad.aws.plugins.module_utils import aws_cli_profile as cli
from ansible_collections.ironclad.aws.plugins.module_utils import profile_file

MINE = {"profile me": [("role_arn", "arn:aws:iam::1:role/new"), ("credential_source", "Ec2InstanceMetadata")]}


def rendered(name, items, newline="\n"):
    return newline.join(cli.render_section(name, items)) + newline


def test_replacing_a_section_keeps_comments_and_blank_lines_above_the_next_one_byte_for_byte():
    head = "# my notes\n[default]\nregion = us-east-1\n\n"
    tail = "\n\n# the team's profile: do not remove\n;  and this\n[profile team]\nregion = eu-west-1\n# end\n"
    text = head + "[profile me]\nrole_arn = old\nstale = 1\n" + tail

    out = cli.set_sections(text, MINE)

    assert out == head + rendered("profile me", MINE["profile me"]) + tail
    assert cli.set_sections(out, MINE) == out  # a second run changes nothing


def test_crlf_files_stay_crlf_and_other_lines_keep_their_bytes():
    text = "[default]\r\nregion = us-east-1\r\n\r\n# keep\r\n"
    text += "[profile me]\r\nrole_arn = old\r\n\r\n[profile b]\r\nk = v\r\n"

    out = cli.set_sections(text, MINE)

    assert out.count("\n") == out.count("\r\n")
    assert out.startswith("[default]\r\nregion = us-east-1\r\n\r\n# keep\r\n")
    assert rendered("profile me", MINE["profile me"], "\r\n") in out
    assert out.endswith("\r\n\r\n[profile b]\r\nk = v\r\n")
    appended = cli.set_sections("[default]\r\nregion = x\r\n", {"profile new": [("region", "y")]})
    assert appended == "[default]\r\nregion = x\r\n\r\n" + rendered("profile new", [("region", "y")], "\r\n")


def test_a_file_without_final_newline_and_nested_values_are_kept():
    text = "[profile me]\nrole_arn = old\ns3 =\n  max_concurrent_requests = 20\n# after\n[b]\nk = v"
    out = cli.set_sections(text, MINE)
    assert out == rendered("profile me", MINE["profile me"]) + "# after\n[b]\nk = v"
    added = cli.set_sections("[b]\nk = v", {"c": [("k", "w")]})
    assert added == "[b]\nk = v\n\n" + rendered("c", [("k", "w")])


def test_removing_a_section_takes_its_separator_not_the_next_ones_comment():
    text = "[a]\nk = 1\n\n# about b\n[b]\nk = 2\n\n[me]\nx = 1\n"
    assert cli.set_sections(text, {"me": None}) == "[a]\nk = 1\n\n# about b\n[b]\nk = 2\n"
    assert cli.set_sections(text, {"a": None}) == "# about b\n[b]\nk = 2\n\n[me]\nx = 1\n"
    assert cli.set_sections(text, {"zzz": None}) == text


def test_duplicate_sections_are_merged_into_the_first():
    text = "[me]\nk = 1\n[other]\nk = 2\n[me]\nk = 3\n"
    assert cli.set_sections(text, {"me": [("k", "9")]}) == rendered("me", [("k", "9")]) + "[other]\nk = 2\n"


def test_static_credentials_rerun_does_not_pile_up_expiry_comments():
    items = cli.static_credentials_section({"access_key": "A", "secret_key": "S", "session_token": "T"}, "2026-01-01")
    once = cli.set_sections("", {"p": items})
    assert cli.set_sections(once, {"p": items}) == once
    assert once.count("# expires") == 1


# --- the file itself ------------------------------------------------------------------


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_through_a_symlink_and_keeps_the_link(tmp_path):
    target = tmp_path / "dotfiles" / "aws-config"
    target.parent.mkdir()
    target.write_text("[default]\n")
    target.chmod(0o640)
    link = tmp_path / "config"
    link.symlink_to(target)

    profile_file.write_text(str(link), "[default]\nregion = x\n", None)

    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "[default]\nregion = x\n"
    assert mode(target) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["aws-config"]  # no temp file left


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "config"
    link.symlink_to(tmp_path / "elsewhere")
    profile_file.write_text(str(link), "[a]\n", None)
    assert link.is_symlink() and (tmp_path / "elsewhere").read_text() == "[a]\n"
    assert mode(tmp_path / "elsewhere") == 0o600


def test_modes_are_kept_or_set(tmp_path):
    config = tmp_path / "config"
    config.write_text("x")
    config.chmod(0o644)
    profile_file.write_text(str(config), "y", None)
    assert mode(config) == 0o644  # kept

    credentials = tmp_path / "credentials"
    credentials.write_text("x")
    credentials.chmod(0o644)
    profile_file.write_text(str(credentials), "secret", 0o600)
    assert mode(credentials) == 0o600  # set

    new = tmp_path / "new" / "credentials"
    profile_file.write_text(str(new), "secret", None)
    assert mode(new) == 0o600 and mode(new.parent) == 0o700


def test_a_failed_write_leaves_the_old_file_whole_and_no_temp_file(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_bytes(b"[default]\r\nregion = old\r\n")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(profile_file.os, "replace", broken_replace)
    with pytest.raises(OSError):
        profile_file.write_text(str(config), "[default]\nregion = new\n", None)

    assert config.read_bytes() == b"[default]\r\nregion = old\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config"]


def test_bytes_that_are_not_utf8_survive_a_round_trip(tmp_path):
    config = tmp_path / "config"
    config.write_bytes(b"# caf\xe9 latin-1 note\n[default]\nregion = x\n")
    text = profile_file.read_text(str(config))
    profile_file.write_text(str(config), cli.set_sections(text, {"b": [("k", "v")]}), None)
    assert config.read_bytes().startswith(b"# caf\xe9 latin-1 note\n[default]\nregion = x\n\n[b]\n")
