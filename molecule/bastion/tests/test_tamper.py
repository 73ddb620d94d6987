"""R5: what S3 holds of a recording is never replaced by the bastion, and a local
recording is deleted only when S3 holds the same bytes (SHA-256).

Each test ships a folder of its own with the installed shipper (Bastion.ship_folder),
with retention 0: every recording the shipper trusts is deleted in the same run.
"""

import hashlib
import uuid

import pytest
from conftest import replace_in_s3, sse

FOLDER = "/var/tmp/tamper-{}"


@pytest.fixture()
def folder(bastion):
    path = FOLDER.format(uuid.uuid4().hex[:8])
    yield path
    bastion.run(f"rm -rf {path} {path}.state {path}.json")


def recording(bastion, folder, body):
    """A closed recording (both files) in FOLDER, named uniquely (the buckets outlive a run)."""
    key = "2020-01-01_00-00-00_alice_" + uuid.uuid4().hex
    bastion.check(f"install -d -m 700 {folder}")
    for ext in ("data", "time"):
        bastion.check(f"printf '%s' {body} > {folder}/{key}.{ext} && chmod 600 {folder}/{key}.{ext}")
    return key


def body(s3, bastion, key):
    return s3.get_object(Bucket=bastion.bucket, Key=f"logs/{key}")["Body"].read()


def test_an_object_already_at_a_recordings_key_is_never_overwritten(s3, bastion, folder):
    """The AUDIT KEY is printed at the start: the user knows the key before the shipper does."""
    key = recording(bastion, folder, "the-real-session")
    s3.put_object(Bucket=bastion.bucket, Key=f"logs/{key}.data", Body=b"planted", **sse(bastion))
    ok, lines = bastion.ship_folder(folder, retention_hours=0)
    assert body(s3, bastion, f"{key}.data") == b"planted"
    assert not ok, lines
    assert f"{key}.data" in lines and "already holds" in lines, lines
    assert bastion.host.file(f"{folder}/{key}.data").content == b"the-real-session"


def test_a_local_copy_changed_after_shipping_does_not_replace_the_s3_copy(s3, bastion, folder):
    key = recording(bastion, folder, "as-recorded")
    ok, lines = bastion.ship_folder(folder, retention_hours=1000)
    assert ok, lines
    assert body(s3, bastion, f"{key}.data") == b"as-recorded"
    bastion.check(f"printf 'rewritten!!' > {folder}/{key}.data")
    ok, lines = bastion.ship_folder(folder, retention_hours=0)
    assert body(s3, bastion, f"{key}.data") == b"as-recorded"
    assert not ok, lines
    assert bastion.host.file(f"{folder}/{key}.data").exists


def test_a_recording_whose_s3_copy_differs_is_never_deleted(s3, bastion, folder):
    key = recording(bastion, folder, "as-recorded")
    ok, lines = bastion.ship_folder(folder, retention_hours=1000)
    assert ok, lines
    # Same size, same encryption, other bytes.
    replace_in_s3(s3, bastion, f"{key}.data", b"as-FORGED!!")
    assert hashlib.sha256(body(s3, bastion, f"{key}.data")).digest() != hashlib.sha256(b"as-recorded").digest()
    ok, lines = bastion.ship_folder(folder, retention_hours=0)
    assert bastion.host.file(f"{folder}/{key}.data").content == b"as-recorded", lines
    assert "differs from its S3 copy" in lines, lines
    # The untouched .time file was checked the same way and deleted.
    assert not bastion.host.file(f"{folder}/{key}.time").exists, lines


def test_object_lock_refuses_deleting_a_shipped_recording(s3, bastion, folder):
    """A bucket with Object Lock (default retention GOVERNANCE, 1 day): the shipper's
    uploads are accepted (they carry a checksum, which S3 requires there), and deleting
    a version of a shipped recording is refused."""
    bucket = f"ironclad-bastion-lock-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    try:
        key = recording(bastion, folder, "locked-session")
        ok, lines = bastion.ship_folder(folder, bucket=bucket, retention_hours=1000)
        assert ok, lines
        versions = s3.list_object_versions(Bucket=bucket, Prefix=f"logs/{key}.data")["Versions"]
        assert len(versions) == 1
        version = versions[0]["VersionId"]
        with pytest.raises(s3.exceptions.ClientError) as refused:
            s3.delete_object(Bucket=bucket, Key=f"logs/{key}.data", VersionId=version)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        # A delete without a version only hides it behind a delete marker.
        s3.delete_object(Bucket=bucket, Key=f"logs/{key}.data")
        kept = s3.get_object(Bucket=bucket, Key=f"logs/{key}.data", VersionId=version)["Body"].read()
        assert kept == b"locked-session"
    finally:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(
                    Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"], BypassGovernanceRetention=True
                )
        s3.delete_bucket(Bucket=bucket)
