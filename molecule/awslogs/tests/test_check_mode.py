"""--check on the converged classic-agent host reports no change.

Before, the pip task reported a change on every converged host in check mode (the pip
module cannot tell there whether the pinned versions are installed) and notified the
agent's restart: a bastion run with --check never came back clean.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared" / "fixtures"))
from agent_playbook import run_role  # noqa: E402
from test_rotation import HOST, role_vars  # noqa: E402

testinfra_hosts = [HOST]


def test_check_mode_on_the_converged_host_reports_no_change(host):
    result = run_role(HOST, "awslogs", role_vars(), check=True)
    assert result.returncode == 0, result.stdout[-3000:]
    recap = result.stdout.rsplit("PLAY RECAP", 1)[-1]
    assert re.search(r"changed=(\d+)", recap).group(1) == "0", result.stdout[-3000:]
    assert host.service("awslogsd").is_running
