#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Print the path of a working Python interpreter of the first available version.
#
# Usage: tests/utils/find-python.sh 3.13 3.12   -> e.g. /root/.pyenv/versions/3.13.0/bin/python3.13
#
# For each version, in order, tries: pythonX.Y on PATH (a pyenv shim on PATH may exist
# and still refuse to run, so each candidate is run, not just looked up), then pyenv's
# versions directory, then the usual system locations.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 X.Y [X.Y...]" >&2
    exit 2
fi

works() {
    # $1: interpreter, $2: wanted X.Y
    [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || return 1
    [ "$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$2" ] || return 1
    "$1" -c 'import venv, ensurepip' >/dev/null 2>&1
}

pyenv_root="${PYENV_ROOT:-}"
if [ -z "${pyenv_root}" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root="$(pyenv root 2>/dev/null || true)"
fi
pyenv_root="${pyenv_root:-${HOME}/.pyenv}"

for version in "$@"; do
    candidates=("python${version}")
    # pyenv installs, newest patch release first
    while IFS= read -r dir; do
        candidates+=("${dir}/bin/python${version}")
    done < <(
        for dir in "${pyenv_root}/versions/${version}" "${pyenv_root}/versions/${version}".*; do
            [ -d "${dir}" ] && printf '%s\n' "${dir}"
        done | sort -V -r
    )
    candidates+=("/usr/local/bin/python${version}" "/usr/bin/python${version}")
    for candidate in "${candidates[@]}"; do
        if works "${candidate}" "${version}"; then
            if [ -x "${candidate}" ]; then
                echo "${candidate}"
            else
                # resolve a PATH lookup to the real interpreter, not a shim
                "${candidate}" -c 'import sys; print(sys.executable)'
            fi
            exit 0
        fi
    done
done

echo "find-python: no working Python $* found (tried PATH, ${pyenv_root}/versions, /usr/local/bin, /usr/bin)" >&2
exit 1
