"""Session Manager preferences: the pure rules (module_utils/session_preferences.py), and the
module's calls with botocore's Stubber, which fails on any call not queued: so bad input and
check mode are proven to make no mutating call (moto runs the rest end to end, in
tests/integration/test_ssm_session_preferences.py)."""

import json

import pytest
from ansible_collections.ironclad.aws.plugins.module_utils import session_preferences as prefs
from ansible_collections.ironclad.aws.plugins.modules import ssm_session_preferences as module

DOC = "SSM-SessionManagerRunShell"


@pytest.mark.parametrize(
    "key",
    [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/session-manager",
        "arn:aws:kms:eu-west-1:111122223333:alias/team/ssm",
    ],
)
def test_kms_key_forms_that_kms_accepts(key):
    assert prefs.validate({"kms_key_id": key}) == []


@pytest.mark.parametrize(
    "key",
    [
        "my-key",
        "1234ABCD-12ab-34cd-56ef-1234567890ab",
        "alias/",
        "arn:aws:kms:eu-west-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:s3:::bucket",
        "alias/x y",
    ],
)
def test_kms_key_forms_refused(key):
    assert prefs.validate({"kms_key_id": key})[0].startswith("kms_key_id must be a KMS key id")


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"idle_session_timeout": 0}, "idle_session_timeout must be 1 to 60 minutes (got 0)"),
        ({"idle_session_timeout": 61}, "idle_session_timeout must be 1 to 60 minutes (got 61)"),
        ({"max_session_duration": 0}, "max_session_duration must be 1 to 1440 minutes (got 0)"),
        ({"max_session_duration": 1441}, "max_session_duration must be 1 to 1440 minutes (got 1441)"),
        ({"run_as_enabled": True}, "run_as_enabled needs run_as_default_user"),
        ({"run_as_default_user": "bad user"}, "run_as_default_user 'bad user' is not a valid OS user name"),
        ({"s3_bucket_name": "a..b"}, "s3_bucket_name 'a..b' is not a valid S3 bucket name"),
        ({"s3_key_prefix": "x/"}, "s3_key_prefix is set but s3_bucket_name is not"),
        ({"cloudwatch_log_group_name": "bad group"}, "cloudwatch_log_group_name 'bad group' is not a valid"),
    ],
)
def test_each_bad_value_is_named(params, problem):
    problems = prefs.validate(params)
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_edges_of_the_ranges_are_accepted():
    assert prefs.validate({"idle_session_timeout": 1, "max_session_duration": 1440}) == []
    assert prefs.validate({"idle_session_timeout": 60, "max_session_duration": 1}) == []


def test_rendered_document_has_every_input_the_console_writes():
    content = prefs.render({"idle_session_timeout": 20})
    assert content["schemaVersion"] == "1.0" and content["sessionType"] == "Standard_Stream"
    assert set(content["inputs"]) == {
        "s3BucketName", "s3KeyPrefix", "s3EncryptionEnabled", "cloudWatchLogGroupName",
        "cloudWatchEncryptionEnabled", "cloudWatchStreamingEnabled", "kmsKeyId", "runAsEnabled",
        "runAsDefaultUser", "idleSessionTimeout", "maxSessionDuration", "shellProfile",
    }  # fmt: skip
    assert content["inputs"]["idleSessionTimeout"] == "20" and content["inputs"]["maxSessionDuration"] == ""


def test_console_spellings_compare_equal_but_a_missing_input_does_not():
    wanted = prefs.render({"idle_session_timeout": 20, "s3_encryption_enabled": True})
    console = json.loads(prefs.dump(wanted))
    console["inputs"]["s3EncryptionEnabled"] = "true"
    console["inputs"]["idleSessionTimeout"] = 20
    assert prefs.same(console, wanted)
    del console["inputs"]["kmsKeyId"]
    assert not prefs.same(console, wanted)
    assert prefs.parse("not: json") is None and not prefs.same(None, wanted)


