#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ssm_association
short_description: A State Manager association, found by name, created or updated in place
version_added: 0.1.0
description:
  - Makes one Systems Manager State Manager association, identified by O(name) (its C(AssociationName)),
    run a document on the instances chosen by O(targets) and O(target_tags), on a schedule, at most
    O(max_concurrency) instances at a time, stopping after O(max_errors) failures.
  - The association is found with a paginated C(ListAssociations) filtered by name, then read with
    C(DescribeAssociation). A missing one is created (C(CreateAssociation)); one that differs in what the
    module manages is updated in place (C(UpdateAssociation)), keeping its id and history. Nothing is called
    when it already is as wanted.
  - C(UpdateAssociation) resets every optional field a request leaves out, so the module sends the fields it
    does not manage (calendars, alarms, target locations, schedule offset, ...) as they are.
  - Values are checked before any AWS call against the patterns of SSM's service model (and the 30-minute
    minimum of C(rate()) schedules); a bad value fails with every problem named and nothing changed.
  - Check mode returns the plan (RV(actions), RV(differences)) without a single mutating call.
  - The collection's C(playbooks/fleet_run.yml) uses it to run the estate's playbook on every tagged
    instance through C(AWS-ApplyAnsiblePlaybooks).
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  name:
    description: The association's name (C(AssociationName)), unique in the account and region for this module.
    type: str
    required: true
  state:
    description: V(absent) deletes the association of that name.
    type: str
    choices: [present, absent]
    default: present
  document_name:
    description: The SSM document the association runs, for example C(AWS-ApplyAnsiblePlaybooks). Required when present.
    type: str
  document_version:
    description: C($DEFAULT), C($LATEST) or a version number; unset runs the document's default version.
    type: str
  parameters:
    description:
      - The document's parameters; a value may be a string or a list of strings (others are turned into strings).
    type: dict
  targets:
    description:
      - "Targets in the API's form, for example C({key: InstanceIds, values: [i-0123...]}) or
        C({key: tag:Role, values: [web]})."
    type: list
    elements: dict
    suboptions:
      key:
        description: C(InstanceIds), C(tag:KEY), C(tag-key), C(resource-groups:Name), ...
        type: str
        required: true
      values:
        description: Its values.
        type: list
        elements: str
        required: true
  target_tags:
    description:
      - Instances by tag, added to O(targets) as C(tag:KEY) targets; a list of values means any of them.
      - Targets are combined by SSM with AND; at most 5 targets in all.
    type: dict
  schedule_expression:
    description:
      - C(cron(...)), C(rate(N minutes|hours|days)) (30 minutes at least) or C(at(...)). Unset, the association
        runs once when created or changed (and when new instances match).
    type: str
  max_concurrency:
    description: How many targets run at once, a count or a percentage (C(10), C(10%)).
    type: str
  max_errors:
    description:
      - After how many failed targets the run stops sending to more, a count or a percentage (C(0), C(1), C(5%)).
    type: str
  compliance_severity:
    description: Severity of the association's compliance items.
    type: str
    choices: [CRITICAL, HIGH, MEDIUM, LOW, UNSPECIFIED]
  apply_only_at_cron_interval:
    description: Do not run when created or changed, only at the schedule's times.
    type: bool
    default: false
  output_location:
    description: Where command output goes (S3).
    type: dict
    suboptions:
      s3_bucket_name:
        description: The bucket.
        type: str
        required: true
      s3_key_prefix:
        description: The key prefix.
        type: str
      s3_region:
        description: The bucket's region.
        type: str
notes:
  - "Permissions: C(ssm:ListAssociations), C(ssm:DescribeAssociation), C(ssm:CreateAssociation),
    C(ssm:UpdateAssociation) and, for O(state=absent), C(ssm:DeleteAssociation), plus C(iam:PassRole) if an
    unmanaged C(AssociationDispatchAssumeRole) is set."
  - "Tested with botocore's Stubber, which checks every request against SSM's service model: moto 5.2.5 has
    none of the association calls."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the estate's playbook on the web tier every day, 10% of the instances at a time
  ironclad.aws.ssm_association:
    name: ironclad-site-web
    document_name: AWS-ApplyAnsiblePlaybooks
    target_tags:
      Role: web
    parameters:
      SourceType: S3
      SourceInfo: '{"path": "https://s3.eu-west-1.amazonaws.com/example-fleet/ironclad/fleet/bundle.zip"}'
      InstallDependencies: "False"
      PlaybookFile: fleet.yml
      ExtraVariables: SSM=True fleet_groups=private
      Check: "False"
      Verbose: "-v"
      TimeoutSeconds: "3600"
    schedule_expression: rate(1 day)
    max_concurrency: 10%
    max_errors: "1"
    output_location:
      s3_bucket_name: example-fleet-logs
      s3_key_prefix: associations/

- name: Remove it
  ironclad.aws.ssm_association:
    name: ironclad-site-web
    state: absent
"""

RETURN = r"""
association_id:
  description: The association's id (C(new) in check mode when it would be created).
  returned: when it exists or would be created
  type: str
  sample: 8dfe3659-4309-493a-8755-0123456789ab
