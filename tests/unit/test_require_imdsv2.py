"""packer/scripts/require_imdsv2.py, which marks the AMIs of a Packer build IMDSv2-only.

The manifest below has the layout Packer 1.6.6's manifest post-processor writes (checked with
a null build of that version: `name` is the build's source name, what PACKER_BUILD_NAME holds).
The EC2 calls run with botocore's Stubber: moto 5.2.5 ignores ImdsSupport in
ModifyImageAttribute, and Stubber checks each request against EC2's service model.
"""

import importlib.util
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.stub import Stubber

SCRIPT = Path(__file__).resolve().parents[2] / "packer" / "scripts" / "require_imdsv2.py"
spec = importlib.util.spec_from_file_location("require_imdsv2", SCRIPT)
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)

MANIFEST = {
    "builds": [
        {"name": "golden", "builder_type": "amazon-ebs", "artifact_id": "us-east-1:ami-0old", "packer_run_uuid": "r1"},
        {
            "name": "golden",
            "builder_type": "amazon-ebs",
            "artifact_id": "us-east-1:ami-0aaa,eu-west-1:ami-0bbb",
            "packer_run_uuid": "r2",
        },
        {"name": "golden", "builder_type": "docker", "artifact_id": "sha256:abc", "packer_run_uuid": "r2"},
        {"name": "other", "builder_type": "amazon-ebs", "artifact_id": "us-east-1:ami-0ccc", "packer_run_uuid": "r2"},
    ],
    "last_run_uuid": "r2",
}


def test_only_the_amis_of_the_named_build_in_the_last_run():
    assert script.last_run_images(MANIFEST, "golden") == [("us-east-1", "ami-0aaa"), ("eu-west-1", "ami-0bbb")]
    assert script.last_run_images({"builds": [], "last_run_uuid": "x"}, "golden") == []


@pytest.fixture
def ec2():
    clients = {}

    def make(region):
        if region not in clients:
            client = botocore.session.get_session().create_client(
                "ec2", region_name=region, aws_access_key_id="AKIDSTUB", aws_secret_access_key="stub"
            )
            clients[region] = (client, Stubber(client))
            clients[region][1].activate()
        return clients[region][0]

    make.stubber = lambda region: (make(region), clients[region][1])[1]
    return make


def attribute(stub, image, value):
    answer = {"ImageId": image}
    if value:
        answer["ImdsSupport"] = {"Value": value}
    stub.add_response("describe_image_attribute", answer, {"ImageId": image, "Attribute": "imdsSupport"})


def test_each_ami_is_marked_once_and_checked(ec2, tmp_path, capsys):
    manifest = tmp_path / "packer-manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    east, west = ec2.stubber("us-east-1"), ec2.stubber("eu-west-1")
    attribute(east, "ami-0aaa", None)
    east.add_response("modify_image_attribute", {}, {"ImageId": "ami-0aaa", "ImdsSupport": {"Value": "v2.0"}})
    attribute(east, "ami-0aaa", "v2.0")
    attribute(west, "ami-0bbb", "v2.0")  # already marked: no modify call
    assert script.main(["x", str(manifest), "golden"], make_client=ec2) == 0
    east.assert_no_pending_responses()
    west.assert_no_pending_responses()
    assert "us-east-1 ami-0aaa: ImdsSupport=v2.0" in capsys.readouterr().out


def test_an_ami_that_does_not_take_the_mark_fails_the_build(ec2, tmp_path):
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps({"builds": [dict(MANIFEST["builds"][0], packer_run_uuid="r2")], "last_run_uuid": "r2"})
    )
    east = ec2.stubber("us-east-1")
    attribute(east, "ami-0old", None)
    east.add_response("modify_image_attribute", {}, {"ImageId": "ami-0old", "ImdsSupport": {"Value": "v2.0"}})
    attribute(east, "ami-0old", None)
    assert script.main(["x", str(manifest), "golden"], make_client=ec2) == 1


def test_no_ami_in_the_manifest_is_an_error(tmp_path, capsys):
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(MANIFEST))
    assert script.main(["x", str(manifest), "nothing"]) == 1
    assert "no AMI of build nothing" in capsys.readouterr().err
