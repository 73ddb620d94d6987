#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ssm_session_preferences
short_description: Session Manager preferences (session logs, KMS encryption, timeouts, Run As, shell profiles)
version_added: 0.1.0
description:
  - Manages the Session document that holds Session Manager's preferences for an account and region,
    C(SSM-SessionManagerRunShell) by default (what the console's Session Manager > Preferences edits).
    Another O(document_name) makes a preferences document that sessions name with C(--document-name).
  - The module owns the whole document. Every input is written, options left out with their defaults
    (empty strings for unset names, as the console does), so the result does not depend on what was
    there before.
  - When the document is missing it is created (type C(Session), schemaVersion C(1.0), sessionType
    C(Standard_Stream)). When its default version differs from the wanted content, a new version is added
    (C(UpdateDocument)) and made the default (C(UpdateDocumentDefaultVersion)). When the wanted content
    already is a version (the latest one, after an interrupted run, or an older one) that version is made
    the default instead, as SSM refuses a version whose content matches another one.
  - Contents are compared as data, so the console's spellings (C("true") for V(true), C("20") for V(20))
    do not count as changes.
  - Values are checked before any AWS call; a bad one fails with every problem named and nothing changed.
  - Check mode returns the plan (RV(actions)) and, with C(--diff), the content before and after, without
    a single mutating call.
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  document_name:
    description: Name of the preferences document.
    type: str
    default: SSM-SessionManagerRunShell
  state:
    description:
      - V(present) makes the document hold these preferences. V(absent) deletes it (every version), which
        returns the account to Session Manager's defaults.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: The document's C(description).
    type: str
    default: Document to hold regional settings for Session Manager
  s3_bucket_name:
    description:
      - Bucket that receives each session's log at its end (C(s3BucketName)); empty for none.
      - The instance profile needs C(s3:PutObject) on it, and C(s3:GetEncryptionConfiguration) when
        O(s3_encryption_enabled).
    type: str
    default: ""
  s3_key_prefix:
    description: Key prefix of the session logs in O(s3_bucket_name) (C(s3KeyPrefix)).
    type: str
    default: ""
  s3_encryption_enabled:
    description:
      - Send logs only when the bucket has default encryption (C(s3EncryptionEnabled)); sessions fail to
        log when it has not.
    type: bool
    default: true
  cloudwatch_log_group_name:
    description: Log group that receives session logs (C(cloudWatchLogGroupName)); empty for none.
    type: str
    default: ""
  cloudwatch_encryption_enabled:
    description:
      - Send logs only when the log group is encrypted with a KMS key (C(cloudWatchEncryptionEnabled)).
    type: bool
    default: true
  cloudwatch_streaming_enabled:
    description:
      - Stream session output to CloudWatch Logs as it happens (C(cloudWatchStreamingEnabled)); V(false)
        uploads the log at the end of the session, which loses it when the instance dies first.
    type: bool
    default: true
  kms_key_id:
    description:
      - KMS key that encrypts session data between client and instance (C(kmsKeyId)), as a key id
        (C(1234abcd-...) or C(mrk-...)), a key ARN, an alias (C(alias/name)) or an alias ARN. Empty
        leaves sessions with TLS only.
      - Operators need C(kms:GenerateDataKey) on it, the instance profile C(kms:Decrypt).
    type: str
    default: ""
  idle_session_timeout:
    description: Minutes without activity after which a session ends (C(idleSessionTimeout)), 1 to 60.
    type: int
    default: 20
  max_session_duration:
    description:
      - Minutes after which a session ends whatever happens (C(maxSessionDuration)), 1 to 1440. Unset, a
        session has no maximum length.
    type: int
  run_as_enabled:
    description:
      - Start Linux sessions as an OS account instead of C(ssm-user) (C(runAsEnabled)).
      - Needs O(run_as_default_user); an IAM principal's C(SSMSessionRunAs) tag overrides it per user.
    type: bool
    default: false
  run_as_default_user:
    description: The OS account of Run As sessions (C(runAsDefaultUser)).
    type: str
    default: ""
  shell_profile:
    description: Commands run at the start of each session (C(shellProfile)).
    type: dict
    suboptions:
      linux:
        description: For Linux and macOS instances, for example C(exec /bin/bash -l).
        type: str
        default: ""
      windows:
        description: For Windows instances (PowerShell).
        type: str
        default: ""
notes:
  - "Permissions: C(ssm:DescribeDocument), C(ssm:GetDocument), C(ssm:CreateDocument), C(ssm:UpdateDocument),
    C(ssm:UpdateDocumentDefaultVersion) and, for O(state=absent), C(ssm:DeleteDocument) on
    C(arn:aws:ssm:REGION:ACCOUNT:document/SSM-SessionManagerRunShell)."
  - The collection's C(docs/session_manager.md) has the instance profile policy for logging and KMS, and the
    workstation side (C(ssh i-...) through C(AWS-StartSSHSession)).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Session logs streamed to CloudWatch Logs and kept in S3, sessions encrypted with KMS
  ironclad.aws.ssm_session_preferences:
    s3_bucket_name: example-session-logs
    s3_key_prefix: sessions/
    cloudwatch_log_group_name: /ironclad/ssm-sessions
    kms_key_id: alias/session-manager
    idle_session_timeout: 15
    max_session_duration: 480
    run_as_enabled: true
    run_as_default_user: ops
    shell_profile:
      linux: exec /bin/bash -l

- name: Show what would change
  ironclad.aws.ssm_session_preferences:
    idle_session_timeout: 10
  check_mode: true
  diff: true

- name: Back to Session Manager's defaults
  ironclad.aws.ssm_session_preferences:
    state: absent
"""

RETURN = r"""
document_name:
  description: The document's name.
  returned: always
  type: str
  sample: SSM-SessionManagerRunShell
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["UpdateDocument: add version 3", "UpdateDocumentDefaultVersion: make version 3 the default"]
default_version:
  description: The default version at the end (C(new) in check mode when it would be created); absent when deleted.
  returned: when state is present
  type: str
  sample: "3"
latest_version:
  description: The latest version at the end.
  returned: when state is present
  type: str
  sample: "3"
content:
  description: The preferences document's content at the end (the wanted content in check mode).
  returned: when state is present
  type: dict
  sample:
    schemaVersion: "1.0"
    sessionType: Standard_Stream
    inputs: {idleSessionTimeout: "15", kmsKeyId: alias/session-manager}
"""

import contextlib

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ironclad.aws.plugins.module_utils import session_preferences as prefs


class Document:
    """The preferences document as SSM holds it."""

    def __init__(self, module, client, name):
        self.module, self.client, self.name = module, client, name
        self.description = None

    def read(self):
        """DescribeDocument's answer, or None when the document does not exist."""
        try:
            self.description = self.client.describe_document(aws_retry=True, Name=self.name)["Document"]
        except is_boto3_error_code("InvalidDocument"):
            return None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Could not read document %s" % self.name)
        if self.description.get("DocumentType") != "Session":
            self.module.fail_json(
                msg="Document %s is of type %s, not Session: it is not a Session Manager preferences document; "
                "choose another document_name" % (self.name, self.description.get("DocumentType")),
            )
        return self.description

    def content(self, version):
        """The parsed content of one version; None when that version is gone or not JSON."""
        try:
            answer = self.client.get_document(aws_retry=True, Name=self.name, DocumentVersion=version)
        except is_boto3_error_code("InvalidDocumentVersion"):
            return None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Could not read version %s of %s" % (version, self.name))
        return prefs.parse(answer.get("Content"))

    def add_version(self, text):
        """The new version's number; None when SSM refuses it as a duplicate of an existing version."""
        try:
            answer = self.client.update_document(
                aws_retry=True, Name=self.name, Content=text, DocumentVersion="$LATEST", DocumentFormat="JSON"
            )
        except is_boto3_error_code("DuplicateDocumentContent"):
            return None
        return answer["DocumentDescription"]["DocumentVersion"]

    def version_holding(self, wanted, newest):
        """The newest version up to `newest` whose content is the wanted one."""
        for version in range(int(newest), 0, -1):
            if prefs.same(self.content(str(version)), wanted):
                return str(version)
        return None


def plan_present(doc, wanted):
    """(steps, before) for state=present; a step is (action, version or None)."""
    found = doc.read()
    if found is None:
        return [("create", None)], None
    default, latest = found["DefaultVersion"], found["LatestVersion"]
    before = doc.content(default)
    if prefs.same(before, wanted):
        return [], before
    if latest != default and prefs.same(doc.content(latest), wanted):
        return [("set_default", latest)], before
    following = str(int(latest) + 1)  # what SSM numbers the new version, for the plan
    return [("update", following), ("set_default", following)], before


def describe_step(action, version, name):
    return {
        "create": "CreateDocument: create %s (type Session)" % name,
        "update": "UpdateDocument: add version %s to %s" % (version, name),
        "set_default": "UpdateDocumentDefaultVersion: make version %s the default" % version,
        "delete": "DeleteDocument: delete %s and all its versions" % name,
    }[action]


def apply_present(module, doc, steps, wanted):
    """Run the plan; returns (actions done, default version, latest version)."""
    text, done = prefs.dump(wanted), []
    try:
        if steps[0][0] == "create":
            answer = doc.client.create_document(
                aws_retry=True, Name=doc.name, Content=text, DocumentType="Session", DocumentFormat="JSON"
            )["DocumentDescription"]
            return [describe_step("create", None, doc.name)], answer["DocumentVersion"], answer["DocumentVersion"]
        latest, version = doc.description["LatestVersion"], steps[0][1]
        if steps[0][0] == "update":
            version = doc.add_version(text)
            if version:
                latest = version
                done.append(describe_step("update", version, doc.name))
            else:
                # The content is an older version (SSM allows no two alike): make that one the default.
                version = doc.version_holding(wanted, latest)
                if version is None:
                    module.fail_json(
                        msg="SSM refused the new version of %s as a duplicate, but none of versions 1 to %s "
                        "holds this content" % (doc.name, latest)
                    )
        doc.client.update_document_default_version(aws_retry=True, Name=doc.name, DocumentVersion=version)
        done.append(describe_step("set_default", version, doc.name))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not update %s; done before the error: %s" % (doc.name, done or "nothing"))
    return done, version, latest


def main():
    argument_spec = dict(
        document_name=dict(type="str", default=prefs.DEFAULT_DOCUMENT),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str", default=prefs.DEFAULT_DESCRIPTION),
        s3_bucket_name=dict(type="str", default=""),
        s3_key_prefix=dict(type="str", default="", no_log=False),
        s3_encryption_enabled=dict(type="bool", default=True),
        cloudwatch_log_group_name=dict(type="str", default=""),
        cloudwatch_encryption_enabled=dict(type="bool", default=True),
        cloudwatch_streaming_enabled=dict(type="bool", default=True),
        kms_key_id=dict(type="str", default="", no_log=False),
        idle_session_timeout=dict(type="int", default=20),
        max_session_duration=dict(type="int"),
        run_as_enabled=dict(type="bool", default=False),
        run_as_default_user=dict(type="str", default=""),
        shell_profile=dict(
            type="dict",
            options=dict(linux=dict(type="str", default=""), windows=dict(type="str", default="")),
        ),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    name = params["document_name"]
    if params["state"] == "present":
        problems = prefs.validate(params)
        if problems:
            module.fail_json(msg="Invalid Session Manager preferences, nothing was changed: " + "; ".join(problems))

    doc = Document(module, module.client("ssm", retry_decorator=AWSRetry.jittered_backoff()), name)
    result = dict(document_name=name)

    if params["state"] == "absent":
        found = doc.read()
        steps = [describe_step("delete", None, name)] if found else []
        result.update(changed=bool(steps), actions=steps)
        if module._diff and found:
            result["diff"] = dict(before=prefs.dump(doc.content(found["DefaultVersion"])), after="")
        if steps and not module.check_mode:
            try:
                doc.client.delete_document(aws_retry=True, Name=name)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg="Could not delete document %s" % name)
        module.exit_json(**result)

    wanted = prefs.render(params)
    steps, before = plan_present(doc, wanted)
    result.update(changed=bool(steps), content=wanted)
    if module._diff and steps:
        result["diff"] = dict(before=prefs.dump(before) if before is not None else "", after=prefs.dump(wanted))
    if module.check_mode or not steps:
        described = doc.description or {}
        result.update(
            actions=[describe_step(a, v, name) for a, v in steps],
            default_version=described.get("DefaultVersion", "new"),
            latest_version=described.get("LatestVersion", "new"),
        )
        module.exit_json(**result)
    done, default, latest = apply_present(module, doc, steps, wanted)
    result.update(actions=done, default_version=default, latest_version=latest)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
