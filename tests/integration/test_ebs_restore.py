"""ironclad.aws.ebs_restore: real module runs through ansible-playbook against moto over HTTP.

moto supports what a restore does (StopInstances, DetachVolume with InstanceId,
CreateVolume from a snapshot, AttachVolume, StartInstances) and reports the instance's
block device mappings after each, so these tests read the result back as a user would:
which volume is at which device, made from which snapshot, with which attributes.
Snapshot ages are set with backup_helpers.backdate (see there why that is honest).
"""

import datetime
from pathlib import Path

import pytest
from backup_helpers import failing_tasks, launch, play, seed_snapshot, state

KEPT = "ironclad:restore-kept-for-rollback"
FROM = "ironclad:restored-from-snapshot"


def run(run_playbook, check=False, **args):
    result = run_playbook(play("ebs_restore", args), check=check)
    assert "run" in result.results, result.stdout + result.stderr
    return result["run"]


def instance_of(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def at_device(ec2, instance_id, device):
    mappings = instance_of(ec2, instance_id)["BlockDeviceMappings"]
    return [m["Ebs"]["VolumeId"] for m in mappings if m["DeviceName"] == device]


def volume(ec2, volume_id):
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


# moto's built-in images: an Amazon Linux one (root /dev/xvda) and a RHEL-family one (/dev/sda1).
IMAGES = {"/dev/xvda": "ami-760aaa0f", "/dev/sda1": "ami-12c6146b"}


def launch_with_root(ec2, root_device):
    """An instance of an image whose root device is root_device, plus one data volume."""
    image = ec2.describe_images(ImageIds=[IMAGES[root_device]])["Images"][0]
    assert image["RootDeviceName"] == root_device
    mappings = [
        {"DeviceName": root_device, "Ebs": {"VolumeSize": 8}},
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 2}},
    ]
    spec = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "app"}]}]
    instance = ec2.run_instances(
        ImageId=image["ImageId"], MinCount=1, MaxCount=1, BlockDeviceMappings=mappings, TagSpecifications=spec
    )["Instances"][0]
    return instance["InstanceId"]


@pytest.mark.parametrize("root_device", ["/dev/xvda", "/dev/sda1"])
def test_root_volume_restored_at_the_device_the_instance_reports_then_rolled_back(aws, run_playbook, root_device):
    ec2 = aws("ec2")
    instance_id = launch_with_root(ec2, root_device)
    assert instance_of(ec2, instance_id)["RootDeviceName"] == root_device
    (original,) = at_device(ec2, instance_id, root_device)
    ec2.create_tags(Resources=[original], Tags=[{"Key": "Team", "Value": "blue"}])
    older = seed_snapshot(ec2, original, instance_id, days=2)
    newest = seed_snapshot(ec2, original, instance_id, days=1)
    seed_snapshot(ec2, original, instance_id, policy="other", hours=1)  # newer, but another policy's
    before = state(ec2)

    plan = run(run_playbook, check=True, instance_id=instance_id, policy="daily", allow_stop=True, start=True)
    assert state(ec2) == before
    assert plan["actions"] == ["create_volume", "stop_instance", "detach_volume", "attach_volume", "start_instance"]
    assert plan["snapshot_id"] == newest and plan["device_name"] == root_device

    refused = run(run_playbook, instance_id=instance_id, policy="daily")
    assert refused["failed"] is True and "set allow_stop=true" in refused["msg"]
    assert state(ec2) == before

    out = run(run_playbook, instance_id=instance_id, policy="daily", allow_stop=True, start=True)

    assert out["changed"] is True and out["actions"] == plan["actions"]
    (restored,) = at_device(ec2, instance_id, root_device)
    assert restored == out["volume_id"] != original
    new = volume(ec2, restored)
    assert new["SnapshotId"] == newest and tags(new)[FROM] == newest and tags(new)["Team"] == "blue"
    assert new["AvailabilityZone"] == instance_of(ec2, instance_id)["Placement"]["AvailabilityZone"]
    kept = volume(ec2, original)
    assert kept["State"] == "available" and tags(kept)[KEPT] == restored
    assert instance_of(ec2, instance_id)["State"]["Name"] == "running"
    assert at_device(ec2, instance_id, "/dev/sdf")  # the data volume was not touched

    again = run(run_playbook, instance_id=instance_id, policy="daily", allow_stop=True, start=True)
    assert again["changed"] is False and again["actions"] == []

    older_run = run(run_playbook, instance_id=instance_id, policy="daily", snapshot_id=older, allow_stop=True)
    assert older_run["changed"] is True  # the restored volume's lineage still finds the older backups
    (second,) = at_device(ec2, instance_id, root_device)
    assert volume(ec2, second)["SnapshotId"] == older

    back = run(run_playbook, instance_id=instance_id, state="rolled_back", allow_stop=True, start=True)
    assert back["changed"] is True
    assert at_device(ec2, instance_id, root_device) == [restored]
    assert instance_of(ec2, instance_id)["State"]["Name"] == "running"
    twice = run(run_playbook, instance_id=instance_id, state="rolled_back", allow_stop=True)
    assert twice["changed"] is True and at_device(ec2, instance_id, root_device) == [original]
    assert KEPT not in tags(volume(ec2, original))
    done = run(run_playbook, instance_id=instance_id, state="rolled_back", allow_stop=True)
    assert done["changed"] is False


