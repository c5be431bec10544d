#!/usr/bin/env bash
# Run a command while the Xray emulator (tests/emulator/xray_emulator.py) serves on a
# free loopback port. The command gets the emulator's URL in XRAY_URL; the emulator is
# stopped when the command ends, fails or is interrupted.
#
# Usage: tests/utils/with-emulator.sh PYTHON COMMAND [ARGS...]
#   PYTHON runs the emulator (it needs only the standard library).
#   EMULATOR_ARGS (optional, space-separated) is passed on to the emulator.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 PYTHON COMMAND [ARGS...]" >&2
    exit 2
fi

python="$1"
shift
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
emulator="${repo_root}/tests/emulator/xray_emulator.py"
if [ ! -f "${emulator}" ]; then
    echo "with-emulator: ${emulator} not found" >&2
    exit 1
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/xray-emulator.XXXXXX")"
url_file="${workdir}/url"
emulator_pid=""

stop_emulator() {
    if [ -n "${emulator_pid}" ] && kill -0 "${emulator_pid}" 2>/dev/null; then
        kill -TERM "${emulator_pid}" 2>/dev/null || true
        # give it a moment to shut down cleanly, then make sure
        for _ in $(seq 50); do
            kill -0 "${emulator_pid}" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "${emulator_pid}" 2>/dev/null || true
        wait "${emulator_pid}" 2>/dev/null || true
    fi
    rm -rf "${workdir}"
}
trap stop_emulator EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck disable=SC2086  # EMULATOR_ARGS is a word list on purpose
"${python}" "${emulator}" --port 0 --url-file "${url_file}" ${EMULATOR_ARGS:-} \
    >"${workdir}/stdout" 2>"${workdir}/stderr" &
emulator_pid=$!

for _ in $(seq 300); do
    [ -s "${url_file}" ] && break
    if ! kill -0 "${emulator_pid}" 2>/dev/null; then
        echo "with-emulator: the emulator exited before it was ready:" >&2
        cat "${workdir}/stderr" >&2
        exit 1
    fi
    sleep 0.1
done
if [ ! -s "${url_file}" ]; then
    echo "with-emulator: the emulator did not write ${url_file} within 30 s" >&2
    cat "${workdir}/stderr" >&2
    exit 1
fi

XRAY_URL="$(head -n 1 "${url_file}")"
export XRAY_URL
echo "with-emulator: Xray emulator (pid ${emulator_pid}) at ${XRAY_URL}"

set +e
"$@"
rc=$?
set -e
if [ "${rc}" -ne 0 ] && [ -s "${workdir}/stderr" ]; then
    echo "with-emulator: emulator stderr (last 50 lines):" >&2
    tail -n 50 "${workdir}/stderr" >&2
fi
stop_emulator
exit "${rc}"
