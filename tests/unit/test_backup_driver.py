"""The backup driver (module_utils/backup_driver): the run both backup modules share.

Driven two ways: with a recording adapter (which hooks run, in which order, and the
result's shape), and through ebs_backup and ami_backup themselves against botocore's
Stubber, which rejects any call not queued: a check-mode run or a failed creation that
sent a mutating call would fail there.
"""

import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.ironclad.aws.plugins.module_utils import backup_aws, backup_driver
from ansible_collections.ironclad.aws.plugins.module_utils.backup_plan import Backup, RetentionPlan
from ansible_collections.ironclad.aws.plugins.modules import ami_backup, ebs_backup
from backup_requests import OLD, OWNED_SNAPSHOTS, selection
from botocore.stub import ANY


def instance(instance_id, name="web"):
    return {
        "InstanceId": instance_id,
        "RootDeviceName": "/dev/xvda",
        "Tags": [{"Key": "Name", "Value": name}, {"Key": "BackupYN", "Value": "Y"}],
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeId": "vol-" + instance_id}}],
    }


def tags(policy, kind, instance_id):
    return [
        {"Key": "ironclad:backup-policy", "Value": policy},
        {"Key": "ironclad:backup-kind", "Value": kind},
        {"Key": "ironclad:backup-instance-id", "Value": instance_id},
    ]


class Recording(backup_driver.BackupKind):
    """A kind of backup that records what the driver asks of it; creating for FAIL fails."""

    noun = "widget"
    id_key = "widget_id"
    create_call = "CreateWidget"
    read_message = "Failed to read widgets"
    FAIL = "i-0b"
    calls = []

    def read(self):
        self.calls.append("read")

    def plan(self, instances):
        self.calls.append("plan")
        return [{"instance_id": i["InstanceId"]} for i in instances], [{"instance_id": "i-0z", "reason": "r"}]

    def groups(self, item):
        return [item["instance_id"], "everything"]

    def retention(self, planned_new):
        self.calls.append(("retention", dict(planned_new)))
        return RetentionPlan(
            [(Backup("w-old", "i-0a", OLD, None), "too old")], [(Backup("w-kept", "i-0a", OLD, "kept"), "kept")]
        )

    def planned(self, deletions):
        return {"widget_extra": [d["id"] for d in deletions]}

    def create(self, item, instance):
        self.calls.append(("create", item["instance_id"]))
        if item["instance_id"] == self.FAIL:
            raise botocore.exceptions.ClientError({"Error": {"Code": "Boom", "Message": "no"}}, "CreateWidget")
        return [{"widget_id": "w-" + item["instance_id"], "secret": 1}]

    def after_create(self, created):
        self.calls.append(("after_create", [c["widget_id"] for c in created]))

    def public(self, created):
        return [{"widget_id": c["widget_id"]} for c in created]

    def prune(self, deletions, result):
        self.calls.append(("prune", [d["id"] for d in deletions]))
        return True

    def finish(self, result):
        self.calls.append("finish")
        return False, None


def widget_main():
    module = AnsibleAWSModule(argument_spec=backup_aws.argument_spec(["running"]), supports_check_mode=True)
    backup_driver.run(module, Recording)


@pytest.fixture
def recording():
    Recording.calls = []
    return Recording.calls


def test_check_mode_returns_the_whole_plan_and_stops_before_any_change(stubbed, recording):
    aws, run = stubbed
    aws("ec2").add_response(
        "describe_instances", {"Reservations": [{"Instances": [instance("i-0a")]}]}, selection(["running"])
    )

    out = run(widget_main, {"policy": "daily", "retention_days": 7}, check_mode=True)

    aws.assert_all_called()
    assert recording == ["read", "plan", ("retention", {"i-0a": 1, "everything": 1})]
    assert out["changed"] is True
    assert out["instances"] == ["i-0a"]
    assert out["planned_widgets"] == [{"instance_id": "i-0a"}]
    assert out["skipped_instances"] == [{"instance_id": "i-0z", "reason": "r"}]
    assert out["planned_deletions"] == [
        {"id": "w-old", "group": "i-0a", "created": OLD.isoformat(), "reason": "too old"}
    ]
    assert out["protected_widgets"] == [{"id": "w-kept", "group": "i-0a", "reason": "kept"}]
    assert out["widget_extra"] == ["w-old"]
    assert out["created_widgets"] == [] and out["created_widget_ids"] == []


