#!/usr/bin/env python3
"""Marks the AMIs of the last Packer run as IMDSv2-only (ImdsSupport=v2.0).

Instances launched from such an AMI get HttpTokens=required unless the launch says
otherwise. Packer 1.6 cannot set this at registration (its amazon-ebs builder has no
imds_support), so the template's post-processors run this after the build, reading the
AMI ids from Packer's manifest. Needs boto3 and the build's credentials; the attribute
cannot be taken back (EC2 allows v2.0 only to be added).

    require_imdsv2.py MANIFEST BUILD_NAME
"""

import json
import sys


def last_run_images(manifest, build_name):
    """[(region, ami_id)] of the named build in the manifest's last run."""
    run = manifest.get("last_run_uuid")
    images = []
    for build in manifest.get("builds", []):
        if build.get("packer_run_uuid") != run or build.get("name") != build_name:
            continue
        for item in str(build.get("artifact_id", "")).split(","):
            region, _, image = item.partition(":")
            if region and image.startswith("ami-"):
                images.append((region, image))
    return images


def require_imdsv2(client, image_id):
    """Set ImdsSupport=v2.0 unless already set; return the value EC2 reports afterwards."""
    current = client.describe_image_attribute(ImageId=image_id, Attribute="imdsSupport")
    if current.get("ImdsSupport", {}).get("Value") != "v2.0":
        client.modify_image_attribute(ImageId=image_id, ImdsSupport={"Value": "v2.0"})
        current = client.describe_image_attribute(ImageId=image_id, Attribute="imdsSupport")
    return current.get("ImdsSupport", {}).get("Value")


def main(argv, make_client=None):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        images = last_run_images(json.load(f), argv[2])
    if not images:
        print(f"no AMI of build {argv[2]} in the last run of {argv[1]}", file=sys.stderr)
        return 1
    if make_client is None:
        import boto3

        def make_client(region):
            return boto3.client("ec2", region_name=region)

    failed = 0
    for region, image_id in images:
        value = require_imdsv2(make_client(region), image_id)
        print(f"{region} {image_id}: ImdsSupport={value}")
        failed += value != "v2.0"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
