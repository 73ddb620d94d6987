# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one run of a backup module: select, plan, stop there in check mode, create, prune.

ebs_backup and ami_backup differ only in what one backup is (the snapshot set of an
instance, an image of it). Each module gives a BackupKind adapter and calls run(); the
selection, the retention plan, check mode, the result and what happens on a failure are
decided here, once:

- instances are selected first (one paginated DescribeInstances), then the kind reads its
  existing backups; a failed read fails the run before any change;
- check mode returns the whole plan and makes no mutating call;
- every planned backup is attempted; if any creation failed, the run fails naming the
  count and the instances, and nothing is pruned (a failing backup never costs an old one).
"""

import collections
import datetime

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.ironclad.aws.plugins.module_utils import backup_aws


class BackupKind:
    """One kind of backup as run() sees it; the modules subclass it.

    Class attributes name the kind in results and messages: `noun` makes the result keys
    planned_<noun>s, protected_<noun>s, created_<noun>s and created_<noun>_ids; `id_key` is the id
    of an entry of created_<noun>s; `create_call` is the API call a failure message names;
    `read_message` is the message when reading fails.
    """

    noun = None
    id_key = None
    create_call = None
    read_message = None

    def __init__(self, module, client, now):
        self.module = module
        self.params = module.params
        self.client = client
        self.now = now

    @classmethod
    def params_problem(cls, module):
        """Error text for options of this kind that cannot work, or None (checked before any call)."""
        return None

    def read(self):
        """Read the existing backups this run needs (AWS errors propagate: run() reports them)."""
        raise NotImplementedError

    def plan(self, instances):
        """(planned items, skipped instances) for the selected instances; items carry instance_id."""
        raise NotImplementedError

    def groups(self, item):
        """The retention groups a planned item adds one backup to (what retention_count counts per)."""
        raise NotImplementedError

    def retention(self, planned_new):
        """The RetentionPlan of the existing backups, planned_new counting this run's per group."""
        raise NotImplementedError

    def planned(self, deletions):
        """Result keys of this kind besides the shared ones, as planned (check mode returns them)."""
        return {}

    def pending(self):
        """Whether planned() holds a change of its own (for `changed` in check mode)."""
        return False

    def create(self, item, instance):
        """Make the backup of one planned item; returns its created entries (AWS errors propagate)."""
        raise NotImplementedError

    def after_create(self, created):
        """Work on what was created, whether or not other creations failed."""

    def public(self, created):
        """created_<noun>s as the result shows them."""
        return created

    def prune(self, deletions, result):
        """Delete what retention planned (only reached when every creation succeeded); True if any went."""
        raise NotImplementedError

    def finish(self, result):
        """Last step of a run that pruned: (changed, failure message or None)."""
        return False, None


def plan(kind, instances):
    """The result dict of a run as planned; nothing is changed yet."""
    creations, skipped = kind.plan(instances)
    planned_new = collections.Counter(group for item in creations for group in kind.groups(item))
    deletions, protected = backup_aws.retention_report(kind.retention(planned_new))
    result = {
        "instances": sorted(i["InstanceId"] for i in instances),
        "skipped_instances": skipped,
        "planned_deletions": deletions,
        "planned_%ss" % kind.noun: creations,
        "protected_%ss" % kind.noun: protected,
        "created_%ss" % kind.noun: [],
        "created_%s_ids" % kind.noun: [],
    }
    result.update(kind.planned(deletions))
    result["changed"] = bool(creations or deletions or kind.pending())
    return result


def create(kind, creations, instances_by_id):
    """Attempt every planned item: (created entries, failures as {instance_id, error})."""
    created, failures = [], []
    for item in creations:
        try:
            created.extend(kind.create(item, instances_by_id[item["instance_id"]]))
        except backup_aws.AWS_ERRORS as e:
            failures.append({"instance_id": item["instance_id"], "error": str(e)})
    return created, failures


def failure_message(kind, failures):
    return "%s failed for %d instance(s); nothing was pruned: %s" % (
        kind.create_call,
        len(failures),
        "; ".join("%s: %s" % (f["instance_id"], f["error"]) for f in failures),
    )


def run(module, kind_class):
    """Run a backup module to its end (exit_json or fail_json) with one kind of backup."""
    backup_aws.check_params(module)
    problem = kind_class.params_problem(module)
    if problem:
        module.fail_json(msg=problem)
    params = module.params
    now = datetime.datetime.now(datetime.timezone.utc)
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    kind = kind_class(module, client, now)

    try:
        instances = backup_aws.describe_instances(client, params["tag_filters"], params["states"])
        kind.read()
    except backup_aws.AWS_ERRORS as e:
        module.fail_json_aws(e, msg=kind.read_message)

    result = plan(kind, instances)
    if module.check_mode:
        module.exit_json(**result)

    instances_by_id = {i["InstanceId"]: i for i in instances}
    created, failures = create(kind, result["planned_%ss" % kind.noun], instances_by_id)
    if created:
        kind.after_create(created)
    shown = kind.public(created)
    result["created_%ss" % kind.noun] = shown
    result["created_%s_ids" % kind.noun] = [c[kind.id_key] for c in shown]
    result["changed"] = bool(created)
    if failures:
        result["failed_instances"] = failures
        module.fail_json(msg=failure_message(kind, failures), **result)

    result["changed"] = kind.prune(result["planned_deletions"], result) or bool(created)
    changed, problem = kind.finish(result)
    result["changed"] = result["changed"] or changed
    if problem:
        module.fail_json(msg=problem, **result)
    module.exit_json(**result)
