#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Run a command while the Xray emulator (tests/emulator/xray_emulator.py) serves on a
# free loopback port. The command gets the emulator's URL in XRAY_URL; the emulator is
# stopped when the command ends, fails or is interrupted.
#
# Usage: tests/utils/with-emulator.sh PYTHON COMMAND [ARGS...]
#   PYTHON runs the emulator (it needs only the standard library).
#
# Starting and stopping are the integration targets' own (setup_xray_emulator/emulator.sh),
# so `make demo` and ansible-test start the emulator the same way.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 PYTHON COMMAND [ARGS...]" >&2
    exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Read by emulator.sh: the Python to run it with, and this checkout's emulator.
export XRAY_EMULATOR_PYTHON="$1"
export XRAY_EMULATOR="${repo_root}/tests/emulator/xray_emulator.py"
shift

# shellcheck source-path=SCRIPTDIR source=../integration/targets/setup_xray_emulator/emulator.sh
source "${repo_root}/tests/integration/targets/setup_xray_emulator/emulator.sh"
start_xray_emulator
# The EXIT trap (set by start_xray_emulator) stops the emulator; these make an interrupt end there too.
trap 'exit 130' INT
trap 'exit 143' TERM

set +e
"$@"
rc=$?
set -e
# shellcheck disable=SC2154  # xray_emulator_dir is set by start_xray_emulator (emulator.sh)
if [ "${rc}" -ne 0 ] && [ -s "${xray_emulator_dir}/stderr" ]; then
    echo "with-emulator: emulator stderr (last 50 lines):" >&2
    tail -n 50 "${xray_emulator_dir}/stderr" >&2
fi
exit "${rc}"
