"""The golden image, as an instance booted from it would be: hardened, clean of the
build, and configured at boot from its user data and tags."""

import time

from conftest import BUCKET


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
