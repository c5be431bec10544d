# frogops.xray - developer and CI entry points.
#
#   make demo    run examples/demo.yml against the bundled Xray emulator
#   make test    everything CI runs (.ci/run), stopping at the first failure
#   make help    the other targets
#
# Three virtual environments, each rebuilt only when its requirements file changes:
#   .venv         Python 3.11, ansible-core 2.19 and the tools (tests/requirements/dev.txt)
#   .venv-oldest  Python 3.11, oldest supported ansible-core 2.16 (tests/requirements/oldest.txt)
#   .venv-newest  Python 3.13 (else 3.12), newest ansible-core 2.21 (tests/requirements/newest.txt)
# ansible-test runs on a copy of the checkout under build/ (it needs the
# ansible_collections/frogops/xray layout); see tests/utils/.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

VENV := .venv
REQ := tests/requirements
UTILS := tests/utils
BUILD := build
# Python versions to look for, first found wins (tests/utils/find-python.sh)
PYTHON_DEV := 3.11
PYTHON_OLDEST := 3.11
PYTHON_NEWEST := 3.13 3.12

ANSIBLE_TEST_FLAGS := --color no -v
# ANSIBLE_COLLECTIONS_PATH under which frogops.xray is this checkout (a symlink),
# for the tools that find the collection by name (ansible-lint, antsibull-*).
LINK_ROOT := $(CURDIR)/$(BUILD)/link
TOOLS_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(LINK_ROOT)" ANSIBLE_NOCOLOR=1
DOCS_DIR := docs/modules
ANTSIBULL_DOCS_GEN := antsibull-docs collection --use-current --squash-hierarchy \
	--output-format simplified-rst --no-add-antsibull-docs-version --fail-on-error frogops.xray
