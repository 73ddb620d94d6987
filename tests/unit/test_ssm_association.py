"""ssm_association: the pure rules (module_utils/ssm_association.py), and the module's calls with
botocore's Stubber, which checks every request and canned answer against SSM's service model and
fails on any call not queued (so check mode, idempotent runs and bad input are proven to make no
mutating call).

Why Stubber: moto 5.2.5 implements none of ListAssociations, DescribeAssociation,
CreateAssociation, UpdateAssociation and DeleteAssociation (over HTTP it answers 500 "The
create_association action has not been implemented").
"""

import datetime

import pytest
from ansible_collections.ironclad.aws.plugins.module_utils import ssm_association as assoc
from ansible_collections.ironclad.aws.plugins.modules import ssm_association as module

NAME, ID = "ironclad-site-web", "8dfe3659-4309-493a-8755-0123456789ab"
ARGS = {
    "name": NAME,
    "document_name": "AWS-ApplyAnsiblePlaybooks",
    "target_tags": {"Role": "web"},
    "parameters": {"PlaybookFile": "fleet.yml", "Check": "False", "SourceType": "S3"},
    "schedule_expression": "rate(1 day)",
    "max_concurrency": "10%",
    "max_errors": "1",
}
REQUEST = {
    "AssociationName": NAME,
    "Name": "AWS-ApplyAnsiblePlaybooks",
    "Targets": [{"Key": "tag:Role", "Values": ["web"]}],
    "Parameters": {"Check": ["False"], "PlaybookFile": ["fleet.yml"], "SourceType": ["S3"]},
    "ScheduleExpression": "rate(1 day)",
    "MaxConcurrency": "10%",
    "MaxErrors": "1",
    "ApplyOnlyAtCronInterval": False,
}


def full(**overrides):
    """The module's params with their defaults, as main() sees them."""
    params = dict.fromkeys(["document_version", "targets", "compliance_severity", "output_location"], None) | {
        "state": "present",
        "apply_only_at_cron_interval": False,
    }
    return params | ARGS | overrides


def description(**overrides):
    answer = {
        "AssociationId": ID,
        "AssociationName": NAME,
        "AssociationVersion": "3",
        "Name": "AWS-ApplyAnsiblePlaybooks",
        "DocumentVersion": "$DEFAULT",
        "Targets": [{"Key": "tag:Role", "Values": ["web"]}],
        "Parameters": {"PlaybookFile": ["fleet.yml"], "Check": ["False"], "SourceType": ["S3"]},
        "ScheduleExpression": "rate(1 day)",
        "MaxConcurrency": "10%",
        "MaxErrors": "1",
        "ComplianceSeverity": "UNSPECIFIED",
        "ApplyOnlyAtCronInterval": False,
        "Date": datetime.datetime(2026, 1, 1),
    }
    answer.update(overrides)
    return answer


def listed(ssm, *associations, next_token=None, token=None):
    expected = {"AssociationFilterList": [{"key": "AssociationName", "value": NAME}]}
    if token:
        expected["NextToken"] = token
    answer = {"Associations": [{"AssociationId": a, "AssociationName": NAME} for a in associations]}
    if next_token:
        answer["NextToken"] = next_token
    ssm.add_response("list_associations", answer, expected)


def describe(ssm, **overrides):
    ssm.add_response(
        "describe_association", {"AssociationDescription": description(**overrides)}, {"AssociationId": ID}
    )


def test_what_ssm_fills_in_is_no_difference_and_order_does_not_matter():
    target = assoc.wanted(full(target_tags={"Role": ["web", "api"]}))
    current = description(Targets=[{"Key": "tag:Role", "Values": ["api", "web"]}])
    assert assoc.differences(current, target) == []
    changed = assoc.differences(description(MaxErrors="5%"), assoc.wanted(full()))
    assert changed == [("MaxErrors", "5%", "1")]


