# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the ironclad.aws.ebs_backup and ironclad.aws.ami_backup modules."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  policy:
    description:
      - Name of this backup policy, written as the tag C(ironclad:backup-policy) on every backup it makes.
      - Pruning only ever considers backups carrying this tag with this value (and the module's
        C(ironclad:backup-kind)), so several policies, other tools and hand-made backups never interfere.
      - The name is compared exactly. Characters that EC2 filters read as wildcards (C(*), C(?), C(\\))
        are allowed; a policy named C(*daily) never prunes the backups of C(daily) or C(prod-daily).
    type: str
    required: true
  tag_filters:
    description:
      - Instances are selected by these tags; every key must match, a list of values means any of them.
      - Sent as C(tag:KEY) filters of one paginated C(DescribeInstances); the answer is then matched
        exactly, so values are literal (C(*) and C(?) are not wildcards).
      - Each value must be a string or number, or a non-empty list of them. A null, a dict, an empty
        list or a YAML boolean (unquoted C(yes)) fails before any AWS call, naming the key.
    type: dict
    default: {BackupYN: "Y"}
  retention_days:
    description:
      - Delete this policy's backups strictly older than this many days (measured from the backup's
        creation time reported by EC2, in UTC).
      - With O(retention_count) as well, a backup is deleted only when it is past both rules, so the
        newest O(retention_count) survive however old they are.
      - Without O(retention_days) and O(retention_count) nothing is deleted.
    type: int
  retention_count:
    description:
      - Keep at most this many backups per group (see the module's description), counting the ones
        this run creates.
    type: int
  min_interval_hours:
    description:
      - Skip an instance whose newest backup of this policy is younger than this many hours, so a
        re-run after a partial failure or a second run on the same day creates nothing new.
      - V(0) creates a backup on every run.
    type: float
    default: 0
  tags:
    description:
      - Extra tags for every backup created. The module's own tags (C(Name), C(ironclad:backup-*)) win.
    type: dict
    default: {}
  copy_instance_tags:
    description:
      - Copy the instance's tags to its backups (keys starting with C(aws:) cannot be written and are left out).
    type: bool
    default: false
  keep_tag:
    description:
      - A backup carrying a tag with this key (any value) is never deleted and takes no retention slot.
    type: str
    default: ironclad:backup-keep
  wait:
    description:
      - Wait until the new backups are complete before pruning and returning.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true).
    type: int
    default: 900
  # Each module describes copy_to itself (what it copies, the tags a copy carries, the calls
  # it costs); the shape is one spec (module_utils/backup_aws.copy_to_spec), documented here.
  copy_to:
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: The region to copy to (not the module's own).
        type: str
        required: true
      retention_days:
        description: Prune copies strictly older than this many days (the copy's own creation time).
        type: int
      retention_count:
        description:
          - Keep at most this many copies in that region (per source volume for snapshots, per instance for images).
        type: int
      encrypted:
        description:
          - Encrypt the copies (an image copy's snapshots); an encrypted source gives an encrypted copy anyway.
        type: bool
        default: false
      kms_key_id:
        description: KMS key of the copies in that region; needs O(copy_to[].encrypted=true).
        type: str
notes:
  - Check mode returns the whole plan (what would be created and deleted, and why) and makes no
    mutating call.
  - Pruning runs only when every backup of the run was created; a failure leaves old backups alone.
  - Throttling (C(RequestLimitExceeded)) is retried with jittered exponential backoff.
"""
