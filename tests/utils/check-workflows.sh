#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Check the GitHub Actions workflows in .github/workflows/ (`make workflows`):
#
# 1. actionlint on every workflow, with shellcheck on their `run:` scripts (and pyflakes on
#    `shell: python` ones when it is installed). shellcheck is required: actionlint would
#    otherwise skip those checks without a word.
# 2. tests/utils/check-ci-matrix.py: ansible-test.yml runs the ansible-core jobs that
#    `make -s print-matrix` lists (sanity, units, integration; e2e where integration runs).
#
# Usage: tests/utils/check-workflows.sh [BIN_DIR]
#   BIN_DIR   directory with actionlint, shellcheck and a python3 with PyYAML, e.g. .venv/bin
#             (searched first); without it, or for what it lacks, PATH is used.
set -euo pipefail

if [ "$#" -gt 1 ]; then
    echo "usage: $0 [BIN_DIR]" >&2
    exit 2
fi
if [ "$#" -eq 1 ]; then
    if [ ! -d "$1" ]; then
        echo "check-workflows: $1 is not a directory" >&2
        exit 2
    fi
    PATH="$(cd "$1" && pwd):${PATH}"
    export PATH
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo_root}"

for tool in actionlint shellcheck python3; do
    if ! command -v "${tool}" >/dev/null 2>&1; then
        echo "check-workflows: ${tool} not found${1:+ in $1 or} on PATH (tests/requirements/dev.txt installs it)" >&2
        exit 1
    fi
done

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
if [ "${#workflows[@]}" -eq 0 ]; then
    echo "check-workflows: no workflow in .github/workflows/" >&2
    exit 1
fi

pyflakes="$(command -v pyflakes || true)"
echo "check-workflows: $(actionlint -version | head -n 1), $(shellcheck --version | sed -n 's/^version: /shellcheck /p')${pyflakes:+, pyflakes}"
echo "+ actionlint ${workflows[*]}"
actionlint -no-color -shellcheck "$(command -v shellcheck)" -pyflakes "${pyflakes}" "${workflows[@]}"
echo "check-workflows: actionlint found no problem in ${#workflows[@]} workflows"

echo "+ tests/utils/check-ci-matrix.py"
python3 tests/utils/check-ci-matrix.py
