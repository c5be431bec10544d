#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Print the Python interpreter `make demo` makes .venv-demo with: $PYTHON when set, else python3,
# when it is one of the versions given and can make a venv (venv + ensurepip); otherwise, saying
# why on stderr, the first of those versions that tests/utils/find-python.sh finds.
# When none is usable it fails with one line on stderr naming the problem.
#
# Usage: tests/utils/demo-python.sh X.Y [X.Y...]   (the supported versions, preferred first)
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 X.Y [X.Y...]" >&2
    exit 2
fi

utils="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wanted="$1"
[ "$#" -gt 1 ] && wanted="$(printf '%s\n' "$@" | sort -V | head -n 1) to $(printf '%s\n' "$@" | sort -V | tail -n 1)"

candidate="${PYTHON:-python3}"
if version="$("${candidate}" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"; then
    supported=false
    for v in "$@"; do
        [ "${version}" = "${v}" ] && supported=true
    done
    if ! "${supported}"; then
        problem="${candidate} is Python ${version}"
    elif ! "${candidate}" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        problem="${candidate} (Python ${version}) cannot make a venv: no ensurepip (on Debian/Ubuntu: apt install python${version}-venv)"
    else
        # the real interpreter, not a pyenv shim or a PATH lookup
        "${candidate}" -c 'import sys; print(sys.executable)'
        exit 0
    fi
else
    problem="${candidate} does not run"
fi

if found="$("${utils}/find-python.sh" "$@" 2>/dev/null)"; then
    echo "== ${problem}; make demo runs on Python ${wanted}: using ${found}" >&2
    echo "${found}"
    exit 0
fi
echo "make demo: needs Python ${wanted} (a controller Python of a supported ansible-core); ${problem}, and no other was found on PATH, under pyenv or in /usr/local/bin, /usr/bin: install one, or give it as make demo PYTHON=/path/to/python3.X" >&2
exit 1
