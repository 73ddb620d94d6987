# The interface everyone uses: `make test` proves everything, `make lab` shows it.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
# One collection path holds this tree as ironclad.aws and, linked beside it, the
# collections it depends on (scripts/collection-link.sh asks the venv where they are).
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.state/collections
# Python started by any target imports the collection and the test harness (tests.harness).
export PYTHONPATH := $(CURDIR)/.state/collections:$(CURDIR)
export MOLECULE_PROJECT_DIRECTORY := $(CURDIR)
# What outlives a clone (the venv, build caches); scenarios read it from the environment.
export IRONCLAD_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ironclad

# `make test` runs these lanes side by side (scripts/lanes.py), the steps of each lane
# in order. The lanes are balanced by the step times measured in the README; the
# longest scenario starts first. The scenarios of LANE_SCENARIOS_ANY go to the first
# lane that is done: egress_proxy's lane on a warm Squid build cache, another one on a
# fresh machine, where egress_proxy compiles Squid first (20 to 30 minutes more).
LANE_CHECKS ?= lint sanity unit integration golden
LANE_SCENARIOS_C ?= host_hardening sshd_policy
LANE_SCENARIOS_A ?= egress_proxy
LANE_SCENARIOS_B ?= platform bastion ssm_agent inspector_agent awslogs
LANE_SCENARIOS_ANY ?= lab
SCENARIOS := $(LANE_SCENARIOS_B) $(LANE_SCENARIOS_A) $(LANE_SCENARIOS_C) $(LANE_SCENARIOS_ANY)
LANES = "$(LANE_CHECKS) $(addprefix molecule-,$(LANE_SCENARIOS_C))" "$(addprefix molecule-,$(LANE_SCENARIOS_A))" "$(addprefix molecule-,$(LANE_SCENARIOS_B))" --any "$(addprefix molecule-,$(LANE_SCENARIOS_ANY))"
S ?= platform

# Every scenario directory must be in a lane, or make test would silently skip it.
ALL_SCENARIOS := $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
UNLISTED := $(filter-out $(SCENARIOS),$(ALL_SCENARIOS))

# Steps started by `make test` find setup done; run on their own, they do it first.
SETUP := $(if $(IRONCLAD_SETUP_DONE),,setup)

.PHONY: test setup images lint sanity build unit integration molecule molecule-all \
        moto bench lab lab-down golden clean

test: setup build moto
	$(if $(UNLISTED),$(error scenarios in no lane of make test: $(UNLISTED)))
	@IRONCLAD_SETUP_DONE=1 scripts/lanes.py $(LANES)

setup:
	@scripts/setup.sh

images:
	@scripts/images.sh

lint: $(SETUP)
	@scripts/lint.sh

sanity: $(SETUP)
	@scripts/sanity.sh

build: $(SETUP)
	@scripts/build.sh

unit: $(SETUP)
	@pytest -q tests/unit

integration: $(SETUP)
	@pytest -q tests/integration

moto: $(SETUP)
	@scripts/moto.sh start

molecule-%: moto
	@molecule test -s $*

molecule: molecule-$(S)

# The scenarios one after another (make test runs them in lanes).
molecule-all: moto
	@for s in $(SCENARIOS); do molecule test -s $$s || exit 1; done

bench: $(SETUP) moto
	@scripts/bench.sh

lab: $(SETUP) moto
	@scripts/lab.sh up

lab-down:
	@scripts/lab.sh down

golden: $(SETUP) moto
	@scripts/golden.sh

clean:
	-@scripts/lab.sh down 2>/dev/null
	-@scripts/moto.sh stop
	rm -rf .state build ironclad-aws-*.tar.gz .pytest_cache .ruff_cache