def test_update_keeps_what_the_module_does_not_manage():
    current = description(CalendarNames=["freeze"], ScheduleOffset=2, SyncCompliance="MANUAL")
    request = assoc.update_request(current, assoc.wanted(full(max_concurrency="5")), NAME)
    assert request["CalendarNames"] == ["freeze"] and request["ScheduleOffset"] == 2
    assert request["SyncCompliance"] == "MANUAL" and request["AssociationVersion"] == "3"
    assert request["MaxConcurrency"] == "5" and request["AssociationId"] == ID


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"name": "x y"}, "name must be 3 to 128 letters"),
        ({"document_name": None}, "document_name must name an SSM document"),
        ({"target_tags": {}}, "give targets or target_tags"),
        ({"schedule_expression": "rate(5 minutes)"}, "at most every 30 minutes"),
        ({"schedule_expression": "daily"}, "schedule_expression must be cron(...)"),
        ({"max_concurrency": "0"}, "max_concurrency must be a count or a percentage"),
        ({"max_errors": "101%"}, "max_errors must be a count or a percentage"),
        ({"document_version": "latest"}, "document_version must be $DEFAULT"),
        ({"target_tags": {f"k{i}": "v" for i in range(6)}}, "at most 5 targets (got 6)"),
    ],
)
def test_bad_options_are_named(overrides, problem):
    assert problem in " ".join(assoc.validate(full(**overrides)))


def test_good_schedules():
    for expression in ("rate(30 minutes)", "rate(1 hour)", "rate(7 days)", "cron(0 3 ? * SUN *)"):
        assert assoc.schedule_problems(expression) == []


def test_create_when_missing(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    listed(ssm)
    ssm.add_response("create_association", {"AssociationDescription": description(AssociationVersion="1")}, REQUEST)
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["changed"] is True and result["association_id"] == ID
    assert result["actions"] == [f"CreateAssociation: {NAME} running AWS-ApplyAnsiblePlaybooks"]
    assert "parameters" not in result["association"]


def test_nothing_is_called_when_it_already_is_as_wanted_across_pages(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    listed(ssm, next_token="p2")
    listed(ssm, ID, token="p2")
    describe(ssm)
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["changed"] is False and result["actions"] == [] and result["association_id"] == ID


def test_update_in_place_with_the_whole_request(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    listed(ssm, ID)
    describe(ssm, CalendarNames=["freeze"], MaxConcurrency="50%")
    expected = dict(REQUEST, AssociationId=ID, AssociationVersion="3", CalendarNames=["freeze"])
    ssm.add_response("update_association", {"AssociationDescription": description(AssociationVersion="4")}, expected)
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["actions"] == [f"UpdateAssociation: {NAME} ({ID}): MaxConcurrency"]
    assert result["differences"] == [{"field": "MaxConcurrency", "before": "50%", "after": "10%"}]


def test_check_mode_plans_without_a_mutating_call_and_hides_parameter_values(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    listed(ssm, ID)
    describe(ssm, Parameters={"PlaybookFile": ["old.yml"], "Check": ["False"], "SourceType": ["S3"]})
    result = run(module.main, ARGS, check_mode=True)
    aws.assert_all_called()
    assert result["changed"] is True
    assert result["differences"] == [
        {"field": "Parameters", "before": {"differing": ["PlaybookFile"]}, "after": {"differing": ["PlaybookFile"]}}
    ]
    assert "old.yml" not in str(result)


def test_bad_input_makes_no_call(stubbed):
    aws, run = stubbed
    aws("ssm")
    result = run(module.main, dict(ARGS, schedule_expression="rate(1 minute)", max_errors="lots"))
    aws.assert_all_called()
    assert result["failed"] and result["msg"].startswith("Nothing was changed")
    assert "30 minutes" in result["msg"] and "max_errors" in result["msg"]


def test_two_associations_of_one_name_are_refused(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    listed(ssm, ID, "11111111-2222-3333-4444-555555555555")
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["failed"] and f"2 associations are named {NAME}" in result["msg"]


def test_absent_deletes_once(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    listed(ssm, ID)
    describe(ssm)
    ssm.add_response("delete_association", {}, {"AssociationId": ID})
    assert run(module.main, {"name": NAME, "state": "absent"})["changed"] is True
    listed(ssm)
    assert run(module.main, {"name": NAME, "state": "absent"})["changed"] is False
    aws.assert_all_called()
