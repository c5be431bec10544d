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
# a Jira that accepts one API token, and an integration that is not the tests' own; for the
# watch and policy targets, an existing project watch and a global policy (no API creates
# them), named in integration_config.yml as xray_real_watch / xray_real_policy. Then the
# targets run with an integration_config.yml naming that "real" Xray, and this script fails
# unless they pass, the stand-in holds exactly the foreign integration afterwards (the
# targets deleted all they created), the watch and the policy are exactly as seeded and were
# never written (those targets only read, in real-Xray mode), and the tests themselves never
# called the control API.
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

# The stand-in's control API, through the venv's Python (no curl needed). `control METHOD PATH [JSON]`
# prints the JSON answer.
control() {
    "${python}" - "${XRAY_URL}/_emulator/$2" "$1" "${3:-}" <<'PY'
import sys, urllib.request
url, method, body = sys.argv[1], sys.argv[2], sys.argv[3]
request = urllib.request.Request(url, method=method, data=body.encode() if body else None,
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=30) as answer:
    print(answer.read().decode())
PY
}
control PUT jira "{\"jira_server_url\": \"${jira}\", \"password\": \"${jira_token}\"}" >/dev/null
control PUT jira '{"jira_server_url": "https://jira.invalid", "password": "jira-invalid-is-unreachable"}' >/dev/null
control POST integrations '{"connection_name": "production-jira", "username": "ops@acme.example", "password": "prod", "jira_server_url": "https://prod.atlassian.net"}' >/dev/null
# The watch and the policy the watch_jira_ticketing / policy_jira_ticketing targets read (made in the UI).
control PUT jira-profiles '{"profiles": ["sim-team-a", "sim-team-b"]}' >/dev/null
control POST watches '{"project_key": "sim", "watch": {"general_data": {"name": "sim-watch", "description": "made in the UI", "active": true},
  "project_resources": {"resources": [{"type": "repository", "bin_mgr_id": "default", "name": "sim-libs", "filters": [{"type": "regex", "value": ".*"}]}]},
  "assigned_policies": [{"name": "sim-policy", "type": "security"}], "watch_recipients": ["sec@acme.example"],
  "create_ticket_enabled": true, "ticket_profile": "sim-team-a",
  "ticket_generation": {"create_duplicate_tickets": {"by_version": {"build": false, "package": true, "release_bundle": false}},
    "impact_path_profiles_mapping": {"include": [{"profile": "sim-team-b", "pattern": "*/team-b/*"}]},
    "create_tickets_for_ignored_violation": false}}}' >/dev/null
control POST policies '{"policy": {"name": "sim-policy", "type": "security", "watches": ["sim-watch"], "rules": [
  {"name": "block-critical", "priority": 1, "criteria": {"min_severity": "critical"}, "actions": {"create_ticket_enabled": true, "fail_build": true}},
  {"name": "warn-high", "priority": 2, "criteria": {"min_severity": "high"}, "actions": {"notify_watch_recipients": true}}]}}' >/dev/null
before="$(control GET integrations)"
ticketing_before="$(control GET watches)$(control GET policies)"
setup_lines="$(wc -l <"${emulator_log}")"

"${utils}/ensure-get-pip.sh" "${venv}"
collection="$("${utils}/stage-collection.sh" "$2")"
stage_dir="$(cd "$2" && pwd)"
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
xray_run_id: "sim$$"
xray_test_environment_variables: true
xray_real_watch: sim-watch
xray_real_watch_project_key: sim
xray_real_policy: sim-policy
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
# What a real Xray would have seen: only the collection's modules (their User-Agent), never a request
# naming the foreign integration, which must be exactly as before; and nothing of the tests' left.
control GET integrations >"${stage_dir}/after.json"
if [ "$(control GET watches)$(control GET policies)" != "${ticketing_before}" ]; then
    echo "integration-real-sim: the watch or the policy the targets only read was changed:" >&2
    echo "before: ${ticketing_before}" >&2
    echo "after:  $(control GET watches)$(control GET policies)" >&2
    exit 1
fi
control GET requests >"${stage_dir}/requests.json"
"${python}" - "${before}" "${stage_dir}/after.json" "${stage_dir}/requests.json" <<'PY'
import json, sys, urllib.parse
before = json.loads(sys.argv[1])["integrations"]
with open(sys.argv[2]) as after_file, open(sys.argv[3]) as requests_file:
    after = json.load(after_file)["integrations"]
    requests = json.load(requests_file)["requests"]
problems = []
if sorted(after) != ["production-jira"]:
    problems.append("the stand-in should hold only production-jira after the run; it holds %s" % sorted(after))
elif after["production-jira"] != before["production-jira"]:
    problems.append("production-jira, which is not the tests', was changed: %r -> %r"
                    % (before["production-jira"], after["production-jira"]))
for entry in requests:
    agent = {k.lower(): v for k, v in entry["headers"].items()}.get("user-agent", "")
    if not agent.startswith("frogops.xray "):
        problems.append("%s %s was not sent by a frogops.xray module (User-Agent %r)" % (entry["method"], entry["path"], agent))
    if "production-jira" in urllib.parse.unquote(entry["path"] + "?" + str(entry.get("query") or "")) + entry["body"]:
        problems.append("%s %s touched production-jira" % (entry["method"], entry["path"]))
    if entry["method"] != "GET" and entry["path"].startswith(("/xray/api/v2/watches/", "/xray/api/v2/policies/")):
        problems.append("%s %s: in real-Xray mode the watch and policy targets must only read" % (entry["method"], entry["path"]))
if not requests:
    problems.append("no request reached the stand-in: the targets did not run in real-Xray mode")
for problem in problems[:20]:
    print("integration-real-sim: " + problem, file=sys.stderr)
if problems:
    sys.exit(1)
print("integration-real-sim: passed; %d requests, all from the modules; the targets cleaned up after themselves"
      % len(requests))
PY
