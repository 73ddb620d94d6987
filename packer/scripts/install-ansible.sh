# Installs ansible and this collection for the build only (removed by cleanup.sh),
# from uploaded wheels so the image build needs no package index.
export DEBIAN_FRONTEND=noninteractive
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  if command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; fi
  if command -v dnf >/dev/null; then dnf install -y -q python3-pip; fi
fi
python3 -m venv /opt/ironclad-build/venv
/opt/ironclad-build/venv/bin/pip install -q --no-index --find-links /var/tmp/ironclad-build/wheels ansible
/opt/ironclad-build/venv/bin/ansible-galaxy collection install --offline --no-deps \
  -p /opt/ironclad-build/collections /var/tmp/ironclad-build/ironclad-aws.tar.gz
