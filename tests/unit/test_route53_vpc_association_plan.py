"""The decisions of route53_vpc_association, without AWS: which calls, in which order, by whom."""

import pytest
from ansible_collections.ironclad.aws.plugins.module_utils import route53_association as r53

CTX = {
    "hosted_zone_id": "Z1",
    "hosted_zone_name": "corp.internal.",
    "vpc_id": "vpc-1",
    "vpc_region": "eu-west-1",
    "zone_account_id": "111111111111",
    "vpc_account_id": "222222222222",
}


@pytest.mark.parametrize(
    ("state", "associated", "cross", "authorized", "cleanup", "steps"),
    [
        ("present", False, True, False, True, ["create_authorization", "associate", "delete_authorization"]),
        ("present", False, True, False, False, ["create_authorization", "associate"]),
        ("present", False, True, True, True, ["associate", "delete_authorization"]),
        ("present", False, False, False, True, ["associate"]),
        ("present", True, True, False, True, []),
        ("present", True, True, True, True, ["delete_authorization"]),
        ("present", True, True, True, False, []),
        ("present", True, False, False, True, []),
        ("absent", True, True, True, True, ["disassociate", "delete_authorization"]),
        ("absent", True, True, True, False, ["disassociate"]),
        ("absent", True, False, False, True, ["disassociate"]),
        ("absent", False, True, True, True, ["delete_authorization"]),
        ("absent", False, True, False, True, []),
        ("absent", False, False, False, True, []),
    ],
)
def test_plan(state, associated, cross, authorized, cleanup, steps):
    assert r53.plan(state, associated, 2, cross, authorized, cleanup) == steps


def test_the_last_vpc_is_never_planned_for_removal():
    with pytest.raises(r53.LastVpcError, match="last VPC"):
        r53.plan("absent", True, 1, True, False, True)
    assert r53.plan("absent", False, 1, True, False, True) == []


@pytest.mark.parametrize(
    ("state", "associated", "cross", "cleanup", "needed"),
    [
        ("present", False, True, False, True),
        ("present", True, True, False, False),
        ("present", True, True, True, True),
        ("absent", True, True, False, False),
        ("absent", False, True, True, True),
        ("present", False, False, True, False),
    ],
)
def test_authorizations_are_listed_only_when_the_plan_depends_on_them(state, associated, cross, cleanup, needed):
    assert r53.must_list_authorizations(state, associated, cross, cleanup) is needed


def test_zone_id_and_vpc_matching():
    assert r53.zone_id("/hostedzone/Z1") == "Z1" == r53.zone_id("Z1")
    vpcs = [{"VPCId": "vpc-1", "VPCRegion": "eu-west-1"}]
    assert r53.has_vpc(vpcs, "vpc-1", "eu-west-1")
    assert not r53.has_vpc(vpcs, "vpc-1", "us-east-1")
    assert not r53.has_vpc(None, "vpc-1", "eu-west-1")


def test_each_step_names_its_api_call_and_caller():
    assert r53.describe("create_authorization", CTX)["account_id"] == "111111111111"
    assert r53.describe("associate", CTX)["account_id"] == "222222222222"
    assert r53.describe("disassociate", CTX)["description"].startswith(
        "DisassociateVPCFromHostedZone: disassociate vpc-1"
    )


@pytest.mark.parametrize(
    ("step", "code", "expected"),
    [
        ("associate", "ConflictingDomainExists", "another private hosted zone named corp.internal."),
        ("associate", "NotAuthorizedException", "Account 222222222222 is not authorized"),
        ("create_authorization", "NotAuthorizedException", "is it the zone's owner"),
        ("associate", "PriorRequestNotComplete", "still processing an earlier request"),
        ("delete_authorization", "VPCAssociationAuthorizationNotFound", "No authorization of vpc-1"),
        ("disassociate", "LastVPCAssociation", "last VPC"),
        ("associate", "SomethingNew", "associate failed with SomethingNew. AWS said: boom"),
    ],
)
def test_errors_are_explained(step, code, expected):
    assert expected in r53.explain_error(step, code, "boom", CTX)


def test_only_a_goal_already_reached_is_forgiven():
    assert r53.already_done("delete_authorization", "VPCAssociationAuthorizationNotFound")
    assert r53.already_done("disassociate", "VPCAssociationNotFound")
    assert not r53.already_done("associate", "VPCAssociationAuthorizationNotFound")


def test_input_problems_name_the_option():
    assert r53.zone_id(" hostedzone/Z1 ") == "Z1"
    assert r53.input_problem("/hostedzone/Z1", "vpc-0123abcd", "eu-west-1") is None
    assert r53.input_problem("Z1", "vpc-0123456789abcdef0", None) is None
    assert r53.input_problem("Z1", "vpc-0123abcd", "us-gov-west-1") is None
    assert r53.input_problem("", "vpc-0123abcd", None).startswith("hosted_zone_id is empty")
    assert r53.input_problem("z1lower", "vpc-0123abcd", None).startswith("hosted_zone_id 'z1lower' is not")
    assert r53.input_problem("Z1", "vpc-0123abc", None).startswith("vpc_id 'vpc-0123abc' is not a VPC ID")
    assert r53.input_problem("Z1", "vpc-0123abcd", "eu-west").startswith("vpc_region 'eu-west' is not")
