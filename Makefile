# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# frogops.xray - developer and CI entry points.
#
#   make demo    run examples/demo.yml against the bundled Xray emulator
#   make test    everything CI runs (.ci/run), stopping at the first failure
#   make help    the other targets
#
# ansible-core versions: every release that meta/runtime.yml's requires_ansible admits, each
# in a virtual environment on a Python that release supports as a controller. sanity and units
# run on each; integration and the end-to-end suite on the two ends. `make -s print-matrix`
# prints the jobs; .github/workflows/ansible-test.yml must list the same ones (`make workflows`).
#   .venv        Python 3.11, ansible-core 2.19 and the tools (tests/requirements/dev.txt)
#   .venv-demo   make demo only: ansible-core and requests on python3 (tests/requirements/demo.txt)
#   .venv-X.Y    ansible-core X.Y on PYTHON_X.Y (tests/requirements/ansible-core-X.Y.txt)
#   .venv-docs   antsibull-docs + Sphinx for the docs site (tests/requirements/docs.txt)
#   .venv-nox    nox + antsibull-nox for `make lint` and `make reuse` (tests/requirements/nox.txt)
# Each is rebuilt only when its requirements file changes.
# ansible-test runs on a copy of the checkout under build/ (it needs the
# ansible_collections/frogops/xray layout); see tests/utils/.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SECONDEXPANSION:
# The venv stamps are reached through pattern rules (venv-%, units-%, ...): without this, make
# would take them for intermediate files and delete them after each run.
.PRECIOUS: .venv-%/.stamp
MAKEFLAGS += --no-print-directory

VENV := .venv
REQ := tests/requirements
UTILS := tests/utils
BUILD := build
PYTHON_DEV := 3.11
# make demo: its venv, and the Pythons it may run on: those of the test matrix first, then 3.14
# (see the demo target)
DEMO_VENV := .venv-demo
DEMO_PYTHONS := 3.13 3.12 3.11 3.10 3.14
DEMO_BUILD := $(BUILD)/demo

CORE_VERSIONS := 2.16 2.17 2.18 2.19 2.20 2.21
CORE_OLDEST := $(firstword $(CORE_VERSIONS))
CORE_NEWEST := $(lastword $(CORE_VERSIONS))
# The Python each ansible-core runs on: a controller Python it supports; together they cover 3.10 to 3.13.
PYTHON_2.16 := 3.10
PYTHON_2.17 := 3.12
PYTHON_2.18 := 3.13
PYTHON_2.19 := $(PYTHON_DEV)
PYTHON_2.20 := 3.12
PYTHON_2.21 := 3.13
# 2.19 on 3.11 is the tool venv's own ansible-core: no venv of its own.
venv_of = $(if $(filter 2.19,$(1)),$(VENV),.venv-$(1))

ANSIBLE_TEST_FLAGS := --color no -v
# ANSIBLE_COLLECTIONS_PATH under which frogops.xray is this checkout (a symlink),
# for the tools that find the collection by name (ansible-lint, antsibull-*).
LINK_ROOT := $(CURDIR)/$(BUILD)/link
TOOLS_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(LINK_ROOT)" ANSIBLE_NOCOLOR=1
DOCS_DIR := docs/modules
ANTSIBULL_DOCS_GEN := antsibull-docs collection --use-current --squash-hierarchy \
	--output-format simplified-rst --no-add-antsibull-docs-version --fail-on-error frogops.xray

STAGES := workflows reuse demo-check units sanity integration e2e lint changelog-lint docs-check docsite galaxy

.PHONY: help test demo demo-check venv venv-demo venv-docs venv-nox units sanity integration integration-real-sim e2e lint changelog-lint docs docs-check \
	docsite galaxy reuse workflows print-matrix changelog-release clean distclean \
	no-sanity-ignores collection-link FORCE

