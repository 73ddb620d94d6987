"""ironclad.aws.ssm_session_preferences run by ansible-playbook against a moto server over HTTP.

moto 5.2.5 keeps Session documents with their versions (CreateDocument, UpdateDocument,
UpdateDocumentDefaultVersion, GetDocument, DescribeDocument, DeleteDocument) and refuses a
version whose content matches another one, as SSM does; every run here is read back with boto3.
"""

import json

from moto_play import play

DOC = "SSM-SessionManagerRunShell"

PREFERENCES = """
    - name: preferences
      ironclad.aws.ssm_session_preferences:
        s3_bucket_name: example-session-logs
        s3_key_prefix: sessions/
        cloudwatch_log_group_name: /ironclad/ssm-sessions
        kms_key_id: alias/session-manager
        idle_session_timeout: {idle}
        max_session_duration: 480
        run_as_enabled: true
        run_as_default_user: ops
        shell_profile:
          linux: exec /bin/bash -l
"""


def default_content(ssm, name=DOC):
    return json.loads(ssm.get_document(Name=name)["Content"])


def existing(ssm, idle="15"):
    """A preferences document made elsewhere (the console), version 1."""
    content = {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {"idleSessionTimeout": idle}}
    ssm.create_document(Name=DOC, Content=json.dumps(content), DocumentType="Session", DocumentFormat="JSON")


def test_create_then_nothing_then_a_new_default_version(run_playbook, aws):
    ssm = aws("ssm")
    check = run_playbook(play(PREFERENCES.format(idle=15)), check=True)
    assert check.rc == 0, check.stdout + check.stderr
    assert check["preferences"]["changed"] is True
    assert check["preferences"]["actions"] == [f"CreateDocument: create {DOC} (type Session)"]
    assert not [d for d in ssm.list_documents()["DocumentIdentifiers"] if d["Name"] == DOC]

    first = run_playbook(play(PREFERENCES.format(idle=15)))
    assert first.rc == 0, first.stdout + first.stderr
    assert first["preferences"]["changed"] is True
    described = ssm.describe_document(Name=DOC)["Document"]
    assert described["DocumentType"] == "Session" and described["DefaultVersion"] == "1"
    content = default_content(ssm)
    assert content["schemaVersion"] == "1.0" and content["sessionType"] == "Standard_Stream"
    inputs = content["inputs"]
    assert inputs["s3BucketName"] == "example-session-logs" and inputs["s3KeyPrefix"] == "sessions/"
    assert inputs["s3EncryptionEnabled"] is True and inputs["cloudWatchEncryptionEnabled"] is True
    assert inputs["cloudWatchLogGroupName"] == "/ironclad/ssm-sessions"
    assert inputs["cloudWatchStreamingEnabled"] is True
    assert inputs["kmsKeyId"] == "alias/session-manager"
    assert inputs["idleSessionTimeout"] == "15" and inputs["maxSessionDuration"] == "480"
    assert inputs["runAsEnabled"] is True and inputs["runAsDefaultUser"] == "ops"
    assert inputs["shellProfile"] == {"linux": "exec /bin/bash -l", "windows": ""}

    again = run_playbook(play(PREFERENCES.format(idle=15)))
    assert again["preferences"]["changed"] is False and again["preferences"]["actions"] == []
    assert ssm.describe_document(Name=DOC)["Document"]["LatestVersion"] == "1"

    diff = run_playbook(play(PREFERENCES.format(idle=5) + "      diff: true\n"), check=True)
    planned = diff["preferences"]
    assert planned["changed"] is True
    assert planned["actions"] == [
        f"UpdateDocument: add version 2 to {DOC}",
        "UpdateDocumentDefaultVersion: make version 2 the default",
    ]
    assert '"idleSessionTimeout": "15"' in planned["diff"]["before"]
    assert '"idleSessionTimeout": "5"' in planned["diff"]["after"]
    assert ssm.describe_document(Name=DOC)["Document"]["LatestVersion"] == "1"

    update = run_playbook(play(PREFERENCES.format(idle=5)))
    assert update["preferences"]["changed"] is True
    assert update["preferences"]["default_version"] == "2"
    described = ssm.describe_document(Name=DOC)["Document"]
    assert described["DefaultVersion"] == "2" and described["LatestVersion"] == "2"
    assert default_content(ssm)["inputs"]["idleSessionTimeout"] == "5"

    # Back to the first settings: SSM refuses a duplicate of version 1, so version 1 becomes the default.
    back = run_playbook(play(PREFERENCES.format(idle=15)))
    assert back.rc == 0, back.stdout + back.stderr
    assert back["preferences"]["actions"] == ["UpdateDocumentDefaultVersion: make version 1 the default"]
    described = ssm.describe_document(Name=DOC)["Document"]
    assert described["DefaultVersion"] == "1" and described["LatestVersion"] == "2"


