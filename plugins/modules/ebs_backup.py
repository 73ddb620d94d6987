#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ebs_backup
short_description: Crash-consistent EBS snapshots of tagged instances, with retention
version_added: 0.1.0
description:
  - Selects instances by tag and state with one paginated C(DescribeInstances), snapshots each
    instance's EBS volumes with one crash-consistent C(CreateSnapshots) call per instance, tagged at
    creation, and prunes this policy's snapshots that fell out of retention.
  - Meant to run from a control node on a schedule (cron, an AWX/AAP schedule, a playbook); see
    the collection's C(playbooks/backup.yml).
  - Retention counts per volume. Snapshots whose volume was deleted keep their volume id and stay
    under the same rules.
  - Pruning never touches a snapshot without this policy's tags, one that backs a registered AMI of
    this account, or one carrying O(keep_tag).
  - Description and C(Name) tag are C(scheduled-NAME.INSTANCE_ID-YYYYmmdd-HHMMSS) (NAME is the
    instance's C(Name) tag). C(CreateSnapshots) takes one description for all volumes of an instance,
    and each snapshot records its volume in C(VolumeId).
  - Tags written on every snapshot are C(ironclad:backup-policy=POLICY), C(ironclad:backup-kind=ebs),
    C(ironclad:backup-instance-id=INSTANCE_ID) and C(Name).
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  states:
    description:
      - Instance states to back up.
    type: list
    elements: str
    choices: [pending, running, shutting-down, terminated, stopping, stopped]
    default: [running]
  exclude_boot_volume:
    description:
      - Leave the root volume out (C(ExcludeBootVolume)).
    type: bool
    default: false
  exclude_volume_tags:
    description:
      - Leave out volumes carrying any of these tag key/value pairs (C(ExcludeDataVolumeIds)),
        for example C(BackupYN=N) given as a dict. Costs one paginated C(DescribeVolumes).
    type: dict
    default: {}
  copy_volume_tags:
    description:
      - Copy each volume's tags to its snapshot (C(CopyTagsFromSource=volume)), done by EC2 at no extra call.
    type: bool
    default: false
  copy_to:  # type, default and suboptions: the ironclad.aws.backup fragment
    description:
      - Cross-region copies, as AWS Data Lifecycle Manager makes them. Each run copies this policy's
        completed snapshots that have no copy in the region yet (with O(wait=true) the new ones at once,
        otherwise on the next run), and only those the region's own retention would keep.
      - A copy carries its source's tags (so it belongs to this policy there) plus
        C(ironclad:backup-source-snapshot-id), C(ironclad:backup-source-volume-id) and
        C(ironclad:backup-source-region). Copies are pruned by their own retention, per source volume;
        pruning a source never deletes its copies.
      - Costs one paginated C(DescribeSnapshots) per region, one C(CopySnapshot) per copy (tagged at
        creation) and one C(DeleteSnapshot) per expired copy.
extends_documentation_fragment:
  - ironclad.aws.backup
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Daily snapshots of running instances tagged BackupYN=Y, kept 7 days
  ironclad.aws.ebs_backup:
    policy: daily
    retention_days: 7

- name: Data volumes only, at least the last 3 per volume even when old, one run a day at most
  ironclad.aws.ebs_backup:
    policy: data-daily
    tag_filters:
      Environment: [prod, staging]
      BackupYN: "Y"
    states: [running, stopped]
    exclude_boot_volume: true
    exclude_volume_tags:
      BackupYN: "N"
    copy_instance_tags: true
    retention_days: 14
    retention_count: 3
    min_interval_hours: 20
    wait: true

- name: Show what a run would create and delete
  ironclad.aws.ebs_backup:
    policy: daily
    retention_days: 7
  check_mode: true
  register: plan
"""

RETURN = r"""
instances:
  description: Ids of the instances that matched the selection.
  returned: always
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
planned_snapshots:
  description: Per instance, the volumes snapshotted (or, in check mode, that would be).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance.
      type: str
    instance_name:
      description: Its C(Name) tag, or its id.
      type: str
    volume_ids:
      description: Volumes in the snapshot set.
      type: list
      elements: str
    excluded_volume_ids:
      description: Attached volumes left out (boot volume or O(exclude_volume_tags)).
      type: list
      elements: str
    exclude_boot_volume:
      description: Whether the root volume is left out.
      type: bool
    description:
      description: Description and C(Name) tag of the snapshots.
      type: str
skipped_instances:
  description: Selected instances not backed up this run, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{instance_id: i-0123456789abcdef0, reason: backed up less than 20 hours ago}]
