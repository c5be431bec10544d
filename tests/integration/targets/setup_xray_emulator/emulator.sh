# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
# Start the Xray emulator (tests/emulator/xray_emulator.py) for one integration target.
#
# Sourced by a target's runme.sh, which then runs its playbook.yml against the emulator
# (or, when tests/integration/integration_config.yml names xray_url, against that real Xray
# without starting the emulator; see run_target_playbook):
#     source ../setup_xray_emulator/emulator.sh
#     run_target_playbook "$@"
# and by tests/utils/with-emulator.sh (`make demo`), which calls start_xray_emulator itself.
#
# start_xray_emulator starts the emulator in the background on a free loopback port,
# waits until it has written its URL, exports XRAY_URL and sets an EXIT trap that stops
# it again, whatever way the script ends.
#
# The emulator is looked up, in order:
#   1. XRAY_EMULATOR, when set;
#   2. relative to this file: ansible-test copies it into its work directory next to the
#      targets (needs/file alias of setup_xray_emulator), and a checkout has it there too;
#   3. in the collection under each ANSIBLE_COLLECTIONS_PATH entry.
# It runs with XRAY_EMULATOR_PYTHON, else ANSIBLE_TEST_PYTHON_INTERPRETER (set by
# ansible-test), else python3; it needs only the standard library.

xray_emulator_pid=""
xray_emulator_dir=""
xray_emulator_setup_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

find_xray_emulator() {
    local candidate entry
    if [ -n "${XRAY_EMULATOR:-}" ]; then
        echo "${XRAY_EMULATOR}"
        return 0
    fi
    candidate="${xray_emulator_setup_dir}/../../../emulator/xray_emulator.py"
    if [ -f "${candidate}" ]; then
        echo "${candidate}"
        return 0
    fi
    local IFS=:
    for entry in ${ANSIBLE_COLLECTIONS_PATH:-}; do
        for candidate in "${entry}/ansible_collections/frogops/xray/tests/emulator/xray_emulator.py" \
                         "${entry}/frogops/xray/tests/emulator/xray_emulator.py"; do
            if [ -f "${candidate}" ]; then
                echo "${candidate}"
                return 0
            fi
        done
    done
    echo "setup_xray_emulator: tests/emulator/xray_emulator.py not found (set XRAY_EMULATOR)" >&2
    return 1
}

stop_xray_emulator() {
    if [ -n "${xray_emulator_pid}" ] && kill -0 "${xray_emulator_pid}" 2>/dev/null; then
        kill -TERM "${xray_emulator_pid}" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "${xray_emulator_pid}" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "${xray_emulator_pid}" 2>/dev/null || true
        wait "${xray_emulator_pid}" 2>/dev/null || true
    fi
    xray_emulator_pid=""
    if [ -n "${xray_emulator_dir}" ]; then
        rm -rf "${xray_emulator_dir}"
        xray_emulator_dir=""
    fi
}

start_xray_emulator() {
    local emulator python url_file
    emulator="$(find_xray_emulator)" || return 1
    python="${XRAY_EMULATOR_PYTHON:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}}"
    xray_emulator_dir="$(mktemp -d "${TMPDIR:-/tmp}/xray-emulator.XXXXXX")"
    url_file="${xray_emulator_dir}/url"
    trap stop_xray_emulator EXIT

    # XRAY_EMULATOR_VERBOSE=1: every request, control API included, is logged to its stderr.
    "${python}" "${emulator}" --host 127.0.0.1 --port 0 --url-file "${url_file}" ${XRAY_EMULATOR_VERBOSE:+--verbose} \
        >"${xray_emulator_dir}/stdout" 2>"${xray_emulator_dir}/stderr" &
    xray_emulator_pid=$!

    for _ in $(seq 300); do
        [ -s "${url_file}" ] && break
        if ! kill -0 "${xray_emulator_pid}" 2>/dev/null; then
            echo "setup_xray_emulator: the emulator exited before it was ready:" >&2
            cat "${xray_emulator_dir}/stderr" >&2
            return 1
        fi
        sleep 0.1
    done
    if [ ! -s "${url_file}" ]; then
        echo "setup_xray_emulator: the emulator did not start within 30 seconds:" >&2
        cat "${xray_emulator_dir}/stderr" >&2
        return 1
    fi
    XRAY_URL="$(head -n 1 "${url_file}")"
    export XRAY_URL
    echo "setup_xray_emulator: ${emulator} (pid ${xray_emulator_pid}, ${python}) serves ${XRAY_URL}"
}

# The integration_config.yml that ansible-test copies next to the targets (from
# tests/integration/integration_config.yml, when that exists); a run by hand finds the
# checkout's own there too. ansible-test passes it to role targets only, so a runme.sh loads it.
xray_integration_config="${xray_emulator_setup_dir}/../../integration_config.yml"

# Prints the xray_url of integration_config.yml; nothing when the file or the value is missing.
# Reads the YAML with ansible-test's Python (it has PyYAML), else the Python of ansible-playbook.
xray_config_url() {
    local python shebang
    [ -f "${xray_integration_config}" ] || return 0
    python="${ANSIBLE_TEST_PYTHON_INTERPRETER:-}"
    if [ -z "${python}" ]; then
        shebang="$(head -n 1 "$(command -v ansible-playbook)")"
        python="${shebang#\#!}"
        [ -x "${python}" ] || python=python3
    fi
    "${python}" -c '
import sys
import yaml
with open(sys.argv[1]) as config:
    data = yaml.safe_load(config) or {}
url = data.get("xray_url") if isinstance(data, dict) else None
print(url.strip() if isinstance(url, str) else "")
' "${xray_integration_config}"
}

# A target's whole run, from its own directory, with the arguments ansible-test passed (-v...).
# Two modes (tests/integration/README.md):
# - integration_config.yml names xray_url: no emulator; playbook.yml runs against that Xray with
#   the file's variables and xray_real=true, and uses only the collection's modules.
# - otherwise (the default): the emulator, and playbook.yml against it with xray_real=false; the
#   emulator's URL comes last, so it wins over any xray_url given by hand.
# ANSIBLE_ROLES_PATH lets the playbook use the setup_xray_emulator role.
run_target_playbook() {
    local real_url
    ANSIBLE_ROLES_PATH="$(cd "${xray_emulator_setup_dir}/.." && pwd)"
    export ANSIBLE_ROLES_PATH
    real_url="$(xray_config_url)"
    if [ -n "${real_url}" ]; then
        echo "setup_xray_emulator: integration_config.yml names xray_url ${real_url}: real-Xray mode, no emulator"
        ansible-playbook -i "${xray_emulator_setup_dir}/inventory.ini" playbook.yml "$@" \
            -e "@${xray_integration_config}" -e '{"xray_real": true}'
    else
        start_xray_emulator
        ansible-playbook -i "${xray_emulator_setup_dir}/inventory.ini" playbook.yml "$@" \
            -e "xray_url=${XRAY_URL}" -e '{"xray_real": false}'
    fi
}
