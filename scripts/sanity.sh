#!/usr/bin/env bash
# ansible-test sanity on exactly what ships: the built collection artifact, unpacked as
# ansible_collections/ironclad/aws (tests, benchmarks and harness are checked by ruff).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
tarball=$(scripts/build.sh | tail -n1)
tree="$STATE_DIR/sanity/ansible_collections"
rm -rf "$tree"; mkdir -p "$tree/ironclad/aws"
tar -C "$tree/ironclad/aws" -xzf "$tarball"
# The one ignore entry: the bastion's recorder is executed by sudo as root, so it starts
# Python isolated (-I: no PYTHON* variables, no user site; -s), a shebang ansible-test
# does not know.
mkdir -p "$tree/ironclad/aws/tests/sanity"
cp tests/sanity/ignore-*.txt "$tree/ironclad/aws/tests/sanity/"
# The collections we depend on (doc fragments, module_utils) beside it, as installed.
for ns in amazon ansible community; do
  ln -sfn "$(readlink "$STATE_DIR/collections/ansible_collections/$ns")" "$tree/$ns"
done
# The working tree must not shadow the artifact under test.
unset PYTHONPATH
cd "$tree/ironclad/aws"
git init -q . && git add -A >/dev/null  # ansible-test lists files through git when it can
ansible-test sanity --local --python 3.11 --color no "$@"
