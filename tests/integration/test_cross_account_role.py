"""playbooks/cross_account_role.yml and playbooks/mfa_self_service.yml against a moto server over
HTTP, with moto's IAM enforcement on (/moto-api/reset-auth) while the playbooks and the proofs run.

Two accounts, two credential sets: each account gets an administrator user (inline policy
`*`) whose access key moto maps to that account. A's EC2 role session stands for what the
instance metadata hands an instance of A.

What moto enforces here: identity policies (A's EC2 role needs the inline sts:AssumeRole
policy) and the assumed role's permissions in B (the UpdateApp policy and nothing more). What
it does not: a trust policy across accounts (moto looks the role up in the caller's account
only) and policy variables such as ${aws:username}. Those documents are read back and compared
with the intended ones written out below from SPEC section 7.
"""

import json
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from moto_play import play

ROOT = Path(__file__).resolve().parents[2]
A, B = "111111111111", "222222222222"
APP_BUCKET = "app-artifacts-b"
UPDATE_APP = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{APP_BUCKET}"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{APP_BUCKET}/*"},
    ],
}
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
MFA_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ManageOwnVirtualMFADevice",
            "Effect": "Allow",
            "Action": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:ResyncMFADevice",
                "iam:DeleteVirtualMFADevice",
            ],
            "Resource": ["arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:user/${aws:username}"],
        },
        {
            "Sid": "DeactivateOwnMFADeviceOnlyWithMFA",
            "Effect": "Allow",
            "Action": "iam:DeactivateMFADevice",
            "Resource": ["arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:user/${aws:username}"],
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Sid": "ListMFADevicesAndUsers",
            "Effect": "Allow",
            "Action": ["iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ListUsers"],
            "Resource": "*",
        },
    ],
}


def keys(credentials):
    if "AccessKeyId" in credentials:
        return dict(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials.get("SessionToken"),
        )
    return dict(aws_access_key_id=credentials["access_key"], aws_secret_access_key=credentials["secret_key"])


def administrator(aws, account):
    """An admin user of `account` and its access key, as an amazon.aws credentials dict."""
    setup = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup")
    iam = aws("iam", **keys(setup["Credentials"]))
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


@pytest.fixture
def enforce(moto):
    def switch(on: bool):
        requests.post(f"{moto}/moto-api/reset-auth", data=b"0" if on else b"inf", timeout=10).raise_for_status()

    yield switch
    switch(False)


def assume_task(name, instance, role_arn):
    return f"""
    - name: {name}
      ironclad.aws.assume_role:
        access_key: {instance["AccessKeyId"]}
        secret_key: {instance["SecretAccessKey"]}
        session_token: {instance["SessionToken"]}
        roles:
          - role_arn: {role_arn}
            role_session_name: i-0123456789abcdef0
      register: assumed
      ignore_errors: true
"""


def cross_account_play(a, b):
    return f"""
- ansible.builtin.import_playbook: {ROOT}/playbooks/cross_account_role.yml
  vars:
    cross_account_trusted_credentials: {json.dumps(a)}
    cross_account_trusting_credentials: {json.dumps(b)}
    cross_account_trusted_role_name: app-instance
    cross_account_permissions_policy: {json.dumps(UPDATE_APP)}
    cross_account_endpoint_url: "{{{{ lookup('env', 'MOTO_URL') }}}}"
"""


