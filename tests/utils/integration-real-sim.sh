#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The integration targets' real-Xray mode, proven against a stand-in: the emulator started as a
# plain server, which the targets in that mode must drive through the collection's modules only.
#
# Usage: tests/utils/integration-real-sim.sh VENV_DIR STAGE_DIR   (`make integration-real-sim`)
#
# Set-up through the emulator's control API, as an administrator would prepare a test Xray:
# a Jira that accepts one API token, and an integration that is not the tests' own. Then the
# targets run with an integration_config.yml naming that "real" Xray, and this script fails
# unless they pass, the stand-in holds exactly the foreign integration afterwards (the
# targets deleted all they created), and the tests themselves never called the control API.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 VENV_DIR STAGE_DIR" >&2
    exit 2
fi

utils="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(cd "$1" && pwd)"
python="${venv}/bin/python"

# The emulator, logging every request (control API included) to its stderr: see below.
export XRAY_EMULATOR_PYTHON="${python}" XRAY_EMULATOR="${utils}/../emulator/xray_emulator.py" XRAY_EMULATOR_VERBOSE=1
# shellcheck source-path=SCRIPTDIR source=../integration/targets/setup_xray_emulator/emulator.sh
source "${utils}/../integration/targets/setup_xray_emulator/emulator.sh"
start_xray_emulator
# shellcheck disable=SC2154  # xray_emulator_dir is set by start_xray_emulator (emulator.sh)
emulator_log="${xray_emulator_dir}/stderr"
py_version="$("${python}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
jira=https://acme-test.atlassian.net
jira_token=sim-jira-api-token-0815

control() {
    # $1: method, $2: path under /_emulator/, $3: JSON body
    curl -sSf -X "$1" -H 'Content-Type: application/json' -d "$3" "${XRAY_URL}/_emulator/$2" >/dev/null
}
control PUT jira "{\"jira_server_url\": \"${jira}\", \"password\": \"${jira_token}\"}"
control PUT jira '{"jira_server_url": "https://jira.invalid", "password": "jira-invalid-is-unreachable"}'
control POST integrations '{"connection_name": "production-jira", "username": "ops@acme.example", "password": "prod", "jira_server_url": "https://prod.atlassian.net"}'
setup_lines="$(wc -l <"${emulator_log}")"

"${utils}/ensure-get-pip.sh" "${venv}"
collection="$("${utils}/stage-collection.sh" "$2")"
# Written into the staged copy only: the checkout never holds a config file made by a test.
cat > "${collection}/tests/integration/integration_config.yml" <<CFG
xray_url: ${XRAY_URL}
xray_access_token: emulator-admin-token
xray_validate_certs: true
xray_jira_server_url: ${jira}
xray_jira_installation_type: cloud
xray_jira_username: xray-bot@acme.example
xray_jira_password: ${jira_token}
xray_jira_skip_proxy: false
xray_name_prefix: ansible-test-
CFG

echo "integration-real-sim: the targets in real-Xray mode against ${XRAY_URL}"
(cd "${collection}" && PATH="${venv}/bin:${PATH}" \
    ansible-test integration --venv --python "${py_version}" --color no -v)

control_calls="$(tail -n "+$((setup_lines + 1))" "${emulator_log}" | grep -c '"[A-Z]* /_emulator/' || true)"
if [ "${control_calls}" != "0" ]; then
    echo "integration-real-sim: in real-Xray mode the targets called the emulator's control API ${control_calls} times:" >&2
    tail -n "+$((setup_lines + 1))" "${emulator_log}" | grep '"[A-Z]* /_emulator/' | head -n 20 >&2
    exit 1
fi
left="$(curl -sSf "${XRAY_URL}/_emulator/integrations" \
    | "${python}" -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin)["integrations"])))')"
if [ "${left}" != "production-jira" ]; then
    echo "integration-real-sim: the stand-in Xray should hold only production-jira after the run, it holds: ${left}" >&2
    exit 1
fi
echo "integration-real-sim: passed; the targets cleaned up after themselves (left: ${left})"
