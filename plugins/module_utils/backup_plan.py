# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to back up and what to prune: pure functions, no AWS calls.

The ebs_backup and ami_backup modules fetch data, hand it to these functions and carry
out the plan they return, so every decision can be unit-tested without AWS.
"""

import datetime
import re
from collections import namedtuple

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# Tags this collection writes on every backup; pruning only ever considers resources
# that carry POLICY_TAG with the module's policy name and the matching KIND_TAG.
POLICY_TAG = "ironclad:backup-policy"
KIND_TAG = "ironclad:backup-kind"
INSTANCE_TAG = "ironclad:backup-instance-id"
DEFAULT_KEEP_TAG = "ironclad:backup-keep"
RESERVED_TAGS = (POLICY_TAG, KIND_TAG, INSTANCE_TAG, "Name")

INSTANCE_STATES = ("pending", "running", "shutting-down", "terminated", "stopping", "stopped")

# One backup as the retention plan sees it. `group` is what retention_count counts per
# (the volume for snapshots, the instance for images); `protected` is None or the reason
# this backup must never be deleted.
Backup = namedtuple("Backup", ["id", "group", "created", "protected"])
RetentionPlan = namedtuple("RetentionPlan", ["delete", "protected"])

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def as_utc(value):
    """An aware UTC datetime; naive values are taken as UTC (what EC2 and moto mean)."""
    if isinstance(value, str):
        value = parse_timestamp(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def parse_timestamp(text):
    """Parse EC2's ISO 8601 timestamps ('2024-05-01T10:00:00.000Z', '+02:00'/'-05:00' offsets too)."""
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise ValueError("not an ISO 8601 timestamp: %r" % text)
    value = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    offset = match.group(2)
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        value -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value.replace(tzinfo=datetime.timezone.utc)


# Characters EC2 (or moto, which uses fnmatch) reads as pattern syntax in a filter value.
_PATTERN_CHARACTERS = "*?\\[]"


def filter_value(text):
    """A filter value that matches at least the literal text, on EC2 and on moto alike.

    EC2 reads `*` and `?` as wildcards and `\\` as an escape; moto also reads `[...]`.
    Each such character becomes `?` (any one character), so the value can only match
    more than asked, never less; callers then keep the exact matches (matches_tags).
    """
    return "".join("?" if c in _PATTERN_CHARACTERS else c for c in str(text))


def tag_values(value):
    """A tag_filters value as the list of literal values it allows."""
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def instance_filters(tag_filters, states):
    """DescribeInstances filters: every tag filter must match (values of one tag are alternatives).

    The answer may hold more than the selection (see filter_value): keep matches_tags only.
    """
    filters = []
    for key in sorted(tag_filters):
        filters.append({"Name": "tag:%s" % key, "Values": [filter_value(v) for v in tag_values(tag_filters[key])]})
    filters.append({"Name": "instance-state-name", "Values": list(states)})
    return filters


def matches_tags(resource, tag_filters):
    """Whether every key of tag_filters is on the resource with one of its values, compared exactly."""
    tags = boto3_tag_list_to_ansible_dict(resource.get("Tags"))
    return all(key in tags and tags[key] in tag_values(value) for key, value in tag_filters.items())


def owned_filters(policy, kind):
    """Filters that find at least this policy's own backups; keep is_owned ones only."""
    return [
        {"Name": "tag:%s" % POLICY_TAG, "Values": [filter_value(policy)]},
        {"Name": "tag:%s" % KIND_TAG, "Values": [kind]},
    ]


def is_owned(resource, policy, kind):
    """Exactly this policy's backup of this kind: the only thing retention may delete."""
    tags = boto3_tag_list_to_ansible_dict(resource.get("Tags"))
    return tags.get(POLICY_TAG) == policy and tags.get(KIND_TAG) == kind


def _describe_value(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "the boolean %s (quote it: YAML reads yes/no/true/false as booleans)" % value
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, list) and not value:
        return "an empty list"
    return repr(value)


def _describe_list(value):
    if not value:
        return "an empty list"
    return "a list holding %s" % _describe_value(next(v for v in value if not _is_tag_value(v)))


def _is_tag_value(value):
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def tag_map_problem(option, mapping, lists=False):
    """Error text for a tag dict an option cannot use, naming the key, or None.

    Values must be strings or numbers (and, with lists=True, non-empty lists of them): a null,
    a dict or an empty list matches nothing, which would silently back up nothing.
    """
    for key in sorted(mapping, key=str):
        value = mapping[key]
        if not isinstance(key, str) or not key.strip():
            return "%s has an empty key: every key must name a tag" % option
        if _is_tag_value(value) or (lists and isinstance(value, list) and value and all(map(_is_tag_value, value))):
            continue
        wanted = "a tag value or a non-empty list of tag values" if lists else "a tag value (string or number)"
        got = _describe_list(value) if lists and isinstance(value, list) else _describe_value(value)
        return "%s.%s must be %s, got %s" % (option, key, wanted, got)
    return None