def test_a_instance_may_assume_update_app_in_b_only_after_the_playbook(run_playbook, aws, enforce):
    admin_a, admin_b = administrator(aws, A), administrator(aws, B)
    iam_a, iam_b = aws("iam", **keys(admin_a)), aws("iam", **keys(admin_b))
    ec2_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    iam_a.create_role(RoleName="app-instance", AssumeRolePolicyDocument=json.dumps(ec2_trust))
    # What the instance metadata hands an instance of A that has this role.
    instance = aws("sts", **keys(admin_a)).assume_role(
        RoleArn=f"arn:aws:iam::{A}:role/app-instance", RoleSessionName="i-0123456789abcdef0"
    )["Credentials"]
    aws("s3", **keys(admin_b)).create_bucket(Bucket=APP_BUCKET)
    role_arn = f"arn:aws:iam::{B}:role/UpdateApp"

    enforce(True)
    before = run_playbook(play(assume_task("before", instance, role_arn)))
    assert before["before"]["failed"]
    assert before["before"]["msg"].startswith(f"hop 1 ({role_arn}) was denied")
    assert f"arn:aws:sts::{A}:assumed-role/app-instance/i-0123456789abcdef0" in before["before"]["msg"]

    created = run_playbook(cross_account_play(admin_a, admin_b))
    assert created.rc == 0, created.stdout + created.stderr
    again = run_playbook(cross_account_play(admin_a, admin_b))
    assert again.rc == 0 and json.loads(again.stdout)["stats"]["localhost"]["changed"] == 0

    after = run_playbook(play(assume_task("after", instance, role_arn)))
    assumed = after["after"]
    assert not assumed.get("failed"), assumed
    assert assumed["caller_identity"]["arn"] == f"arn:aws:sts::{B}:assumed-role/UpdateApp/i-0123456789abcdef0"
    in_b = assumed["credentials"]
    s3_b = aws("s3", **keys({"AccessKeyId": in_b["access_key"], "SecretAccessKey": in_b["secret_key"],
                             "SessionToken": in_b["session_token"]}))  # fmt: skip
    s3_b.put_object(Bucket=APP_BUCKET, Key="release.txt", Body=b"1.2.3")
    assert [o["Key"] for o in s3_b.list_objects_v2(Bucket=APP_BUCKET)["Contents"]] == ["release.txt"]
    with pytest.raises(ClientError, match="AccessDenied"):
        s3_b.create_bucket(Bucket="not-in-update-app")
    iam_as_b = aws("iam", **keys({"AccessKeyId": in_b["access_key"], "SecretAccessKey": in_b["secret_key"],
                                  "SessionToken": in_b["session_token"]}))  # fmt: skip
    with pytest.raises(ClientError, match="AccessDenied"):
        iam_as_b.create_user(UserName="intruder")
    enforce(False)

    # The documents, read back.
    role = iam_b.get_role(RoleName="UpdateApp")["Role"]
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/app-instance"}, "Action": "sts:AssumeRole"}
        ],
    }
    assert role["MaxSessionDuration"] == 3600
    assert iam_b.get_role_policy(RoleName="UpdateApp", PolicyName="UpdateApp")["PolicyDocument"] == UPDATE_APP
    inline = iam_a.get_role_policy(RoleName="app-instance", PolicyName=f"assume-UpdateApp-in-{B}")["PolicyDocument"]
    assert inline == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}],
    }


CHECK = "Check that the two credentials are two accounts and A's role exists"


def test_one_account_twice_or_a_missing_role_changes_nothing(run_playbook, aws):
    admin_a = administrator(aws, A)
    same = run_playbook(cross_account_play(admin_a, admin_a))
    assert same.rc != 0
    assert f"accounts {A} (A) and {A} (B), which must differ" in same[CHECK]["msg"]
    admin_b = administrator(aws, B)
    missing = run_playbook(cross_account_play(admin_a, admin_b))
    assert missing.rc != 0 and "must exist (0 found" in missing[CHECK]["msg"]
    roles_b = aws("iam", **keys(admin_b)).list_roles()["Roles"]
    assert not [r for r in roles_b if r["RoleName"] == "UpdateApp"]


def mfa_play(users):
    return f"""
- ansible.builtin.import_playbook: {ROOT}/playbooks/mfa_self_service.yml
  vars:
    mfa_self_service_users: {json.dumps(users)}
    mfa_self_service_endpoint_url: "{{{{ lookup('env', 'MOTO_URL') }}}}"
"""


def test_mfa_self_service_group_policy_is_the_runbook_one_and_applies_to_members(run_playbook, aws, enforce):
    iam = aws("iam")
    member_keys = {}
    for user in ("alice", "bob"):
        iam.create_user(UserName=user)
        member_keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
    first = run_playbook(mfa_play(["alice"]))
    assert first.rc == 0, first.stdout + first.stderr
    second = run_playbook(mfa_play(["alice"]))
    assert second.rc == 0 and json.loads(second.stdout)["stats"]["localhost"]["changed"] == 0

    policy = iam.get_group_policy(GroupName="mfa-self-service", PolicyName="ManageOwnMFA")["PolicyDocument"]
    assert policy == MFA_POLICY
    assert [u["UserName"] for u in iam.get_group(GroupName="mfa-self-service")["Users"]] == ["alice"]

    enforce(True)
    alice = aws("iam", **keys({"AccessKeyId": member_keys["alice"]["AccessKeyId"],
                               "SecretAccessKey": member_keys["alice"]["SecretAccessKey"]}))  # fmt: skip
    bob = aws("iam", **keys({"AccessKeyId": member_keys["bob"]["AccessKeyId"],
                             "SecretAccessKey": member_keys["bob"]["SecretAccessKey"]}))  # fmt: skip
    assert alice.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    assert {u["UserName"] for u in alice.list_users()["Users"]} == {"alice", "bob"}
    with pytest.raises(ClientError, match="AccessDenied"):
        alice.create_user(UserName="mallory")
    with pytest.raises(ClientError, match="AccessDenied"):
        bob.list_virtual_mfa_devices()
