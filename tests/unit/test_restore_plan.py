"""ebs_restore's decisions without AWS: which snapshot, which volume, which steps."""

import datetime

import pytest
from ansible_collections.ironclad.aws.plugins.module_utils import backup_plan as bp
from ansible_collections.ironclad.aws.plugins.module_utils import restore_plan as rp

T0 = datetime.datetime(2024, 5, 10, tzinfo=datetime.UTC)


def snap(id_, days, policy="daily", volume="vol-a", state="completed", instance="i-1"):
    tags = [{"Key": bp.POLICY_TAG, "Value": policy}, {"Key": bp.KIND_TAG, "Value": "ebs"}]
    tags.append({"Key": bp.INSTANCE_TAG, "Value": instance})
    start = T0 - datetime.timedelta(days=days)
    return {"SnapshotId": id_, "VolumeId": volume, "State": state, "StartTime": start, "Tags": tags, "VolumeSize": 8}


SNAPS = [snap("s1", 1), snap("s3", 3), snap("s5", 5), snap("x0", 0, policy="*"), snap("p0", 0, state="pending")]


def test_newest_by_id_and_before_among_this_policys_completed_backups_only():
    assert rp.choose_snapshot(SNAPS, "daily", "i-1", ["vol-a"])["SnapshotId"] == "s1"
    assert (
        rp.choose_snapshot(SNAPS, "daily", "i-1", ["vol-a"], before=T0 - datetime.timedelta(days=2))["SnapshotId"]
        == "s3"
    )
    assert rp.choose_snapshot(SNAPS, "daily", "i-1", ["vol-a"], snapshot_id="s5")["SnapshotId"] == "s5"
    with pytest.raises(rp.RestoreError, match="x0 is not a backup of policy 'daily'"):
        rp.choose_snapshot(SNAPS, "daily", "i-1", ["vol-a"], snapshot_id="x0")
    with pytest.raises(rp.RestoreError, match="p0 is pending, not completed"):
        rp.choose_snapshot(SNAPS, "daily", "i-1", ["vol-a"], snapshot_id="p0")
    with pytest.raises(rp.RestoreError, match="no completed snapshot of policy 'daily' of volume vol-b"):
        rp.choose_snapshot(SNAPS, "daily", "i-1", ["vol-b"])
    with pytest.raises(rp.RestoreError, match="no completed snapshot of policy .daily. of volume vol-a of i-2"):
        rp.choose_snapshot(SNAPS, "daily", "i-2", ["vol-a"])


def test_the_device_is_the_one_the_instance_reports():
    instance = {
        "InstanceId": "i-1",
        "RootDeviceName": "/dev/sda1",
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/sda1", "Ebs": {"VolumeId": "vol-root"}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeId": "vol-data"}},
        ],
    }
    assert rp.mapping_at(instance, None)["Ebs"]["VolumeId"] == "vol-root"
    assert rp.mapping_at(instance, "/dev/sdf")["Ebs"]["VolumeId"] == "vol-data"
    with pytest.raises(rp.RestoreError, match=r"no EBS volume at /dev/xvda \(its devices: /dev/sda1, /dev/sdf"):
        rp.mapping_at(instance, "/dev/xvda")


def test_the_new_volume_copies_the_originals_attributes():
    original = {
        "VolumeId": "vol-a",
        "VolumeType": "gp3",
        "Size": 20,
        "Iops": 4000,
        "Throughput": 250,
        "Encrypted": True,
        "KmsKeyId": "arn:aws:kms:us-east-1:1:key/k",
        "Tags": [{"Key": "Team", "Value": "blue"}, {"Key": "aws:x", "Value": "no"}],
    }
    tags = rp.restored_tags(original, SNAPS[0])
    request = rp.volume_request(original, SNAPS[0], "us-east-1a", tags)
    assert {k: v for k, v in request.items() if k != "TagSpecifications"} == {
        "AvailabilityZone": "us-east-1a",
        "SnapshotId": "s1",
        "VolumeType": "gp3",
        "Size": 20,
        "Iops": 4000,
        "Throughput": 250,
        "Encrypted": True,
        "KmsKeyId": "arn:aws:kms:us-east-1:1:key/k",
    }
    assert tags == {
        "Team": "blue",
        rp.RESTORED_FROM_TAG: "s1",
        rp.PREVIOUS_VOLUME_TAG: "vol-a",
        rp.LINEAGE_TAG: "vol-a",
    }
    gp2 = rp.volume_request(dict(original, VolumeType="gp2", Encrypted=False, Size=4), SNAPS[0], "z", {})
    assert "Iops" not in gp2 and "Throughput" not in gp2 and "Encrypted" not in gp2 and gp2["Size"] == 8


def test_steps_and_idempotence():
    running = {"State": {"Name": "running"}}
    stopped = {"State": {"Name": "stopped"}}
    fresh = {"VolumeId": "vol-a", "Tags": []}
    done = {"VolumeId": "vol-n", "Tags": [{"Key": rp.RESTORED_FROM_TAG, "Value": "s1"}]}
    full = ["create_volume", "stop_instance", "detach_volume", "attach_volume", "start_instance"]
    assert rp.plan_restore(running, fresh, SNAPS[0], start=True) == full
    assert rp.plan_restore(stopped, fresh, SNAPS[0], start=False) == ["create_volume", "detach_volume", "attach_volume"]
    assert rp.plan_restore(running, done, SNAPS[0], start=True) == []
    assert rp.plan_restore(stopped, done, SNAPS[0], start=True) == ["start_instance"]
    assert rp.plan_rollback(running, done, None, start=True) == []
    assert rp.plan_rollback(running, done, {"VolumeId": "vol-a"}, start=False) == [
        "stop_instance",
        "detach_volume",
        "attach_volume",
    ]
