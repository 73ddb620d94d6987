"""The decisions of assume_role, without AWS: chain checks, requests, messages, CLI profiles."""

import pytest
from ansible_collections.ironclad.aws.plugins.module_utils import aws_cli_profile as cli
from ansible_collections.ironclad.aws.plugins.module_utils import sts_chain

B = "arn:aws:iam::222222222222:role/deploy"
C = "arn:aws:iam::333333333333:role/path/audit"


def hop(**kw):
    return dict({"role_arn": B}, **kw)


def test_a_good_chain_has_no_problem():
    chain = [
        hop(duration_seconds=43200, mfa_serial_number="arn:aws:iam::111111111111:mfa/alice", mfa_token="123456"),
        hop(
            role_arn=C,
            duration_seconds=3600,
            tags={"p": "x"},
            transitive_tag_keys=["p"],
            policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        ),
    ]
    assert sts_chain.validate_chain(chain) == []


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        ([], "at least one role"),
        ([hop(role_arn="arn:aws:iam::22:role/x")], "hop 1 (arn:aws:iam::22:role/x): malformed role ARN"),
        ([hop(role_arn="arn:aws:iam::222222222222:user/x")], "malformed role ARN"),
        ([hop(duration_seconds=899)], "outside what AssumeRole accepts (900 to 43200)"),
        ([hop(duration_seconds=43201)], "outside what AssumeRole accepts"),
        ([hop(), hop(role_arn=C, duration_seconds=3601)], "hop 2 (" + C + "): duration_seconds=3601 exceeds 3600"),
        ([hop(mfa_token="123456")], "mfa_serial_number and mfa_token go together"),
        ([hop(mfa_serial_number="arn:aws:iam::1:mfa/a", mfa_token="12345")], "mfa_token must be the 6 digits"),
        ([hop(role_session_name="a b")], "role_session_name 'a b' must be 2 to 64 characters"),
        ([hop(policy="x" * 2049)], "2049 characters; AssumeRole accepts at most 2048"),
        ([hop(policy_arns=["arn:aws:iam::aws:policy/A"] * 11)], "at most 10 policy_arns"),
        ([hop(policy_arns=["ReadOnlyAccess"])], "malformed policy ARN 'ReadOnlyAccess'"),
        ([hop(tags={str(i): "v" for i in range(51)})], "at most 50 session tags"),
        ([hop(tags={"k": "v" * 257})], "session tag 'k'"),
        ([hop(tags={"a": "1"}, transitive_tag_keys=["a", "b"])], "transitive_tag_keys b are not among"),
        ([hop(source_identity="x")], "source_identity must be 2 to 64"),
    ],
)
def test_problems_name_the_hop_and_the_limit(chain, expected):
    problems = sts_chain.validate_chain(chain)
    assert any(expected in p for p in problems), problems


def test_first_hop_may_last_longer_than_an_hour():
    assert sts_chain.validate_chain([hop(duration_seconds=7200)]) == []


def test_request_carries_only_what_the_hop_sets():
    assert sts_chain.assume_role_request(1, hop()) == {"RoleArn": B, "RoleSessionName": "ansible-hop2"}
    full = sts_chain.assume_role_request(
        0,
        hop(
            role_session_name="s1",
            duration_seconds=900,
            external_id="e",
            mfa_serial_number="arn:aws:iam::111111111111:mfa/a",
            mfa_token="123456",
            policy='{"Version":"2012-10-17"}',
            policy_arns=["arn:aws:iam::aws:policy/A"],
            tags={"b": 2, "a": "1"},
            transitive_tag_keys=["a"],
            source_identity="alice",
        ),
    )
    assert full == {
        "RoleArn": B,
        "RoleSessionName": "s1",
        "DurationSeconds": 900,
        "ExternalId": "e",
        "SerialNumber": "arn:aws:iam::111111111111:mfa/a",
        "TokenCode": "123456",
        "Policy": '{"Version":"2012-10-17"}',
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/A"}],
        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
        "TransitiveTagKeys": ["a"],
        "SourceIdentity": "alice",
    }