def test_a_run_creates_then_prunes_and_shows_the_public_view(stubbed, recording):
    aws, run = stubbed
    aws("ec2").add_response(
        "describe_instances", {"Reservations": [{"Instances": [instance("i-0a")]}]}, selection(["running"])
    )

    out = run(widget_main, {"policy": "daily", "retention_days": 7})

    assert recording[3:] == [("create", "i-0a"), ("after_create", ["w-i-0a"]), ("prune", ["w-old"]), "finish"]
    assert out["created_widgets"] == [{"widget_id": "w-i-0a"}]
    assert out["created_widget_ids"] == ["w-i-0a"]
    assert out["changed"] is True and "failed" not in out


def test_a_failed_creation_names_the_count_and_prunes_nothing(stubbed, recording):
    aws, run = stubbed
    instances = [instance("i-0a"), instance("i-0b"), instance("i-0c")]
    aws("ec2").add_response("describe_instances", {"Reservations": [{"Instances": instances}]}, selection(["running"]))

    out = run(widget_main, {"policy": "daily", "retention_days": 7})

    # Every planned item is attempted, what was made is finished, nothing is pruned.
    assert [c for c in recording if c[0] == "create"] == [("create", "i-0a"), ("create", "i-0b"), ("create", "i-0c")]
    assert ("after_create", ["w-i-0a", "w-i-0c"]) in recording
    assert not any(c[0] == "prune" for c in recording) and "finish" not in recording
    assert out["failed"] is True
    assert out["msg"].startswith("CreateWidget failed for 1 instance(s); nothing was pruned: i-0b: ")
    assert "Boom" in out["msg"]
    assert out["failed_instances"][0]["instance_id"] == "i-0b"
    assert out["created_widget_ids"] == ["w-i-0a", "w-i-0c"] and out["changed"] is True


def test_a_failed_read_fails_before_planning(stubbed, recording):
    aws, run = stubbed
    aws("ec2").add_client_error("describe_instances", "UnauthorizedOperation", "not allowed")

    out = run(widget_main, {"policy": "daily", "retention_days": 7})

    assert recording == []
    assert out["failed"] is True and out["msg"].startswith("Failed to read widgets")


