"""ironclad.aws.assume_role run by ansible-playbook against a moto server over HTTP.

moto's STS hands out credentials that act in the account named by the role ARN, so a
second account is real here: what the credentials create lands in that account only.
With moto's IAM enforcement switched on (/moto-api/reset-auth), identity policies are
checked too, which lets a chain be denied at its second hop for real. What moto does not
model (MFA codes, trust-policy conditions, MaxSessionDuration) is covered with botocore's
Stubber in tests/unit/test_assume_role_stubbed.py.
"""

import json
import os
import stat

import boto3
import requests
from moto_play import play

ACCOUNT_B = "222222222222"
ACCOUNT_C = "333333333333"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/deploy"
ROLE_C = f"arn:aws:iam::{ACCOUNT_C}:role/audit"


def test_one_role_gives_credentials_that_act_in_the_other_account(run_playbook, aws):
    result = run_playbook(
        play(f"""
    - name: assume
      ironclad.aws.assume_role:
        roles:
          - role_arn: {ROLE_B}
            role_session_name: ci-run
            duration_seconds: 7200
            external_id: shared-secret-id
      register: account_b
    - name: vpc in b
      amazon.aws.ec2_vpc_net:
        name: from-a
        cidr_block: 10.20.0.0/16
      module_defaults:
        group/amazon.aws.aws: "{{{{ account_b.credentials | combine({{'endpoint_url': lookup('env', 'MOTO_URL'),
                                  'region': 'us-east-1'}}) }}}}"
    - name: who
      amazon.aws.aws_caller_info:
        access_key: "{{{{ account_b.credentials.access_key }}}}"
        secret_key: "{{{{ account_b.credentials.secret_key }}}}"
        session_token: "{{{{ account_b.credentials.session_token }}}}"
""")
    )
    assert result.rc == 0, result.stdout + result.stderr
    assumed = result["assume"]
    assert assumed["changed"] is False
    assert assumed["caller_identity"]["account"] == ACCOUNT_B
    assert assumed["caller_identity"]["arn"] == f"arn:aws:sts::{ACCOUNT_B}:assumed-role/deploy/ci-run"
    assert set(assumed["credentials"]) == {"access_key", "secret_key", "session_token"}
    assert assumed["expiration"] == assumed["hops"][0]["expiration"]
    assert [h["role_arn"] for h in assumed["hops"]] == [ROLE_B]
    assert result["who"]["account"] == ACCOUNT_B
    # The VPC exists in account B and not in the default account the base credentials act in.
    assert not aws("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["from-a"]}])["Vpcs"]
    creds = assumed["credentials"]
    in_b = aws(
        "ec2",
        aws_access_key_id=creds["access_key"],
        aws_secret_access_key=creds["secret_key"],
        aws_session_token=creds["session_token"],
    )
    assert in_b.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["from-a"]}])["Vpcs"]


def test_chain_of_two_roles_ends_in_the_last_account(run_playbook):
    result = run_playbook(
        play(f"""
    - name: chain
      ironclad.aws.assume_role:
        roles:
          - role_arn: {ROLE_B}
            role_session_name: first
          - role_arn: {ROLE_C}
            role_session_name: second
            duration_seconds: 3600
            tags: {{project: audit}}
            transitive_tag_keys: [project]
            source_identity: alice
""")
    )
    assert result.rc == 0, result.stdout + result.stderr
    chain = result["chain"]
    assert chain["caller_identity"]["account"] == ACCOUNT_C
    assert [h["assumed_role_arn"] for h in chain["hops"]] == [
        f"arn:aws:sts::{ACCOUNT_B}:assumed-role/deploy/first",
        f"arn:aws:sts::{ACCOUNT_C}:assumed-role/audit/second",
    ]
    assert [h["hop"] for h in chain["hops"]] == [1, 2]


