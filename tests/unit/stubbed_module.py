"""Run a module's main() in-process with real botocore clients answered by botocore's Stubber.

Stubber checks every request's parameters and every canned response against the
service's own model (the same JSON botocore uses to talk to AWS), so a call with a
misspelt parameter, or a response shape AWS would not send, fails the test. Used where
moto has no implementation of the API, or does not model the behaviour under test.
"""

import json

import botocore.session
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

MODULE_CREDENTIALS = "module"  # key of the clients made with the module's own credentials


class StubbedAWS:
    """One stubbed client per (credentials, service); credentials named by their access key."""

    def __init__(self):
        self._session = botocore.session.get_session()
        self._clients = {}
        self._stubbers = {}

    def __call__(self, service, access_key=MODULE_CREDENTIALS) -> Stubber:
        key = (access_key, service)
        if key not in self._stubbers:
            client = self._session.create_client(
                service, region_name="us-east-1", aws_access_key_id="AKIDSTUB", aws_secret_access_key="stub"
            )
            self._clients[key] = client
            self._stubbers[key] = Stubber(client)
            self._stubbers[key].activate()
        return self._stubbers[key]

    def client(self, module, service, retry_decorator=None, **extra):
        """Stands in for AnsibleAWSModule.client: picks the stub by the credentials asked for."""
        access_key = extra.get("aws_access_key_id") or extra.get("profile_name") or MODULE_CREDENTIALS
        if (access_key, service) not in self._clients:
            raise AssertionError(f"the module made a {service} client for unexpected credentials {access_key!r}")
        client = self._clients[(access_key, service)]
        return RetryingBotoClientWrapper(client, retry_decorator) if retry_decorator else client

    def assert_all_called(self):
        for stubber in self._stubbers.values():
            stubber.assert_no_pending_responses()


def stubbed_aws(monkeypatch, capsys):
    """(aws, run): queue answers with aws(service, access_key).add_response(...), then run(main, args).

    The unit tests' `stubbed` fixture (conftest.py) calls it; a test elsewhere passes in
    pytest's monkeypatch and capsys fixtures itself.
    """
    aws = StubbedAWS()
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda module, *a, **kw: aws.client(module, *a, **kw))
    # AWSRetry's back-off would make a retried call wait seconds for nothing here.
    monkeypatch.setattr("time.sleep", lambda seconds: None)

    def run(main, args: dict, check_mode: bool = False) -> dict:
        args = dict(args, region="us-east-1", _ansible_check_mode=check_mode)
        capsys.readouterr()
        with patch_module_args(args), pytest.raises(SystemExit):
            main()
        return json.loads(capsys.readouterr().out)

    return aws, run
