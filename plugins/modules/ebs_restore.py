#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ebs_restore
short_description: Restore one EBS volume of an instance from a backup, keeping the old one for rollback
version_added: 0.1.0
description:
  - Restores the root volume (or, with O(device_name), a data volume) of one instance from a snapshot
    that M(ironclad.aws.ebs_backup) made for O(policy), either the newest, the one given by
    O(snapshot_id), or the newest taken before O(before).
  - Creates the new volume in the instance's Availability Zone with the current volume's type, size,
    IOPS, throughput, encryption and KMS key (and its tags), stops the instance (only with
    O(allow_stop=true)), detaches the current volume and keeps it, tagged, attaches the new volume at
    the device name the instance reports for it (for a root volume its C(RootDeviceName), e.g.
    C(/dev/xvda) on Amazon Linux and C(/dev/sda1) on RHEL-family images; an instance whose root
    volume is attached elsewhere does not boot), and optionally starts the instance.
  - O(state=rolled_back) puts the kept volume back at that device (the restored volume is kept too).
  - A second run with the same arguments reports C(changed=false). Check mode returns the plan and
    makes no mutating call.
  - An AMI backup (M(ironclad.aws.ami_backup)) is restored by launching an instance from it, not with
    this module.
  - Tags written on the new volume are C(ironclad:restored-from-snapshot),
    C(ironclad:restore-previous-volume-id) and C(ironclad:restore-lineage-volume-id) (the volume its
    backups were taken of, so later restores still find them). The kept volume gets
    C(ironclad:restore-kept-for-rollback) with the new volume's id.
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  instance_id:
    description: The instance whose volume to restore.
    type: str
    required: true
  device_name:
    description:
      - Device name of the volume to restore, as the instance reports it (C(BlockDeviceMappings)).
      - Defaults to the instance's root device (C(RootDeviceName)).
    type: str
  policy:
    description:
      - The M(ironclad.aws.ebs_backup) policy whose snapshots may be restored (tag C(ironclad:backup-policy),
        compared exactly). Required for O(state=restored).
    type: str
  snapshot_id:
    description:
      - Restore this snapshot; it must be a completed backup of O(policy) of this device's volume.
      - Mutually exclusive with O(before).
    type: str
  before:
    description:
      - Restore the newest snapshot taken strictly before this time (ISO 8601, e.g. C(2024-05-01T00:00:00Z);
        without an offset it is UTC).
    type: str
  state:
    description:
      - V(restored) restores from a snapshot; V(rolled_back) puts back the volume an earlier restore kept.
    type: str
    choices: [restored, rolled_back]
    default: restored
  allow_stop:
    description:
      - Stop the instance if it is not stopped. Without it, a restore of an instance that is not stopped
        fails before any change.
    type: bool
    default: false
  start:
    description:
      - Start the instance once the volume is attached (and when it is stopped and nothing else is to do).
    type: bool
    default: false
  tags:
    description: Extra tags for the new volume.
    type: dict
    default: {}
  wait_timeout:
    description: Seconds to wait for each step (volume available, instance stopped, volume attached, running).
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - If attaching the new volume fails, the module puts the old volume back before it fails.
  - The detached volume is kept until you delete it; it still costs storage.
"""

EXAMPLES = r"""
- name: Restore the root volume from the newest daily backup and start the instance
  ironclad.aws.ebs_restore:
    instance_id: i-0123456789abcdef0
    policy: daily
    allow_stop: true
    start: true

- name: Restore the data volume at /dev/sdf as it was before an incident
  ironclad.aws.ebs_restore:
    instance_id: i-0123456789abcdef0
    device_name: /dev/sdf
    policy: daily
    before: "2024-05-01T00:00:00Z"
    allow_stop: true

- name: Show the plan only
  ironclad.aws.ebs_restore:
    instance_id: i-0123456789abcdef0
    policy: daily
    allow_stop: true
  check_mode: true
  register: plan

- name: Undo the restore
  ironclad.aws.ebs_restore:
    instance_id: i-0123456789abcdef0
    state: rolled_back
    allow_stop: true
    start: true
"""

RETURN = r"""
instance_id:
  description: The instance.
  returned: always
  type: str
device_name:
  description: The device restored (or rolled back), as the instance reports it.
  returned: always
  type: str
  sample: /dev/xvda
snapshot_id:
  description: The snapshot restored from (state V(restored)).
  returned: when O(state=restored)
  type: str
actions:
  description: The steps taken (or, in check mode, that would be), in order.
  returned: always
  type: list
  elements: str
  sample: [create_volume, stop_instance, detach_volume, attach_volume, start_instance]
volume_request:
  description: The C(CreateVolume) parameters, snake_cased (type, size, IOPS, throughput, encryption, key, zone).
  returned: when a volume is (or would be) created
  type: dict
previous_volume_id:
  description: The volume that was at the device before this run.
  returned: always
  type: str
volume_id:
  description: The volume at the device after this run (in check mode, the current one unless none would change).
  returned: always
  type: str
instance_state:
  description: The instance's state after this run.
  returned: always
  type: str