help:
	@echo "make demo            build + install the collection, run examples/demo.yml against the emulator"
	@echo "                     (its own .venv-demo: ansible-core and requests only, on python3 or PYTHON=...)"
	@echo "make demo-check      make demo, then check what it printed and installed (a stage of make test)"
	@echo "make test            all stages: $(STAGES)"
	@echo "make units           ansible-test units on each ansible-core ($(CORE_VERSIONS)); one: make units-2.18"
	@echo "make sanity          ansible-test sanity on each, no ignore files; one: make sanity-2.18"
	@echo "make integration     ansible-test integration on $(CORE_OLDEST) and $(CORE_NEWEST) (targets start the emulator),"
	@echo "                     then integration-real-sim: the targets' real-Xray mode against a stand-in"
	@echo "make e2e             pytest tests/emulator tests/e2e on $(CORE_OLDEST) and $(CORE_NEWEST), on the installed tarball"
	@echo "make lint            yamllint, ansible-lint --profile production, extra checks (antsibull-nox)"
	@echo "make changelog-lint  antsibull-changelog lint (and changelog.yaml / CHANGELOG.* up to date)"
	@echo "make docs            regenerate $(DOCS_DIR)/ from the modules' documentation"
	@echo "make docs-check      fail when $(DOCS_DIR)/ is stale; antsibull-docs lint"
	@echo "make docsite         build the docs site (antsibull-docs + Sphinx), warnings are errors"
	@echo "make reuse           reuse lint: every file carries its copyright and licence (antsibull-nox)"
	@echo "make workflows       actionlint on .github/workflows; their matrix = make print-matrix"
	@echo "make galaxy          build the tarball, install it, verify, galaxy-importer (v1+), ansible-builder"
	@echo "make print-matrix    the ansible-core jobs make test runs: TYPE CORE PYTHON"
	@echo "make changelog-release   antsibull-changelog release for the version in galaxy.yml"
	@echo "make venv|venv-X.Y|venv-docs|venv-nox|venv-demo   create a virtual environment only"
	@echo "make clean           remove build/;  make distclean  also the virtual environments"

print-matrix:
	@printf '%s\n' $(foreach v,$(CORE_VERSIONS),"sanity $(v) $(PYTHON_$(v))") \
		$(foreach v,$(CORE_VERSIONS),"units $(v) $(PYTHON_$(v))") \
		$(foreach v,$(CORE_OLDEST) $(CORE_NEWEST),"integration $(v) $(PYTHON_$(v))") \
		$(foreach v,$(CORE_OLDEST) $(CORE_NEWEST),"e2e $(v) $(PYTHON_$(v))") \
		"real-sim $(CORE_NEWEST) $(PYTHON_$(CORE_NEWEST))"

# ---------------------------------------------------------------- environments

# $(1): Python versions to try, $(2): requirements file. Target: DIR/.stamp
define make_venv
	rm -rf $(@D)
	py="$$($(UTILS)/find-python.sh $(1))"; echo "creating $(@D) with $$py"; "$$py" -m venv $(@D)
	$(@D)/bin/python -m pip install --quiet --disable-pip-version-check -r $(2)
	$(@D)/bin/python -m pip list --disable-pip-version-check 2>/dev/null \
		| grep -i -E '^(ansible|antsibull|galaxy|requests |pytest |shellcheck|sphinx |reuse|actionlint)' || true
	touch $@
endef

$(VENV)/.stamp: $(REQ)/dev.txt
	$(call make_venv,$(PYTHON_DEV),$<)

.venv-docs/.stamp: $(REQ)/docs.txt
	$(call make_venv,$(PYTHON_DEV),$<)

.venv-nox/.stamp: $(REQ)/nox.txt
	$(call make_venv,$(PYTHON_DEV),$<)

.venv-%/.stamp: $(REQ)/ansible-core-%.txt
	$(call make_venv,$(PYTHON_$*),$<)

venv: $(VENV)/.stamp
venv-demo:
	@PYTHON="$(PYTHON)" $(UTILS)/demo-venv.sh $(DEMO_VENV) $(REQ)/demo.txt $(DEMO_PYTHONS)
venv-docs: .venv-docs/.stamp
venv-nox: .venv-nox/.stamp
venv-%: $$(call venv_of,$$*)/.stamp
	@true

collection-link:
	mkdir -p $(LINK_ROOT)/ansible_collections/frogops
	ln -sfn "$(CURDIR)" $(LINK_ROOT)/ansible_collections/frogops/xray

# ---------------------------------------------------------------- the test suite

# Order: quick and most telling first; make stops at the first failure.
test: $(STAGES)
	@echo "make test: all $(words $(STAGES)) stages succeeded ($(STAGES)) on ansible-core $(CORE_VERSIONS)"

units: $(addprefix units-,$(CORE_VERSIONS))
sanity: no-sanity-ignores $(addprefix sanity-,$(CORE_VERSIONS))
integration: integration-$(CORE_OLDEST) integration-$(CORE_NEWEST) real-sim-$(CORE_NEWEST)
integration-real-sim: real-sim-$(CORE_NEWEST)
e2e: e2e-$(CORE_OLDEST) e2e-$(CORE_NEWEST)

