#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The virtual environment of `make demo`: only what REQUIREMENTS lists (ansible-core and requests),
# on the Python tests/utils/demo-python.sh chooses among VERSIONS. It is made again only when that
# Python or the requirements file changed (both are recorded in VENV/.stamp); each step says
# what it does, and pip shows its progress.
#
# Usage: tests/utils/demo-venv.sh VENV REQUIREMENTS X.Y [X.Y...]   (PYTHON: the interpreter to prefer)
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 VENV REQUIREMENTS X.Y [X.Y...]" >&2
    exit 2
fi
venv="$1"
requirements="$2"
shift 2
utils="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

python="$("${utils}/demo-python.sh" "$@")"
want="python=${python}
requirements=$(cksum <"${requirements}")"

if [ -x "${venv}/bin/python" ] && [ -f "${venv}/.stamp" ] && [ "$(cat "${venv}/.stamp")" = "${want}" ]; then
    echo "== reusing ${venv} ($("${venv}/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
        | awk '$1 == "ansible-core" || $1 == "requests" {printf "%s%s %s", sep, $1, $2; sep=", "}'), ${python})"
    exit 0
fi

rm -rf "${venv}"
echo "== creating ${venv} with ${python} (Python $("${python}" -c 'import platform; print(platform.python_version())'))"
"${python}" -m venv "${venv}"
echo "== installing $(grep -v -E '^[[:space:]]*(#|$)' "${requirements}" | tr '\n' ' ')and their dependencies only, from PyPI (${requirements})"
"${venv}/bin/python" -m pip install --disable-pip-version-check -r "${requirements}"
printf '%s\n' "${want}" >"${venv}/.stamp"
