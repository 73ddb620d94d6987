"""route53_vpc_association across two accounts, with botocore's Stubber.

Why Stubber: moto 5.2.5 implements none of CreateVPCAssociationAuthorization,
ListVPCAssociationAuthorizations and DeleteVPCAssociationAuthorization, and keeps hosted
zones per account, so the VPC account cannot associate with the zone account's zone
there. Stubber validates each request and each canned response against Route 53's,
STS's and EC2's service models, and fails on any call not queued, so these tests also
prove which calls the module does not make (check mode, idempotent runs). The module's
main() runs in-process with real botocore clients; only the network answer is canned.
What moto can answer is run end to end in tests/integration/test_route53_vpc_association.py.
"""

import datetime

import pytest
from ansible_collections.ironclad.aws.plugins.modules import route53_vpc_association as module

ZONE = "Z0123456789ABCDEFGHIJ"
ZONE_ACCOUNT, VPC_ACCOUNT = "111111111111", "222222222222"
VPC_KEY = "ASIAVPCACCOUNTKEY"
VPC_ID, OTHER_VPC = "vpc-0abc1234def567890", "vpc-0fedcba9876543210"
VPC = {"VPCId": VPC_ID, "VPCRegion": "eu-west-1"}
ZONE_VPC = {"VPCId": OTHER_VPC, "VPCRegion": "eu-west-1"}
ARGS = {
    "hosted_zone_id": f"/hostedzone/{ZONE}",
    "vpc_id": VPC_ID,
    "vpc_credentials": {
        "access_key": VPC_KEY,
        "secret_key": "s3cr3t-vpc",
        "session_token": "t0ken",
        "region": "eu-west-1",
    },
}
# Route 53's model gives ListVPCAssociationAuthorizations' VPCs a minimum length of 1, so
# Stubber refuses an empty list: "none for this VPC" is an authorization for another VPC.
UNRELATED = {"VPCId": "vpc-0999999999999999a", "VPCRegion": "eu-west-1"}
CHANGE = {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": datetime.datetime(2026, 1, 1)}


def identities(aws):
    aws("sts").add_response("get_caller_identity", _identity(ZONE_ACCOUNT), {})
    aws("sts", VPC_KEY).add_response("get_caller_identity", _identity(VPC_ACCOUNT), {})


def _identity(account):
    return {"UserId": "AROAEXAMPLE:s", "Account": account, "Arn": f"arn:aws:sts::{account}:assumed-role/r/s"}


def hosted_zone(aws, vpcs):
    answer = {
        "HostedZone": {
            "Id": f"/hostedzone/{ZONE}",
            "Name": "corp.internal.",
            "CallerReference": "r",
            "Config": {"PrivateZone": True},
        },
        "VPCs": vpcs,
    }
    aws("route53").add_response("get_hosted_zone", answer, {"Id": ZONE})


def vpc_lookup(aws, owner=VPC_ACCOUNT):
    aws("ec2", VPC_KEY).add_response(
        "describe_vpcs", {"Vpcs": [{"VpcId": VPC_ID, "OwnerId": owner}]}, {"VpcIds": [VPC_ID]}
    )


def authorizations(aws, vpcs):
    aws("route53").add_response(
        "list_vpc_association_authorizations", {"HostedZoneId": ZONE, "VPCs": vpcs}, {"HostedZoneId": ZONE}
    )


def authorize(aws):
    aws("route53").add_response(
        "create_vpc_association_authorization", {"HostedZoneId": ZONE, "VPC": VPC}, {"HostedZoneId": ZONE, "VPC": VPC}
    )


def associate(aws, change=CHANGE):
    aws("route53", VPC_KEY).add_response(
        "associate_vpc_with_hosted_zone", {"ChangeInfo": change}, {"HostedZoneId": ZONE, "VPC": VPC}
    )


def deauthorize(aws):
    aws("route53").add_response("delete_vpc_association_authorization", {}, {"HostedZoneId": ZONE, "VPC": VPC})


def reads_before_associating(aws, listed):
    """What a run reads for a VPC not yet in the zone: who each side is, the zone, the VPC's owner."""
    identities(aws)
    hosted_zone(aws, [ZONE_VPC])
    vpc_lookup(aws)
    authorizations(aws, listed)


def reads_when_associated(aws, listed):
    """What a run reads for a VPC already in the zone (the VPC's owner is not asked)."""
    identities(aws)
    hosted_zone(aws, [ZONE_VPC, VPC])
    authorizations(aws, listed)


def cleanup_and_report(aws):
    """A run's last calls once it has changed the zone: the authorization deleted, the zone read again."""
    deauthorize(aws)
    hosted_zone(aws, [ZONE_VPC, VPC])


def test_two_account_flow_then_nothing_on_the_second_run(stubbed):
    aws, run = stubbed
    # Run 1: authorization by the zone account, association by the VPC account, cleanup.
    reads_before_associating(aws, [UNRELATED])
    authorize(aws)
    associate(aws)
    cleanup_and_report(aws)
    first = run(module.main, ARGS)
    aws.assert_all_called()
    assert first["changed"] is True
    assert [(a["action"], a["account_id"]) for a in first["actions"]] == [
        ("create_authorization", ZONE_ACCOUNT),
        ("associate", VPC_ACCOUNT),
        ("delete_authorization", ZONE_ACCOUNT),
    ]
    assert first["cross_account"] is True and first["associated"] is True
    assert first["change_info"]["id"] == "/change/C1"
    assert {v["vpc_id"] for v in first["vpcs"]} == {VPC_ID, OTHER_VPC}
    assert "s3cr3t-vpc" not in str(first)

    # Run 2: already associated, no authorization left: reads only.
    reads_when_associated(aws, [UNRELATED])
    second = run(module.main, ARGS)
    aws.assert_all_called()
    assert second["changed"] is False and second["actions"] == []


def test_check_mode_reports_the_plan_without_a_mutating_call(stubbed):
    aws, run = stubbed
    reads_before_associating(aws, [UNRELATED])
    result = run(module.main, ARGS, check_mode=True)
    aws.assert_all_called()  # and Stubber would have refused any call not queued above
    assert result["changed"] is True
    assert [a["action"] for a in result["actions"]] == ["create_authorization", "associate", "delete_authorization"]
    assert "CreateVPCAssociationAuthorization" in result["actions"][0]["description"]


def test_existing_authorization_is_reused_and_a_leftover_one_removed(stubbed):
    aws, run = stubbed
    reads_before_associating(aws, [VPC])
    associate(aws)
    hosted_zone(aws, [ZONE_VPC, VPC])
    kept = run(module.main, dict(ARGS, cleanup_authorization=False))
    aws.assert_all_called()
    assert [a["action"] for a in kept["actions"]] == ["associate"]

    reads_when_associated(aws, [VPC])
    cleanup_and_report(aws)
    cleaned = run(module.main, ARGS)
    aws.assert_all_called()
    assert cleaned["changed"] is True and [a["action"] for a in cleaned["actions"]] == ["delete_authorization"]


def test_absent_disassociates_as_the_vpc_account_and_removes_the_stale_authorization(stubbed):
    aws, run = stubbed
    reads_when_associated(aws, [VPC])
    aws("route53", VPC_KEY).add_response(
        "disassociate_vpc_from_hosted_zone", {"ChangeInfo": CHANGE}, {"HostedZoneId": ZONE, "VPC": VPC}
    )
    deauthorize(aws)
    hosted_zone(aws, [ZONE_VPC])
    result = run(module.main, dict(ARGS, state="absent"))
    aws.assert_all_called()
    assert [(a["action"], a["account_id"]) for a in result["actions"]] == [
        ("disassociate", VPC_ACCOUNT),
        ("delete_authorization", ZONE_ACCOUNT),
    ]
    assert result["associated"] is False


def test_absent_refuses_the_last_vpc_before_any_change(stubbed):
    aws, run = stubbed
    identities(aws)
    hosted_zone(aws, [VPC])
    authorizations(aws, [UNRELATED])
    result = run(module.main, dict(ARGS, state="absent"))
    aws.assert_all_called()
    assert result["failed"] and "last VPC" in result["msg"]


def test_conflicting_domain_fails_clearly_and_removes_the_authorization_it_made(stubbed):
    aws, run = stubbed
    reads_before_associating(aws, [UNRELATED])
    authorize(aws)
    aws("route53", VPC_KEY).add_client_error(
        "associate_vpc_with_hosted_zone",
        service_error_code="ConflictingDomainExists",
        service_message="The VPC is already associated with a hosted zone of the same name.",
        http_status_code=400,
        expected_params={"HostedZoneId": ZONE, "VPC": VPC},
    )
    deauthorize(aws)
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["failed"] and result["failed_action"] == "associate"
    assert "already associated with another private hosted zone named corp.internal." in result["msg"]


def test_not_authorized_names_the_vpc_account(stubbed):
    aws, run = stubbed
    reads_before_associating(aws, [VPC])  # present when listed, gone by the time of the association
    aws("route53", VPC_KEY).add_client_error(
        "associate_vpc_with_hosted_zone",
        service_error_code="NotAuthorizedException",
        service_message="User is not authorized to perform this action.",
        http_status_code=401,
    )
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert f"Account {VPC_ACCOUNT} is not authorized to associate {VPC_ID} (eu-west-1)" in result["msg"]


def test_prior_request_not_complete_is_retried(stubbed):
    aws, run = stubbed
    reads_before_associating(aws, [UNRELATED])
    authorize(aws)
    for _ in range(2):
        aws("route53", VPC_KEY).add_client_error(
            "associate_vpc_with_hosted_zone", service_error_code="PriorRequestNotComplete", http_status_code=400
        )
    associate(aws)
    cleanup_and_report(aws)
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["changed"] is True and "failed" not in result


def test_prior_request_not_complete_that_never_clears_is_explained(stubbed):
    aws, run = stubbed
    reads_when_associated(aws, [UNRELATED])
    for _ in range(8):  # AWSRetry(retries=8) makes 8 attempts in all
        aws("route53", VPC_KEY).add_client_error(
            "disassociate_vpc_from_hosted_zone", service_error_code="PriorRequestNotComplete", http_status_code=400
        )
    result = run(module.main, dict(ARGS, state="absent"))
    aws.assert_all_called()
    assert result["failed"] and "still processing an earlier request" in result["msg"]


def test_authorization_already_gone_at_cleanup_is_not_an_error(stubbed):
    aws, run = stubbed
    reads_before_associating(aws, [UNRELATED])
    authorize(aws)
    associate(aws)
    aws("route53").add_client_error(
        "delete_vpc_association_authorization",
        service_error_code="VPCAssociationAuthorizationNotFound",
        http_status_code=404,
        expected_params={"HostedZoneId": ZONE, "VPC": VPC},
    )
    hosted_zone(aws, [ZONE_VPC, VPC])
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["changed"] is True and "failed" not in result


def test_vpc_owned_by_another_account_is_refused_before_any_change(stubbed):
    aws, run = stubbed
    identities(aws)
    hosted_zone(aws, [ZONE_VPC])
    vpc_lookup(aws, owner="333333333333")
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert f"VPC {VPC_ID} belongs to account 333333333333" in result["msg"]


def test_wait_polls_the_change_until_insync(stubbed):
    aws, run = stubbed
    reads_before_associating(aws, [UNRELATED])
    authorize(aws)
    associate(aws)
    vpc_r53 = aws("route53", VPC_KEY)
    vpc_r53.add_response("get_change", {"ChangeInfo": CHANGE}, {"Id": "/change/C1"})
    insync = dict(CHANGE, Status="INSYNC")
    vpc_r53.add_response("get_change", {"ChangeInfo": insync}, {"Id": "/change/C1"})
    vpc_r53.add_response("get_change", {"ChangeInfo": insync}, {"Id": "/change/C1"})
    cleanup_and_report(aws)
    result = run(module.main, dict(ARGS, wait=True, wait_timeout=60))
    aws.assert_all_called()
    assert result["change_info"]["status"] == "INSYNC"


@pytest.mark.parametrize("credentials", [{"profile": "b", "access_key": "AKIA"}, {"session_token": "only"}])
def test_incomplete_vpc_credentials_are_refused(stubbed, credentials):
    _, run = stubbed
    result = run(module.main, dict(ARGS, vpc_credentials=credentials))
    assert result["failed"] and result["msg"].startswith("vpc_credentials: give")


@pytest.mark.parametrize(
    "args, message",
    [
        ({"hosted_zone_id": ""}, "hosted_zone_id is empty"),
        ({"hosted_zone_id": "   "}, "hosted_zone_id is empty"),
        ({"hosted_zone_id": "/hostedzone/"}, "hosted_zone_id '/hostedzone/' names no zone"),
        ({"hosted_zone_id": "/hostedzone/Z1/x"}, "hosted_zone_id '/hostedzone/Z1/x' is not a hosted zone ID"),
        ({"hosted_zone_id": "corp.internal."}, "hosted_zone_id 'corp.internal.' is not a hosted zone ID"),
        ({"vpc_id": ""}, "vpc_id is empty"),
        ({"vpc_id": "vpc-"}, "vpc_id 'vpc-' is not a VPC ID"),
        ({"vpc_id": "subnet-0abc1234"}, "vpc_id 'subnet-0abc1234' is not a VPC ID"),
        ({"vpc_region": "eu west 1"}, "vpc_region 'eu west 1' is not a region name"),
    ],
)
def test_empty_or_garbled_ids_are_named_before_any_call(stubbed, args, message):
    aws, run = stubbed
    result = run(module.main, dict(ARGS, **args))
    aws.assert_all_called()  # nothing queued: any AWS call would have failed the run differently
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]


def test_spaces_around_ids_are_stripped(stubbed):
    aws, run = stubbed
    reads_when_associated(aws, [UNRELATED])
    result = run(module.main, dict(ARGS, hosted_zone_id=f"  /hostedzone/{ZONE} ", vpc_id=f" {VPC_ID}\t"))
    aws.assert_all_called()
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["hosted_zone_id"] == ZONE and result["vpc_id"] == VPC_ID
