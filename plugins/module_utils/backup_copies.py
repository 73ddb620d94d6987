# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-region copies of a policy's snapshots and images (copy_to): pure decisions, no AWS calls.

A copy carries the source's tags (so it belongs to the same policy in its region) and
says what it is a copy of. Each copy region has its own retention, applied to the copies
there only. A source is copied once it is completed (a snapshot) or available (an image),
and only when the copy region's retention would keep the copy.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
)
from ansible_collections.ironclad.aws.plugins.module_utils.backup_plan import (
    DEFAULT_KEEP_TAG,
    Backup,
    image_backups,
    is_owned,
    plan_retention,
    validate_retention,
)

SOURCE_SNAPSHOT_TAG = "ironclad:backup-source-snapshot-id"
SOURCE_VOLUME_TAG = "ironclad:backup-source-volume-id"
SOURCE_REGION_TAG = "ironclad:backup-source-region"
SOURCE_IMAGE_TAG = "ironclad:backup-source-image-id"

_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]+$")


def copy_rules_problem(rules, region):
    """Error text for the first impossible copy_to entry, naming it, or None."""
    seen = set()
    for index, rule in enumerate(rules or []):
        name = "copy_to[%d]" % index
        target = rule.get("region") or ""
        if not _REGION.match(target):
            return "%s.region %r is not a region name (e.g. eu-west-1)" % (name, target)
        if target == region:
            return "%s.region %s is the module's own region: copies go to another region" % (name, target)
        if target in seen:
            return "copy_to names %s twice" % target
        seen.add(target)
        problem = validate_retention(rule.get("retention_days"), rule.get("retention_count"))
        if problem:
            return "%s.%s" % (name, problem)
        if rule.get("kms_key_id") and not rule.get("encrypted"):
            return "%s.kms_key_id needs %s.encrypted=true" % (name, name)
    return None


def copy_group(snapshot):
    """Copies are counted per source volume, like their sources (a copy's VolumeId is not it)."""
    return (
        boto3_tag_list_to_ansible_dict(snapshot.get("Tags")).get(SOURCE_VOLUME_TAG)
        or snapshot.get("VolumeId")
        or "unknown-volume"
    )


def copy_backups(copies, keep_tag=DEFAULT_KEEP_TAG, ami_snapshot_ids=()):
    backups = []
    for copy in copies:
        protected = None
        if copy["SnapshotId"] in ami_snapshot_ids:
            protected = "backs a registered AMI"
        elif keep_tag and keep_tag in boto3_tag_list_to_ansible_dict(copy.get("Tags")):
            protected = "tagged %s" % keep_tag
        backups.append(Backup(copy["SnapshotId"], copy_group(copy), copy["StartTime"], protected))
    return backups


def snapshots_to_copy(sources, copies, rule, now, skip_ids=()):
    """Completed sources without a copy in the region whose copy its retention would keep."""
    copied = {boto3_tag_list_to_ansible_dict(c.get("Tags")).get(SOURCE_SNAPSHOT_TAG) for c in copies}
    wanted = [
        s
        for s in sources
        if s.get("State") == "completed" and s["SnapshotId"] not in copied and s["SnapshotId"] not in skip_ids
    ]
    candidates = [Backup(s["SnapshotId"], s.get("VolumeId") or "unknown-volume", s["StartTime"], None) for s in wanted]
    plan = plan_retention(
        candidates + copy_backups(copies, keep_tag=None), now, rule.get("retention_days"), rule.get("retention_count")
    )
    doomed = {backup.id for backup, _reason in plan.delete}
    return sorted((s for s in wanted if s["SnapshotId"] not in doomed), key=lambda s: s["SnapshotId"])


def copy_tags(source, source_region):
    tags = {k: v for k, v in boto3_tag_list_to_ansible_dict(source.get("Tags")).items() if not k.startswith("aws:")}
    tags.update(
        {
            SOURCE_SNAPSHOT_TAG: source["SnapshotId"],
            SOURCE_VOLUME_TAG: source.get("VolumeId") or "unknown-volume",
            SOURCE_REGION_TAG: source_region,
        }
    )
    return tags


def copy_request(source, source_region, rule):
    """CopySnapshot parameters, sent to the copy region's endpoint."""
    tags = copy_tags(source, source_region)
    request = {
        "SourceRegion": source_region,
        "SourceSnapshotId": source["SnapshotId"],
        "Description": source.get("Description") or tags.get("Name", ""),
        "TagSpecifications": boto3_tag_specifications(tags, ["snapshot"]),
    }
    if rule.get("encrypted"):
        request["Encrypted"] = True
        if rule.get("kms_key_id"):
            request["KmsKeyId"] = rule["kms_key_id"]
    return request


def image_copies(images, policy):
    """The images of a copy region that are this policy's copies (its own AMI backups made there are not)."""
    return [
        i
        for i in images
        if is_owned(i, policy, "ami") and SOURCE_IMAGE_TAG in boto3_tag_list_to_ansible_dict(i.get("Tags"))
    ]


def images_to_copy(sources, copies, rule, now, skip_ids=()):
    """Available source images without a copy in the region whose copy its retention would keep.

    Copies count per instance, like their sources (both carry the instance tag).
    """
    copied = {boto3_tag_list_to_ansible_dict(c.get("Tags")).get(SOURCE_IMAGE_TAG) for c in copies}
    wanted = [
        i
        for i in sources
        if i.get("State") == "available" and i["ImageId"] not in copied and i["ImageId"] not in skip_ids
    ]
    plan = plan_retention(
        image_backups(wanted, keep_tag=None) + image_backups(copies, keep_tag=None),
        now,
        rule.get("retention_days"),
        rule.get("retention_count"),
    )
    doomed = {backup.id for backup, _reason in plan.delete}
    return sorted((i for i in wanted if i["ImageId"] not in doomed), key=lambda i: i["ImageId"])


def image_copy_request(source, source_region, rule):
    """CopyImage parameters, sent to the copy region's endpoint: the copy and its snapshots
    are tagged at creation with the source's tags and what it is a copy of."""
    tags = {k: v for k, v in boto3_tag_list_to_ansible_dict(source.get("Tags")).items() if not k.startswith("aws:")}
    tags.update({SOURCE_IMAGE_TAG: source["ImageId"], SOURCE_REGION_TAG: source_region})
    request = {
        "SourceRegion": source_region,
        "SourceImageId": source["ImageId"],
        "Name": source["Name"],
        "Description": source.get("Description") or source["Name"],
        "TagSpecifications": boto3_tag_specifications(tags, ["image", "snapshot"]),
    }
    if rule.get("encrypted"):
        request["Encrypted"] = True
        if rule.get("kms_key_id"):
            request["KmsKeyId"] = rule["kms_key_id"]
    return request