ARGS = {"idle_session_timeout": 15, "kms_key_id": "alias/session-manager"}


def described(default="1", latest="1"):
    return {"Document": {"Name": DOC, "DocumentType": "Session", "DefaultVersion": default, "LatestVersion": latest}}


def content_answer(params, version="1"):
    return {"Name": DOC, "DocumentVersion": version, "Content": prefs.dump(prefs.render(params))}


def full_params(**overrides):
    """The module's params with their defaults, as main() sees them."""
    params = {
        "description": prefs.DEFAULT_DESCRIPTION, "s3_bucket_name": "", "s3_key_prefix": "",
        "s3_encryption_enabled": True, "cloudwatch_log_group_name": "", "cloudwatch_encryption_enabled": True,
        "cloudwatch_streaming_enabled": True, "kms_key_id": "", "idle_session_timeout": 20,
        "max_session_duration": None, "run_as_enabled": False, "run_as_default_user": "", "shell_profile": None,
    }  # fmt: skip
    params.update(overrides)
    return params


def test_bad_input_makes_no_call_at_all(stubbed):
    aws, run = stubbed
    aws("ssm")  # a client with nothing queued: any call would fail the run with a Stubber error
    result = run(module.main, {"idle_session_timeout": 90, "kms_key_id": "nope"})
    assert result["failed"] and "nothing was changed" in result["msg"]
    assert "(got 90)" in result["msg"] and "kms_key_id" in result["msg"]
    aws.assert_all_called()


def test_check_mode_reads_only(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    ssm.add_response("describe_document", described(), {"Name": DOC})
    ssm.add_response("get_document", content_answer(full_params()), {"Name": DOC, "DocumentVersion": "1"})
    result = run(module.main, dict(ARGS, _ansible_diff=True), check_mode=True)
    aws.assert_all_called()  # and no UpdateDocument: it was not queued
    assert result["changed"] is True
    assert result["actions"] == [
        f"UpdateDocument: add version 2 to {DOC}",
        "UpdateDocumentDefaultVersion: make version 2 the default",
    ]
    assert (
        '"kmsKeyId": ""' in result["diff"]["before"]
        and '"kmsKeyId": "alias/session-manager"' in result["diff"]["after"]
    )


def test_update_sends_the_rendered_content_and_makes_it_the_default(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    wanted = prefs.dump(prefs.render(full_params(**ARGS)))
    ssm.add_response("describe_document", described(), {"Name": DOC})
    ssm.add_response("get_document", content_answer(full_params()), {"Name": DOC, "DocumentVersion": "1"})
    ssm.add_response(
        "update_document",
        {"DocumentDescription": {"Name": DOC, "DocumentVersion": "2"}},
        {"Name": DOC, "Content": wanted, "DocumentVersion": "$LATEST", "DocumentFormat": "JSON"},
    )
    ssm.add_response(
        "update_document_default_version",
        {"Description": {"Name": DOC, "DefaultVersion": "2"}},
        {"Name": DOC, "DocumentVersion": "2"},
    )
    result = run(module.main, ARGS)
    aws.assert_all_called()
    assert result["changed"] is True and result["default_version"] == "2" and result["latest_version"] == "2"


def test_a_failed_default_switch_names_what_was_done(stubbed):
    aws, run = stubbed
    ssm = aws("ssm")
    ssm.add_response("describe_document", described(), {"Name": DOC})
    ssm.add_response("get_document", content_answer(full_params()), {"Name": DOC, "DocumentVersion": "1"})
    ssm.add_response("update_document", {"DocumentDescription": {"Name": DOC, "DocumentVersion": "2"}})
    ssm.add_client_error("update_document_default_version", "AccessDeniedException", "not allowed")
    result = run(module.main, ARGS)
    assert result["failed"]
    assert "UpdateDocument: add version 2" in result["msg"] and "not allowed" in result["msg"]