# units-2.16, sanity-2.21, ... are pattern rules (and therefore not .PHONY: make skips
# pattern rules for phony targets); FORCE makes them always run.
units-%: $$(call venv_of,$$*)/.stamp FORCE
	$(UTILS)/run-ansible-test.sh $(call venv_of,$*) $(BUILD)/$*-units \
		units --venv --python "$(PYTHON_$*)" $(ANSIBLE_TEST_FLAGS)

sanity-%: no-sanity-ignores $$(call venv_of,$$*)/.stamp FORCE
	$(UTILS)/run-ansible-test.sh $(call venv_of,$*) $(BUILD)/$*-sanity \
		sanity --venv --python "$(PYTHON_$*)" $(ANSIBLE_TEST_FLAGS)

integration-%: $$(call venv_of,$$*)/.stamp FORCE
	$(UTILS)/run-ansible-test.sh $(call venv_of,$*) $(BUILD)/$*-integration \
		integration --venv --python "$(PYTHON_$*)" $(ANSIBLE_TEST_FLAGS)

# The targets' real-Xray mode (tests/integration/integration_config.yml.template) against the
# emulator as a stand-in that they may only drive through the collection's modules.
real-sim-%: $$(call venv_of,$$*)/.stamp FORCE
	$(UTILS)/integration-real-sim.sh $(call venv_of,$*) $(BUILD)/$*-real-sim

# pytest suites outside ansible-test: the emulator's own tests and the end-to-end tests
# (ansible-playbook of this venv against the emulator, TLS and proxy included). They test the
# collection as users get it: the tarball is built and installed, and ANSIBLE_COLLECTIONS_PATH
# points the tests at the installed copy (tests/e2e/e2e_support.py: collections_path).
e2e-%: $$(call venv_of,$$*)/.stamp FORCE
	rm -rf $(BUILD)/e2e-$*
	stage="$$($(UTILS)/stage-collection.sh $(BUILD)/e2e-$*/stage)"; \
	$(call venv_of,$*)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/e2e-$*/dist "$$stage"
	$(call venv_of,$*)/bin/ansible-galaxy collection install --offline -p $(BUILD)/e2e-$*/collections $(BUILD)/e2e-$*/dist/frogops-xray-*.tar.gz
	ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(BUILD)/e2e-$*/collections" \
		$(call venv_of,$*)/bin/python -m pytest -p no:cacheprovider -q tests/emulator tests/e2e

no-sanity-ignores:
	@if compgen -G 'tests/sanity/ignore-*.txt' >/dev/null; then \
		echo "sanity ignore files are not allowed here; fix the code instead:" >&2; \
		ls tests/sanity/ignore-*.txt >&2; exit 1; fi

# antsibull-nox sessions (antsibull-nox.toml), each in a venv of its own under .nox/: yamllint on
# every YAML file, plugin doc and guide snippet; ansible-lint --profile production (.ansible-lint);
# antsibull-nox's extra checks (no stray files in plugins/, no trailing whitespace).
NOX := .venv-nox/bin/nox --non-interactive --no-color
lint: .venv-nox/.stamp
	$(NOX) -e lint ansible-lint extra-checks

