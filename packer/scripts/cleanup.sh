# Leaves nothing of the build in the image: no ansible, no caches, no identity.
rm -rf /opt/ironclad-build /var/tmp/ironclad-build /var/tmp/packer-provisioner-ansible-local /root/.ansible
if command -v apt-get >/dev/null; then apt-get clean; rm -rf /var/lib/apt/lists/*; fi
if command -v dnf >/dev/null; then dnf clean all; fi
# Each instance gets its own host keys and machine id at first boot.
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
