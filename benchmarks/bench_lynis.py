"""Debian's lynis (`lynis audit system --quick`) on each host kind of the lab (bastion,
egress proxy, private app host) against the plain base images (Debian 12 and 13
containers started with the same systemd flags, never converged), in one run.

Prints, per host: the hardening index, the warnings (test ids), the number of
suggestions and the points each test id did not give, and each lab host's index
against the plain image of its Debian release.
Uses a running lab (`make lab`); without one it brings the lab up and removes it after.
Plain containers are named bench-lynis-* and removed. Asserts nothing.
"""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.harness import lynis as harness

ROOT = Path(__file__).resolve().parents[1]
LAB = {  # host kind: container (molecule/lab/molecule.yml)
    "bastion": "ironclad-lab-bastion",
    "egress proxy": "ironclad-lab-proxy",
    "private (app)": "ironclad-lab-app",
}
PLAIN = {"12": "bench-lynis-plain-debian12", "13": "bench-lynis-plain-debian13"}
SYSTEMD = [
    "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
]  # fmt: skip


def docker(*args, check=True, timeout=900):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def sh(container, command, check=True):
    return docker("exec", container, "sh", "-c", command, check=check)


def running(container):
    out = docker("inspect", "-f", "{{.State.Running}}", container, check=False)
    return out.returncode == 0 and out.stdout.strip() == "true"


def start_plain():
    for release, name in PLAIN.items():
        docker("rm", "-f", name, check=False)
        docker("run", "-d", "--name", name, "--hostname", f"plain-debian{release}", *SYSTEMD,
               f"ironclad/debian:{release}", "/lib/systemd/systemd")  # fmt: skip
    for name in PLAIN.values():
        sh(name, "systemctl is-system-running --wait >/dev/null 2>&1 || true", check=False)


def lynis(container):
    """Install Debian's lynis if missing, run the quick audit, read its report and log."""
    sh(
        container,
        "command -v lynis >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive"
        " apt-get install -y -qq --no-install-recommends lynis >/dev/null; }",
    )
    version = sh(container, "lynis --version").stdout.strip()
    sh(container, f"rm -f {harness.REPORT} {harness.LOG}; {harness.COMMAND} >/dev/null 2>&1")
    run = harness.parse(sh(container, f"cat {harness.REPORT}").stdout, sh(container, f"cat {harness.LOG}").stdout)
    release = sh(container, ". /etc/os-release; echo $VERSION_ID").stdout.strip()
    return {"release": release, "run": run, "version": version}


def main():
    started_lab = not all(running(c) for c in LAB.values())
    if started_lab:
        print("no running lab: bringing it up (scripts/lab.sh up)", flush=True)
        subprocess.run(["scripts/lab.sh", "up"], cwd=ROOT, check=True)
    try:
        start_plain()
        targets = {f"plain Debian {r}": c for r, c in PLAIN.items()} | LAB
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(zip(targets, pool.map(lynis, targets.values()), strict=True))
    finally:
        for name in PLAIN.values():
            docker("rm", "-f", name, check=False)
        if started_lab:
            subprocess.run(["scripts/lab.sh", "down"], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)

    print(f"\nlynis audit system --quick (lynis {next(iter(results.values()))['version']}), in containers\n")
    print("| host | Debian | hardening index | vs plain | warnings | suggestions |")
    print("|---|---|---:|---:|---|---:|")
    for host, r in results.items():
        run, plain = r["run"], results.get(f"plain Debian {r['release']}")
        delta = f"{run.index - plain['run'].index:+d}" if plain and not host.startswith("plain") else ""
        warnings = f"{len(run.warnings)} ({', '.join(run.warnings)})" if run.warnings else "0"
        print(f"| {host} | {r['release']} | {run.index} | {delta} | {warnings} | {len(run.suggestions)} |")
    print("\nPoints not given, by test id (see the host_hardening README for why):\n")
    for host, r in results.items():
        lost = ", ".join(f"{t} -{n}" for t, n in r["run"].lost().items())
        print(f"- {host}: {lost or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
