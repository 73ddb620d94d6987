# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restoring one EBS volume of an instance from a backup: pure decisions, no AWS calls.

The ebs_restore module reads the instance, the volume at the device and this policy's
snapshots, hands them to these functions and carries out the steps they return.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
)
from ansible_collections.ironclad.aws.plugins.module_utils.backup_plan import (
    INSTANCE_TAG,
    as_utc,
    is_owned,
)

# Tags ebs_restore writes, so a re-run, a rollback and a person can tell the volumes apart.
RESTORED_FROM_TAG = "ironclad:restored-from-snapshot"
PREVIOUS_VOLUME_TAG = "ironclad:restore-previous-volume-id"
LINEAGE_TAG = "ironclad:restore-lineage-volume-id"
KEPT_TAG = "ironclad:restore-kept-for-rollback"
RESTORE_TAGS = (RESTORED_FROM_TAG, PREVIOUS_VOLUME_TAG, LINEAGE_TAG, KEPT_TAG)

CREATE_VOLUME = "create_volume"
STOP_INSTANCE = "stop_instance"
DETACH_VOLUME = "detach_volume"
ATTACH_VOLUME = "attach_volume"
START_INSTANCE = "start_instance"

# The volume types whose IOPS and throughput are set by the user (others derive them).
IOPS_TYPES = ("io1", "io2", "gp3")
THROUGHPUT_TYPES = ("gp3",)


class RestoreError(Exception):
    """Something in the inputs or in what EC2 reports makes the restore impossible."""


def mapping_at(instance, device_name):
    """The block device mapping at device_name (the root device when None), or RestoreError."""
    device = device_name or instance.get("RootDeviceName")
    mappings = instance.get("BlockDeviceMappings", [])
    for mapping in mappings:
        if mapping.get("DeviceName") == device and (mapping.get("Ebs") or {}).get("VolumeId"):
            return mapping
    devices = ", ".join(sorted(m.get("DeviceName", "?") for m in mappings)) or "none"
    raise RestoreError(
        "{0} has no EBS volume at {1} (its devices: {2}; root device: {3})".format(
            instance["InstanceId"], device, devices, instance.get("RootDeviceName")
        )
    )


def lineage(volume):
    """The volume ids whose snapshots are backups of this device: the volume, and the one
    a restored volume descends from (snapshots keep the id of the volume they were taken of)."""
    ids = [volume["VolumeId"]]
    origin = boto3_tag_list_to_ansible_dict(volume.get("Tags")).get(LINEAGE_TAG)
    if origin and origin not in ids:
        ids.append(origin)
    return ids


def choose_snapshot(snapshots, policy, instance_id, volume_ids, snapshot_id=None, before=None):
    """The snapshot to restore: by id, the newest before a time, or the newest.

    Only this policy's completed EBS backups of this instance's volume (lineage) count.
    """
    mine = [
        s
        for s in snapshots
        if is_owned(s, policy, "ebs")
        and s.get("VolumeId") in volume_ids
        and boto3_tag_list_to_ansible_dict(s.get("Tags")).get(INSTANCE_TAG) in (instance_id, None)
    ]
    if snapshot_id:
        for snapshot in mine:
            if snapshot["SnapshotId"] == snapshot_id:
                if snapshot.get("State") != "completed":
                    raise RestoreError("snapshot {0} is {1}, not completed".format(snapshot_id, snapshot.get("State")))
                return snapshot
        raise RestoreError(
            "snapshot {0} is not a backup of policy {1!r} of volume {2} of {3}".format(
                snapshot_id, policy, " or ".join(volume_ids), instance_id
            )
        )
    candidates = [s for s in mine if s.get("State") == "completed"]
    if before is not None:
        limit = as_utc(before)
        candidates = [s for s in candidates if as_utc(s["StartTime"]) < limit]
    if not candidates:
        raise RestoreError(
            "no completed snapshot of policy {0!r} of volume {1} of {2}{3}".format(
                policy,
                " or ".join(volume_ids),
                instance_id,
                " before {0}".format(as_utc(before).isoformat()) if before is not None else "",
            )
        )
    return max(candidates, key=lambda s: (as_utc(s["StartTime"]), s["SnapshotId"]))


def volume_request(original, snapshot, availability_zone, tags):
    """CreateVolume parameters: the original's type, size, IOPS, throughput, encryption, key."""
    volume_type = original.get("VolumeType", "gp3")
    request = {
        "AvailabilityZone": availability_zone,
        "SnapshotId": snapshot["SnapshotId"],
        "VolumeType": volume_type,
        # A volume can grow after its snapshot but never shrink below it.
        "Size": max(original.get("Size") or 0, snapshot.get("VolumeSize") or 0),
        "TagSpecifications": boto3_tag_specifications(tags, ["volume"]),
    }
    if volume_type in IOPS_TYPES and original.get("Iops"):
        request["Iops"] = original["Iops"]
    if volume_type in THROUGHPUT_TYPES and original.get("Throughput"):
        request["Throughput"] = original["Throughput"]
    if original.get("Encrypted") or snapshot.get("Encrypted"):
        request["Encrypted"] = True
        if original.get("KmsKeyId"):
            request["KmsKeyId"] = original["KmsKeyId"]
    return request


def restored_tags(original, snapshot, extra_tags=None):
    """The new volume keeps the original's tags (not aws:, not ours) and says where it comes from."""
    tags = {
        k: v
        for k, v in boto3_tag_list_to_ansible_dict(original.get("Tags")).items()
        if not k.startswith("aws:") and k not in RESTORE_TAGS
    }
    tags.update(extra_tags or {})
    origin = (
        boto3_tag_list_to_ansible_dict(original.get("Tags")).get(LINEAGE_TAG)
        or snapshot.get("VolumeId")
        or original["VolumeId"]
    )
    tags.update(
        {
            RESTORED_FROM_TAG: snapshot["SnapshotId"],
            PREVIOUS_VOLUME_TAG: original["VolumeId"],
            LINEAGE_TAG: origin,
        }
    )
    return tags


def needs_stop(instance):
    return instance["State"]["Name"] != "stopped"


def plan_restore(instance, current, snapshot, start):
    """The steps that restore the device from the snapshot; [] when it already was."""
    steps = []
    if boto3_tag_list_to_ansible_dict(current.get("Tags")).get(RESTORED_FROM_TAG) != snapshot["SnapshotId"]:
        steps = [CREATE_VOLUME] + _swap_steps(instance)
    return _then_start(instance, steps, start)


def plan_rollback(instance, current, previous, start):
    """The steps that put the kept volume back; [] when there is nothing to roll back."""
    steps = _swap_steps(instance) if previous is not None else []
    return _then_start(instance, steps, start)


def _swap_steps(instance):
    """Exchange the volume at the device: a volume can only be swapped on a stopped instance."""
    return ([STOP_INSTANCE] if needs_stop(instance) else []) + [DETACH_VOLUME, ATTACH_VOLUME]


def _then_start(instance, steps, start):
    """Start the instance after the swap, or when it is stopped and asked to run."""
    if start and (steps or instance["State"]["Name"] == "stopped"):
        return steps + [START_INSTANCE]
    return steps


def previous_volume_id(current):
    """The kept volume a restored volume replaced, or None for a volume ebs_restore did not make."""
    return boto3_tag_list_to_ansible_dict(current.get("Tags")).get(PREVIOUS_VOLUME_TAG)