def instance_name(instance):
    return boto3_tag_list_to_ansible_dict(instance.get("Tags")).get("Name") or instance["InstanceId"]


def attached_volumes(instance, exclude_boot=False, excluded_volume_ids=()):
    """EBS volume ids of an instance that a backup would snapshot, in device order."""
    root = instance.get("RootDeviceName")
    volumes = []
    for mapping in sorted(instance.get("BlockDeviceMappings", []), key=lambda m: m.get("DeviceName", "")):
        volume_id = (mapping.get("Ebs") or {}).get("VolumeId")
        if not volume_id or volume_id in excluded_volume_ids:
            continue
        if exclude_boot and mapping.get("DeviceName") == root:
            continue
        volumes.append(volume_id)
    return volumes


def newest_by_instance(resources, created_key):
    """Newest creation time per INSTANCE_TAG among existing backups."""
    newest = {}
    for resource in resources:
        instance_id = boto3_tag_list_to_ansible_dict(resource.get("Tags")).get(INSTANCE_TAG)
        if not instance_id:
            continue
        created = as_utc(resource[created_key])
        if instance_id not in newest or created > newest[instance_id]:
            newest[instance_id] = created
    return newest


def is_due(instance_id, newest, now, min_interval_hours):
    """An instance is due unless its newest backup is younger than min_interval_hours."""
    last = newest.get(instance_id)
    if last is None or not min_interval_hours:
        return True
    return as_utc(now) - last >= datetime.timedelta(hours=min_interval_hours)


def backup_tags(instance, policy, kind, name, extra_tags=None, copy_instance_tags=False):
    """Tags for a new backup. Ours win over the user's, the user's over copied instance tags."""
    tags = {}
    if copy_instance_tags:
        tags.update(
            (k, v)
            for k, v in boto3_tag_list_to_ansible_dict(instance.get("Tags")).items()
            if not k.startswith("aws:") and k not in RESERVED_TAGS
        )
    tags.update(extra_tags or {})
    tags.update({"Name": name, POLICY_TAG: policy, KIND_TAG: kind, INSTANCE_TAG: instance["InstanceId"]})
    return tags


def snapshot_description(instance, now):
    """The SPEC's description, with the instance id: CreateSnapshots takes one per instance."""
    stamp = as_utc(now).strftime("%Y%m%d-%H%M%S")
    suffix = ".%s-%s" % (instance["InstanceId"], stamp)
    return ("scheduled-" + instance_name(instance))[: 255 - len(suffix)] + suffix


