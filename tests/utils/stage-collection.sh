#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Copy the checkout into DEST/ansible_collections/frogops/xray, the layout ansible-test
# requires, and print that path.
#
# The copy holds what git would ship: tracked files plus untracked files that are not
# ignored (so work in progress is tested too), minus files deleted in the work tree.
# It is made its own git repository (nothing committed): ansible-test looks for the
# nearest .git above the collection to list its files, and would otherwise find this
# checkout's repository, where build/ is ignored, and see no files at all.
#
# Usage: tests/utils/stage-collection.sh DEST   (e.g. build/2.16-sanity)
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$1"
dest="$(cd "$1" && pwd)/ansible_collections/frogops/xray"

rm -rf "${dest}"
mkdir -p "${dest}"

cd "${repo_root}"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # -z everywhere: file names are passed through untouched.
    git ls-files -z --cached --others --exclude-standard --deduplicate \
        | while IFS= read -r -d '' path; do
            # tracked but deleted in the work tree
            if [ -e "${path}" ] || [ -L "${path}" ]; then
                printf '%s\0' "${path}"
            fi
        done \
        | tar --null --no-recursion -T - -cf - \
        | tar -xf - -C "${dest}"
else
    # Not a git checkout (e.g. an unpacked archive): copy everything but local state.
    tar --exclude='./.git' --exclude='./.venv*' --exclude='./build' --exclude='./tests/output' \
        --exclude='*.tar.gz' --exclude='__pycache__' --exclude='.pytest_cache' --exclude='.nox' \
        --exclude='.hypothesis' --exclude='tests/integration/integration_config.yml' \
        -cf - . | tar -xf - -C "${dest}"
fi

git -C "${dest}" init -q
echo "${dest}"
