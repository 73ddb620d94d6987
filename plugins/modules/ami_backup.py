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
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_specifications,
)
from ansible_collections.amazon.aws.plugins.module_utils.waiters import wait_for_resource_state
from ansible_collections.ironclad.aws.plugins.module_utils import backup_aws, backup_driver, backup_plan

KIND = "ami"


class ImageBackups(backup_driver.BackupKind):
    """A backup is an image of an instance (one CreateImage); retention counts per instance;
    pruning deregisters the image and deletes the snapshots no other image uses."""

    noun = "image"
    id_key = "image_id"
    create_call = "CreateImage"
    read_message = "Failed to read instances and this account's images"

    def read(self):
        self.images = backup_aws.own_images(self.client)
        self.mine = [i for i in self.images if backup_plan.is_owned(i, self.params["policy"], KIND)]

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
        return {"planned_snapshot_deletions": self.snapshots, "deregistered_image_ids": [], "deleted_snapshot_ids": []}

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


def main():
    argument_spec = backup_aws.argument_spec(default_states=["running", "stopped"])
    argument_spec.update(
        no_reboot=dict(type="bool", default=True),
        name_prefix=dict(type="str", default="backup"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    backup_driver.run(module, ImageBackups)


if __name__ == "__main__":
    main()
