#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# `make demo-check`: after `make demo` succeeded, check what a user was promised (README, Quick start):
#   - the output names each step, in order, and shows the demo's results (create changed, rerun
#     not, preview and update changed, a healthy read-back, delete changed), and no secret;
#   - VENV holds ansible-core and requests and their dependencies only (no development tool),
#     on one of the supported Pythons, and `make demo` uses no other venv;
#   - the choice of the Python: an unsupported PYTHON makes it say so and take a supported one;
#     when none is found it fails with one line naming the problem;
#   - the README's "Try the modules yourself" lines, run as written (with the first ansible line
#     once more) in a scratch HOME where the tarball in DIST is installed the default way, with
#     VENV's ansible: the emulator starts, the create reports CHANGED, then SUCCESS unchanged,
#     the info finds it HEALTHY_INTEGRATION, and neither the password nor the token shows.
#     The emulator listens on the README's fixed port (8765): nothing else may use it meanwhile.
#
# Usage: tests/utils/check-demo.sh VENV LOG DIST X.Y [X.Y...]   (X.Y: the versions of DEMO_PYTHONS)
# Run from the checkout's root (make demo-check).
set -euo pipefail

if [ "$#" -lt 4 ]; then
    echo "usage: $0 VENV LOG DIST X.Y [X.Y...]" >&2
    exit 2
fi
venv="$1"
log="$2"
dist="$3"
shift 3
utils="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
failures=0
fail() {
    echo "check-demo: FAIL: $*" >&2
    failures=$((failures + 1))
}

# 1. The steps, in this order (each a line of the log, as an extended regular expression).
steps=(
    "^== (creating|reusing) ${venv} "
    '^== building the collection tarball'
    '^Created collection for frogops\.xray at '
    '^== installing it into '
    '^frogops\.xray:[0-9.]+ was installed successfully'
    '^== starting the Xray emulator and running examples/demo\.yml with ansible-core 2\.[0-9]+\.[0-9]+'
    '^setup_xray_emulator: .* serves http://127\.0\.0\.1:[0-9]+$'
    '^PLAY RECAP'
    '^localhost +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0 '
    '^== demo done'
)
line=0
for step in "${steps[@]}"; do
    found="$(tail -n "+$((line + 1))" "${log}" | grep -n -m 1 -E -e "${step}" | cut -d: -f1 || true)"
    if [ -z "${found}" ]; then
        fail "no line matching '${step}' after line ${line} of ${log}"
    else
        line=$((line + found))
    fi
done
# What the demo's summary task shows for each step.
for result in '"create:  changed=True ' '"rerun:   changed=False ' '"preview: changed=True ' \
              '"update:  changed=True ' '"info:    exists=True  health=HEALTHY_INTEGRATION ' \
              '"delete:  changed=True '; do
    grep -q -F -e "${result}" "${log}" || fail "the demo's summary lacks ${result}"
done
# Nothing a new user would take for a problem: no traceback, no ansible error or warning.
if grep -n -E -e '^Traceback |^ERROR!|\[(DEPRECATION )?WARNING\]' "${log}"; then
    fail "${log} shows the traceback, error or warning above"
fi
# The demo's Jira token and the emulator's admin token are given to the tasks, never shown.
for secret in demo-jira-api-token emulator-admin-token; do
    if grep -q -F -e "${secret}" "${log}"; then fail "${log} shows ${secret}"; fi
done

# 2. The venv: a supported Python, ansible-core and requests with their dependencies, nothing else.
"${venv}/bin/python" - "$@" <<'EOF' || fail "${venv} is not what make demo promises (above)"
import re
import sys
from importlib import metadata

supported = sys.argv[1:]
version = "%d.%d" % sys.version_info[:2]
problems = []
if version not in supported:
    problems.append("Python %s is not one of %s" % (version, " ".join(supported)))


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


