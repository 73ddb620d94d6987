"""ebs_backup and ami_backup main() against botocore's Stubber.

Why not moto here: moto never throttles, ignores CreateSnapshots' ExcludeDataVolumeIds and
CopyTagsFromSource, and cannot tag snapshots in CreateImage. The Stubber checks every
request against EC2's real service model, so these tests prove the exact calls and that
RequestLimitExceeded is retried (AWSRetry's sleeps are skipped by the fixture).
"""

import datetime

from ansible_collections.ironclad.aws.plugins.modules import ami_backup, ebs_backup
from backup_requests import OLD, OWNED_SNAPSHOTS, selection
from botocore.stub import ANY

THROTTLED = {"service_error_code": "RequestLimitExceeded", "service_message": "Request limit exceeded."}
INSTANCE = {
    "InstanceId": "i-0a",
    "RootDeviceName": "/dev/xvda",
    "Tags": [{"Key": "Name", "Value": "web"}, {"Key": "BackupYN", "Value": "Y"}],
    "BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeId": "vol-root"}},
        {"DeviceName": "/dev/sdb", "Ebs": {"VolumeId": "vol-data"}},
        {"DeviceName": "/dev/sdc", "Ebs": {"VolumeId": "vol-scratch"}},
    ],
}
OURS = [{"Key": "ironclad:backup-policy", "Value": "daily"}, {"Key": "ironclad:backup-kind", "Value": "ebs"}]
RESERVATIONS = {"Reservations": [{"Instances": [INSTANCE]}]}
SELECTION = selection(["running"])
AMI_SELECTION = selection(["running", "stopped"])