def test_data_volume_by_device_before_a_date_keeps_type_iops_throughput_encryption_and_key(aws, run_playbook):
    ec2 = aws("ec2")
    key = aws("kms").create_key(Description="restore test")["KeyMetadata"]["Arn"]
    instance_id, _ = launch(ec2, {"Name": "db"}, data_volumes=0)
    zone = instance_of(ec2, instance_id)["Placement"]["AvailabilityZone"]
    data = ec2.create_volume(
        AvailabilityZone=zone, Size=20, VolumeType="gp3", Iops=4000, Throughput=250, Encrypted=True, KmsKeyId=key
    )["VolumeId"]
    ec2.attach_volume(Device="/dev/sdh", InstanceId=instance_id, VolumeId=data)
    ec2.stop_instances(InstanceIds=[instance_id])
    snaps = {days: seed_snapshot(ec2, data, instance_id, days=days) for days in (1, 3, 5)}
    cutoff = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")

    out = run(run_playbook, instance_id=instance_id, device_name="/dev/sdh", policy="daily", before=cutoff)

    assert out["snapshot_id"] == snaps[3]
    assert out["actions"] == ["create_volume", "detach_volume", "attach_volume"]  # already stopped
    (restored,) = at_device(ec2, instance_id, "/dev/sdh")
    new, old = volume(ec2, restored), volume(ec2, data)
    for attribute in ("VolumeType", "Size", "Iops", "Throughput", "Encrypted", "KmsKeyId", "AvailabilityZone"):
        assert new[attribute] == old[attribute], attribute
    assert instance_of(ec2, instance_id)["State"]["Name"] == "stopped"


def test_bad_input_fails_clearly_and_changes_nothing(aws, run_playbook):
    ec2 = aws("ec2")
    instance_id, volumes = launch(ec2, {"Name": "web"}, data_volumes=1)
    seed_snapshot(ec2, volumes[0], instance_id, days=1)
    foreign = seed_snapshot(ec2, volumes[0], instance_id, policy="weekly", days=1)
    before = state(ec2)
    cases = {
        "running, no allow_stop": ({}, "set allow_stop=true"),
        "other policy's snapshot": ({"snapshot_id": foreign}, f"snapshot {foreign} is not a backup of policy 'daily'"),
        "unknown device": ({"device_name": "/dev/xvdz", "allow_stop": True}, "has no EBS volume at /dev/xvdz"),
        "no backup": ({"device_name": "/dev/sdb", "allow_stop": True}, "no completed snapshot of policy 'daily'"),
        "too early": ({"before": "2001-01-01T00:00:00Z", "allow_stop": True}, "before 2001-01-01T00:00:00+00:00"),
        "garbled date": ({"before": "yesterday"}, "before 'yesterday' is not an ISO 8601 time"),
        "bad id": ({"instance_id": "web"}, "instance_id 'web' is not an instance ID"),
        "no policy": ({"policy": None}, "missing: policy"),
        "id and date": ({"snapshot_id": foreign, "before": "2001-01-01"}, "mutually exclusive"),
    }
    for args, _ in cases.values():
        args.setdefault("instance_id", instance_id)
        if "policy" in args and args["policy"] is None:
            del args["policy"]
        else:
            args.setdefault("policy", "daily")

    result = run_playbook(failing_tasks("ebs_restore", {}, cases))

    for case, (_, message) in cases.items():
        assert result[case].get("failed") is True, case
        assert message in result[case]["msg"], (case, result[case]["msg"])
    assert state(ec2) == before


def test_the_restore_playbook(aws, run_playbook):
    ec2 = aws("ec2")
    instance_id, volumes = launch(ec2, {"Name": "web"}, data_volumes=0)
    snapshot = seed_snapshot(ec2, volumes[0], instance_id, days=1)
    playbook = Path(__file__).resolve().parents[2] / "playbooks" / "restore.yml"

    result = run_playbook(
        f"""
        - name: The collection's restore playbook against moto
          ansible.builtin.import_playbook: {playbook}
          vars:
            restore_region: us-east-1
            restore_endpoint_url: "{{{{ lookup('env', 'MOTO_URL') }}}}"
            restore_instance_id: {instance_id}
            restore_policy: daily
            restore_allow_stop: true
        """
    )

    assert result.rc == 0, result.stdout + result.stderr
    out = result["Restore the volume from its backup"]
    assert out["snapshot_id"] == snapshot and out["changed"] is True
    assert instance_of(ec2, instance_id)["State"]["Name"] == "running"
