"""What the awslogs scenario's tests share: a CloudWatch Logs client of the moto server
the agents ship to."""

import os

import boto3
import pytest


@pytest.fixture(scope="module")
def logs():
    return boto3.client(
        "logs",
        endpoint_url=os.environ.get("IRONCLAD_MOTO_URL", "http://127.0.0.1:5000"),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