# Major.minor of a venv's Python, for ansible-test --python ($(1): venv dir)
venv_python_version = $$($(1)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

.PHONY: help test demo venv venv-oldest venv-newest units sanity integration e2e lint \
	changelog-lint docs docs-check galaxy changelog-release clean distclean \
	no-sanity-ignores collection-link FORCE

help:
	@echo "make demo            build + install the collection, run examples/demo.yml against the emulator"
	@echo "make test            units, sanity, integration, e2e, lint, changelog-lint, docs-check, galaxy"
	@echo "make units           ansible-test units on ansible-core 2.16 and 2.21 (units-oldest, units-newest)"
	@echo "make sanity          ansible-test sanity on both (sanity-oldest, sanity-newest), no ignore files"
	@echo "make integration     ansible-test integration on both (targets start the emulator)"
	@echo "make e2e             pytest tests/emulator tests/e2e with ansible-core 2.16 and 2.21 (e2e-oldest, e2e-newest)"
	@echo "make lint            ansible-lint --profile production"
	@echo "make changelog-lint  antsibull-changelog lint (and changelog.yaml / CHANGELOG.* up to date)"
	@echo "make docs            regenerate $(DOCS_DIR)/ from the modules' documentation"
	@echo "make docs-check      fail when $(DOCS_DIR)/ is stale; antsibull-docs lint"
	@echo "make galaxy          build the tarball, install it, verify, galaxy-importer, ansible-builder"
	@echo "make changelog-release   antsibull-changelog release for the version in galaxy.yml"
	@echo "make venv|venv-oldest|venv-newest   create a virtual environment only"
	@echo "make clean           remove build/;  make distclean  also the virtual environments"

# ---------------------------------------------------------------- environments

# $(1): Python versions to try, $(2): requirements file. Target: DIR/.stamp
define make_venv
	rm -rf $(@D)
	py="$$($(UTILS)/find-python.sh $(1))"; echo "creating $(@D) with $$py"; "$$py" -m venv $(@D)
	$(@D)/bin/python -m pip install --quiet --disable-pip-version-check -r $(2)
	$(@D)/bin/python -m pip list --disable-pip-version-check 2>/dev/null \
		| grep -i -E '^(ansible|antsibull|galaxy|requests |pytest |shellcheck)' || true
	touch $@
endef

$(VENV)/.stamp: $(REQ)/dev.txt
	$(call make_venv,$(PYTHON_DEV),$<)

.venv-oldest/.stamp: $(REQ)/oldest.txt
	$(call make_venv,$(PYTHON_OLDEST),$<)

.venv-newest/.stamp: $(REQ)/newest.txt
	$(call make_venv,$(PYTHON_NEWEST),$<)

venv: $(VENV)/.stamp
venv-oldest: .venv-oldest/.stamp
venv-newest: .venv-newest/.stamp

collection-link:
	mkdir -p $(LINK_ROOT)/ansible_collections/frogops
	ln -sfn "$(CURDIR)" $(LINK_ROOT)/ansible_collections/frogops/xray

# ---------------------------------------------------------------- the test suite

# Order: quick and most telling first; make stops at the first failure.
test: units sanity integration e2e lint changelog-lint docs-check galaxy
	@echo "make test: all 8 stages succeeded (units sanity integration e2e lint changelog-lint docs-check galaxy)"

units: units-oldest units-newest
sanity: no-sanity-ignores sanity-oldest sanity-newest
integration: integration-oldest integration-newest
e2e: e2e-oldest e2e-newest

# sanity-oldest / sanity-newest etc. are pattern rules (and therefore not .PHONY:
# make skips pattern rules for phony targets); FORCE makes them always run.
units-%: .venv-%/.stamp FORCE
	@if ! find tests/unit -name 'test_*.py' 2>/dev/null | grep -q .; then \
		echo "units-$*: no tests/unit/**/test_*.py, nothing to run"; exit 0; fi; \
	$(UTILS)/run-ansible-test.sh .venv-$* $(BUILD)/$*-units \
		units --venv --python "$(call venv_python_version,.venv-$*)" $(ANSIBLE_TEST_FLAGS)

sanity-%: .venv-%/.stamp FORCE
	$(UTILS)/run-ansible-test.sh .venv-$* $(BUILD)/$*-sanity \
		sanity --venv --python "$(call venv_python_version,.venv-$*)" $(ANSIBLE_TEST_FLAGS)

integration-%: .venv-%/.stamp FORCE
	@if ! find tests/integration/targets -mindepth 2 -type f 2>/dev/null | grep -q .; then \
		echo "integration-$*: no tests/integration/targets/*, nothing to run"; exit 0; fi; \
	$(UTILS)/run-ansible-test.sh .venv-$* $(BUILD)/$*-integration \
		integration --venv --python "$(call venv_python_version,.venv-$*)" $(ANSIBLE_TEST_FLAGS)

# pytest suites outside ansible-test: the emulator's own tests and the end-to-end tests
# (ansible-playbook of this venv against the emulator, TLS and proxy included). They test the
# collection as users get it: the tarball is built and installed, and ANSIBLE_COLLECTIONS_PATH
# points the tests at the installed copy (tests/e2e/e2e_support.py: collections_path).
E2E_DIRS := $(wildcard tests/emulator tests/e2e)
e2e-%: .venv-%/.stamp FORCE
	@if [ -z "$(E2E_DIRS)" ]; then echo "e2e-$*: no tests/emulator or tests/e2e, nothing to run"; exit 0; fi
	rm -rf $(BUILD)/e2e-$*
	stage="$$($(UTILS)/stage-collection.sh $(BUILD)/e2e-$*/stage)"; \
	.venv-$*/bin/ansible-galaxy collection build --force --output-path $(BUILD)/e2e-$*/dist "$$stage"
	.venv-$*/bin/ansible-galaxy collection install --offline -p $(BUILD)/e2e-$*/collections $(BUILD)/e2e-$*/dist/frogops-xray-*.tar.gz
	@rc=0; ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/$(BUILD)/e2e-$*/collections" \
		.venv-$*/bin/python -m pytest -p no:cacheprovider -q $(E2E_DIRS) || rc=$$?; \
	if [ "$$rc" -eq 5 ]; then echo "e2e-$*: pytest found no tests in $(E2E_DIRS)"; rc=0; fi; \
	exit "$$rc"

no-sanity-ignores:
	@if compgen -G 'tests/sanity/ignore-*.txt' >/dev/null; then \
		echo "sanity ignore files are not allowed here; fix the code instead:" >&2; \
		ls tests/sanity/ignore-*.txt >&2; exit 1; fi

lint: $(VENV)/.stamp collection-link
	$(TOOLS_ENV) ANSIBLE_LINT_SKIP_SCHEMA_UPDATE=1 ansible-lint --profile production --offline --nocolor

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
		--validate-collection-refs all $(LINK_ROOT)/ansible_collections/frogops/xray
	@echo "docs-check: $(DOCS_DIR)/ is up to date"

# Build from a staged copy (only what git would ship), install the tarball like a user,
# and check it the way Galaxy / Automation Hub and AWX do.
galaxy: $(VENV)/.stamp
	rm -rf $(BUILD)/dist $(BUILD)/galaxy-installed $(BUILD)/galaxy-importer $(BUILD)/ee-context $(BUILD)/ee
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
		python -m galaxy_importer.main "$$tarball" 2>&1 | tee importer.log
	@if grep -E '^(WARNING|ERROR|CRITICAL)' $(BUILD)/galaxy-importer/importer.log; then \
		echo "galaxy-importer reported the problems above" >&2; exit 1; fi
	@grep -q '^Importer processing completed successfully' $(BUILD)/galaxy-importer/importer.log
	$(VENV)/bin/ansible-builder introspect --sanitize $(BUILD)/galaxy-installed | tee $(BUILD)/introspect.yml
	@grep -q "requests" $(BUILD)/introspect.yml || { \
		echo "ansible-builder introspect did not find the collection's Python requirements" >&2; exit 1; }
	mkdir -p $(BUILD)/ee && cp docs/execution-environment.yml $(BUILD)/dist/frogops-xray-*.tar.gz $(BUILD)/ee/
	cd $(BUILD)/ee && $(CURDIR)/$(VENV)/bin/ansible-builder create --file execution-environment.yml \
		--context $(CURDIR)/$(BUILD)/ee-context --output-filename Containerfile
	test -s $(BUILD)/ee-context/Containerfile
	test -s $(BUILD)/ee-context/_build/collections/frogops-xray-*.tar.gz
	@echo "galaxy: $$(ls $(BUILD)/dist/frogops-xray-*.tar.gz) builds, installs and imports cleanly"

# ---------------------------------------------------------------- demo and release helpers

demo: $(VENV)/.stamp
	@rm -rf $(BUILD)/dist
	@echo "== building the collection tarball"
	@stage="$$($(UTILS)/stage-collection.sh $(BUILD)/galaxy)"; \
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/dist "$$stage"
	@collections="$$(mktemp -d "$${TMPDIR:-/tmp}/frogops-xray-demo.XXXXXX")"; \
	trap 'rm -rf "$$collections"' EXIT; \
	export ANSIBLE_COLLECTIONS_PATH="$$collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false; \
	echo "== installing it into $$collections (not the source tree)"; \
	$(VENV)/bin/ansible-galaxy collection install --offline $(BUILD)/dist/frogops-xray-*.tar.gz; \
	echo "== starting the Xray emulator and running examples/demo.yml"; \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" JFROG_ACCESS_TOKEN=emulator-admin-token \
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	$(UTILS)/with-emulator.sh $(VENV)/bin/python \
		bash -c 'ansible-playbook examples/demo.yml -e xray_url="$$XRAY_URL"'

# Turn changelogs/fragments into a release section of changelogs/changelog.yaml and
# CHANGELOG.rst / CHANGELOG.md, for the version in galaxy.yml.
changelog-release: $(VENV)/.stamp collection-link
	$(TOOLS_ENV) antsibull-changelog release -v

clean:
	rm -rf $(BUILD) tests/output

distclean: clean
	rm -rf $(VENV) .venv-oldest .venv-newest

FORCE:
