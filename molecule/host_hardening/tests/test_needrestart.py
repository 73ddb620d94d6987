"""needrestart: a service still running a binary that an update replaced is restarted when
needrestart runs (apt's hook runs it after every package run, the daily updates included),
without a terminal. Without the role nothing restarts it: it keeps running the deleted file."""

PROBE = "ironclad-needrestart-probe"
BINARY = f"/usr/local/sbin/{PROBE}"

testinfra_hosts = ["ironclad-host-hardening-debian12", "ironclad-host-hardening-debian13"]


def main_pid(host):
    return host.check_output(f"systemctl show -p MainPID --value {PROBE}.service")


def test_a_service_running_a_replaced_binary_is_restarted(host):
    host.check_output(
        f"cp /usr/bin/sleep {BINARY} && printf '[Service]\\nExecStart={BINARY} infinity\\n'"
        f" > /etc/systemd/system/{PROBE}.service && systemctl daemon-reload && systemctl start {PROBE}.service"
    )
    try:
        before = main_pid(host)
        # What an upgrade does: a new file renamed over the old one, which the process still maps.
        host.check_output(f"cp /usr/bin/sleep {BINARY}.new && mv {BINARY}.new {BINARY}")
        assert "(deleted)" in host.check_output(f"readlink /proc/{before}/exe")
        run = host.run("DEBIAN_FRONTEND=noninteractive needrestart -b -r l")
        assert f"NEEDRESTART-SVC: {PROBE}.service" in run.stdout, run.stdout + run.stderr
        host.run("DEBIAN_FRONTEND=noninteractive needrestart")
        after = main_pid(host)
        assert after not in ("0", before), "needrestart did not restart the service"
        assert "(deleted)" not in host.check_output(f"readlink /proc/{after}/exe")
    finally:
        host.run(f"systemctl stop {PROBE}.service; rm -f /etc/systemd/system/{PROBE}.service {BINARY}")
        host.run("systemctl daemon-reload")
