"""Building blocks for the ebs_backup / ami_backup integration tests.

Backdating: moto stamps every snapshot and image with the current time and has no API to
change it. The tests' moto server runs in this very process (tests/conftest.py starts a
ThreadedMotoServer), so `backdate` moves a resource's creation time in moto's backend,
which is what DescribeSnapshots/DescribeImages then report over HTTP. The modules under
test read only those API answers; nothing in them knows about the backdating.
"""

import datetime
import json

from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

REGION = "us-east-1"
POLICY_TAG = "ironclad:backup-policy"
KIND_TAG = "ironclad:backup-kind"
INSTANCE_TAG = "ironclad:backup-instance-id"


def _backend(region=REGION):
    return get_backend("ec2")[DEFAULT_ACCOUNT_ID][region]


def backdate(resource_id, days=0.0, hours=0.0, region=REGION):
    """Make a snapshot or image look `days`+`hours` old to the EC2 API."""
    when = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(days=days, hours=hours)
    backend = _backend(region)
    if resource_id.startswith("snap-"):
        backend.snapshots[resource_id].start_time = when
    else:
        backend.amis[resource_id].creation_date = when


def point_image_at_snapshot(image_id, snapshot_id):
    """Make an image use an existing snapshot, as RegisterImage from that snapshot would;
    moto's RegisterImage always makes a new snapshot instead."""
    backend = _backend()
    backend.amis[image_id].ebs_snapshot = backend.snapshots[snapshot_id]


def launch(ec2, tags, data_volumes=2, volume_tags=None):
    """An instance with a root volume and `data_volumes` more; returns (instance_id, [volume ids] root first)."""
    devices = ["/dev/sda1"] + ["/dev/sd{}".format(chr(ord("b") + i)) for i in range(data_volumes)]
    mappings = [{"DeviceName": d, "Ebs": {"VolumeSize": 1}} for d in devices]
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    instance = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, BlockDeviceMappings=mappings, TagSpecifications=spec
    )["Instances"][0]
    by_device = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in instance["BlockDeviceMappings"]}
    volumes = [by_device[d] for d in devices]
    for volume_id, tags_for_volume in (volume_tags or {}).items():
        ec2.create_tags(
            Resources=[volumes[volume_id]], Tags=[{"Key": k, "Value": v} for k, v in tags_for_volume.items()]
        )
    return instance["InstanceId"], volumes


def seed_snapshot(ec2, volume_id, instance_id, policy="daily", days=0.0, hours=0.0, kind="ebs", extra_tags=None):
    """A snapshot as an earlier run of the policy left it, `days`+`hours` old."""
    tags = {POLICY_TAG: policy, KIND_TAG: kind, INSTANCE_TAG: instance_id, "Name": "earlier run"}
    tags.update(extra_tags or {})
    snapshot_id = ec2.create_snapshot(
        VolumeId=volume_id,
        Description="earlier run",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["SnapshotId"]
    backdate(snapshot_id, days=days, hours=hours)
    return snapshot_id


def ami_backed_snapshot(ec2, instance_id, policy="daily", days=0.0):
    """A snapshot of this policy that a registered image uses.

    moto's RegisterImage makes its own snapshot instead of using the one given, so the
    image comes from CreateImage and its snapshot then gets the policy's tags.
    """
    image_id = ec2.create_image(InstanceId=instance_id, Name=f"restored-{instance_id}")["ImageId"]
    mapping = ec2.describe_images(ImageIds=[image_id])["Images"][0]["BlockDeviceMappings"][0]
    snapshot_id = mapping["Ebs"]["SnapshotId"]
    tags = {POLICY_TAG: policy, KIND_TAG: "ebs", INSTANCE_TAG: instance_id}
    ec2.create_tags(Resources=[snapshot_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    backdate(snapshot_id, days=days)
    return snapshot_id


def snapshot_ids(ec2, **kwargs):
    return {s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"], **kwargs)["Snapshots"]}


def state(ec2):
    """Everything a backup module could change, to compare before and after a run."""
    snapshots = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    images = ec2.describe_images(Owners=["self"])["Images"]
    volumes = ec2.describe_volumes()["Volumes"]
    return json.dumps(
        {
            "snapshots": sorted(
                (s["SnapshotId"], sorted((t["Key"], t["Value"]) for t in s.get("Tags", []))) for s in snapshots
            ),
            "images": sorted(
                (i["ImageId"], i["State"], sorted((t["Key"], t["Value"]) for t in i.get("Tags", []))) for i in images
            ),
            "volumes": sorted(v["VolumeId"] for v in volumes),
        },
        default=str,
    )


# What a control node without any AWS credentials looks like to botocore.
NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "",
    "AWS_SECRET_ACCESS_KEY": "",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _module_args(args):
    return json.dumps(dict(args, region=REGION, endpoint_url="{{ lookup('env', 'MOTO_URL') }}"))


def play(module, args):
    """A one-task playbook (task name: run) calling ironclad.aws.MODULE against the moto server."""
    return f"""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: run
          ironclad.aws.{module}: {_module_args(args)}
    """


def failing_tasks(module, common, cases):
    """One playbook, one task per case (named after it), each expected to fail.

    cases: {name: (args, expected message)}; an `environment` key in args becomes the
    task's environment. One ansible-playbook start serves every case.
    """
    tasks = []
    for name, (args, _) in cases.items():
        args = dict(common, **args)
        environment = args.pop("environment", {})
        tasks.append(
            {
                "name": name,
                f"ironclad.aws.{module}": json.loads(_module_args(args)),
                "environment": environment,
                "ignore_errors": True,
            }
        )
    return json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])


def copy_image_tags_at_creation(monkeypatch):
    """Make moto's CopyImage apply its TagSpecifications, as EC2 does.

    EC2's CopyImage tags the new image (ResourceType image) and its snapshots (snapshot)
    from TagSpecifications; moto's accepts the parameter and drops it. The server runs in
    this process, so its CopyImage handler is replaced for the test: the same copy, then
    those tags on the image and its snapshot. The request itself is checked against EC2's
    service model with botocore's Stubber in tests/unit/test_backup_aws.py.
    """
    from moto.core.responses import ActionResult
    from moto.ec2.responses.amis import AmisResponse

    def copy_image(self):
        image = self.ec2_backend.copy_image(
            self._get_param("SourceImageId"),
            self._get_param("SourceRegion"),
            self._get_param("Name"),
            self._get_param("Description"),
        )
        for spec in self._get_param("TagSpecifications", []):
            tags = {t["Key"]: t["Value"] for t in spec.get("Tags", [])}
            target = {"image": image.id, "snapshot": image.ebs_snapshot.id}[spec["ResourceType"]]
            self.ec2_backend.create_tags([target], tags)
        return ActionResult({"ImageId": image.id})

    monkeypatch.setattr(AmisResponse, "copy_image", copy_image)
