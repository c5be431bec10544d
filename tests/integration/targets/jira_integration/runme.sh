#!/usr/bin/env bash
# Runs playbook.yml against a private Xray emulator started for this run, which the tests
# drive through its control API (so they cannot run against a real Xray); see
# ../setup_xray_emulator/emulator.sh. Also runs by hand:
#     ANSIBLE_COLLECTIONS_PATH=<dir holding ansible_collections/frogops/xray> ./runme.sh
set -eux
cd "$(dirname "$0")"

# shellcheck source-path=SCRIPTDIR
source ../setup_xray_emulator/emulator.sh
run_target_playbook "$@"
