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

# Every Molecule scenario, in the order `make test` runs them.
SCENARIOS ?= platform bastion ssm_agent inspector_agent awslogs egress_proxy lab
S ?= platform

.PHONY: test setup images lint sanity build unit integration molecule molecule-all \
        moto bench lab lab-down golden clean

test: setup lint sanity build unit integration molecule-all golden
	@scripts/timing.sh report

setup:
	@scripts/timing.sh run setup scripts/setup.sh

images:
	@scripts/images.sh

lint: setup
	@scripts/timing.sh run lint scripts/lint.sh

sanity: setup
	@scripts/timing.sh run sanity scripts/sanity.sh

build: setup
	@scripts/timing.sh run build scripts/build.sh

unit: setup
	@scripts/timing.sh run unit pytest -q tests/unit

integration: setup
	@scripts/timing.sh run integration pytest -q tests/integration

moto: setup
	@scripts/moto.sh start

molecule: moto
	@scripts/timing.sh run molecule-$(S) molecule test -s $(S)

molecule-all: moto
	@for s in $(SCENARIOS); do \
	  scripts/timing.sh run molecule-$$s molecule test -s $$s || exit 1; \
	done

bench: setup moto
	@scripts/bench.sh

lab: setup moto
	@scripts/lab.sh up

lab-down:
	@scripts/lab.sh down

golden: setup moto
	@scripts/timing.sh run golden scripts/golden.sh

clean:
	-@scripts/lab.sh down 2>/dev/null
	-@scripts/moto.sh stop
	rm -rf .state build ironclad-aws-*.tar.gz .pytest_cache .ruff_cache