def test_bad_chains_fail_before_any_call_with_the_hop_named(run_playbook, tmp_path):
    config = tmp_path / "aws" / "config"
    result = run_playbook(
        play(f"""
    - name: chained too long
      ironclad.aws.assume_role:
        roles:
          - role_arn: {ROLE_B}
          - role_arn: {ROLE_C}
            duration_seconds: 7200
        cli_profile: {{name: never, source_profile: base, config_file: "{config}"}}
      ignore_errors: true
    - name: malformed arn
      ironclad.aws.assume_role:
        roles:
          - role_arn: arn:aws:iam::2222:role/deploy
      ignore_errors: true
    - name: duration above api
      ironclad.aws.assume_role:
        roles:
          - role_arn: {ROLE_B}
            duration_seconds: 50000
      ignore_errors: true
    - name: bad mfa code
      ironclad.aws.assume_role:
        roles:
          - role_arn: {ROLE_B}
            mfa_serial_number: arn:aws:iam::111111111111:mfa/alice
            mfa_token: "12ab"
      ignore_errors: true
""")
    )
    chained = result["chained too long"]
    assert chained["failed"]
    assert "hop 2" in chained["msg"] and "role chaining" in chained["msg"] and "Nothing was assumed" in chained["msg"]
    assert not config.exists()
    malformed = result["malformed arn"]
    assert "hop 1 (arn:aws:iam::2222:role/deploy): malformed role ARN" in malformed["msg"]
    assert "900 to 43200" in result["duration above api"]["msg"]
    mfa = result["bad mfa code"]
    assert "mfa_token must be the 6 digits" in mfa["msg"]
    # The code is a no_log option: Ansible masks it in the echoed arguments.
    assert mfa["invocation"]["module_args"]["roles"][0]["mfa_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert "12ab" not in result.stdout


def test_second_hop_denied_by_iam_is_named(run_playbook, aws, moto):
    """moto checks identity policies once its IAM enforcement is on: hop 1's role may assume
    one role of account C, not the one asked for."""
    iam = aws("iam")
    iam.create_user(UserName="ops")
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_B}],
    }
    iam.put_user_policy(UserName="ops", PolicyName="jump", PolicyDocument=json.dumps(allow))
    setup = aws("sts").assume_role(RoleArn=ROLE_B, RoleSessionName="setup")["Credentials"]
    iam_b = aws(
        "iam",
        aws_access_key_id=setup["AccessKeyId"],
        aws_secret_access_key=setup["SecretAccessKey"],
        aws_session_token=setup["SessionToken"],
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    iam_b.create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps(trust))
    only_other = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT_C}:role/other"}
        ],
    }
    iam_b.put_role_policy(RoleName="deploy", PolicyName="chain", PolicyDocument=json.dumps(only_other))

    requests.post(f"{moto}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    try:
        result = run_playbook(
            play(f"""
    - name: denied
      ironclad.aws.assume_role:
        access_key: {key["AccessKeyId"]}
        secret_key: {key["SecretAccessKey"]}
        roles:
          - role_arn: {ROLE_B}
            role_session_name: ops-jump
          - role_arn: {ROLE_C}
      ignore_errors: true
""")
        )
    finally:
        requests.post(f"{moto}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()
    denied = result["denied"]
    assert denied["failed"]
    assert denied["failed_hop"] == 2
    assert denied["msg"].startswith(f"hop 2 ({ROLE_C}) was denied")
    assert f"arn:aws:sts::{ACCOUNT_B}:assumed-role/deploy/ops-jump" in denied["msg"]
    assert [h["role_arn"] for h in denied["hops"]] == [ROLE_B]
    assert "credentials" not in denied


def test_role_profile_holds_no_secret_and_the_sdk_can_use_it(run_playbook, tmp_path, moto):
    config = tmp_path / "aws" / "config"
    credentials = tmp_path / "aws" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text(
        "# keys of the base identity\n[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    config.write_text("# my settings\n[default]\noutput = json\n")
    tasks = play(f"""
    - name: profile
      ironclad.aws.assume_role:
        roles:
          - role_arn: {ROLE_B}
            role_session_name: cli
          - role_arn: {ROLE_C}
            external_id: xyz
            duration_seconds: 1800
        cli_profile:
          name: audit
          source_profile: base
          region: us-east-1
          config_file: "{config}"
          credentials_file: "{credentials}"
      register: written
""")
    check = run_playbook(tasks, check=True)
    assert check.rc == 0, check.stdout + check.stderr
    assert check["profile"]["changed"] is True
    assert check["profile"]["cli_profile"]["files_changed"] == [str(config)]
    assert config.read_text() == "# my settings\n[default]\noutput = json\n"

    first = run_playbook(tasks)
    second = run_playbook(tasks)
    assert first["profile"]["changed"] is True
    assert first["profile"]["cli_profile"]["profiles"] == ["audit-hop1", "audit"]
    assert second["profile"]["changed"] is False
    text = config.read_text()
    assert text.startswith("# my settings\n[default]\noutput = json\n")
    assert "[profile audit-hop1]" in text and "[profile audit]" in text
    assert "source_profile = audit-hop1" in text and "external_id = xyz" in text
    assert "aws_secret_access_key" not in text
    assert first["profile"]["credentials"]["secret_key"] not in text + credentials.read_text()

    # The AWS SDK itself resolves the written chain against moto: base -> B -> C.
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_ENDPOINT_URL": moto}
    saved = {k: os.environ.get(k) for k in [*env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]}
    try:
        os.environ.update(env)
        os.environ.pop("AWS_ACCESS_KEY_ID")
        os.environ.pop("AWS_SECRET_ACCESS_KEY")
        identity = boto3.Session(profile_name="audit").client("sts").get_caller_identity()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert identity["Account"] == ACCOUNT_C


def test_static_profile_is_written_0600_only_when_asked(run_playbook, tmp_path):
    credentials = tmp_path / "aws" / "credentials"
    config = tmp_path / "aws" / "config"
    config.parent.mkdir()
    config.write_text(f"[profile b]\nrole_arn = {ROLE_B}\ncredential_source = Environment\n")
    tasks = play(f"""
    - name: static
      ironclad.aws.assume_role:
        roles:
          - role_arn: {ROLE_B}
        cli_profile:
          name: b
          type: static
          config_file: "{config}"
          credentials_file: "{credentials}"
      no_log: true
""")
    check = run_playbook(tasks, check=True)
    assert check["static"]["changed"] is True
    assert not credentials.exists()

    result = run_playbook(tasks)
    assert result.rc == 0, result.stdout + result.stderr
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    text = credentials.read_text()
    assert "[b]\n" in text and "aws_session_token = " in text and "# expires " in text
    # A role_arn left for the same name would win over the static keys in the SDK.
    assert "role_arn" not in config.read_text()
    # no_log on the task: the json callback shows no credentials.
    assert "aws_secret_access_key" not in result.stdout
    assert result["static"]["censored"]
