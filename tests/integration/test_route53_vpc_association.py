"""ironclad.aws.route53_vpc_association run by ansible-playbook against a moto server over HTTP.

What runs here against moto: the accounts of both sides (STS, with credentials from
ironclad.aws.assume_role), the VPC lookup in the VPC's account, GetHostedZone, and the
association and disassociation calls within one account, with check mode, idempotence,
the wait for INSYNC and the refusal of the last VPC.

What cannot: moto 5.2.5 does not implement CreateVPCAssociationAuthorization,
DeleteVPCAssociationAuthorization nor ListVPCAssociationAuthorizations (they answer 404),
and it keeps hosted zones per account, so account B cannot associate a VPC with account
A's zone. The cross-account calls are therefore proven with botocore's Stubber, which
checks every request and response against Route 53's service model, in
tests/unit/test_route53_vpc_association_stubbed.py (full two-account flow, repeated, and
every error). Here the cross-account case covers what moto can answer: an association that
already exists (with cleanup off, so no authorization call is needed) and the errors
found before any change.
"""

import json
import uuid
from pathlib import Path

from moto_play import play

ACCOUNT_A = "123456789012"  # moto's default account: the zone owner here
ACCOUNT_B = "222222222222"
REGION = "us-east-1"
PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "share_private_zone.yml"


def private_zone(r53, vpc_id, name="corp.internal"):
    zone = r53.create_hosted_zone(
        Name=name,
        CallerReference=str(uuid.uuid4()),
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": vpc_id},
    )
    return zone["HostedZone"]["Id"].rsplit("/", 1)[-1]


def zone_vpcs(r53, zone_id):
    return sorted(v["VPCId"] for v in r53.get_hosted_zone(Id=zone_id)["VPCs"])


def test_same_account_lifecycle_plan_idempotence_and_last_vpc(run_playbook, aws):
    ec2, r53 = aws("ec2"), aws("route53")
    first = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    second = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    zone = private_zone(r53, first)

    planned = run_playbook(
        play(f"""
    - name: plan
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: /hostedzone/{zone}
        vpc_id: {second}
"""),
        check=True,
    )
    assert planned.rc == 0, planned.stdout + planned.stderr
    plan = planned["plan"]
    assert plan["changed"] is True and plan["associated"] is True
    assert [a["action"] for a in plan["actions"]] == ["associate"]
    assert plan["cross_account"] is False and plan["zone_account_id"] == ACCOUNT_A
    assert zone_vpcs(r53, zone) == [first]

    result = run_playbook(
        play(f"""
    - name: associate
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {second}
        wait: true
        comment: shared by ansible
    - name: associate again
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {second}
    - name: plan removal
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {second}
        state: absent
      check_mode: true
    - name: disassociate
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {second}
        state: absent
        wait: true
    - name: disassociate again
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {second}
        state: absent
    - name: last vpc
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {first}
        state: absent
      ignore_errors: true
""")
    )
    associate = result["associate"]
    assert associate["changed"] is True, result.stdout
    assert associate["change_info"]["status"] == "INSYNC"
    assert sorted(v["vpc_id"] for v in associate["vpcs"]) == sorted([first, second])
    assert result["associate again"]["changed"] is False
    assert result["associate again"]["actions"] == []
    removal = result["plan removal"]
    assert [a["action"] for a in removal["actions"]] == ["disassociate"] and removal["associated"] is False
    assert result["disassociate"]["changed"] is True
    assert [v["vpc_id"] for v in result["disassociate"]["vpcs"]] == [first]
    assert result["disassociate again"]["changed"] is False
    last = result["last vpc"]
    assert last["failed"] and "last VPC" in last["msg"] and last["msg"].startswith("Refusing to disassociate")
    assert zone_vpcs(r53, zone) == [first]


