"""Fixtures of the unit tests that run a module's main() against botocore's Stubber."""

import pytest
from stubbed_module import stubbed_aws


@pytest.fixture
def stubbed(monkeypatch, capsys):
    """(aws, run) from stubbed_module.stubbed_aws: queue answers, then run a module's main()."""
    return stubbed_aws(monkeypatch, capsys)