def image_name(instance, now, prefix):
    """'PREFIX-NAME-ID from YYYY-mm-dd', cut to EC2's 128 characters and its character set."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()[] ./-'@_")
    name = "".join(c if c in allowed else "_" for c in instance_name(instance))
    suffix = "-%s from %s" % (instance["InstanceId"], as_utc(now).strftime("%Y-%m-%d"))
    return ("%s-%s" % (prefix, name))[: 128 - len(suffix)] + suffix


def _too_recent(instance_id, min_interval_hours):
    return {"instance_id": instance_id, "reason": "backed up less than %g hours ago" % min_interval_hours}


def plan_snapshots(instances, owned_snapshots, now, exclude_boot=False, excluded_volume_ids=(), min_interval_hours=0):
    """Per selected instance: the volumes to snapshot now, or why it is skipped."""
    newest = newest_by_instance(owned_snapshots, "StartTime")
    create, skipped = [], []
    for instance in sorted(instances, key=lambda i: i["InstanceId"]):
        instance_id = instance["InstanceId"]
        volumes = attached_volumes(instance, exclude_boot, excluded_volume_ids)
        all_volumes = attached_volumes(instance)
        if not volumes:
            skipped.append({"instance_id": instance_id, "reason": "no volume left to snapshot"})
        elif not is_due(instance_id, newest, now, min_interval_hours):
            skipped.append(_too_recent(instance_id, min_interval_hours))
        else:
            create.append(
                {
                    "instance_id": instance_id,
                    "instance_name": instance_name(instance),
                    "volume_ids": volumes,
                    "excluded_volume_ids": [v for v in all_volumes if v not in volumes],
                    "exclude_boot_volume": bool(exclude_boot),
                }
            )
    return create, skipped


def plan_images(instances, owned_images, now, prefix, min_interval_hours=0, taken_names=()):
    """Per selected instance: the image to create now, or why it is skipped.

    AMI names are unique per account and region, so a name already taken (today's image of
    this policy, or any other image) means there is nothing to create.
    """
    newest = newest_by_instance(owned_images, "CreationDate")
    names = set(taken_names) | {image.get("Name") for image in owned_images}
    create, skipped = [], []
    for instance in sorted(instances, key=lambda i: i["InstanceId"]):
        instance_id = instance["InstanceId"]
        name = image_name(instance, now, prefix)
        if name in names:
            skipped.append({"instance_id": instance_id, "reason": "an image named %s already exists" % name})
        elif not is_due(instance_id, newest, now, min_interval_hours):
            skipped.append(_too_recent(instance_id, min_interval_hours))
        else:
            create.append({"instance_id": instance_id, "instance_name": instance_name(instance), "name": name})
    return create, skipped


def _age(now, created):
    delta = now - created
    return "%d days %d hours" % (delta.days, delta.seconds // 3600)


def plan_retention(backups, now, retention_days=None, retention_count=None, planned_new=None):
    """Which backups to delete.

    - retention_days only: delete what is strictly older than that many days.
    - retention_count only: keep the newest N per group, counting the backups
      `planned_new` says this run creates for the group.
    - both: delete only what is past both rules (count is a floor under the age rule, so
      an instance that stopped being backed up keeps its last N).
    - neither: delete nothing.
    Protected backups are never deleted and take no slot in the count.
    """
    now = as_utc(now)
    planned_new = planned_new or {}
    delete, protected = [], []
    groups = {}
    for backup in backups:
        if backup.protected:
            protected.append((backup, backup.protected))
        else:
            groups.setdefault(backup.group, []).append(backup._replace(created=as_utc(backup.created)))
    if retention_days is None and retention_count is None:
        return RetentionPlan([], protected)
    max_age = datetime.timedelta(days=retention_days) if retention_days is not None else None
    for group in sorted(groups, key=str):
        ordered = sorted(groups[group], key=lambda b: (b.created, b.id), reverse=True)
        slots = None if retention_count is None else max(retention_count - planned_new.get(group, 0), 0)
        for index, backup in enumerate(ordered):
            too_old = max_age is not None and now - backup.created > max_age
            beyond_count = slots is not None and index >= slots
            both_rules = max_age is not None and slots is not None
            doomed = (too_old and beyond_count) if both_rules else (too_old or beyond_count)
            if not doomed:
                continue
            reasons = []
            if too_old:
                reasons.append("older than %s days (%s)" % (retention_days, _age(now, backup.created)))
            if beyond_count:
                reasons.append("not among the newest %s of %s" % (retention_count, group))
            delete.append((backup, " and ".join(reasons)))
    return RetentionPlan(delete, protected)


def snapshot_backups(snapshots, ami_snapshot_ids=(), keep_tag=DEFAULT_KEEP_TAG):
    """Owned snapshots as Backups, grouped by volume (kept even when the volume is gone)."""
    backups = []
    for snap in snapshots:
        tags = boto3_tag_list_to_ansible_dict(snap.get("Tags"))
        protected = None
        if snap["SnapshotId"] in ami_snapshot_ids:
            protected = "backs a registered AMI"
        elif keep_tag and keep_tag in tags:
            protected = "tagged %s" % keep_tag
        backups.append(
            Backup(snap["SnapshotId"], snap.get("VolumeId") or "unknown-volume", snap["StartTime"], protected)
        )
    return backups


def image_backups(images, keep_tag=DEFAULT_KEEP_TAG):
    """Owned images as Backups, grouped by the instance they were made from."""
    backups = []
    for image in images:
        tags = boto3_tag_list_to_ansible_dict(image.get("Tags"))
        protected = "tagged %s" % keep_tag if keep_tag and keep_tag in tags else None
        group = tags.get(INSTANCE_TAG) or image.get("SourceInstanceId") or "unknown-instance"
        backups.append(Backup(image["ImageId"], group, image["CreationDate"], protected))
    return backups


def image_snapshot_ids(image):
    return [
        m["Ebs"]["SnapshotId"] for m in image.get("BlockDeviceMappings", []) if (m.get("Ebs") or {}).get("SnapshotId")
    ]


def snapshots_to_release(doomed_images, all_images):
    """Snapshots of doomed images that no surviving image still uses."""
    doomed_ids = {image["ImageId"] for image in doomed_images}
    in_use = set()
    for image in all_images:
        if image["ImageId"] not in doomed_ids:
            in_use.update(image_snapshot_ids(image))
    release = []
    for image in doomed_images:
        release.extend(s for s in image_snapshot_ids(image) if s not in in_use and s not in release)
    return release


def validate_retention(retention_days, retention_count):
    """Error text for an impossible retention, or None."""
    if retention_days is not None and retention_days < 1:
        return "retention_days must be at least 1 (got %s)" % retention_days
    if retention_count is not None and retention_count < 1:
        return "retention_count must be at least 1 (got %s)" % retention_count
    return None
