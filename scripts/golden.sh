#!/usr/bin/env bash
# `make golden`: builds the docker variant of packer/golden.pkr.hcl with Debian's packer,
# then runs the image checks against a container started from the result.
# `packer validate` also checks the amazon-ebs variant (never built here).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
out="$STATE_DIR/golden"
mkdir -p "$out/wheels"

tarball=$(scripts/build.sh | tail -n1)
# Wheels of the pinned ansible, so the image build needs no package index.
if [ ! -f "$out/wheels/.complete" ]; then
  say "downloading ansible wheels for the image build"
  pip download -q -d "$out/wheels" -c constraints.txt ansible ansible-core >"$STATE_DIR/golden-pip.log" 2>&1 \
    || die "pip download of ansible failed (see .state/golden-pip.log)"
  touch "$out/wheels/.complete"
fi

vars=(-var "collection_tarball=$ROOT/$tarball" -var "wheels_dir=$out/wheels" -var "image_roles=${GOLDEN_ROLE:-bastion}")
say "packer validate (amazon-ebs and docker)"
packer validate "${vars[@]}" packer/golden.pkr.hcl
say "packer build (docker)"
export PACKER_LOG=0 CHECKPOINT_DISABLE=1
packer build -only=docker.golden -color=false "${vars[@]}" \
  -var 'ansible_extra_arguments=["-e","golden_image_agents_enabled=false","-e","golden_image_awslogs_enabled=false","-e","host_hardening_auditd_service_enabled=false"]' \
  packer/golden.pkr.hcl

say "checking a container started from the image"
pytest -q -p no:cacheprovider tests/golden
