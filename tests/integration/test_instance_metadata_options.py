"""ironclad.aws.instance_metadata_options run by ansible-playbook against a moto server over HTTP.

moto 5.2.5 implements ModifyInstanceMetadataOptions and reports the result in
DescribeInstances. It resets the options a request leaves out (EC2 keeps them), so the module
sends the whole set; the tests read every instance back with boto3.

The attack runs against a stand-in metadata service (tests/golden/fake_imds.py's handler) that
answers a plain GET, as IMDSv1 does, exactly while moto reports the instance's HttpTokens as
optional: the instance's own setting decides, as on EC2.
"""

import json
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from moto_play import play

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden"))
import fake_imds  # noqa: E402

CREDENTIALS_URL = f"/latest/meta-data/iam/security-credentials/{fake_imds.ROLE}"


def launch(ec2, count, tags):
    image = ec2.describe_images()["Images"][0]["ImageId"]
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    answer = ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count, TagSpecifications=spec)
    return sorted(i["InstanceId"] for i in answer["Instances"])


def options(ec2, instance_id):
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["MetadataOptions"]


@pytest.fixture
def instance_imds(aws):
    """A metadata service for one moto instance: (url, instance_id)."""
    ec2 = aws("ec2")
    instance_id = launch(ec2, 1, {"Name": "web-1", "Tier": "web"})[0]

    class Handler(fake_imds.Handler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            if "X-aws-ec2-metadata-token" not in self.headers and options(ec2, instance_id)["HttpTokens"] != "required":
                self.headers["X-aws-ec2-metadata-token"] = fake_imds.TOKEN  # IMDSv1: no token needed
            super().do_GET()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", instance_id
    server.shutdown()


def imdsv2_get(url, path):
    token = requests.put(f"{url}/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}, timeout=10)
    return requests.get(f"{url}{path}", headers={"X-aws-ec2-metadata-token": token.text}, timeout=10)


def test_a_url_fetch_reads_the_role_credentials_until_tokens_are_required(run_playbook, aws, instance_imds):
    url, instance_id = instance_imds
    ec2 = aws("ec2")
    # The attack: a bug that fetches any URL it is given (SSRF) can only send a plain GET.
    stolen = requests.get(url + CREDENTIALS_URL, timeout=10)
    assert stolen.status_code == 200 and json.loads(stolen.text)["AccessKeyId"] == "testing"

    result = run_playbook(
        play("""
    - name: imdsv2
      ironclad.aws.instance_metadata_options:
        tags: {Tier: web}
        wait: true
""")
    )
    assert result.rc == 0, result.stdout + result.stderr
    assert result["imdsv2"]["changed_instance_ids"] == [instance_id]
    assert result["imdsv2"]["instances"][0]["changes"] == {"http_tokens": {"before": "optional", "after": "required"}}
    assert options(ec2, instance_id)["HttpTokens"] == "required"
    assert options(ec2, instance_id)["HttpPutResponseHopLimit"] == 1

    refused = requests.get(url + CREDENTIALS_URL, timeout=10)
    assert refused.status_code == 401 and "AccessKeyId" not in refused.text
    # What the instance's own SDKs do (PUT for a token, then GET) still works.
    assert json.loads(imdsv2_get(url, CREDENTIALS_URL).text)["AccessKeyId"] == "testing"


def test_only_the_chosen_instances_change_and_a_second_run_changes_nothing(run_playbook, aws):
    ec2 = aws("ec2")
    web = launch(ec2, 3, {"Tier": "web"})
    db = launch(ec2, 2, {"Tier": "db"})
    ec2.modify_instance_metadata_options(
        InstanceId=web[0], HttpTokens="optional", HttpPutResponseHopLimit=3, HttpEndpoint="enabled",
        HttpProtocolIpv6="disabled", InstanceMetadataTags="enabled",
    )  # fmt: skip
    tasks = play("""
    - name: web
      ironclad.aws.instance_metadata_options:
        tags: {Tier: web}
        http_put_response_hop_limit: 2
""")
    check = run_playbook(tasks, check=True)
    assert check.rc == 0, check.stdout + check.stderr
    assert check["web"]["changed_instance_ids"] == web
    assert check["web"]["instances"][0]["changes"] == {
        "http_tokens": {"before": "optional", "after": "required"},
        "http_put_response_hop_limit": {"before": 3, "after": 2},
    }
    assert all(options(ec2, i)["HttpTokens"] == "optional" for i in web)

    first = run_playbook(tasks)
    assert first["web"]["changed"] is True
    for instance_id in web:
        after = options(ec2, instance_id)
        assert after["HttpTokens"] == "required" and after["HttpPutResponseHopLimit"] == 2
        assert after["HttpEndpoint"] == "enabled"
    # Left unset, instance_metadata_tags keeps each instance's own value.
    assert options(ec2, web[0])["InstanceMetadataTags"] == "enabled"
    assert options(ec2, web[1])["InstanceMetadataTags"] == "disabled"
    assert all(options(ec2, i)["HttpTokens"] == "optional" for i in db)

    second = run_playbook(tasks)
    assert second["web"]["changed"] is False and second["web"]["changed_instance_ids"] == []


def test_ids_and_filters_together_and_stopped_instances(run_playbook, aws):
    ec2 = aws("ec2")
    ids = launch(ec2, 3, {"Tier": "batch"})
    ec2.stop_instances(InstanceIds=[ids[2]])
    result = run_playbook(
        play(f"""
    - name: running only
      ironclad.aws.instance_metadata_options:
        instance_ids: {ids}
        states: [running]
        instance_metadata_tags: enabled
""")
    )
    assert result.rc == 0, result.stdout + result.stderr
    assert result["running only"]["changed_instance_ids"] == ids[:2]
    assert ids[2] in " ".join(result["running only"].get("warnings", []))
    assert options(ec2, ids[0])["InstanceMetadataTags"] == "enabled"
    assert options(ec2, ids[2])["HttpTokens"] == "optional"


def test_bad_input_and_unknown_instances_change_nothing(run_playbook, aws):
    ec2 = aws("ec2")
    real = launch(ec2, 1, {"Tier": "web"})[0]
    result = run_playbook(
        play(f"""
    - name: no selection
      ironclad.aws.instance_metadata_options: {{}}
      ignore_errors: true
    - name: bad values
      ironclad.aws.instance_metadata_options:
        instance_ids: [web-1, {real}]
        http_put_response_hop_limit: 65
      ignore_errors: true
    - name: unknown id
      ironclad.aws.instance_metadata_options:
        instance_ids: [{real}, i-0000000000000dead]
      ignore_errors: true
""")
    )
    assert "choose the instances with instance_ids, tags or filters" in result["no selection"]["msg"]
    bad = result["bad values"]["msg"]
    assert bad.startswith("Nothing was changed") and "web-1" in bad and "must be 1 to 64 (got 65)" in bad
    unknown = result["unknown id"]["msg"]
    assert unknown.startswith("Nothing was changed") and "i-0000000000000dead" in unknown
    assert options(ec2, real)["HttpTokens"] == "optional"
