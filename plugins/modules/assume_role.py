#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: assume_role
short_description: Assume an IAM role, or a chain of roles, and return its temporary credentials
version_added: 0.1.0
description:
  - Calls STS C(AssumeRole) once per entry of O(roles), each hop with the credentials of the hop before
    (the first with the module's own AWS credentials, for example an EC2 instance role).
  - Returns the last hop's temporary credentials as the C(access_key), C(secret_key) and C(session_token)
    options every amazon.aws module takes, ready for C(module_defaults), with their expiration and the
    caller identity they resolve to.
  - Optionally writes an AWS CLI profile. By default the profile makes the CLI assume the roles itself
    (C(role_arn) with C(credential_source) or C(source_profile)), so no secret is stored; only when
    O(cli_profile.type=static) are the temporary credentials written, to a C(0600) credentials file.
  - The profile files are edited, not rewritten. The module owns only the sections it names (their
    header up to their last setting); comments and blank lines, also those just above another
    profile, other profiles and CRLF line endings stay byte for byte. A symlinked file is written
    through (the link stays); the replacement is atomic, and has its mode before it holds a byte
    (an existing file's mode and owner are kept; new files are C(0600)).
  - Everything that can be checked before calling AWS is checked first (role ARN format, session
    durations, MFA pairs, policy and tag limits), so a bad chain assumes nothing.
  - Assuming a role changes nothing in AWS, so the module reports C(changed) only when it changes a
    profile file. It runs in check mode too (the roles are assumed, files are left untouched), so later
    tasks of a C(--check) run have credentials.
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  roles:
    description:
      - The roles to assume, in order. One entry assumes one role; more entries form a chain where each
        hop is assumed with the session of the hop before.
      - AWS limits a session obtained with another role's session (role chaining) to one hour, so
        O(roles[].duration_seconds) above 3600 is refused on every hop after the first.
    type: list
    elements: dict
    required: true
    suboptions:
      role_arn:
        description: ARN of the role, C(arn:aws:iam::<account>:role/<name>).
        type: str
        required: true
      role_session_name:
        description:
          - Name of the session, visible in the role account's CloudTrail and in the assumed-role ARN.
          - Defaults to C(ansible-hop<N>).
        type: str
      duration_seconds:
        description:
          - Lifetime of the session, 900 to 43200 seconds and at most the role's C(MaxSessionDuration);
            at most 3600 for a chained hop. AWS's default (3600) applies when unset.
        type: int
      external_id:
        description: External ID the role's trust policy requires (C(sts:ExternalId) condition).
        type: str
      mfa_serial_number:
        description: ARN (or serial number) of the MFA device, when the trust policy requires MFA.
        type: str
      mfa_token:
        description: The current 6-digit code of that MFA device.
        type: str
      policy:
        description:
          - Inline session policy (JSON text or a dictionary) that further restricts the session;
            at most 2048 characters.
        type: json
      policy_arns:
        description: ARNs of up to 10 managed policies that further restrict the session.
        type: list
        elements: str
      tags:
        description: Session tags (up to 50), available to policies as C(aws:PrincipalTag).
        type: dict
      transitive_tag_keys:
        description: Keys of O(roles[].tags) that are passed on to the later hops of the chain.
        type: list
        elements: str
      source_identity:
        description:
          - Source identity recorded in CloudTrail for this and every later session of the chain;
            once set it cannot change along the chain.
        type: str
  cli_profile:
    description:
      - Write an AWS CLI profile for the chain.
      - The module owns the sections it writes and rewrites them whole; the rest of each file is kept.
    type: dict
    suboptions:
      name:
        description:
          - Name of the profile. For a chain of N roles, hops 1 to N-1 become profiles C(<name>-hop1) ...
            and the last hop is C(<name>), each one's C(source_profile) being the one before.
        type: str
        required: true
      type:
        description:
          - V(role) writes C(role_arn) with C(credential_source) or C(source_profile) to O(cli_profile.config_file);
            the CLI assumes the roles itself and no secret is written. Session policies, session tags and
            source identity cannot be expressed there; the module warns when a hop sets them.
          - V(static) writes the temporary credentials to O(cli_profile.credentials_file) with mode C(0600).
            They expire with the session, and they differ on every run, so the task reports a change
            every time.
        type: str
        choices: [role, static]
        default: role
      credential_source:
        description:
          - For O(cli_profile.type=role), where the CLI takes the credentials of the first hop.
          - Mutually exclusive with O(cli_profile.source_profile); one of them is required for V(role).
        type: str
        choices: [Ec2InstanceMetadata, Environment, EcsContainer]
      source_profile:
        description: For O(cli_profile.type=role), an existing profile holding the credentials of the first hop.
        type: str
      region:
        description: Region written into the profile.
        type: str
      config_file:
        description: The AWS CLI config file.
        type: path
        default: ~/.aws/config
      credentials_file:
        description:
          - The AWS CLI credentials file, written with mode C(0600) for O(cli_profile.type=static).
          - For O(cli_profile.type=role), a section of the same name left there by an earlier V(static) run
            is removed, so stale secrets do not outlive the switch and do not shadow the role.
        type: path
        default: ~/.aws/credentials
notes:
  - Set C(no_log) on the task. The returned credentials are secrets, and Ansible only hides the
    options it knows to be secret, such as O(roles[].mfa_token).
  - Check mode assumes the roles (read-only) and reports, without writing, the profile files it would change.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Assume the deploy role of account B from this host's instance role
  ironclad.aws.assume_role:
    roles:
      - role_arn: arn:aws:iam::222222222222:role/deploy
        role_session_name: "{{ inventory_hostname }}"
        external_id: "{{ vault_deploy_external_id }}"
  register: account_b
  no_log: true

- name: Use those credentials for every AWS module of the following tasks
  module_defaults:
    group/amazon.aws.aws: "{{ account_b.credentials }}"
    group/ironclad.aws.aws: "{{ account_b.credentials }}"
  block:
    - name: Show which account the tasks now act in
      amazon.aws.aws_caller_info:

- name: Chain two roles (the second hop is limited to one hour), with MFA on the first
  ironclad.aws.assume_role:
    roles:
      - role_arn: arn:aws:iam::111111111111:role/jump
        mfa_serial_number: arn:aws:iam::111111111111:mfa/alice
        mfa_token: "{{ mfa_code }}"
        duration_seconds: 3600
      - role_arn: arn:aws:iam::333333333333:role/audit
        policy_arns:
          - arn:aws:iam::aws:policy/ReadOnlyAccess
        tags:
          project: audit
        transitive_tag_keys: [project]
        source_identity: alice
  register: audit
  no_log: true

- name: Write a CLI profile that assumes the role from the instance metadata (no secret on disk)
  ironclad.aws.assume_role:
    roles:
      - role_arn: arn:aws:iam::222222222222:role/deploy
    cli_profile:
      name: account-b
      credential_source: Ec2InstanceMetadata
      region: eu-west-1

- name: Only when a tool cannot assume roles itself, write the temporary credentials (0600)
  ironclad.aws.assume_role:
    roles:
      - role_arn: arn:aws:iam::222222222222:role/deploy
    cli_profile:
      name: account-b-static
      type: static
      credentials_file: /home/deploy/.aws/credentials
  no_log: true
"""

RETURN = r"""
credentials:
  description:
    - The last hop's temporary credentials as module options, for C(module_defaults) or per task.
    - Secrets; register the task with C(no_log).
  returned: success
  type: dict
  contains:
    access_key:
      description: Access key ID.
      type: str
      sample: ASIAIOSFODNN7EXAMPLE
    secret_key:
      description: Secret access key.
      type: str
    session_token:
      description: Session token.
      type: str
expiration:
  description: When the returned credentials expire (ISO 8601, UTC).
  returned: success
  type: str
  sample: "2026-11-26T13:50:32+00:00"
caller_identity:
  description: What STS GetCallerIdentity answers with the returned credentials.
  returned: success
  type: dict
  contains:
    account:
      description: Account the credentials act in.
      type: str
      sample: "222222222222"
    arn:
      description: ARN of the assumed-role session.
      type: str
      sample: arn:aws:sts::222222222222:assumed-role/deploy/ansible-hop1
    user_id:
      description: Role ID and session name.
      type: str
      sample: AROA3X42LBCD93LZGM03P:ansible-hop1
hops:
  description: One entry per assumed role, in order, without secrets.
  returned: success
  type: list
  elements: dict
  contains:
    hop:
      description: Position in the chain, from 1.
      type: int
    role_arn:
      description: The role assumed.
      type: str
    account_id:
      description: The role's account.
      type: str
    role_session_name:
      description: The session name used.
      type: str
    assumed_role_arn:
      description: ARN of the session.
      type: str
    assumed_role_id:
      description: Role ID and session name.
      type: str
    expiration:
      description: When this hop's credentials expire.
      type: str
    packed_policy_size:
      description: Percentage of the packed size limit used by session policies and tags.
      type: int
    source_identity:
      description: Source identity of the session, when set.
      type: str
cli_profile:
  description: The CLI profile written (or that would be written in check mode).
  returned: when O(cli_profile) is set
  type: dict
  contains:
    name:
      description: Profile to use with C(--profile) or C(AWS_PROFILE).
      type: str
    type:
      description: V(role) or V(static).
      type: str
    profiles:
      description: Every profile written, the chain's intermediate hops first.
      type: list
      elements: str
    files_changed:
      description: The files that were (or would be) changed.
      type: list
      elements: str
"""

import contextlib
import os

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ironclad.aws.plugins.module_utils import aws_cli_profile as cli
from ansible_collections.ironclad.aws.plugins.module_utils import profile_file, sts_chain

HOP_OPTIONS = dict(
    role_arn=dict(type="str", required=True),
    role_session_name=dict(type="str"),
    duration_seconds=dict(type="int"),
    external_id=dict(type="str", no_log=False),
    mfa_serial_number=dict(type="str"),
    mfa_token=dict(type="str", no_log=True),
    policy=dict(type="json"),
    policy_arns=dict(type="list", elements="str"),
    tags=dict(type="dict"),
    transitive_tag_keys=dict(type="list", elements="str", no_log=False),
    source_identity=dict(type="str"),
)

PROFILE_OPTIONS = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", choices=["role", "static"], default="role"),
    credential_source=dict(type="str", choices=["Ec2InstanceMetadata", "Environment", "EcsContainer"]),
    source_profile=dict(type="str"),
    region=dict(type="str"),
    config_file=dict(type="path", default="~/.aws/config"),
    credentials_file=dict(type="path", default="~/.aws/credentials"),
)


def session_client(module, service, credentials=None):
    """A retrying client with the module's credentials, or with a hop's temporary ones."""
    extra = {}
    if credentials is not None:
        extra = dict(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            profile_name=None,
        )
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff(), **extra)


def caller_arn(client):
    """Best effort: who was calling, to name it in an error message."""
    try:
        return client.get_caller_identity(aws_retry=True)["Arn"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return None


def assume_chain(module, hops):
    credentials = None
    summaries = []
    for index, hop in enumerate(hops):
        client = session_client(module, "sts", credentials)
        request = sts_chain.assume_role_request(index, hop)
        try:
            response = client.assume_role(aws_retry=True, **request)
        except botocore.exceptions.ClientError as e:
            error = e.response.get("Error", {})
            who = summaries[-1]["assumed_role_arn"] if summaries else caller_arn(client)
            module.fail_json_aws(
                e,
                msg=sts_chain.explain_error(index, hop, error.get("Code"), error.get("Message"), who),
                failed_hop=index + 1,
                hops=summaries,
            )
        except botocore.exceptions.BotoCoreError as e:
            module.fail_json_aws(e, msg="{0}: could not call STS".format(sts_chain.hop_label(index, hop)))
        credentials = response["Credentials"]
        summaries.append(sts_chain.hop_summary(index, hop, response))
    return credentials, summaries


def plan_file(path, sections, mode_wanted):
    """(new text, changed) for one file; mode_wanted None keeps an existing file's mode."""
    before = profile_file.read_text(path)
    after = cli.set_sections(before, sections)
    exists = os.path.exists(path)
    if not exists and not any(items is not None for items in sections.values()):
        return before, after, False
    mode_changes = mode_wanted is not None and profile_file.file_mode(path) != mode_wanted
    return before, after, (after != before) or mode_changes or not exists


def write_profile(module, hops, credentials, expiration):
    profile = module.params["cli_profile"]
    requests = [sts_chain.assume_role_request(i, hop) for i, hop in enumerate(hops)]
    names = cli.hop_profile_names(profile["name"], len(hops))
    config_sections, credentials_sections = {}, {}
    if profile["type"] == "role":
        config_sections = cli.role_profile_sections(profile, requests)
        credentials_sections = {name: None for name in names}
        lost = cli.unsupported_in_profile(requests)
        if lost:
            module.warn(
                "The AWS CLI profile cannot carry session policies, session tags or a source identity; "
                "it will assume the roles without: " + "; ".join(lost)
            )
    else:
        # A role_arn left in the config file would win over the static keys in the CLI's
        # credential chain, so the config sections of this name go (the region stays).
        credentials_sections = {profile["name"]: cli.static_credentials_section(credentials, expiration)}
        config_sections = {cli.config_section(name): None for name in names}
        if profile.get("region"):
            config_sections[cli.config_section(profile["name"])] = [("region", profile["region"])]

    changed_files, diffs = [], []
    plans = [
        (profile["config_file"], config_sections, None, True),
        # Secrets go only into a 0600 file; in role mode the file is just cleaned, its mode kept.
        (profile["credentials_file"], credentials_sections, 0o600 if profile["type"] == "static" else None, False),
    ]
    for path, sections, mode, show_diff in plans:
        if not sections:
            continue
        before, after, changed = plan_file(path, sections, mode)
        if not changed:
            continue
        changed_files.append(path)
        if show_diff:
            diffs.append(dict(before_header=path, after_header=path, before=before, after=after))
        if not module.check_mode:
            try:
                profile_file.write_text(path, after, mode)
            except (IOError, OSError) as e:
                module.fail_json(msg="Could not write {0}: {1}".format(path, e), files_changed=changed_files[:-1])
    written = names if profile["type"] == "role" else [profile["name"]]
    result = dict(name=profile["name"], type=profile["type"], profiles=written, files_changed=changed_files)
    return result, diffs


def check_profile_options(module):
    profile = module.params["cli_profile"]
    if not profile:
        return
    if profile["type"] == "role":
        if bool(profile.get("credential_source")) == bool(profile.get("source_profile")):
            module.fail_json(
                msg="cli_profile.type=role needs exactly one of cli_profile.credential_source (instance metadata, "
                "environment, ECS) or cli_profile.source_profile: it is where the CLI finds the first hop's credentials"
            )
    elif profile.get("credential_source") or profile.get("source_profile"):
        module.fail_json(
            msg="cli_profile.credential_source and cli_profile.source_profile only apply to cli_profile.type=role"
        )


def main():
    argument_spec = dict(
        roles=dict(type="list", elements="dict", required=True, options=HOP_OPTIONS),
        cli_profile=dict(type="dict", options=PROFILE_OPTIONS),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    hops = module.params["roles"]

    problems = sts_chain.validate_chain(hops)
    if problems:
        module.fail_json(msg="Nothing was assumed: " + "; ".join(problems), problems=problems)
    check_profile_options(module)

    credentials, summaries = assume_chain(module, hops)
    try:
        identity = session_client(module, "sts", credentials).get_caller_identity(aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="The last hop's credentials were refused by GetCallerIdentity")

    result = dict(
        changed=False,
        credentials=sts_chain.module_credentials(credentials),
        expiration=summaries[-1]["expiration"],
        caller_identity=dict(account=identity["Account"], arn=identity["Arn"], user_id=identity["UserId"]),
        hops=summaries,
    )
    if module.params["cli_profile"]:
        profile, diffs = write_profile(module, hops, result["credentials"], result["expiration"])
        result["cli_profile"] = profile
        result["changed"] = bool(profile["files_changed"])
        if module._diff and diffs:
            result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
