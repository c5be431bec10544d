#!/usr/bin/env bash
# Runs playbook.yml against a private Xray emulator started for this run, which the tests
# drive through its control API (so they cannot run against a real Xray).
# ansible-test runs this from the target's directory with -v... and, when
# tests/integration/integration_config.yml exists, -e @that-file: they are passed on,
# and the emulator's URL comes last, so it wins over any xray_url there.
# Also runs by hand: ANSIBLE_COLLECTIONS_PATH=<dir holding ansible_collections/frogops/xray> ./runme.sh
set -eux
cd "$(dirname "$0")"

# shellcheck source-path=SCRIPTDIR
source ../setup_xray_emulator/emulator.sh
start_xray_emulator

ANSIBLE_ROLES_PATH="$(cd .. && pwd)"
export ANSIBLE_ROLES_PATH

ansible-playbook -i ../setup_xray_emulator/inventory.ini playbook.yml "$@" -e "xray_url=${XRAY_URL}"
