#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: instance_metadata_options
short_description: Require IMDSv2 session tokens (and set the hop limit, endpoint and tags) on EC2 instances
version_added: 0.1.0
description:
  - Sets the instance metadata options of the instances chosen by O(instance_ids), O(tags) and O(filters)
    (all given must match), read with one paginated C(DescribeInstances).
  - By default requires session tokens (C(HttpTokens=required), IMDSv2) with a hop limit of 1. Without a
    token a plain C(GET) on C(http://169.254.169.254) returns the instance profile's credentials to anything
    that can make the host fetch a URL; with tokens a C(PUT /latest/api/token) must come first, which such a
    fetch cannot send, and a hop limit of 1 keeps the token from reaching containers behind the host.
  - Options left unset keep each instance's current value. Instances that already have the wanted options
    get no call, so a second run changes nothing.
  - "Every value is checked before any AWS call. Instance ids that do not exist fail the task before any
    change. A failure half way names the instances already changed (EC2 has no transaction across
    instances)."
  - Check mode returns the plan (RV(instances) with their RV(instances[].changes)) without a single
    mutating call.
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  instance_ids:
    description: Instances by id.
    type: list
    elements: str
  tags:
    description:
      - Instances by tag; every key must match, a list of values means any of them (C(tag:KEY) filters).
    type: dict
  filters:
    description:
      - "More C(DescribeInstances) filters, as a dict of filter name to value or list of values, for example
        C({vpc-id: vpc-0abc..., instance-type: [t3.micro, t3.small]})."
    type: dict
  states:
    description: Instance states to consider; terminated instances cannot be changed.
    type: list
    elements: str
    choices: [pending, running, stopping, stopped]
    default: [pending, running, stopping, stopped]
  http_tokens:
    description:
      - V(required) accepts only IMDSv2 requests (with a session token); V(optional) also answers IMDSv1.
      - Before requiring tokens, check that nothing on the instances still uses IMDSv1 (the C(MetadataNoToken)
        CloudWatch metric of each instance counts such requests); AWS SDKs and CLIs from 2019 on use tokens.
    type: str
    choices: [required, optional]
    default: required
  http_put_response_hop_limit:
    description:
      - How many network hops the token's answer may travel, 1 to 64. V(1) keeps containers on a bridge
        network from getting a token; hosts whose containers need the metadata service use V(2).
      - Null keeps each instance's value.
    type: int
    default: 1
  http_endpoint:
    description: V(disabled) turns the metadata service off altogether; null keeps each instance's value.
    type: str
    choices: [enabled, disabled]
  http_protocol_ipv6:
    description: The IPv6 endpoint (C([fd00:ec2::254]), Nitro instances); null keeps each instance's value.
    type: str
    choices: [enabled, disabled]
  instance_metadata_tags:
    description:
      - Instance tags under C(/latest/meta-data/tags/instance) (what the C(instance_config) role reads);
        null keeps each instance's value.
    type: str
    choices: [enabled, disabled]
  wait:
    description: Wait until every changed instance reports the options C(applied).
    type: bool
    default: false
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 300
notes:
  - "Permissions: C(ec2:DescribeInstances) and C(ec2:ModifyInstanceMetadataOptions)."
  - New instances are better launched with the options already set (a launch template's C(MetadataOptions), an
    AMI registered with C(ImdsSupport=v2.0), or the account's C(ModifyInstanceMetadataDefaults)); the
    collection's C(docs/imdsv2.md) says how, including for Packer builds.
  - "Tested against moto, whose C(ModifyInstanceMetadataOptions) resets the options a request leaves out:
    the module always sends the whole set, which EC2 treats the same."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Require IMDSv2 with a hop limit of 1 on every instance of the web tier
  ironclad.aws.instance_metadata_options:
    tags:
      Tier: web

- name: Container hosts keep a hop limit of 2, and expose their tags in the metadata
  ironclad.aws.instance_metadata_options:
    tags:
      Role: [ecs, docker]
    http_put_response_hop_limit: 2
    instance_metadata_tags: enabled
    wait: true

- name: Show which instances still answer IMDSv1, without changing them
  ironclad.aws.instance_metadata_options:
    filters:
      instance-state-name: running
  check_mode: true
  register: imds_plan

- name: Two instances by id
  ironclad.aws.instance_metadata_options:
    instance_ids: [i-0123456789abcdef0, i-0fedcba9876543210]
"""

RETURN = r"""
instances:
  description: Every instance chosen, with what changed (or would change, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance.
      type: str
    name:
      description: Its C(Name) tag, if any.
      type: str
    changes:
      description: Option name to C(before) and C(after) values, for what differs; empty when nothing does.
      type: dict
      sample: {http_tokens: {before: optional, after: required}}
    metadata_options:
      description: The options EC2 reports after the change (before it, for unchanged instances and in check mode).
      type: dict
      sample: {http_tokens: required, http_put_response_hop_limit: 1, http_endpoint: enabled, state: applied}
changed_instance_ids:
  description: Instances whose options were changed (would be, in check mode).
  returned: always
  type: list
  elements: str
"""

import contextlib
import time

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ironclad.aws.plugins.module_utils import instance_metadata as imds
from ansible_collections.ironclad.aws.plugins.module_utils.backup_aws import paginate

STATES = ["pending", "running", "stopping", "stopped"]


def describe(module, client, **kwargs):
    try:
        pages = paginate(client, "describe_instances", **kwargs)
    except is_boto3_error_code("InvalidInstanceID.NotFound") as e:
        module.fail_json(
            msg="Nothing was changed: %s" % e.response["Error"].get("Message", "an instance id does not exist")
        )
    except is_boto3_error_code("InvalidInstanceID.Malformed") as e:  # pylint: disable=duplicate-except
        module.fail_json(msg="Nothing was changed: %s" % e.response["Error"].get("Message", "a malformed instance id"))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe the instances")
    return [i for r in pages.get("Reservations", []) for i in r.get("Instances", [])]


def wait_applied(module, client, instance_ids, result):
    """Poll until every instance reports State=applied; returns their options by id."""
    deadline = time.time() + module.params["wait_timeout"]
    while True:
        instances = describe(module, client, InstanceIds=instance_ids)
        options = {i["InstanceId"]: i.get("MetadataOptions") or {} for i in instances}
        pending = sorted(k for k, v in options.items() if v.get("State") != "applied")
        if not pending:
            return options
        if time.time() > deadline:
            module.fail_json(
                msg="The options were changed but not yet applied after %s seconds on: %s"
                % (module.params["wait_timeout"], ", ".join(pending)),
                **result,
            )
        time.sleep(5)


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str"),
        tags=dict(type="dict"),
        filters=dict(type="dict"),
        states=dict(type="list", elements="str", choices=STATES, default=list(STATES)),
        http_tokens=dict(type="str", choices=["required", "optional"], default="required", no_log=False),
        http_put_response_hop_limit=dict(type="int", default=1),
        http_endpoint=dict(type="str", choices=["enabled", "disabled"]),
        http_protocol_ipv6=dict(type="str", choices=["enabled", "disabled"]),
        instance_metadata_tags=dict(type="str", choices=["enabled", "disabled"]),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    problems = imds.validate(module.params)
    if problems:
        module.fail_json(msg="Nothing was changed: " + "; ".join(problems))

    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    instances = describe(module, client, **imds.selection(module.params))
    current = {i["InstanceId"]: i.get("MetadataOptions") or {} for i in instances}
    steps = imds.plan(instances, module.params)
    todo = [s for s in steps if s["changes"]]
    result = dict(
        changed=bool(todo),
        changed_instance_ids=[s["instance_id"] for s in todo],
        instances=[
            dict(
                instance_id=s["instance_id"],
                name=s["name"],
                changes=s["changes"],
                metadata_options=camel_dict_to_snake_dict(current[s["instance_id"]]),
            )
            for s in steps
        ],
    )
    missing = sorted(set(module.params["instance_ids"] or []) - set(current))
    if missing:
        module.warn(
            "Not in the states %s, or not matching the filters, left alone: %s"
            % (", ".join(module.params["states"]), ", ".join(missing))
        )
    if module.check_mode or not todo:
        module.exit_json(**result)

    done = []
    for step in todo:
        try:
            answer = client.modify_instance_metadata_options(aws_retry=True, **step["request"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            result.update(changed=bool(done), changed_instance_ids=done)
            module.fail_json_aws(
                e,
                msg="Could not change %s; changed before it: %s; not attempted: %s"
                % (
                    step["instance_id"],
                    ", ".join(done) or "none",
                    ", ".join(s["instance_id"] for s in todo[len(done) + 1 :]) or "none",
                ),
                **result,
            )
        done.append(step["instance_id"])
        current[step["instance_id"]] = answer.get("InstanceMetadataOptions") or {}
    if module.params["wait"]:
        current.update(wait_applied(module, client, done, result))
    for entry in result["instances"]:
        entry["metadata_options"] = camel_dict_to_snake_dict(current[entry["instance_id"]])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
