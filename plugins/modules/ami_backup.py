#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ami_backup
short_description: AMI backups of tagged instances, with retention
version_added: 0.1.0
description:
  - Selects instances by tag and state with one paginated C(DescribeInstances) and creates one AMI
    per instance with C(CreateImage), named C(PREFIX-NAME-INSTANCE_ID from YYYY-mm-dd) (NAME is the
    instance's C(Name) tag), so at most one image per instance and UTC day.
  - Images are tagged at creation; their snapshots get the same tags right after (one C(CreateTags)
    per image, once C(DescribeImages) lists them, which O(wait=true) guarantees).
  - Retention counts per instance. Expired images of this policy are deregistered and their
    snapshots deleted, unless another registered image still uses a snapshot. Images without this
    policy's tags, or with O(keep_tag), are never touched.
  - Tags written are C(ironclad:backup-policy=POLICY), C(ironclad:backup-kind=ami),
    C(ironclad:backup-instance-id=INSTANCE_ID) and C(Name) (the image name).
author:
  - ironclad.aws maintainers (!UNKNOWN)
options:
  states:
    description:
      - Instance states to back up.
    type: list
    elements: str
    choices: [pending, running, shutting-down, terminated, stopping, stopped]
    default: [running, stopped]
  no_reboot:
    description:
      - Image a running instance without rebooting it (C(NoReboot)). V(false) reboots it for a
        file-system-consistent image.
    type: bool
    default: true
  name_prefix:
    description:
      - First part of the image name. V(Lambda) gives the names the hand-made Lambda used.
    type: str
    default: backup
  copy_to:  # type, default and suboptions: the ironclad.aws.backup fragment
    description:
      - Cross-region copies, as AWS Data Lifecycle Manager makes them. Each run copies this policy's
        available images that have no copy in the region yet (with O(wait=true) the new ones at once,
        otherwise on the next run), and only those the region's own retention would keep.
      - A copy has its source's name and carries its source's tags (so it belongs to this policy there)
        plus C(ironclad:backup-source-image-id) and C(ironclad:backup-source-region); C(CopyImage) tags the
        copy and its snapshots at creation. Copies are pruned by their own retention, per instance, by
        deregistering them and deleting the snapshots no other image there uses; pruning a source never
        touches its copies, and images of the policy without the source tag are not copies.
      - Costs one paginated C(DescribeImages) per region, one C(CopyImage) per copy, and per expired copy
        one C(DeregisterImage) and one C(DeleteSnapshot) per snapshot.
extends_documentation_fragment:
  - ironclad.aws.backup
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Weekly images of instances tagged BackupYN=Y, keep the last 4 per instance
  ironclad.aws.ami_backup:
    policy: weekly-ami
    retention_count: 4

- name: Weekly images, each copied to eu-west-1 and kept there 8 weeks
  ironclad.aws.ami_backup:
    policy: weekly-ami
    retention_count: 4
    wait: true
    copy_to:
      - region: eu-west-1
        retention_days: 56

- name: Nightly images, rebooting for consistency, kept 14 days but never fewer than 2
  ironclad.aws.ami_backup:
    policy: nightly-ami
    tag_filters:
      AmiBackup: nightly
    no_reboot: false
    retention_days: 14
    retention_count: 2
    wait: true
    wait_timeout: 3600
"""

RETURN = r"""
instances:
  description: Ids of the instances that matched the selection.
  returned: always
  type: list
  elements: str
planned_images:
  description: Images created (or, in check mode, that would be).
  returned: always
  type: list
  elements: dict
  sample:
    - {instance_id: i-0123456789abcdef0, instance_name: web1, name: "backup-web1-i-0123456789abcdef0 from 2024-05-01"}
skipped_instances:
  description: Selected instances not imaged this run, with the reason.
  returned: always
  type: list
  elements: dict
planned_deletions:
  description: Images deregistered (or, in check mode, that would be), with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{id: ami-0123456789abcdef0, group: i-0123456789abcdef0, created: "2024-05-01T02:00:00+00:00",
            reason: not among the newest 4 of i-0123456789abcdef0}]
planned_snapshot_deletions:
  description: Snapshots of those images that are deleted (or would be); ones still used by another image are left.
  returned: always
  type: list
  elements: str
protected_images:
  description: This policy's images that retention must not delete, with the reason.
  returned: always
  type: list
  elements: dict