"""

import contextlib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict
from ansible_collections.ironclad.aws.plugins.module_utils import backup_aws, backup_plan
from ansible_collections.ironclad.aws.plugins.module_utils import restore_plan as rp

with contextlib.suppress(ImportError):  # AnsibleAWSModule reports a missing botocore
    import botocore


class Restore:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
        self.result = dict(changed=False, instance_id=self.params["instance_id"], actions=[])

    def fail(self, msg, error=None):
        if error is not None:
            self.module.fail_json_aws(error, msg=msg, **self.result)
        self.module.fail_json(msg=msg, **self.result)

    def read_instance(self):
        try:
            answer = self.client.describe_instances(aws_retry=True, InstanceIds=[self.params["instance_id"]])
        except backup_aws.AWS_ERRORS as e:
            self.fail("Could not read instance {0}".format(self.params["instance_id"]), e)
        instances = [i for r in answer.get("Reservations", []) for i in r.get("Instances", [])]
        if not instances:
            self.fail("Instance {0} not found".format(self.params["instance_id"]))
        return instances[0]

    def read_volume(self, volume_id):
        try:
            return self.client.describe_volumes(aws_retry=True, VolumeIds=[volume_id])["Volumes"][0]
        except backup_aws.AWS_ERRORS as e:
            self.fail("Could not read volume {0}".format(volume_id), e)

    def snapshots(self, volume_ids):
        filters = backup_plan.owned_filters(self.params["policy"], "ebs")
        filters.append({"Name": "volume-id", "Values": volume_ids})
        try:
            return backup_aws.paginate(self.client, "describe_snapshots", OwnerIds=["self"], Filters=filters).get(
                "Snapshots", []
            )
        except backup_aws.AWS_ERRORS as e:
            self.fail("Could not list the snapshots of policy {0}".format(self.params["policy"]), e)

    def wait(self, waiter, **params):
        timeout = self.params["wait_timeout"]
        try:
            self.client.get_waiter(waiter).wait(
                WaiterConfig={"Delay": 5, "MaxAttempts": max(timeout // 5, 1)}, **params
            )
        except botocore.exceptions.WaiterError as e:
            self.fail("Timed out after {0}s waiting for {1}".format(timeout, waiter), e)

    def call(self, what, method, **params):
        try:
            return getattr(self.client, method)(aws_retry=True, **params)
        except backup_aws.AWS_ERRORS as e:
            self.fail("Failed to {0}".format(what), e)

    def stop(self, instance):
        self.call("stop {0}".format(instance["InstanceId"]), "stop_instances", InstanceIds=[instance["InstanceId"]])
        self.wait("instance_stopped", InstanceIds=[instance["InstanceId"]])
        self.result["actions"].append(rp.STOP_INSTANCE)

    def swap(self, instance, device, old_id, new_id):
        """Detach old_id, attach new_id at the device; if the attach fails, put old_id back."""
        instance_id = instance["InstanceId"]
        self.call(
            "detach {0} from {1}".format(old_id, instance_id),
            "detach_volume",
            VolumeId=old_id,
            InstanceId=instance_id,
            Device=device,
        )
        self.wait("volume_available", VolumeIds=[old_id])
        self.result["actions"].append(rp.DETACH_VOLUME)
        try:
            self.client.attach_volume(aws_retry=True, Device=device, InstanceId=instance_id, VolumeId=new_id)
            self.wait("volume_in_use", VolumeIds=[new_id])
        except backup_aws.AWS_ERRORS as e:
            try:
                self.client.attach_volume(aws_retry=True, Device=device, InstanceId=instance_id, VolumeId=old_id)
                back = "{0} was attached again at {1}".format(old_id, device)
            except backup_aws.AWS_ERRORS as again:
                back = "putting {0} back failed too ({1}); attach it at {2} by hand".format(old_id, again, device)
            self.fail("Failed to attach {0} at {1} of {2}; {3}".format(new_id, device, instance_id, back), e)
        self.result["actions"].append(rp.ATTACH_VOLUME)
        self.result["volume_id"] = new_id

    def start(self, instance):
        self.call("start {0}".format(instance["InstanceId"]), "start_instances", InstanceIds=[instance["InstanceId"]])
        self.wait("instance_running", InstanceIds=[instance["InstanceId"]])
        self.result["actions"].append(rp.START_INSTANCE)

    def refuse_stop(self, instance, steps):
        if rp.STOP_INSTANCE in steps and not self.params["allow_stop"]:
            self.fail(
                "{0} is {1}: restoring a volume needs it stopped; set allow_stop=true to let the module stop it".format(
                    instance["InstanceId"], instance["State"]["Name"]
                )
            )

    def finish(self, instance):
        self.result["changed"] = bool(self.result["actions"])
        if not self.module.check_mode and self.result["actions"]:
            instance = self.read_instance()
        self.result["instance_state"] = instance["State"]["Name"]
        self.module.exit_json(**self.result)


def parse_before(module):
    if module.params["before"] is None:
        return None
    try:
        return backup_plan.as_utc(module.params["before"])
    except ValueError:
        module.fail_json(
            msg="before {0!r} is not an ISO 8601 time such as 2024-05-01T00:00:00Z".format(module.params["before"])
        )


def restore(run, instance, mapping):
    params = run.params
    device = mapping["DeviceName"]
    current = run.read_volume(mapping["Ebs"]["VolumeId"])
    try:
        snapshot = rp.choose_snapshot(
            run.snapshots(rp.lineage(current)),
            params["policy"],
            instance["InstanceId"],
            rp.lineage(current),
            params["snapshot_id"],
            parse_before(run.module),
        )
    except rp.RestoreError as e:
        run.fail("Nothing was changed: {0}".format(e))
    run.result["snapshot_id"] = snapshot["SnapshotId"]
    steps = rp.plan_restore(instance, current, snapshot, params["start"])
    run.refuse_stop(instance, steps)
    tags = rp.restored_tags(current, snapshot, params["tags"])
    if rp.CREATE_VOLUME in steps:
        request = rp.volume_request(current, snapshot, instance["Placement"]["AvailabilityZone"], tags)
        run.result["volume_request"] = camel_dict_to_snake_dict(
            {k: v for k, v in request.items() if k != "TagSpecifications"}
        )
        run.result["volume_request"]["tags"] = tags
    if run.module.check_mode:
        run.result["actions"] = steps
        return run.finish(instance)

    if rp.CREATE_VOLUME in steps:
        new_id = run.call("create a volume from {0}".format(snapshot["SnapshotId"]), "create_volume", **request)[
            "VolumeId"
        ]
        run.result["actions"].append(rp.CREATE_VOLUME)
        run.result["created_volume_id"] = new_id
        run.wait("volume_available", VolumeIds=[new_id])
        if rp.STOP_INSTANCE in steps:
            run.stop(instance)
        # Tagged before the detach, so a failure later still says what this volume is.
        run.call(
            "tag {0} as kept".format(current["VolumeId"]),
            "create_tags",
            Resources=[current["VolumeId"]],
            Tags=[{"Key": rp.KEPT_TAG, "Value": new_id}],
        )
        run.swap(instance, device, current["VolumeId"], new_id)
    if rp.START_INSTANCE in steps:
        run.start(instance)
    run.finish(instance)


def roll_back(run, instance, mapping):
    device = mapping["DeviceName"]
    current = run.read_volume(mapping["Ebs"]["VolumeId"])
    previous_id = rp.previous_volume_id(current)
    previous = None
    if previous_id:
        previous = run.read_volume(previous_id)
        if previous["State"] != "available":
            run.fail(
                "Nothing was changed: the kept volume {0} is {1}, not available".format(previous_id, previous["State"])
            )
    steps = rp.plan_rollback(instance, current, previous, run.params["start"])
    run.refuse_stop(instance, steps)
    if run.module.check_mode:
        run.result["actions"] = steps
        return run.finish(instance)
    if previous is not None:
        if rp.STOP_INSTANCE in steps:
            run.stop(instance)
        run.swap(instance, device, current["VolumeId"], previous_id)
        # The volume is in use again: it is no longer a kept one.
        run.call("untag {0}".format(previous_id), "delete_tags", Resources=[previous_id], Tags=[{"Key": rp.KEPT_TAG}])
    if rp.START_INSTANCE in steps:
        run.start(instance)
    run.finish(instance)


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True),
        device_name=dict(type="str"),
        policy=dict(type="str"),
        snapshot_id=dict(type="str"),
        before=dict(type="str"),
        state=dict(type="str", choices=["restored", "rolled_back"], default="restored"),
        allow_stop=dict(type="bool", default=False),
        start=dict(type="bool", default=False),
        tags=dict(type="dict", default={}),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("snapshot_id", "before")],
        required_if=[("state", "restored", ("policy",))],
    )
    params = module.params
    if not params["instance_id"].strip().startswith("i-"):
        module.fail_json(msg="instance_id {0!r} is not an instance ID (i-...)".format(params["instance_id"]))
    params["instance_id"] = params["instance_id"].strip()
    if params["state"] == "restored" and not params["policy"].strip():
        module.fail_json(msg="policy must name the backup policy whose snapshots to restore")
    problem = backup_plan.tag_map_problem("tags", params["tags"])
    if problem:
        module.fail_json(msg=problem)
    parse_before(module)
    if params["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout must be at least 1 (got {0})".format(params["wait_timeout"]))

    run = Restore(module)
    instance = run.read_instance()
    try:
        mapping = rp.mapping_at(instance, params["device_name"])
    except rp.RestoreError as e:
        run.fail("Nothing was changed: {0}".format(e))
    run.result.update(device_name=mapping["DeviceName"], previous_volume_id=mapping["Ebs"]["VolumeId"])
    run.result["volume_id"] = mapping["Ebs"]["VolumeId"]
    if params["state"] == "restored":
        restore(run, instance, mapping)
    else:
        roll_back(run, instance, mapping)


if __name__ == "__main__":
    main()
