"""The golden image, as an instance booted from it would be: hardened, clean of the
build, and configured at boot from its user data and tags."""

import shlex
import time

from conftest import BUCKET, IMDS, INSTANCE, docker

TEST_TOKEN = "golden-test-token"  # what fake_imds.py hands out
# An IMDSv2 token request, which any caller may make: the token, or an error and status 1.
TOKEN_REQUEST = (
    'import urllib.request as u; r = u.Request("http://169.254.169.254/latest/api/token", method="PUT",'
    ' headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}); print(u.urlopen(r, timeout=5).read().decode(), end="")'
)
TOKEN = "python3 -c " + shlex.quote(TOKEN_REQUEST)
PORT = 9099
# A TCP connection to HOST PORT: status 0 when it opens.
CONNECT_ARGV = ["python3", "-c", "import socket, sys; socket.create_connection((sys.argv[1], sys.argv[2]), timeout=5)"]
CONNECT = shlex.join(CONNECT_ARGV)


def test_no_ssh_key_and_no_build_tool_is_left_in_the_image(instance):
    found = instance.run(r"find / -xdev -type f \( -name authorized_keys -o -name authorized_keys2 \) 2>/dev/null")
    keys = found.stdout.split()
    assert keys == []
    assert instance.run("ls -A /etc/ssh/authorized_keys").stdout.strip() == ""
    assert not instance.file("/opt/ironclad-build").exists
    assert not instance.file("/tmp/ironclad-build").exists
    assert instance.run("command -v ansible-playbook").rc != 0


def test_each_instance_gets_its_own_host_keys_and_machine_id(instance):
    assert instance.file("/etc/ssh/ssh_host_ed25519_key").exists
    assert len(instance.file("/etc/machine-id").content_string.strip()) == 32


def test_the_bastion_hardening_is_baked_in(instance):
    sshd = instance.run("sshd -T").stdout
    assert "forcecommand /usr/bin/bastion/shell" in sshd
    assert "disableforwarding yes" in sshd
    script = instance.file("/usr/bin/script")
    assert (script.user, script.group, script.mode) == ("root", "root", 0o755)
    folder = instance.file("/var/log/bastion")
    assert (folder.user, folder.mode) == ("root", 0o700)
    recorder = instance.file("/usr/local/sbin/bastion-record")
    assert (recorder.user, recorder.mode) == ("root", 0o755)
    assert "authorizedkeysfile /etc/ssh/authorized_keys/%u" in sshd


def test_per_instance_settings_are_read_from_user_data_and_tags_at_boot(instance):
    env = instance.file("/etc/ironclad/instance.env")
    assert env.mode == 0o600
    text = env.content_string
    assert f"IRONCLAD_BASTION_S3_BUCKET={BUCKET}" in text  # user data
    assert "IRONCLAD_BASTION_S3_REGION=us-east-1" in text  # instance tag


def test_the_bastion_syncs_users_from_the_bucket_named_at_boot(instance, s3):
    """Credentials come from the instance profile (the fake IMDS), the bucket from user data."""
    key = instance.run("ssh-keygen -q -t ed25519 -N '' -f /root/golden-test-key && cat /root/golden-test-key.pub")
    assert key.rc == 0, key.stderr
    s3.put_object(Bucket=BUCKET, Key="public-keys/goldie.pub", Body=key.stdout.encode())
    run = instance.run("systemctl start bastion-sync-users.service")
    assert run.rc == 0, instance.run("journalctl -u bastion-sync-users -o cat --no-pager").stdout
    for _ in range(10):
        if instance.user("goldie").exists:
            break
        time.sleep(1)
    assert instance.user("goldie").exists
    keys = instance.file("/etc/ssh/authorized_keys/goldie")
    assert (keys.user, keys.mode) == ("root", 0o644)


def test_proc_hides_other_users_processes_from_the_first_boot(instance):
    """Baked without remounting the build's /proc: the image's /etc/fstab line, applied by
    systemd-remount-fs.service at boot (on EC2 and in a container alike)."""
    options = instance.check_output("findmnt --noheadings --output OPTIONS --mountpoint /proc").split(",")
    gid = instance.check_output("getent group proc").split(":")[2]
    assert {"hidepid=invisible", f"gid={gid}"} <= set(options), options
    seen = instance.run("setpriv --reuid=nobody --regid=nogroup --clear-groups ps -eo user=")
    assert seen.rc == 0 and set(seen.stdout.split()) == {"nobody"}, seen.stdout


def test_the_firewall_is_loaded_at_boot_and_only_root_reaches_the_instance_profile(instance):
    assert "policy drop" in instance.check_output("nft list table inet ironclad_bastion")
    assert instance.check_output(TOKEN) == TEST_TOKEN
    as_user = instance.run(f"setpriv --reuid=nobody --regid=nogroup --clear-groups {TOKEN}")
    assert as_user.rc != 0 and TEST_TOKEN not in as_user.stdout


def test_only_sshd_answers_from_the_network(instance):
    """A listener of an account that is not root (as a user's would be) stays unreachable
    from the next host on the network; sshd answers."""
    instance.check_output(f"systemd-run -q --unit golden-listener -p User=nobody python3 -m http.server {PORT}")
    address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", INSTANCE).stdout
    try:
        for _ in range(20):
            if instance.run(f"ss -Hltn 'sport = :{PORT}'").stdout.strip():
                break
            time.sleep(0.5)
        assert instance.run(f"{CONNECT} 127.0.0.1 {PORT}").rc == 0
        assert docker("exec", IMDS, *CONNECT_ARGV, address.strip(), "22", check=False).returncode == 0
        assert docker("exec", IMDS, *CONNECT_ARGV, address.strip(), str(PORT), check=False).returncode != 0
    finally:
        instance.run("systemctl stop golden-listener")