@pytest.mark.parametrize(
    ("index", "code", "message", "expected"),
    [
        (
            0,
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
            "MFA code was refused",
        ),
        (1, "AccessDenied", "not authorized", "hop 2 (" + B + ") was denied: the session of hop 1 may not"),
        (0, "ExpiredToken", "The security token included in the request is expired", "have expired"),
        (
            0,
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            "maximum session duration (MaxSessionDuration)",
        ),
        (
            0,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            "one hour limit of role chaining",
        ),
        (0, "PackedPolicyTooLarge", "too big", "trim them"),
        (0, "Odd", "odd", "AssumeRole failed with Odd: odd"),
    ],
)
def test_sts_errors_are_explained(index, code, message, expected):
    assert expected in sts_chain.explain_error(index, hop(duration_seconds=7200), code, message)


def test_denial_names_the_caller_when_known():
    text = sts_chain.explain_error(0, hop(), "AccessDenied", "no", "arn:aws:iam::111111111111:user/ops")
    assert "arn:aws:iam::111111111111:user/ops may not sts:AssumeRole" in text


def test_credentials_are_module_options_and_nothing_else():
    creds = {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T", "Expiration": "E"}
    assert sts_chain.module_credentials(creds) == {"access_key": "A", "secret_key": "S", "session_token": "T"}


def test_role_profiles_chain_through_source_profile():
    requests = [
        {"RoleArn": B, "RoleSessionName": "one", "ExternalId": "x", "DurationSeconds": 7200},
        {"RoleArn": C, "RoleSessionName": "two", "SerialNumber": "arn:aws:iam::1:mfa/a", "Tags": []},
    ]
    sections = cli.role_profile_sections(
        {"name": "audit", "credential_source": "Ec2InstanceMetadata", "region": "eu-west-1"}, requests
    )
    assert sections == {
        "profile audit-hop1": [
            ("role_arn", B),
            ("credential_source", "Ec2InstanceMetadata"),
            ("role_session_name", "one"),
            ("external_id", "x"),
            ("duration_seconds", "7200"),
            ("region", "eu-west-1"),
        ],
        "profile audit": [
            ("role_arn", C),
            ("source_profile", "audit-hop1"),
            ("role_session_name", "two"),
            ("mfa_serial", "arn:aws:iam::1:mfa/a"),
            ("region", "eu-west-1"),
        ],
    }
    assert cli.unsupported_in_profile(requests) == ["hop 2: Tags"]
    assert cli.config_section("default") == "default"


def test_sections_are_replaced_in_place_and_the_rest_of_the_file_kept():
    text = (
        "# mine\n[default]\nregion = us-east-1\n\n"
        "[profile x]\nrole_arn = old\nstale = 1\n\n[profile y]\noutput = json\n"
    )
    out = cli.set_sections(text, {"profile x": [("role_arn", "new")], "profile z": [("region", "eu-west-1")]})
    assert out == (
        "# mine\n[default]\nregion = us-east-1\n\n[profile x]\n" + cli.HEADER_COMMENT + "\nrole_arn = new\n\n"
        "[profile y]\noutput = json\n\n[profile z]\n" + cli.HEADER_COMMENT + "\nregion = eu-west-1\n"
    )
    assert cli.set_sections(out, {"profile x": [("role_arn", "new")], "profile z": [("region", "eu-west-1")]}) == out


def test_sections_can_be_removed_and_absent_ones_ignored():
    text = "[a]\nk = 1\n\n[b]\nk = 2\n"
    assert cli.set_sections(text, {"a": None, "zzz": None}) == "[b]\nk = 2\n"
    assert cli.set_sections("", {"a": None}) == ""


def test_static_section_keeps_the_expiry_as_a_comment():
    items = cli.static_credentials_section({"access_key": "A", "secret_key": "S", "session_token": "T"}, "2026-01-01")
    rendered = cli.render_section("p", items)
    assert rendered[:3] == ["[p]", cli.HEADER_COMMENT, "# expires 2026-01-01"]  # the section ends on a setting
    assert "aws_secret_access_key = S" in rendered