def test_vpc_credentials_from_assume_role_are_used_and_hidden(run_playbook, aws):
    """The VPC side's credentials come from assume_role (a role of the zone's own account here,
    since moto can only associate within one account)."""
    ec2, r53 = aws("ec2"), aws("route53")
    first = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    second = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    zone = private_zone(r53, first)
    result = run_playbook(
        play(f"""
    - name: network role
      ironclad.aws.assume_role:
        roles:
          - role_arn: arn:aws:iam::{ACCOUNT_A}:role/network
      register: network
    - name: associate
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {second}
        vpc_credentials: "{{{{ network.credentials | combine({{'region': 'us-east-1'}}) }}}}"
""")
    )
    assert result.rc == 0, result.stdout + result.stderr
    associate = result["associate"]
    assert associate["changed"] is True and associate["vpc_account_id"] == ACCOUNT_A
    assert associate["vpc_region"] == REGION
    args = associate["invocation"]["module_args"]["vpc_credentials"]
    assert args["secret_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert args["session_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert zone_vpcs(r53, zone) == sorted([first, second])


def test_cross_account_existing_association_and_errors_before_any_change(run_playbook, aws):
    sts = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_B}:role/network", RoleSessionName="setup")
    creds = sts["Credentials"]
    ec2_b = aws(
        "ec2",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    vpc_b = ec2_b.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    vpc_a = aws("ec2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    r53 = aws("route53")
    # moto stores any VPC ID given at creation: account A's zone starts out shared with B's VPC.
    zone = private_zone(r53, vpc_b)
    public = r53.create_hosted_zone(Name="example.com", CallerReference="p")["HostedZone"]["Id"].rsplit("/", 1)[-1]
    result = run_playbook(
        play(f"""
    - name: account b
      ironclad.aws.assume_role:
        roles:
          - role_arn: arn:aws:iam::{ACCOUNT_B}:role/network
      register: account_b
    - name: already shared
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {vpc_b}
        vpc_credentials: "{{{{ account_b.credentials }}}}"
        cleanup_authorization: false
    - name: vpc of the wrong account
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {vpc_a}
        vpc_credentials: "{{{{ account_b.credentials }}}}"
      ignore_errors: true
    - name: public zone
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {public}
        vpc_id: {vpc_a}
      ignore_errors: true
    - name: zone of another account
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {vpc_b}
        access_key: "{{{{ account_b.credentials.access_key }}}}"
        secret_key: "{{{{ account_b.credentials.secret_key }}}}"
        session_token: "{{{{ account_b.credentials.session_token }}}}"
      ignore_errors: true
    - name: profile and keys
      ironclad.aws.route53_vpc_association:
        hosted_zone_id: {zone}
        vpc_id: {vpc_b}
        vpc_credentials:
          profile: b
          access_key: AKIAEXAMPLE
      ignore_errors: true
""")
    )
    shared = result["already shared"]
    assert shared["changed"] is False, result.stdout
    assert shared["cross_account"] is True
    assert (shared["zone_account_id"], shared["vpc_account_id"]) == (ACCOUNT_A, ACCOUNT_B)
    assert shared["associated"] is True and shared["actions"] == []
    wrong = result["vpc of the wrong account"]
    assert wrong["failed"] and f"VPC {vpc_a} not found in us-east-1 for account {ACCOUNT_B}" in wrong["msg"]
    assert "is public" in result["public zone"]["msg"]
    other = result["zone of another account"]
    assert f"Hosted zone {zone} not found in account {ACCOUNT_B}" in other["msg"]
    assert "either a profile or keys" in result["profile and keys"]["msg"]
    assert zone_vpcs(r53, zone) == [vpc_b]


def test_share_private_zone_playbook_twice(run_playbook, aws):
    """The shipped playbook, end to end; its role is in the zone's own account because moto
    can associate only within one account (the cross-account path is the Stubber test's)."""
    ec2, r53 = aws("ec2"), aws("route53")
    first = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    second = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    zone = private_zone(r53, first)
    shared = f"""
- name: share
  ansible.builtin.import_playbook: {PLAYBOOK}
  vars:
    share_zone_id: {zone}
    share_vpc_id: {second}
    share_vpc_region: {REGION}
    share_vpc_role_arn: arn:aws:iam::{ACCOUNT_A}:role/network
    share_endpoint_url: "{{{{ lookup('env', 'MOTO_URL') }}}}"
"""
    once = run_playbook(shared)
    twice = run_playbook(shared)
    assert once.rc == 0, once.stdout + once.stderr
    assert once["Associate the VPC with the zone (authorize, associate, remove the authorization)"]["changed"] is True
    assert twice.rc == 0 and json.loads(twice.stdout)["stats"]["localhost"]["changed"] == 0
    assert zone_vpcs(r53, zone) == sorted([first, second])
    assert once["Assume the VPC account's role"]["censored"]
