#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs playbook.yml against a private Xray emulator started for this run, which the tests
# drive through its control API; or, when ../../integration_config.yml names xray_url,
# against that real Xray with the collection's modules only (tests/integration/README.md).
# See ../setup_xray_emulator/emulator.sh. Also runs by hand:
#     ANSIBLE_COLLECTIONS_PATH=<dir holding ansible_collections/frogops/xray> ./runme.sh
set -eux
cd "$(dirname "$0")"

# shellcheck source-path=SCRIPTDIR
source ../setup_xray_emulator/emulator.sh
run_target_playbook "$@"