installed = {canonical(d.metadata["Name"]): d for d in metadata.distributions()}
wanted, todo = set(), ["ansible-core", "requests"]
while todo:
    name = canonical(todo.pop())
    if name in wanted or name not in installed:
        continue
    wanted.add(name)
    for requirement in installed[name].requires or []:
        if "extra ==" in requirement:
            continue
        todo.append(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
for needed in ("ansible-core", "requests"):
    if needed not in installed:
        problems.append("%s is not installed" % needed)
core = installed.get("ansible-core")
if core is not None:
    major, minor = (int(part) for part in core.version.split(".")[:2])
    if not (2, 16) <= (major, minor) <= (2, 21):
        problems.append("ansible-core %s is not one of 2.16 to 2.21" % core.version)
extra = sorted(set(installed) - wanted - {"pip", "setuptools", "wheel"})
if extra:
    problems.append("installed beyond ansible-core, requests and their dependencies: %s" % ", ".join(extra))
for problem in problems:
    print("check-demo: %s: %s" % (sys.prefix, problem), file=sys.stderr)
print("check-demo: %s: Python %s, ansible-core %s, %d distributions" % (
    sys.prefix, version, core.version if core else "-", len(installed)))
sys.exit(1 if problems else 0)
EOF
# `make demo` runs nothing from another venv (the tools' .venv, .venv-X.Y ...).
others="$(make -n demo PYTHON="${venv}/bin/python" | grep -o -E '\.venv[A-Za-z0-9._-]*' | sort -u | grep -v -x -F -e "${venv}" || true)"
[ -z "${others}" ] || fail "make demo uses other venvs: ${others}"

# 3. Choosing the Python. A fake interpreter that says it is 3.9:
scratch="$(mktemp -d "${TMPDIR:-/tmp}/check-demo.XXXXXX")"
trap 'rm -rf "${scratch}"' EXIT
printf '#!/bin/sh\necho 3.9\n' >"${scratch}/python3.9"
chmod +x "${scratch}/python3.9"
if chosen="$(PYTHON="${scratch}/python3.9" "${utils}/demo-python.sh" "$@" 2>"${scratch}/stderr")"; then
    chosen_version="$("${chosen}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    printf '%s\n' "$@" | grep -q -x -F -e "${chosen_version}" \
        || fail "with PYTHON at Python 3.9, demo-python.sh chose ${chosen} (Python ${chosen_version})"
    grep -q -F -e "== ${scratch}/python3.9 is Python 3.9; make demo runs on Python " "${scratch}/stderr" \
        || fail "with PYTHON at Python 3.9, demo-python.sh did not say why it took another: $(cat "${scratch}/stderr")"
else
    fail "with PYTHON at Python 3.9, demo-python.sh found no supported Python: $(cat "${scratch}/stderr")"
fi
# None found: one line, naming what was asked for and what python3 is.
if PYTHON="${scratch}/python3.9" "${utils}/demo-python.sh" 3.98 3.99 >"${scratch}/stdout" 2>"${scratch}/stderr"; then
    fail "demo-python.sh 3.98 3.99 succeeded: $(cat "${scratch}/stdout")"
else
    if [ "$(wc -l <"${scratch}/stderr")" -ne 1 ] || [ -s "${scratch}/stdout" ] \
        || ! grep -q -E "^make demo: needs Python 3\.98 to 3\.99 .*${scratch}/python3\.9 is Python 3\.9, .*PYTHON=" "${scratch}/stderr"; then
        fail "demo-python.sh with no usable Python did not fail with one line naming the problem: $(cat "${scratch}/stderr")"
    fi
fi

# 4. The README's "Try the modules yourself", on the tarball of the demo, installed the default way.
try="${scratch}/try"
mkdir -p "${try}/home" "${try}/work"
awk '/^### Try the modules yourself/ {section = 1}
     section && /^```bash$/ {block = 1; next}
     block && /^```$/ {exit}
     block {print}' README.md >"${try}/block.sh"
{
    # should a line fail, the emulator started in the background must not outlive the check
    echo "trap 'kill %1 2>/dev/null || true' EXIT"
    awk '{print} /^ansible localhost -m frogops\.xray\.jira_integration / {print}' "${try}/block.sh"
} >"${try}/run.sh"
if [ "$(grep -c -E '^ansible localhost -m frogops\.xray\.jira_integration ' "${try}/run.sh")" -ne 2 ]; then
    fail "README.md's \"Try the modules yourself\" has no ansible line of frogops.xray.jira_integration: $(cat "${try}/block.sh")"
elif ! (tarball="$(ls "${PWD}/${dist}"/frogops-xray-*.tar.gz)" \
        && export HOME="${try}/home" PATH="${PWD}/${venv}/bin:${PATH}" \
        && unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_CONFIG JFROG_URL JFROG_ACCESS_TOKEN JFROG_USERNAME JFROG_PASSWORD \
        && cd "${try}/work" \
        && ansible-galaxy collection install --offline "${tarball}" >/dev/null \
        && bash -e "${try}/run.sh") >"${try}/output" 2>&1; then
    fail "README.md's \"Try the modules yourself\" failed: $(cat "${try}/output")"
else
    "${venv}/bin/python" - "${try}/output" <<'EOF' || fail "README.md's \"Try the modules yourself\" did not do what it says (above)"
import json
import re
import sys

with open(sys.argv[1]) as stream:
    output = stream.read()
problems = []
for secret in ("not-a-real-token", "emulator-admin-token"):
    if secret in output:
        problems.append("the output shows %s" % secret)
if not re.search(r"^http://127\.0\.0\.1:8765$", output, re.M):
    problems.append("the emulator did not print its URL http://127.0.0.1:8765")
# each ad-hoc result: "localhost | STATE => {json}"
results = [(state, json.loads(body)) for state, body in
           re.findall(r"^localhost \| (\w+!?) => (\{.*?^\})$", output, re.M | re.S)]
states = [state for state, _ in results]
if states != ["CHANGED", "SUCCESS", "SUCCESS"]:
    problems.append("the three ansible runs reported %s, not CHANGED, SUCCESS, SUCCESS" % states)
else:
    (_, create), (_, again), (_, info) = results
    if create.get("msg") != "Integration 'jira-cloud' created.":
        problems.append("the create said %r" % create.get("msg"))
    if again.get("changed") is not False:
        problems.append("the create, run again, changed: %r" % again)
    if not info.get("exists") or (info.get("status") or {}).get("status") != "HEALTHY_INTEGRATION" \
            or (info.get("integration") or {}).get("jira_server_url") != "https://acme.atlassian.net":
        problems.append("the info found %r" % info)
for problem in problems:
    print("check-demo: Try the modules yourself: %s" % problem, file=sys.stderr)
if problems:
    print(output, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
fi

if [ "${failures}" -ne 0 ]; then
    echo "check-demo: ${failures} check(s) failed (make demo's output: ${log})" >&2
    exit 1
fi
echo "check-demo: make demo printed its ${#steps[@]} steps in order and the demo's results, no secret;" \
    "${venv} holds ansible-core and requests only; the Python is chosen as documented;" \
    "the README's \"Try the modules yourself\" does what it says"