def test_ebs_backup_check_mode_sends_no_mutating_call(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_response(
        "describe_instances", {"Reservations": [{"Instances": [instance("i-0a")]}]}, selection(["running"])
    )
    old = {"SnapshotId": "snap-old", "VolumeId": "vol-i-0a", "StartTime": OLD, "Tags": tags("daily", "ebs", "i-0a")}
    ec2.add_response("describe_snapshots", {"Snapshots": [old]}, OWNED_SNAPSHOTS)
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"]})

    out = run(ebs_backup.main, {"policy": "daily", "retention_days": 7}, check_mode=True)

    aws.assert_all_called()  # and nothing else: CreateSnapshots or DeleteSnapshot would fail the run
    assert "failed" not in out, out.get("msg")
    assert out["changed"] is True
    assert out["planned_snapshots"][0]["volume_ids"] == ["vol-i-0a"]
    assert [d["id"] for d in out["planned_deletions"]] == ["snap-old"]
    assert out["created_snapshot_ids"] == [] and out["deleted_snapshot_ids"] == [] and out["copies"] == []


def test_ami_backup_check_mode_sends_no_mutating_call(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_response(
        "describe_instances", {"Reservations": [{"Instances": [instance("i-0a")]}]}, selection(["running", "stopped"])
    )
    old = {
        "ImageId": "ami-old",
        "Name": "old",
        "CreationDate": "2020-01-01T00:00:00.000Z",
        "Tags": tags("nightly", "ami", "i-0a"),
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-of-old"}}],
    }
    ec2.add_response("describe_images", {"Images": [old]}, {"Owners": ["self"]})

    out = run(ami_backup.main, {"policy": "nightly", "retention_days": 7}, check_mode=True)

    aws.assert_all_called()
    assert "failed" not in out, out.get("msg")
    assert out["changed"] is True
    assert [i["instance_id"] for i in out["planned_images"]] == ["i-0a"]
    assert [d["id"] for d in out["planned_deletions"]] == ["ami-old"]
    assert out["planned_snapshot_deletions"] == ["snap-of-old"]
    assert out["created_image_ids"] == [] and out["deregistered_image_ids"] == [] and out["deleted_snapshot_ids"] == []


def test_ami_backup_failed_image_tags_the_others_and_deregisters_nothing(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_response(
        "describe_instances",
        {"Reservations": [{"Instances": [instance("i-0a"), instance("i-0b", "db")]}]},
        selection(["running", "stopped"]),
    )
    old = {
        "ImageId": "ami-old",
        "Name": "old",
        "CreationDate": "2020-01-01T00:00:00.000Z",
        "Tags": tags("nightly", "ami", "i-0a"),
    }
    ec2.add_response("describe_images", {"Images": [old]}, {"Owners": ["self"]})
    ec2.add_response(
        "create_image",
        {"ImageId": "ami-new"},
        {"InstanceId": "i-0a", "Name": ANY, "Description": ANY, "NoReboot": True, "TagSpecifications": ANY},
    )
    ec2.add_client_error("create_image", "InvalidInstanceID.NotFound", "The instance does not exist")
    mappings = [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-1"}}]
    ec2.add_response(
        "describe_images",
        {"Images": [{"ImageId": "ami-new", "BlockDeviceMappings": mappings}]},
        {"ImageIds": ["ami-new"]},
    )
    ec2.add_response("create_tags", {}, {"Resources": ["snap-1"], "Tags": ANY})

    out = run(ami_backup.main, {"policy": "nightly", "retention_days": 7})

    aws.assert_all_called()  # no DeregisterImage or DeleteSnapshot was queued, so none was sent
    assert out["failed"] is True
    assert out["msg"].startswith("CreateImage failed for 1 instance(s); nothing was pruned: i-0b: ")
    assert out["created_image_ids"] == ["ami-new"] and out["created_images"][0]["snapshot_ids"] == ["snap-1"]
    assert "tags" not in out["created_images"][0]
    assert out["deregistered_image_ids"] == [] and out["planned_deletions"][0]["id"] == "ami-old"


def test_ebs_backup_failure_names_create_snapshots_and_the_count(stubbed):
    aws, run = stubbed
    ec2 = aws("ec2")
    ec2.add_response(
        "describe_instances",
        {"Reservations": [{"Instances": [instance("i-0a"), instance("i-0b")]}]},
        selection(["running"]),
    )
    ec2.add_response("describe_snapshots", {"Snapshots": []}, OWNED_SNAPSHOTS)
    for _ in range(2):
        ec2.add_client_error("create_snapshots", "InvalidInstanceID.NotFound", "The instance does not exist")

    out = run(ebs_backup.main, {"policy": "daily", "retention_days": 7})

    aws.assert_all_called()
    assert out["msg"].startswith("CreateSnapshots failed for 2 instance(s); nothing was pruned: i-0a: ")
    assert [f["instance_id"] for f in out["failed_instances"]] == ["i-0a", "i-0b"]
    assert out["changed"] is False and out["created_snapshot_ids"] == []
