# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS calls and options shared by the ebs_backup and ami_backup modules.

Every list call is one paginated, filtered request sequence; every call goes through
AWSRetry so throttling (RequestLimitExceeded) is retried with jittered backoff.
"""

try:
    import botocore

    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing SDK

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ironclad.aws.plugins.module_utils.backup_plan import (
    DEFAULT_KEEP_TAG,
    INSTANCE_STATES,
    filter_value,
    instance_filters,
    is_owned,
    matches_tags,
    owned_filters,
    tag_map_problem,
    validate_retention,
)


def argument_spec(default_states):
    return dict(
        policy=dict(type="str", required=True),
        tag_filters=dict(type="dict", default={"BackupYN": "Y"}),
        states=dict(type="list", elements="str", default=list(default_states), choices=list(INSTANCE_STATES)),
        retention_days=dict(type="int"),
        retention_count=dict(type="int"),
        min_interval_hours=dict(type="float", default=0),
        tags=dict(type="dict", default={}),
        copy_instance_tags=dict(type="bool", default=False),
        keep_tag=dict(type="str", default=DEFAULT_KEEP_TAG, no_log=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=900),
    )


def copy_to_spec():
    """The copy_to option (cross-region copies) of both backup modules."""
    return dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            region=dict(type="str", required=True),
            retention_days=dict(type="int"),
            retention_count=dict(type="int"),
            encrypted=dict(type="bool", default=False),
            kms_key_id=dict(type="str"),
        ),
    )


def check_params(module):
    """Fail before any AWS call on values the argument spec cannot express."""
    params = module.params
    problem = validate_retention(params["retention_days"], params["retention_count"])
    if not problem and params["min_interval_hours"] < 0:
        problem = "min_interval_hours must not be negative (got %s)" % params["min_interval_hours"]
    if not problem and not params["policy"].strip():
        problem = "policy must name the backup policy"
    if not problem and not params["tag_filters"]:
        problem = "tag_filters must not be empty: it would back up every instance in the region"
    if not problem:
        problem = tag_map_problem("tag_filters", params["tag_filters"], lists=True)
    for option in ("exclude_volume_tags", "tags"):
        if not problem and params.get(option):
            problem = tag_map_problem(option, params[option])
    if problem:
        module.fail_json(msg=problem)


@AWSRetry.jittered_backoff()
def paginate(client, operation, **params):
    """Every page of a list call, merged; the whole sequence is retried on throttling."""
    return client.get_paginator(operation).paginate(**params).build_full_result()


def describe_instances(client, tag_filters, states):
    result = paginate(client, "describe_instances", Filters=instance_filters(tag_filters, states))
    instances = [i for r in result.get("Reservations", []) for i in r.get("Instances", [])]
    return [i for i in instances if matches_tags(i, tag_filters)]


def owned_snapshots(client, policy, kind):
    # 1,000 is DescribeSnapshots' largest page; without a page size EC2 may time out on big accounts.
    snapshots = paginate(
        client,
        "describe_snapshots",
        OwnerIds=["self"],
        Filters=owned_filters(policy, kind),
        PaginationConfig={"PageSize": 1000},
    ).get("Snapshots", [])
    # The filter may match other policies' names (wildcard characters); the tags decide.
    return [s for s in snapshots if is_owned(s, policy, kind)]


def own_images(client):
    """Every image of this account: what protects snapshots, and what ami_backup prunes."""
    return paginate(client, "describe_images", Owners=["self"]).get("Images", [])


def volumes_tagged(client, tags):
    """Ids of volumes carrying any of the tag key/value pairs."""
    if not tags:
        return set()
    keys = [filter_value(k) for k in sorted(tags)]
    volumes = paginate(client, "describe_volumes", Filters=[{"Name": "tag-key", "Values": keys}])
    matched = set()
    for volume in volumes.get("Volumes", []):
        for tag in volume.get("Tags", []):
            if tag["Key"] in tags and tag["Value"] == str(tags[tag["Key"]]):
                matched.add(volume["VolumeId"])
    return matched


def delete_snapshots(module, client, snapshot_ids):
    """Delete one by one (EC2 has no batch delete); a snapshot already gone or newly in use is skipped."""
    deleted, skipped = [], []
    for snapshot_id in snapshot_ids:
        try:
            client.delete_snapshot(SnapshotId=snapshot_id, aws_retry=True)
            deleted.append(snapshot_id)
        except botocore.exceptions.ClientError as e:
            code = e.response["Error"]["Code"]
            if code in ("InvalidSnapshot.NotFound", "InvalidSnapshot.InUse"):
                skipped.append({"snapshot_id": snapshot_id, "reason": code})
                module.warn("snapshot %s not deleted: %s" % (snapshot_id, e.response["Error"].get("Message", code)))
            else:
                module.fail_json_aws(e, msg="Failed to delete snapshot %s" % snapshot_id, deleted_snapshot_ids=deleted)
        except AWS_ERRORS as e:
            module.fail_json_aws(e, msg="Failed to delete snapshot %s" % snapshot_id, deleted_snapshot_ids=deleted)
    return deleted, skipped


def retention_report(plan):
    delete = [
        {"id": b.id, "group": b.group, "created": b.created.isoformat(), "reason": reason} for b, reason in plan.delete
    ]
    protected = [{"id": b.id, "group": b.group, "reason": reason} for b, reason in plan.protected]
    return delete, protected
