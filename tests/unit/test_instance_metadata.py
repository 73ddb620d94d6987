"""instance_metadata_options: the pure rules (module_utils/instance_metadata.py), and the module's
calls with botocore's Stubber for what moto cannot show: DescribeInstances pages (moto answers
the instances of a test in one page), a failure half way, and that check mode and bad input
make no mutating call (Stubber fails on any call not queued). The rest runs against moto in
tests/integration/test_instance_metadata_options.py."""

import pytest
from ansible_collections.ironclad.aws.plugins.module_utils import instance_metadata as imds
from ansible_collections.ironclad.aws.plugins.modules import instance_metadata_options as module

A, B, C = "i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb", "i-0cccccccccccccccc"
V1 = {"State": "applied", "HttpTokens": "optional", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "enabled"}
V2 = dict(V1, HttpTokens="required", HttpPutResponseHopLimit=1)
PARAMS = {
    "states": ["running"],
    "http_tokens": "required",
    "http_put_response_hop_limit": 1,
    "http_endpoint": None,
    "http_protocol_ipv6": None,
    "instance_metadata_tags": None,
}


def test_unset_options_keep_the_instance_value_and_only_differences_count():
    target = imds.wanted(dict(V1, InstanceMetadataTags="enabled"), PARAMS)
    assert target == dict(
        HttpTokens="required", HttpPutResponseHopLimit=1, HttpEndpoint="enabled", InstanceMetadataTags="enabled"
    )
    assert imds.changes(V1, target) == {
        "http_tokens": {"before": "optional", "after": "required"},
        "http_put_response_hop_limit": {"before": 2, "after": 1},
        "instance_metadata_tags": {"before": None, "after": "enabled"},
    }
    assert imds.changes(V2, imds.wanted(V2, PARAMS)) == {}


def test_selection_combines_ids_tags_states_and_filters():
    kwargs = imds.selection(
        dict(
            PARAMS,
            instance_ids=[A],
            tags={"Tier": ["web", "api"]},
            filters={"vpc-id": "vpc-1", "instance-type": ["t3.micro"]},
        )
    )
    assert kwargs == {
        "InstanceIds": [A],
        "Filters": [
            {"Name": "tag:Tier", "Values": ["web", "api"]},
            {"Name": "instance-state-name", "Values": ["running"]},
            {"Name": "instance-type", "Values": ["t3.micro"]},
            {"Name": "vpc-id", "Values": ["vpc-1"]},
        ],
    }


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, "choose the instances with instance_ids, tags or filters"),
        ({"instance_ids": ["i-123", "web-1"]}, "not instance ids (i- and 8 or 17 hex digits): i-123, web-1"),
        ({"tags": {"a": "b"}, "http_put_response_hop_limit": 0}, "must be 1 to 64 (got 0)"),
        ({"tags": {"a": "b"}, "http_endpoint": "disabled", "instance_metadata_tags": "enabled"}, "cannot be enabled"),
    ],
)
def test_bad_options_are_named(params, problem):
    assert problem in " ".join(imds.validate(params))


def test_short_and_long_instance_ids_are_accepted():
    assert imds.validate({"instance_ids": ["i-0123abcd", "i-0123456789abcdef0"]}) == []


def reservations(*instances):
    return [{"Instances": [{"InstanceId": i, "MetadataOptions": o} for i, o in instances]}]


def describe_pages(ec2, first, second):
    filters = [{"Name": "tag:Tier", "Values": ["web"]}, {"Name": "instance-state-name", "Values": ["running"]}]
    ec2.add_response("describe_instances", {"Reservations": first, "NextToken": "page2"}, {"Filters": filters})
    ec2.add_response("describe_instances", {"Reservations": second}, {"Filters": filters, "NextToken": "page2"})


def modify(ec2, instance_id):
    request = {
        "InstanceId": instance_id,
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 1,
        "HttpEndpoint": "enabled",
    }
    ec2.add_response(
        "modify_instance_metadata_options",
        {"InstanceId": instance_id, "InstanceMetadataOptions": dict(V2, State="pending")},
        request,
    )


ARGS = {"tags": {"Tier": "web"}, "states": ["running"]}


def test_every_page_is_read_and_only_instances_that_differ_get_a_call(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    describe_pages(ec2, reservations((A, V1), (B, V2)), reservations((C, V1)))
    modify(ec2, A)
    modify(ec2, C)
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["changed_instance_ids"] == [A, C]
    assert [i["instance_id"] for i in result["instances"]] == [A, B, C]
    assert result["instances"][1]["changes"] == {}
    assert result["instances"][0]["metadata_options"]["state"] == "pending"


def test_check_mode_reads_and_plans_without_a_mutating_call(stubbed):
    aws, run = stubbed
    describe_pages(aws("ec2"), reservations((A, V1)), reservations((C, V1)))
    result = run(module.main, ARGS, check_mode=True)
    aws.assert_all_called()  # no ModifyInstanceMetadataOptions was queued, none was made
    assert result["changed"] is True and result["changed_instance_ids"] == [A, C]
    assert result["instances"][0]["metadata_options"]["http_tokens"] == "optional"


def test_bad_input_makes_no_call(stubbed):
    aws, run = stubbed
    aws("ec2")
    result = run(module.main, {"instance_ids": ["i-xyz"], "http_put_response_hop_limit": 100})
    aws.assert_all_called()
    assert result["failed"] and result["msg"].startswith("Nothing was changed")


def test_a_failure_half_way_names_what_was_changed_and_what_was_not(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    describe_pages(ec2, reservations((A, V1), (B, V1)), reservations((C, V1)))
    modify(ec2, A)
    ec2.add_client_error("modify_instance_metadata_options", "UnauthorizedOperation", "not allowed on this one")
    result = run(module.main, ARGS)
    assert result["failed"]
    assert f"Could not change {B}; changed before it: {A}; not attempted: {C}" in result["msg"]
    assert result["changed"] is True and result["changed_instance_ids"] == [A]
