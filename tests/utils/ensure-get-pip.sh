#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Make ansible-test work without access to its pip bootstrap host.
#
# ansible-test bootstraps pip in every virtual environment it creates by running
# ~/.ansible/test/cache/get_pip_<version>.py, which it otherwise downloads from a
# host that CI cannot reach. For each ansible-core install given (as a virtual
# environment directory), this writes a stand-in script for every pip version that
# release may ask for. The stand-in installs pip from the interpreter's bundled
# wheel (ensurepip) and then lets that pip install what get-pip was asked for
# (from PyPI, which is reachable). An existing cache file is left alone.
#
# Usage: tests/utils/ensure-get-pip.sh VENV_DIR [VENV_DIR...]
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 VENV_DIR [VENV_DIR...]" >&2
    exit 2
fi

cache_dir="${HOME}/.ansible/test/cache"
mkdir -p "${cache_dir}"

for venv in "$@"; do
    python="${venv}/bin/python"
    if [ ! -x "${python}" ]; then
        echo "ensure-get-pip: ${python} not found" >&2
        exit 1
    fi
    ansible_test_dir="$("${python}" -c 'import os, ansible_test; print(os.path.dirname(ansible_test.__file__))')"
    reqs_py="${ansible_test_dir}/_internal/python_requirements.py"
    # Every pip version pinned for the venvs ansible-test builds: the default and
    # the per-Python overrides (e.g. pip='23.1.2' or pip='25.2').
    versions="$(grep -oE "pip='[0-9][0-9.]*'" "${reqs_py}" | grep -oE "[0-9][0-9.]*" | sort -u)"
    if [ -z "${versions}" ]; then
        echo "ensure-get-pip: no pip version found in ${reqs_py}" >&2
        exit 1
    fi
    for version in ${versions}; do
        target="${cache_dir}/get_pip_${version//./_}.py"
        if [ -e "${target}" ]; then
            continue
        fi
        cat > "${target}.tmp" <<'PY'
"""Offline stand-in for get-pip.py, written by frogops.xray tests/utils/ensure-get-pip.sh."""
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
PY
        mv "${target}.tmp" "${target}"
        echo "ensure-get-pip: wrote stand-in ${target}"
    done
done