changelog-lint: $(VENV)/.stamp collection-link
	$(VENV)/bin/antsibull-changelog lint -v
	@if [ -f changelogs/changelog.yaml ]; then \
		set -x; \
		$(VENV)/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml; \
		rm -rf $(BUILD)/changelog-check; \
		stage="$$($(UTILS)/stage-collection.sh $(BUILD)/changelog-check)"; \
		(cd "$$stage" && $(TOOLS_ENV) ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(BUILD)/changelog-check" \
			antsibull-changelog generate); \
		for f in CHANGELOG.rst CHANGELOG.md; do \
			if [ -f "$$stage/$$f" ] && ! diff -u "$$f" "$$stage/$$f"; then \
				echo "$$f is not what changelogs/changelog.yaml generates: run 'antsibull-changelog generate'" >&2; \
				exit 1; fi; \
		done; \
	fi

docs: $(VENV)/.stamp collection-link
	rm -rf $(BUILD)/docs && mkdir -p $(BUILD)/docs
	$(TOOLS_ENV) $(ANTSIBULL_DOCS_GEN) --dest-dir $(BUILD)/docs
	rm -rf $(DOCS_DIR) && mkdir -p $(dir $(DOCS_DIR)) && cp -r $(BUILD)/docs $(DOCS_DIR)
	@echo "regenerated $(DOCS_DIR)/"

docs-check: $(VENV)/.stamp collection-link
	rm -rf $(BUILD)/docs-check && mkdir -p $(BUILD)/docs-check
	$(TOOLS_ENV) $(ANTSIBULL_DOCS_GEN) --dest-dir $(BUILD)/docs-check
	@if ! diff -ru $(DOCS_DIR) $(BUILD)/docs-check; then \
		echo "$(DOCS_DIR)/ is stale (or missing): run 'make docs' and commit the result" >&2; exit 1; fi
	$(TOOLS_ENV) antsibull-docs lint-collection-docs --plugin-docs --output-format simplified-rst \
		--check-extra-docs-refs --validate-collection-refs all --disallow-unknown-collection-refs \
		$(LINK_ROOT)/ansible_collections/frogops/xray
	@echo "docs-check: $(DOCS_DIR)/ is up to date"

# Every file carries its copyright and licence (SPDX headers, else REUSE.toml): reuse lint,
# as antsibull-nox's license-check session runs it.
reuse: .venv-nox/.stamp
	$(NOX) -e license-check

# actionlint (with shellcheck) on .github/workflows, and their ansible-core matrix is print-matrix's.
workflows: $(VENV)/.stamp
	$(UTILS)/check-workflows.sh $(VENV)/bin

# The docs site as docs.ansible.com renders it (antsibull-docs + Sphinx, offline, warnings are
# errors), with the guides of docs/docsite: build/docsite/build/html/index.html
docsite: .venv-docs/.stamp
	$(UTILS)/build-docsite.sh .venv-docs $(BUILD)/docsite

# Build from a staged copy (only what git would ship), install the tarball like a user,
# and check it the way Galaxy / Automation Hub and AWX do.
galaxy: $(VENV)/.stamp
	rm -rf $(BUILD)/dist $(BUILD)/galaxy-installed $(BUILD)/galaxy-importer $(BUILD)/ee-context $(BUILD)/ee $(BUILD)/ee-installed
	stage="$$($(UTILS)/stage-collection.sh $(BUILD)/galaxy)"; \
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/dist "$$stage"
	ANSIBLE_COLLECTIONS_PATH=$(BUILD)/galaxy-installed $(VENV)/bin/ansible-galaxy collection install --offline --force $(BUILD)/dist/frogops-xray-*.tar.gz
	ANSIBLE_COLLECTIONS_PATH=$(BUILD)/galaxy-installed $(VENV)/bin/ansible-galaxy collection verify --offline frogops.xray
	@modules="$$(cd $(BUILD)/galaxy-installed/ansible_collections/frogops/xray/plugins/modules && ls *.py | sed 's/\.py$$//')"; \
	for m in $$modules; do \
		echo "ansible-doc frogops.xray.$$m (installed copy)"; \
		ANSIBLE_COLLECTIONS_PATH=$(BUILD)/galaxy-installed ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
			$(VENV)/bin/ansible-doc -t module "frogops.xray.$$m" >/dev/null; \
	done
	mkdir -p $(BUILD)/galaxy-importer
	tarball="$$(ls $(CURDIR)/$(BUILD)/dist/frogops-xray-*.tar.gz)"; \
	cd $(BUILD)/galaxy-importer && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		GALAXY_IMPORTER_CONFIG="$(CURDIR)/$(UTILS)/galaxy-importer.cfg" \
		python -m galaxy_importer.main "$$tarball" 2>&1 | tee importer.log
	@# Every WARNING fails, flake8's findings included (RUN_FLAKE8 in galaxy-importer.cfg: one
	@# "WARNING: plugins/...py:LINE:COL: CODE message" line each), as does "flake8 not found".
	@if grep -E '^(WARNING|ERROR|CRITICAL)' $(BUILD)/galaxy-importer/importer.log; then \
		echo "galaxy-importer reported the problems above" >&2; exit 1; fi
	@grep -q '^Importer processing completed successfully' $(BUILD)/galaxy-importer/importer.log
	$(VENV)/bin/ansible-builder introspect --sanitize $(BUILD)/galaxy-installed | tee $(BUILD)/introspect.yml
	@grep -q "requests" $(BUILD)/introspect.yml || { \
		echo "ansible-builder introspect did not find the collection's Python requirements" >&2; exit 1; }
	mkdir -p $(BUILD)/ee && cp docs/execution-environment.yml $(BUILD)/ee/
	cp $(BUILD)/dist/frogops-xray-*.tar.gz $(BUILD)/ee/frogops-xray.tar.gz
	cd $(BUILD)/ee && $(CURDIR)/$(VENV)/bin/ansible-builder create --file execution-environment.yml \
		--context $(CURDIR)/$(BUILD)/ee-context --output-filename Containerfile
	test -s $(BUILD)/ee-context/Containerfile
	@# What the image build runs in _build/: the collection installs from the context alone.
	cd $(BUILD)/ee-context/_build && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/$(BUILD)/ee-installed \
		$(CURDIR)/$(VENV)/bin/ansible-galaxy collection install --offline \
		-r requirements.yml -p $(CURDIR)/$(BUILD)/ee-installed
	test -f $(BUILD)/ee-installed/ansible_collections/frogops/xray/MANIFEST.json
	@echo "galaxy: $$(ls $(BUILD)/dist/frogops-xray-*.tar.gz) builds, installs and imports cleanly"

# ---------------------------------------------------------------- demo and release helpers

# make demo: a venv of its own with ansible-core and requests only (tests/requirements/demo.txt),
# on $(PYTHON) or python3 when it is a controller Python of a supported ansible-core (2.16/2.17 run
# on 3.10-3.12, 2.18/2.19 on 3.11-3.13, 2.20/2.21 on 3.12-3.14), else the first of DEMO_PYTHONS
# that tests/utils/find-python.sh finds (tests/utils/demo-python.sh). Each step says what it does.
demo: venv-demo
	@rm -rf $(DEMO_BUILD)
	@echo "== building the collection tarball from what git would ship (ansible-galaxy collection build)"
	@stage="$$($(UTILS)/stage-collection.sh $(DEMO_BUILD)/stage)"; \
	$(DEMO_VENV)/bin/ansible-galaxy collection build --force --output-path $(DEMO_BUILD)/dist "$$stage"
	@collections="$$(mktemp -d "$${TMPDIR:-/tmp}/frogops-xray-demo.XXXXXX")"; \
	trap 'rm -rf "$$collections"' EXIT; \
	export ANSIBLE_COLLECTIONS_PATH="$$collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false; \
	echo "== installing it into $$collections (not the source tree)"; \
	$(DEMO_VENV)/bin/ansible-galaxy collection install --offline $(DEMO_BUILD)/dist/frogops-xray-*.tar.gz; \
	echo "== starting the Xray emulator and running examples/demo.yml with ansible-core $$($(DEMO_VENV)/bin/python -c 'from ansible.release import __version__; print(__version__)')"; \
	PATH="$(CURDIR)/$(DEMO_VENV)/bin:$$PATH" JFROG_ACCESS_TOKEN=emulator-admin-token \
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	$(UTILS)/with-emulator.sh $(DEMO_VENV)/bin/python \
		bash -c 'ansible-playbook examples/demo.yml -e xray_url="$$XRAY_URL"'
	@echo "== demo done; to try the modules yourself against the emulator, see README.md, Quick start"

# The demo as a user runs it, with the checks of tests/utils/check-demo.sh on what it printed and
# installed, then the README's "Try the modules yourself" lines on its tarball (the emulator on
# port 8765). .venv-demo is reused when in place (CI makes it).
demo-check:
	rm -rf $(BUILD)/demo-check && mkdir -p $(BUILD)/demo-check
	$(MAKE) demo 2>&1 | tee $(BUILD)/demo-check/demo.log
	$(UTILS)/check-demo.sh $(DEMO_VENV) $(BUILD)/demo-check/demo.log $(DEMO_BUILD)/dist $(DEMO_PYTHONS)

# Turn changelogs/fragments into a release section of changelogs/changelog.yaml and
# CHANGELOG.rst / CHANGELOG.md, for the version in galaxy.yml.
changelog-release: $(VENV)/.stamp collection-link
	$(TOOLS_ENV) antsibull-changelog release -v

clean:
	rm -rf $(BUILD) tests/output .nox

distclean: clean
	rm -rf $(VENV) $(DEMO_VENV) .venv-docs .venv-nox $(foreach v,$(CORE_VERSIONS),.venv-$(v))

FORCE:
