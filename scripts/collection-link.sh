#!/usr/bin/env bash
# Makes one collection path, .state/collections, that holds everything Ansible and the
# tests import: the working tree as ironclad.aws and, beside it, the collections we
# depend on as the venv installed them. The venv's site-packages is asked of its own
# python here, once; everything else uses ANSIBLE_COLLECTIONS_PATH=.state/collections.
source "$(dirname "$0")/lib.sh"

tree="$STATE_DIR/collections/ansible_collections"
mkdir -p "$tree/ironclad"
ln -sfn "$ROOT" "$tree/ironclad/aws"

site=$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
  || die "could not ask .venv's python for its site-packages; run 'make setup'"
for ns in amazon ansible community; do
  [ -d "$site/ansible_collections/$ns" ] || die "$site/ansible_collections/$ns is missing; is the ansible package installed in .venv?"
  ln -sfn "$site/ansible_collections/$ns" "$tree/$ns"
done
