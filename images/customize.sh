#!/bin/sh
# Runs inside the freshly bootstrapped root file system (chroot) before it is imported.
set -eu

# Each container must get its own identity, not the one baked at build time.
: >/etc/machine-id
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/systemd/system/ssh.service.d
cat >/etc/systemd/system/ssh.service.d/host-keys.conf <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT
systemctl enable ssh.service >/dev/null 2>&1 || true

# Units that need hardware or a real kernel console only fail in a container.
for unit in getty.target systemd-udevd.service systemd-udevd-control.socket \
            systemd-udevd-kernel.socket systemd-networkd-wait-online.service; do
  systemctl mask "$unit" >/dev/null 2>&1 || true
done

echo 'APT::Install-Recommends "false";' >/etc/apt/apt.conf.d/90no-recommends
apt-get clean