actions:
  description: The calls made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
  sample: ["UpdateAssociation: ironclad-site-web (8dfe3659-...): MaxConcurrency, Parameters"]
differences:
  description:
    - What differs between the association and the wanted one; the values of document parameters are not
      shown (the service model marks them sensitive), only which ones differ.
  returned: always
  type: list
  elements: dict
  contains:
    field:
      description: The API field.
      type: str
    before:
      description: Its current value.
      type: raw
    after:
      description: Its wanted value.
      type: raw
association:
  description:
    - The association as SSM describes it at the end (C(DescribeAssociation), or the create or update answer),
      without its document parameters (the service model marks them sensitive).
  returned: when state is present and not in check mode
  type: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ironclad.aws.plugins.module_utils import ssm_association as assoc
from ansible_collections.ironclad.aws.plugins.module_utils.backup_aws import AWS_ERRORS, paginate


def described(description):
    """The association for the result, without its parameters (the service model marks them sensitive)."""
    return camel_dict_to_snake_dict({k: v for k, v in description.items() if k != "Parameters"})


def find(module, client, name):
    """DescribeAssociation of the one association of that name, or None."""
    try:
        listed = paginate(
            client, "list_associations", AssociationFilterList=[{"key": "AssociationName", "value": name}]
        ).get("Associations", [])
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Could not list the associations named %s" % name)
    found = [a for a in listed if a.get("AssociationName") == name]
    if len(found) > 1:
        module.fail_json(
            msg="Nothing was changed: %d associations are named %s (%s); delete the extra ones or give another name"
            % (len(found), name, ", ".join(a["AssociationId"] for a in found))
        )
    if not found:
        return None
    try:
        return client.describe_association(aws_retry=True, AssociationId=found[0]["AssociationId"])[
            "AssociationDescription"
        ]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Could not describe association %s" % found[0]["AssociationId"])


def shown(differences):
    out = []
    for field, before, after in differences:
        if field == "Parameters":
            keys = sorted(
                k for k in set(before or {}) | set(after or {}) if (before or {}).get(k) != (after or {}).get(k)
            )
            before, after = {"differing": keys}, {"differing": keys}
        out.append({"field": field, "before": before, "after": after})
    return out


def main():
    target_spec = dict(
        key=dict(type="str", required=True, no_log=False), values=dict(type="list", elements="str", required=True)
    )
    location_spec = dict(
        s3_bucket_name=dict(type="str", required=True),
        s3_key_prefix=dict(type="str", no_log=False),
        s3_region=dict(type="str"),
    )
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        document_name=dict(type="str"),
        document_version=dict(type="str"),
        parameters=dict(type="dict"),
        targets=dict(type="list", elements="dict", options=target_spec),
        target_tags=dict(type="dict"),
        schedule_expression=dict(type="str"),
        max_concurrency=dict(type="str"),
        max_errors=dict(type="str"),
        compliance_severity=dict(type="str", choices=["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED"]),
        apply_only_at_cron_interval=dict(type="bool", default=False),
        output_location=dict(type="dict", options=location_spec),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    problems = assoc.validate(params)
    if problems:
        module.fail_json(msg="Nothing was changed: " + "; ".join(problems))

    client = module.client("ssm", retry_decorator=AWSRetry.jittered_backoff())
    name = params["name"]
    current = find(module, client, name)

    if params["state"] == "absent":
        actions = ["DeleteAssociation: %s (%s)" % (name, current["AssociationId"])] if current else []
        result = dict(changed=bool(current), actions=actions, differences=[])
        if current:
            result["association_id"] = current["AssociationId"]
        if current and not module.check_mode:
            try:
                client.delete_association(aws_retry=True, AssociationId=current["AssociationId"])
            except AWS_ERRORS as e:
                module.fail_json_aws(e, msg="Could not delete association %s" % current["AssociationId"])
        module.exit_json(**result)

    target = assoc.wanted(params)
    if current is None:
        differences = [(field, None, value) for field, value in assoc.comparable(target).items()]
        actions = ["CreateAssociation: %s running %s" % (name, target["Name"])]
    else:
        differences = assoc.differences(current, target)
        actions = (
            ["UpdateAssociation: %s (%s): %s" % (name, current["AssociationId"], ", ".join(d[0] for d in differences))]
            if differences
            else []
        )
    result = dict(
        changed=bool(actions),
        actions=actions,
        differences=shown(differences),
        association_id=current["AssociationId"] if current else "new",
    )
    if module.check_mode or not actions:
        if current and not module.check_mode:
            result["association"] = described(current)
        module.exit_json(**result)

    try:
        if current is None:
            answer = client.create_association(aws_retry=True, AssociationName=name, **target)
        else:
            answer = client.update_association(aws_retry=True, **assoc.update_request(current, target, name))
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="%s failed" % actions[0])
    description = answer["AssociationDescription"]
    result.update(
        association_id=description["AssociationId"],
        association=described(description),
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