def test_throttled_calls_are_retried_and_exclusions_reach_create_snapshots(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_client_error("describe_instances", **THROTTLED)
    ec2.add_response("describe_instances", RESERVATIONS, SELECTION)
    old = {"SnapshotId": "snap-old", "VolumeId": "vol-data", "StartTime": OLD, "Tags": OURS}
    ec2.add_response("describe_snapshots", {"Snapshots": [old]}, OWNED_SNAPSHOTS)
    ec2.add_response(
        "describe_volumes",
        {"Volumes": [{"VolumeId": "vol-scratch", "Tags": [{"Key": "BackupYN", "Value": "N"}]}]},
        {"Filters": [{"Name": "tag-key", "Values": ["BackupYN"]}]},
    )
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"]})
    ec2.add_client_error("create_snapshots", **THROTTLED)
    ec2.add_response(
        "create_snapshots",
        {"Snapshots": [{"SnapshotId": "snap-new", "VolumeId": "vol-data", "State": "pending"}]},
        {
            "InstanceSpecification": {
                "InstanceId": "i-0a",
                "ExcludeBootVolume": True,
                "ExcludeDataVolumeIds": ["vol-scratch"],
            },
            "Description": ANY,
            "TagSpecifications": ANY,
            "CopyTagsFromSource": "volume",
        },
    )
    ec2.add_client_error("delete_snapshot", **THROTTLED)
    ec2.add_response("delete_snapshot", {}, {"SnapshotId": "snap-old"})

    out = run(
        ebs_backup.main,
        {
            "policy": "daily",
            "retention_days": 7,
            "exclude_boot_volume": True,
            "exclude_volume_tags": {"BackupYN": "N"},
            "copy_volume_tags": True,
        },
    )

    aws.assert_all_called()
    assert out["created_snapshot_ids"] == ["snap-new"]
    assert out["deleted_snapshot_ids"] == ["snap-old"]
    assert sorted(out["planned_snapshots"][0]["excluded_volume_ids"]) == ["vol-root", "vol-scratch"]


def test_throttling_that_never_clears_fails_clearly_before_any_change(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    for _ in range(10):  # AWSRetry.jittered_backoff(): 10 attempts in all
        ec2.add_client_error("describe_instances", **THROTTLED)

    out = run(ebs_backup.main, {"policy": "daily", "retention_days": 7})

    aws.assert_all_called()  # and no further call: Stubber rejects any request not queued
    assert out["failed"] is True
    assert out["msg"].startswith("Failed to read instances and this policy's snapshots")
    assert "RequestLimitExceeded" in out["msg"]


def test_a_failed_snapshot_set_stops_pruning(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_response("describe_instances", RESERVATIONS, SELECTION)
    old = {"SnapshotId": "snap-old", "VolumeId": "vol-data", "StartTime": OLD, "Tags": OURS}
    ec2.add_response("describe_snapshots", {"Snapshots": [old]}, OWNED_SNAPSHOTS)
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"]})
    ec2.add_client_error("create_snapshots", "InvalidInstanceID.NotFound", "The instance does not exist")

    out = run(ebs_backup.main, {"policy": "daily", "retention_days": 7})

    aws.assert_all_called()  # no DeleteSnapshot was queued, so none was sent
    assert out["failed"] is True
    assert "nothing was pruned" in out["msg"] and "InvalidInstanceID.NotFound" in out["msg"]
    assert out["planned_deletions"][0]["id"] == "snap-old"


def test_ami_backup_tags_the_images_snapshots_with_the_images_tags(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_response("describe_instances", RESERVATIONS, AMI_SELECTION)
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"]})
    ec2.add_client_error("create_image", **THROTTLED)
    ec2.add_response(
        "create_image",
        {"ImageId": "ami-new"},
        {"InstanceId": "i-0a", "Name": ANY, "Description": ANY, "NoReboot": True, "TagSpecifications": ANY},
    )
    mappings = [
        {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-1"}},
        {"DeviceName": "/dev/sdb", "Ebs": {"SnapshotId": "snap-2"}},
    ]
    ec2.add_response(
        "describe_images",
        {"Images": [{"ImageId": "ami-new", "BlockDeviceMappings": mappings}]},
        {"ImageIds": ["ami-new"]},
    )
    ec2.add_response("create_tags", {}, {"Resources": ["snap-1", "snap-2"], "Tags": ANY})

    out = run(ami_backup.main, {"policy": "nightly"})

    aws.assert_all_called()
    assert out["created_images"][0]["snapshot_ids"] == ["snap-1", "snap-2"]
    assert out["created_images"][0]["name"].startswith("backup-web-i-0a from ")


RECENT = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
SOURCE_IMAGE = {
    "ImageId": "ami-src",
    "Name": "backup-web-i-0a from 2024-05-01",
    "State": "available",
    "CreationDate": RECENT.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    "Tags": [
        {"Key": "ironclad:backup-policy", "Value": "nightly"},
        {"Key": "ironclad:backup-kind", "Value": "ami"},
        {"Key": "ironclad:backup-instance-id", "Value": "i-0a"},
        {"Key": "aws:backup:source", "Value": "x"},
    ],
}
COPY_IMAGE = {
    "SourceRegion": "us-east-1",
    "SourceImageId": "ami-src",
    "Name": "backup-web-i-0a from 2024-05-01",
    "Description": "backup-web-i-0a from 2024-05-01",
    "Encrypted": True,
    "KmsKeyId": "alias/dr",
    "TagSpecifications": [
        {
            "ResourceType": resource_type,
            "Tags": SOURCE_IMAGE["Tags"][:3]
            + [
                {"Key": "ironclad:backup-source-image-id", "Value": "ami-src"},
                {"Key": "ironclad:backup-source-region", "Value": "us-east-1"},
            ],
        }  # fmt: skip
        for resource_type in ("image", "snapshot")
    ],
}
COPY_RULE = [{"region": "eu-west-1", "retention_days": 30, "encrypted": True, "kms_key_id": "alias/dr"}]


def test_ami_backup_copy_to_sends_copy_image_tagged_at_creation(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")  # the copy region's client is answered by the same stub, in call order
    ec2.add_response("describe_instances", RESERVATIONS, AMI_SELECTION)
    ec2.add_response("describe_images", {"Images": [SOURCE_IMAGE]}, {"Owners": ["self"]})
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"]})  # eu-west-1: no copies yet
    create = {"InstanceId": "i-0a", "Name": ANY, "Description": ANY, "NoReboot": True, "TagSpecifications": ANY}
    ec2.add_response("create_image", {"ImageId": "ami-new"}, create)
    ec2.add_response("describe_images", {"Images": [{"ImageId": "ami-new"}]}, {"ImageIds": ["ami-new"]})
    ec2.add_response("copy_image", {"ImageId": "ami-copy"}, COPY_IMAGE)

    out = run(ami_backup.main, {"policy": "nightly", "retention_days": 7, "copy_to": COPY_RULE})

    aws.assert_all_called()
    assert out["copies"][0]["created_copy_ids"] == ["ami-copy"]
    assert out["changed"] is True and "failed" not in out


def test_ami_backup_copy_to_in_check_mode_plans_the_copy_and_sends_nothing(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_response("describe_instances", RESERVATIONS, AMI_SELECTION)
    ec2.add_response("describe_images", {"Images": [SOURCE_IMAGE]}, {"Owners": ["self"]})
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"]})

    out = run(ami_backup.main, {"policy": "nightly", "retention_days": 7, "copy_to": COPY_RULE}, check_mode=True)

    aws.assert_all_called()
    (report,) = out["copies"]
    assert report["planned_copies"] == [
        {"source_image_id": "ami-src", "instance_id": "i-0a", "name": "backup-web-i-0a from 2024-05-01"}
    ]
    assert report["created_copy_ids"] == []
