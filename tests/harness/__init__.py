"""Shared test harness: the one way tests, the lab report and the benchmarks start
ansible-playbook (`run_playbook`). Importable as `tests.harness` because the Makefile
puts the repository root on PYTHONPATH."""

from tests.harness.playbook import ROOT, PlaybookResult, ansible_env, run_playbook

__all__ = ["ROOT", "PlaybookResult", "ansible_env", "run_playbook"]
