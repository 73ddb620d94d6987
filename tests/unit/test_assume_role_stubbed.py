"""assume_role's answers to what STS refuses, with botocore's Stubber.

Why Stubber: moto's STS accepts any MFA code, ignores trust-policy conditions (external
ID, MFA) and the role's MaxSessionDuration, and never expires a session, so the errors
AWS gives for those cannot be produced there. Stubber validates each request (so every
hop option reaches AssumeRole under the right parameter name) and each canned response
against STS's service model. Chains, cross-account credentials, denial by IAM policy and
the CLI profiles run against moto in tests/integration/test_assume_role.py.
"""

import datetime

from ansible_collections.ironclad.aws.plugins.modules import assume_role as module

B = "arn:aws:iam::222222222222:role/deploy"
C = "arn:aws:iam::333333333333:role/audit"
EXPIRES = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


def answer(role_arn, key):
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    return {
        "Credentials": {
            "AccessKeyId": key,
            "SecretAccessKey": f"secret-{key}",
            "SessionToken": f"token-{key}",
            "Expiration": EXPIRES,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": f"AROAEXAMPLE:{name}",
            "Arn": f"arn:aws:sts::{account}:assumed-role/{name}/s",
        },
        "PackedPolicySize": 12,
        "SourceIdentity": "alice",
    }


def refuse(aws, code, message, key="module", status=403):
    aws("sts", key).add_client_error(
        "assume_role", service_error_code=code, service_message=message, http_status_code=status
    )


def test_every_hop_option_reaches_assume_role_and_the_last_credentials_are_returned(stubbed):
    aws, run = stubbed
    aws("sts").add_response(
        "assume_role",
        answer(B, "ASIAHOP1EXAMPLEKEY"),
        {
            "RoleArn": B,
            "RoleSessionName": "first",
            "DurationSeconds": 7200,
            "ExternalId": "ext-123",
            "SerialNumber": "arn:aws:iam::111111111111:mfa/alice",
            "TokenCode": "123456",
            "SourceIdentity": "alice",
        },
    )
    aws("sts", "ASIAHOP1EXAMPLEKEY").add_response(
        "assume_role",
        answer(C, "ASIAHOP2EXAMPLEKEY"),
        {
            "RoleArn": C,
            "RoleSessionName": "ansible-hop2",
            "DurationSeconds": 3600,
            "Policy": '{"Version": "2012-10-17", "Statement": []}',
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "Tags": [{"Key": "project", "Value": "audit"}],
            "TransitiveTagKeys": ["project"],
        },
    )
    aws("sts", "ASIAHOP2EXAMPLEKEY").add_response(
        "get_caller_identity",
        {"UserId": "AROAEXAMPLE:s", "Account": "333333333333", "Arn": "arn:aws:sts::333333333333:assumed-role/audit/s"},
        {},
    )
    result = run(
        module.main,
        {
            "roles": [
                {
                    "role_arn": B,
                    "role_session_name": "first",
                    "duration_seconds": 7200,
                    "external_id": "ext-123",
                    "mfa_serial_number": "arn:aws:iam::111111111111:mfa/alice",
                    "mfa_token": "123456",
                    "source_identity": "alice",
                },
                {
                    "role_arn": C,
                    "duration_seconds": 3600,
                    "policy": {"Version": "2012-10-17", "Statement": []},
                    "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                    "tags": {"project": "audit"},
                    "transitive_tag_keys": ["project"],
                },
            ]
        },
    )
    aws.assert_all_called()
    assert result["credentials"] == {
        "access_key": "ASIAHOP2EXAMPLEKEY",
        "secret_key": "secret-ASIAHOP2EXAMPLEKEY",
        "session_token": "token-ASIAHOP2EXAMPLEKEY",
    }
    assert result["expiration"] == "2030-01-01T00:00:00+00:00"
    assert result["caller_identity"]["account"] == "333333333333"
    assert [h["account_id"] for h in result["hops"]] == ["222222222222", "333333333333"]
    assert result["hops"][0]["source_identity"] == "alice" and result["hops"][0]["packed_policy_size"] == 12
    assert "secret-ASIAHOP1EXAMPLEKEY" not in str(result)


def test_expired_or_wrong_mfa_code(stubbed):
    aws, run = stubbed
    refuse(aws, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
    result = run(
        module.main,
        {"roles": [{"role_arn": B, "mfa_serial_number": "arn:aws:iam::111111111111:mfa/alice", "mfa_token": "654321"}]},
    )
    aws.assert_all_called()
    assert result["failed"] and result["failed_hop"] == 1
    assert result["msg"].startswith(f"hop 1 ({B}): the MFA code was refused (wrong, already used, or expired")
    assert "654321" not in result["msg"]


def test_first_hop_denied_names_the_base_identity(stubbed):
    aws, run = stubbed
    refuse(aws, "AccessDenied", "User: arn:aws:iam::111111111111:user/ops is not authorized to perform: sts:AssumeRole")
    aws("sts").add_response(
        "get_caller_identity",
        {"UserId": "AIDAEXAMPLE", "Account": "111111111111", "Arn": "arn:aws:iam::111111111111:user/ops"},
        {},
    )
    result = run(module.main, {"roles": [{"role_arn": B, "external_id": "wrong"}]})
    aws.assert_all_called()
    assert f"hop 1 ({B}) was denied: arn:aws:iam::111111111111:user/ops may not sts:AssumeRole" in result["msg"]
    assert "external_id" in result["msg"]


def test_session_above_the_roles_maximum(stubbed):
    aws, run = stubbed
    refuse(
        aws,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        status=400,
    )
    result = run(module.main, {"roles": [{"role_arn": B, "duration_seconds": 43200}]})
    assert "duration_seconds=43200 is above the role's maximum session duration" in result["msg"]


def test_first_hop_is_chaining_when_the_base_credentials_are_a_role_session(stubbed):
    """An instance role's credentials are a role session: AWS applies the one-hour cap to hop 1."""
    aws, run = stubbed
    refuse(
        aws,
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        status=400,
    )
    result = run(module.main, {"roles": [{"role_arn": B, "duration_seconds": 7200}]})
    assert "one hour limit of role chaining" in result["msg"]


def test_expired_session_of_the_previous_hop(stubbed):
    aws, run = stubbed
    aws("sts").add_response("assume_role", answer(B, "ASIAHOP1EXAMPLEKEY"))
    refuse(aws, "ExpiredToken", "The security token included in the request is expired", key="ASIAHOP1EXAMPLEKEY")
    result = run(module.main, {"roles": [{"role_arn": B}, {"role_arn": C}]})
    aws.assert_all_called()
    assert result["failed_hop"] == 2
    assert "the credentials of arn:aws:sts::222222222222:assumed-role/deploy/s have expired" in result["msg"]
    assert [h["role_arn"] for h in result["hops"]] == [B]