def test_a_console_document_with_the_same_settings_is_left_alone(run_playbook, aws):
    """The console writes booleans and numbers its own way; equal settings are no change."""
    ssm = aws("ssm")
    console = {
        "schemaVersion": "1.0",
        "description": "Document to hold regional settings for Session Manager",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": "",
            "s3KeyPrefix": "",
            "s3EncryptionEnabled": "true",
            "cloudWatchLogGroupName": "",
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "kmsKeyId": "",
            "runAsEnabled": False,
            "runAsDefaultUser": "",
            "idleSessionTimeout": 20,
            "maxSessionDuration": "",
            "shellProfile": {"windows": "", "linux": ""},
        },
    }
    ssm.create_document(Name=DOC, Content=json.dumps(console), DocumentType="Session", DocumentFormat="JSON")
    result = run_playbook(play("    - name: defaults\n      ironclad.aws.ssm_session_preferences: {}\n"))
    assert result.rc == 0, result.stdout + result.stderr
    assert result["defaults"]["changed"] is False


def test_an_interrupted_run_is_finished_by_making_the_latest_version_the_default(run_playbook, aws):
    """A run that added a version but died before UpdateDocumentDefaultVersion leaves the new
    content as the latest, non-default version; the next run only switches the default."""
    ssm = aws("ssm")
    first = run_playbook(play(PREFERENCES.format(idle=15)))
    assert first.rc == 0, first.stdout + first.stderr
    wanted = default_content(ssm)
    wanted["inputs"]["idleSessionTimeout"] = "30"
    ssm.update_document(Name=DOC, Content=json.dumps(wanted), DocumentVersion="$LATEST")
    result = run_playbook(play(PREFERENCES.format(idle=30)))
    assert result["preferences"]["actions"] == ["UpdateDocumentDefaultVersion: make version 2 the default"]
    described = ssm.describe_document(Name=DOC)["Document"]
    assert described["DefaultVersion"] == "2" and described["LatestVersion"] == "2"


def test_bad_values_fail_with_every_problem_named_and_change_nothing(run_playbook, aws):
    ssm = aws("ssm")
    existing(ssm)
    result = run_playbook(
        play("""
    - name: bad
      ironclad.aws.ssm_session_preferences:
        idle_session_timeout: 61
        max_session_duration: 1441
        kms_key_id: my-key
        run_as_enabled: true
        s3_bucket_name: Not_A_Bucket
      ignore_errors: true
    - name: zero
      ironclad.aws.ssm_session_preferences:
        idle_session_timeout: 0
      ignore_errors: true
""")
    )
    msg = result["bad"]["msg"]
    assert result["bad"]["failed"] and msg.startswith("Invalid Session Manager preferences, nothing was changed")
    for problem in (
        "idle_session_timeout must be 1 to 60 minutes (got 61)",
        "max_session_duration must be 1 to 1440 minutes (got 1441)",
        "kms_key_id must be a KMS key id",
        "run_as_enabled needs run_as_default_user",
        "s3_bucket_name 'Not_A_Bucket' is not a valid S3 bucket name",
    ):
        assert problem in msg
    assert "(got 0)" in result["zero"]["msg"]
    described = ssm.describe_document(Name=DOC)["Document"]
    assert described["LatestVersion"] == "1" and default_content(ssm)["inputs"]["idleSessionTimeout"] == "15"


def test_a_document_of_another_type_is_refused(run_playbook, aws):
    ssm = aws("ssm")
    command = {"schemaVersion": "2.2", "description": "x", "mainSteps": []}
    ssm.create_document(Name="Ops-Commands", Content=json.dumps(command), DocumentType="Command", DocumentFormat="JSON")
    result = run_playbook(
        play("""
    - name: wrong type
      ironclad.aws.ssm_session_preferences:
        document_name: Ops-Commands
      ignore_errors: true
""")
    )
    assert "is of type Command, not Session" in result["wrong type"]["msg"]
    assert ssm.describe_document(Name="Ops-Commands")["Document"]["LatestVersion"] == "1"


def test_absent_deletes_the_document_once(run_playbook, aws):
    ssm = aws("ssm")
    existing(ssm)
    tasks = play("    - name: gone\n      ironclad.aws.ssm_session_preferences: {state: absent}\n")
    check = run_playbook(tasks, check=True)
    assert check["gone"]["changed"] is True
    assert ssm.describe_document(Name=DOC)
    first, second = run_playbook(tasks), run_playbook(tasks)
    assert first["gone"]["changed"] is True and second["gone"]["changed"] is False
    assert DOC not in [d["Name"] for d in ssm.list_documents()["DocumentIdentifiers"]]
