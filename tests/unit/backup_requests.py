"""What ebs_backup and ami_backup ask EC2, as the Stubber expects it, for the backup tests."""

import datetime

# A start time past any retention the tests set.
OLD = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)

# DescribeSnapshots for the daily policy's EBS snapshots.
OWNED_SNAPSHOTS = {
    "OwnerIds": ["self"],
    "MaxResults": 1000,
    "Filters": [
        {"Name": "tag:ironclad:backup-policy", "Values": ["daily"]},
        {"Name": "tag:ironclad:backup-kind", "Values": ["ebs"]},
    ],
}


def selection(states):
    """DescribeInstances for the instances tagged for backup in one of these states."""
    return {"Filters": [{"Name": "tag:BackupYN", "Values": ["Y"]}, {"Name": "instance-state-name", "Values": states}]}
