#!/usr/bin/env bash
# ansible-test sanity first downloads a pip bootstrap script from a host that may be
# unreachable; a cached script that runs Python's own ensurepip serves the same purpose.
source "$(dirname "$0")/lib.sh"

# ansible-test pins the pip it bootstraps and names the cached script after that
# version. It has no public way to ask for it, so it is pinned here per ansible-core
# release line (constraints.txt pins the release); tests/unit/test_setup_scripts.py
# reads ansible-test's source text to prove the pin still matches.
declare -A PIP_OF_ANSIBLE_CORE=([2.19]=24.2)
core=$("$ROOT/.venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ansible-core"))') \
  || die "could not read ansible-core's version from .venv; run 'make setup'"
version=${PIP_OF_ANSIBLE_CORE[${core%.*}]:-}
[ -n "$version" ] || die "ansible-core $core: add the pip version its ansible-test bootstraps to PIP_OF_ANSIBLE_CORE in scripts/ansible-test-bootstrap.sh"
cache="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
if [ -f "$cache" ]; then skip "ansible-test pip bootstrap"; exit 0; fi
say "placing ansible-test pip bootstrap at ~/.ansible/test/cache"
mkdir -p "$(dirname "$cache")"
cat >"$cache" <<'PY'
"""Stand-in for get-pip.py: pip from the interpreter's bundled wheel, then the
requested packages from the configured index (get-pip.py's own flags dropped).

ansible-test hides pip's configuration (PIP_CONFIG_FILE=/dev/null), so the bundled
pip would trust only its own CA list; hand it the system's, as pip >= 24.2 does by
itself once installed."""
import ensurepip
import os
import ssl
import subprocess
import sys

SYSTEM_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")

if __name__ == "__main__":
    ensurepip.bootstrap(upgrade=True, default_pip=True)
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    candidates = (os.environ.get("SSL_CERT_FILE"), ssl.get_default_verify_paths().cafile, *SYSTEM_CA_BUNDLES)
    cafile = next((c for c in candidates if c and os.path.isfile(c)), None)
    if cafile:
        args = ["--cert", cafile, *args]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
PY