planned_deletions:
  description: Snapshots deleted (or, in check mode, that would be), with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{id: snap-0123456789abcdef0, group: vol-0123456789abcdef0, created: "2024-05-01T02:00:00+00:00",
            reason: older than 7 days (8 days 0 hours)}]
protected_snapshots:
  description:
    - This policy's snapshots that retention must not delete, with the reason.
    - Snapshots backing an AMI are listed when something was due for deletion (only then are images read).
  returned: always
  type: list
  elements: dict
  sample: [{id: snap-0123456789abcdef0, group: vol-0123456789abcdef0, reason: backs a registered AMI}]
created_snapshots:
  description: Snapshots created by this run as C(CreateSnapshots) returned them, snake_cased (empty in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    snapshot_id:
      description: The snapshot.
      type: str
    volume_id:
      description: Its volume.
      type: str
    instance_id:
      description: The instance.
      type: str
    state:
      description: Snapshot state when last seen (V(completed) after O(wait=true)).
      type: str
    start_time:
      description: Creation time.
      type: str
    description:
      description: The snapshot's description.
      type: str
    tags:
      description: Tags written at creation.
      type: dict
failed_instances:
  description: Instances whose C(CreateSnapshots) failed, with the error; the module then fails without pruning.
  returned: on failure
  type: list
  elements: dict
not_deleted:
  description: Planned deletions skipped because the snapshot was already gone or had just come into use.
  returned: when any
  type: list
  elements: dict
copies:
  description: Per O(copy_to) region, the copies made and pruned (or, in check mode, that would be).
  returned: always
  type: list
  elements: dict
  contains:
    region:
      description: The copy region.
      type: str
    planned_copies:
      description: Source snapshots copied (or to copy), with their volume.
      type: list
      elements: dict
    planned_deletions:
      description: Copies deleted (or to delete) there, with the reason.
      type: list
      elements: dict
    protected_copies:
      description: Copies there that retention must not delete, with the reason.
      type: list
      elements: dict
    created_copy_ids:
      description: Ids of the copies made (empty in check mode).
      type: list
      elements: str
    deleted_copy_ids:
      description: Ids of the copies deleted (empty in check mode).
      type: list
      elements: str
    failed_copies:
      description: Copies that failed, with the error; that region is then not pruned and the module fails.
      type: list
      elements: dict
created_snapshot_ids:
  description: Ids of the snapshots created (empty in check mode).
  returned: always
  type: list
  elements: str
deleted_snapshot_ids:
  description: Ids of the snapshots deleted (empty in check mode).
  returned: always
  type: list
  elements: str
"""

import collections

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
)
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.waiters import wait_for_resource_state
from ansible_collections.ironclad.aws.plugins.module_utils import backup_aws, backup_copies, backup_driver, backup_plan

KIND = "ebs"


class SnapshotBackups(backup_driver.BackupKind):
    """A backup is the crash-consistent snapshot set of an instance (one CreateSnapshots);
    retention counts per volume; copy_to copies the completed snapshots to other regions."""

    noun = "snapshot"
    id_key = "snapshot_id"
    create_call = "CreateSnapshots"
    read_message = "Failed to read instances and this policy's snapshots"

    @classmethod
    def params_problem(cls, module):
        return backup_copies.copy_rules_problem(module.params["copy_to"], module.region)

    def read(self):
        self.owned = backup_aws.owned_snapshots(self.client, self.params["policy"], KIND)
        self.excluded_by_tag = backup_aws.volumes_tagged(self.client, self.params["exclude_volume_tags"])
        self.raw_created = []

    def plan(self, instances):
        creations, skipped = backup_plan.plan_snapshots(
            instances,
            self.owned,
            self.now,
            self.params["exclude_boot_volume"],
            self.excluded_by_tag,
            self.params["min_interval_hours"],
        )
        by_id = {i["InstanceId"]: i for i in instances}
        for item in creations:
            item["description"] = backup_plan.snapshot_description(by_id[item["instance_id"]], self.now)
        return creations, skipped

    def groups(self, item):
        return item["volume_ids"]

    def retention(self, planned_new):
        # Only when something may go does it pay to list images, which protect their snapshots.
        plan = self._retention(planned_new, ())
        if plan.delete:
            try:
                images = backup_aws.own_images(self.client)
            except backup_aws.AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg="Failed to list this account's images")
            in_use = set()
            for image in images:
                in_use.update(backup_plan.image_snapshot_ids(image))
            plan = self._retention(planned_new, in_use)
        return plan

    def _retention(self, planned_new, ami_snapshots):
        backups = backup_plan.snapshot_backups(self.owned, ami_snapshots, self.params["keep_tag"])
        return backup_plan.plan_retention(
            backups, self.now, self.params["retention_days"], self.params["retention_count"], planned_new
        )

    def planned(self, deletions):
        self.deletions = deletions
        self.copy_plans = plan_copies(self.module, self.owned, deletions, self.now)
        return {"copies": [p["report"] for p in self.copy_plans], "deleted_snapshot_ids": []}

    def pending(self):
        return any(p["to_copy"] or p["report"]["planned_deletions"] for p in self.copy_plans)

    def create(self, item, instance):
        params = self.params
        tags = backup_plan.backup_tags(
            instance, params["policy"], KIND, item["description"], params["tags"], params["copy_instance_tags"]
        )
        spec = {"InstanceId": item["instance_id"], "ExcludeBootVolume": item["exclude_boot_volume"]}
        data_exclusions = [v for v in item["excluded_volume_ids"] if v in self.excluded_by_tag]
        if data_exclusions:
            spec["ExcludeDataVolumeIds"] = data_exclusions
        request = dict(
            InstanceSpecification=spec,
            Description=item["description"],
            TagSpecifications=boto3_tag_specifications(tags, ["snapshot"]),
        )
        if params["copy_volume_tags"]:
            request["CopyTagsFromSource"] = "volume"
        response = self.client.create_snapshots(aws_retry=True, **request)
        created = []
        for snap in response.get("Snapshots", []):
            self.raw_created.append(dict(snap, Description=item["description"]))
            snapshot = camel_dict_to_snake_dict(snap, ignore_list=["Tags"])
            snapshot["tags"] = boto3_tag_list_to_ansible_dict(snap.get("Tags", []))
            snapshot["instance_id"] = item["instance_id"]
            created.append(snapshot)
        return created

    def prune(self, deletions, result):
        created = result["created_snapshots"]
        if self.params["wait"] and created:
            wait_for_resource_state(
                self.client,
                self.module,
                "snapshot_completed",
                delay=15,
                max_attempts=max(self.params["wait_timeout"] // 15, 1),
                SnapshotIds=result["created_snapshot_ids"],
            )
            for snap in created:
                snap["state"] = "completed"
                snap["progress"] = "100%"
        deleted, not_deleted = backup_aws.delete_snapshots(self.module, self.client, [d["id"] for d in deletions])
        result["deleted_snapshot_ids"] = deleted
        if not_deleted:
            result["not_deleted"] = not_deleted
        return bool(deleted)

    def finish(self, result):
        if self.copy_plans and self.params["wait"] and self.raw_created:
            # Completed now, so copied in this run rather than the next.
            self.copy_plans = plan_copies(
                self.module, self.owned + raw_completed(self.raw_created), self.deletions, self.now
            )
            result["copies"] = [p["report"] for p in self.copy_plans]
        problems = run_copies(self.module, self.copy_plans)
        changed = any(p["created_copy_ids"] or p["deleted_copy_ids"] for p in result["copies"])
        return changed, ("Copies failed: %s" % "; ".join(problems) if problems else None)


def raw_completed(snapshots):
    return [dict(s, State="completed") for s in snapshots]


def plan_copies(module, sources, deletions, now):
    """Per copy_to region: its client, the sources to copy there and the copies to prune."""
    params = module.params
    doomed_sources = {d["id"] for d in deletions}
    plans = []
    for rule in params["copy_to"]:
        region_client = module.client("ec2", region=rule["region"], retry_decorator=AWSRetry.jittered_backoff())
        try:
            copies = backup_aws.owned_snapshots(region_client, params["policy"], KIND)
        except backup_aws.AWS_ERRORS as e:
            module.fail_json_aws(e, msg="Failed to read this policy's copies in %s" % rule["region"])
        to_copy = backup_copies.snapshots_to_copy(sources, copies, rule, now, doomed_sources)
        planned_new = collections.Counter(source.get("VolumeId") or "unknown-volume" for source in to_copy)
        retention = backup_plan.plan_retention(
            backup_copies.copy_backups(copies, params["keep_tag"]),
            now,
            rule["retention_days"],
            rule["retention_count"],
            planned_new,
        )
        if retention.delete:
            try:
                images = backup_aws.own_images(region_client)
            except backup_aws.AWS_ERRORS as e:
                module.fail_json_aws(e, msg="Failed to list this account's images in %s" % rule["region"])
            in_use = set()
            for image in images:
                in_use.update(backup_plan.image_snapshot_ids(image))
            retention = backup_plan.plan_retention(
                backup_copies.copy_backups(copies, params["keep_tag"], in_use),
                now,
                rule["retention_days"],
                rule["retention_count"],
                planned_new,
            )
        planned_deletions, protected = backup_aws.retention_report(retention)
        report = dict(
            region=rule["region"],
            planned_copies=[{"source_snapshot_id": s["SnapshotId"], "volume_id": s.get("VolumeId")} for s in to_copy],
            planned_deletions=planned_deletions,
            protected_copies=protected,
            created_copy_ids=[],
            deleted_copy_ids=[],
        )
        plans.append(dict(rule=rule, client=region_client, to_copy=to_copy, report=report))
    return plans


def run_copies(module, plans):
    """Copy, then prune each region; a region where a copy failed is not pruned."""
    problems = []
    for plan in plans:
        report, rule = plan["report"], plan["rule"]
        failed = []
        for source in plan["to_copy"]:
            request = backup_copies.copy_request(source, module.region, rule)
            try:
                copy = plan["client"].copy_snapshot(aws_retry=True, **request)
                report["created_copy_ids"].append(copy["SnapshotId"])
            except backup_aws.AWS_ERRORS as e:
                failed.append({"source_snapshot_id": source["SnapshotId"], "error": str(e)})
        if failed:
            report["failed_copies"] = failed
            problems.append("%d to %s, which was not pruned" % (len(failed), rule["region"]))
            continue
        deleted, not_deleted = backup_aws.delete_snapshots(
            module, plan["client"], [d["id"] for d in report["planned_deletions"]]
        )
        report["deleted_copy_ids"] = deleted
        if not_deleted:
            report["not_deleted"] = not_deleted
    return problems


def main():
    argument_spec = backup_aws.argument_spec(default_states=["running"])
    argument_spec.update(
        exclude_boot_volume=dict(type="bool", default=False),
        exclude_volume_tags=dict(type="dict", default={}),
        copy_volume_tags=dict(type="bool", default=False),
        copy_to=backup_aws.copy_to_spec(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    backup_driver.run(module, SnapshotBackups)


if __name__ == "__main__":
    main()