created_images:
  description: Images created by this run (empty in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    image_id:
      description: The image.
      type: str
    instance_id:
      description: The instance.
      type: str
    name:
      description: The image name.
      type: str
    snapshot_ids:
      description: Its snapshots, tagged like the image (empty when EC2 did not list them yet).
      type: list
      elements: str
created_image_ids:
  description: Ids of the images created (empty in check mode).
  returned: always
  type: list
  elements: str
deregistered_image_ids:
  description: Ids of the images deregistered (empty in check mode).
  returned: always
  type: list
  elements: str
deleted_snapshot_ids:
  description: Ids of the snapshots deleted (empty in check mode).
  returned: always
  type: list
  elements: str
failed_instances:
  description: Instances whose C(CreateImage) failed, with the error; the module then fails without pruning.
  returned: on failure
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
      description: Source images copied (or to copy), with their instance and name.
      type: list
      elements: dict
    planned_deletions:
      description: Copies deregistered (or to deregister) there, with the reason.
      type: list
      elements: dict
    planned_snapshot_deletions:
      description: Snapshots of those copies deleted (or to delete); ones another image there uses are left.
      type: list
      elements: str
    protected_copies:
      description: Copies there that retention must not delete, with the reason.
      type: list
      elements: dict
    created_copy_ids:
      description: Ids of the copies made (empty in check mode).
      type: list
      elements: str
    deregistered_copy_ids:
      description: Ids of the copies deregistered (empty in check mode).
      type: list
      elements: str
    deleted_snapshot_ids:
      description: Ids of the copies' snapshots deleted (empty in check mode).
      type: list
      elements: str
    failed_copies:
      description: Copies that failed, with the error; that region is then not pruned and the module fails.
      type: list
      elements: dict
"""

import collections

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_specifications,
)
from ansible_collections.amazon.aws.plugins.module_utils.waiters import wait_for_resource_state
from ansible_collections.ironclad.aws.plugins.module_utils import backup_aws, backup_copies, backup_driver, backup_plan

KIND = "ami"


class ImageBackups(backup_driver.BackupKind):
    """A backup is an image of an instance (one CreateImage); retention counts per instance;
    pruning deregisters the image and deletes the snapshots no other image uses."""

    noun = "image"
    id_key = "image_id"
    create_call = "CreateImage"
    read_message = "Failed to read instances and this account's images"

    @classmethod
    def params_problem(cls, module):
        return backup_copies.copy_rules_problem(module.params["copy_to"], module.region)

    def read(self):
        self.images = backup_aws.own_images(self.client)
        self.mine = [i for i in self.images if backup_plan.is_owned(i, self.params["policy"], KIND)]
        self.new_images = []

    def plan(self, instances):
        return backup_plan.plan_images(
            instances,
            self.mine,
            self.now,
            self.params["name_prefix"],
            self.params["min_interval_hours"],
            [i.get("Name") for i in self.images],
        )

    def groups(self, item):
        return [item["instance_id"]]

    def retention(self, planned_new):
        return backup_plan.plan_retention(
            backup_plan.image_backups(self.mine, self.params["keep_tag"]),
            self.now,
            self.params["retention_days"],
            self.params["retention_count"],
            planned_new,
        )

    def planned(self, deletions):
        doomed_ids = {d["id"] for d in deletions}
        self.doomed = [i for i in self.mine if i["ImageId"] in doomed_ids]
        self.snapshots = backup_plan.snapshots_to_release(self.doomed, self.images)
        self.copy_plans = plan_copies(self.module, self.mine, doomed_ids, self.now)
        return {
            "planned_snapshot_deletions": self.snapshots,
            "deregistered_image_ids": [],
            "deleted_snapshot_ids": [],
            "copies": [p["report"] for p in self.copy_plans],
        }

    def pending(self):
        return any(p["to_copy"] or p["report"]["planned_deletions"] for p in self.copy_plans)

    def create(self, item, instance):
        params = self.params
        tags = backup_plan.backup_tags(
            instance, params["policy"], KIND, item["name"], params["tags"], params["copy_instance_tags"]
        )
        response = self.client.create_image(
            aws_retry=True,
            InstanceId=item["instance_id"],
            Name=item["name"],
            Description="%s backup of %s" % (params["policy"], item["instance_id"]),
            NoReboot=params["no_reboot"],
            TagSpecifications=boto3_tag_specifications(tags, ["image"]),
        )
        return [dict(item, image_id=response["ImageId"], snapshot_ids=[], tags=tags)]

    def after_create(self, created):
        """Give each new image's snapshots the image's tags: one DescribeImages, one CreateTags per image."""
        module, client = self.module, self.client
        if self.params["wait"]:
            wait_for_resource_state(
                client,
                module,
                "image_available",
                delay=15,
                max_attempts=max(self.params["wait_timeout"] // 15, 1),
                ImageIds=[c["image_id"] for c in created],
            )
        try:
            images = backup_aws.paginate(client, "describe_images", ImageIds=[c["image_id"] for c in created])
            by_id = {i["ImageId"]: i for i in images.get("Images", [])}
            self.new_images = list(by_id.values())
            for item in created:
                item["snapshot_ids"] = backup_plan.image_snapshot_ids(by_id.get(item["image_id"], {}))
                if item["snapshot_ids"]:
                    client.create_tags(
                        aws_retry=True,
                        Resources=item["snapshot_ids"],
                        Tags=ansible_dict_to_boto3_tag_list(item["tags"]),
                    )
                else:
                    module.warn("EC2 did not list the snapshots of %s yet; they are untagged" % item["image_id"])
        except backup_aws.AWS_ERRORS as e:
            module.fail_json_aws(e, msg="Failed to tag the snapshots of the new images")

    def public(self, created):
        return [{k: v for k, v in c.items() if k != "tags"} for c in created]

    def prune(self, deletions, result):
        for image in self.doomed:
            try:
                self.client.deregister_image(aws_retry=True, ImageId=image["ImageId"])
            except backup_aws.AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg="Failed to deregister %s" % image["ImageId"], **result)
            result["deregistered_image_ids"].append(image["ImageId"])
            result["changed"] = True
        deleted, not_deleted = backup_aws.delete_snapshots(self.module, self.client, self.snapshots)
        result["deleted_snapshot_ids"] = deleted
        if not_deleted:
            result["not_deleted"] = not_deleted
        return bool(result["deregistered_image_ids"])

    def finish(self, result):
        if self.copy_plans and self.params["wait"] and self.new_images:
            # Available now (waited for), so copied in this run rather than the next.
            doomed_ids = {i["ImageId"] for i in self.doomed}
            self.copy_plans = plan_copies(self.module, self.mine + self.new_images, doomed_ids, self.now)
            result["copies"] = [p["report"] for p in self.copy_plans]
        problems = run_copies(self.module, self.copy_plans)
        changed = any(p["created_copy_ids"] or p["deregistered_copy_ids"] for p in result["copies"])
        return changed, ("Copies failed: %s" % "; ".join(problems) if problems else None)


def plan_copies(module, sources, doomed_ids, now):
    """Per copy_to region: its client, the images to copy there and the copies to prune."""
    params = module.params
    plans = []
    for rule in params["copy_to"]:
        region = rule["region"]
        region_client = module.client("ec2", region=region, retry_decorator=AWSRetry.jittered_backoff())
        try:
            images = backup_aws.own_images(region_client)
        except backup_aws.AWS_ERRORS as e:
            module.fail_json_aws(e, msg="Failed to list this account's images in %s" % region)
        copies = backup_copies.image_copies(images, params["policy"])
        to_copy = backup_copies.images_to_copy(sources, copies, rule, now, doomed_ids)
        planned_new = collections.Counter(b.group for b in backup_plan.image_backups(to_copy, keep_tag=None))
        retention = backup_plan.plan_retention(
            backup_plan.image_backups(copies, params["keep_tag"]),
            now,
            rule["retention_days"],
            rule["retention_count"],
            planned_new,
        )
        planned_deletions, protected = backup_aws.retention_report(retention)
        doomed_copy_ids = {d["id"] for d in planned_deletions}
        doomed = [c for c in copies if c["ImageId"] in doomed_copy_ids]
        report = dict(
            region=region,
            planned_copies=[
                {
                    "source_image_id": i["ImageId"],
                    "instance_id": backup_plan.image_backups([i], keep_tag=None)[0].group,
                    "name": i["Name"],
                }
                for i in to_copy
            ],
            planned_deletions=planned_deletions,
            planned_snapshot_deletions=backup_plan.snapshots_to_release(doomed, images),
            protected_copies=protected,
            created_copy_ids=[],
            deregistered_copy_ids=[],
            deleted_snapshot_ids=[],
        )
        plans.append(dict(rule=rule, client=region_client, to_copy=to_copy, doomed=doomed, report=report))
    return plans


def run_copies(module, plans):
    """Copy, then prune each region; a region where a copy failed is not pruned."""
    problems = []
    for plan in plans:
        report, rule, client = plan["report"], plan["rule"], plan["client"]
        failed = []
        for source in plan["to_copy"]:
            request = backup_copies.image_copy_request(source, module.region, rule)
            try:
                report["created_copy_ids"].append(client.copy_image(aws_retry=True, **request)["ImageId"])
            except backup_aws.AWS_ERRORS as e:
                failed.append({"source_image_id": source["ImageId"], "error": str(e)})
        if failed:
            report["failed_copies"] = failed
            problems.append("%d to %s, which was not pruned" % (len(failed), rule["region"]))
            continue
        for copy in plan["doomed"]:
            try:
                client.deregister_image(aws_retry=True, ImageId=copy["ImageId"])
            except backup_aws.AWS_ERRORS as e:
                module.fail_json_aws(e, msg="Failed to deregister %s in %s" % (copy["ImageId"], rule["region"]))
            report["deregistered_copy_ids"].append(copy["ImageId"])
        deleted, not_deleted = backup_aws.delete_snapshots(module, client, report["planned_snapshot_deletions"])
        report["deleted_snapshot_ids"] = deleted
        if not_deleted:
            report["not_deleted"] = not_deleted
    return problems


def main():
    argument_spec = backup_aws.argument_spec(default_states=["running", "stopped"])
    argument_spec.update(
        no_reboot=dict(type="bool", default=True),
        name_prefix=dict(type="str", default="backup"),
        copy_to=backup_aws.copy_to_spec(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    backup_driver.run(module, ImageBackups)


if __name__ == "__main__":
    main()
