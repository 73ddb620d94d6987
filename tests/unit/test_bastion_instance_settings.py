"""Golden images: per-instance settings from the instance env file override the baked S3 config."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "roles/bastion/files"))
import bastion_s3  # noqa: E402


@pytest.fixture
def baked(tmp_path):
    path = tmp_path / "s3.json"
    path.write_text(json.dumps({"bucket": "", "region": "us-east-1", "endpoint_url": "", "sse": "AES256"}))
    return str(path)


def test_instance_settings_fill_in_what_the_image_left_empty(baked):
    env = {"IRONCLAD_BASTION_S3_BUCKET": "audit-eu", "IRONCLAD_BASTION_S3_REGION": "eu-west-1"}
    cfg = bastion_s3.load_config(["job", baked], environ=env)
    assert (cfg["bucket"], cfg["region"], cfg["endpoint_url"], cfg["sse"]) == ("audit-eu", "eu-west-1", "", "AES256")


def test_a_bucket_from_neither_place_is_a_clear_error(baked):
    with pytest.raises(SystemExit, match="no S3 bucket.*IRONCLAD_BASTION_S3_BUCKET"):
        bastion_s3.load_config(["job", baked], environ={})


def test_the_baked_bucket_is_used_when_the_instance_sets_none(tmp_path):
    path = tmp_path / "s3.json"
    path.write_text(json.dumps({"bucket": "baked", "region": "us-east-1", "endpoint_url": ""}))
    assert bastion_s3.load_config(["job", str(path)], environ={"OTHER": "x"})["bucket"] == "baked"
