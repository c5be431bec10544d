#!/usr/bin/env bash
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Run ansible-test from a virtual environment on a fresh copy of this collection.
#
# Usage: tests/utils/run-ansible-test.sh VENV_DIR STAGE_DIR ANSIBLE_TEST_ARGS...
#   e.g. tests/utils/run-ansible-test.sh .venv-2.16 build/2.16-sanity sanity --venv --python 3.10
#
# - writes the offline pip bootstrap stand-in ansible-test needs (ensure-get-pip.sh);
# - copies the checkout to STAGE_DIR/ansible_collections/frogops/xray (stage-collection.sh);
# - runs ansible-test there with VENV_DIR/bin first on PATH.
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 VENV_DIR STAGE_DIR ANSIBLE_TEST_ARGS..." >&2
    exit 2
fi

utils="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(cd "$1" && pwd)"
stage="$2"
shift 2

"${utils}/ensure-get-pip.sh" "${venv}"
collection="$("${utils}/stage-collection.sh" "${stage}")"
# A real Xray for the integration targets (CONTRIBUTING.md): the config is git-ignored, so the
# staged copy lacks it. It is copied for integration runs only, never into what is built or shipped.
config=tests/integration/integration_config.yml
if [ "$1" = integration ] && [ -f "${utils}/../../${config}" ]; then
    echo "run-ansible-test: ${config} found: the integration targets run against the Xray it names"
    cp "${utils}/../../${config}" "${collection}/${config}"
    # One run id for both targets, so that leftovers of an interrupted run share it (CONTRIBUTING.md).
    if ! grep -q '^xray_run_id:' "${collection}/${config}"; then
        run_id="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
        printf '\nxray_run_id: "%s"\n' "${run_id}" >>"${collection}/${config}"
        echo "run-ansible-test: run id ${run_id} (set xray_run_id: \"${run_id}\" to clean up after this run if it is interrupted)"
    fi
fi

cd "${collection}"
export PATH="${venv}/bin:${PATH}"
echo "run-ansible-test: ansible-core $("${venv}/bin/python" -c 'from ansible.release import __version__; print(__version__)') in ${collection}"
echo "+ ansible-test $*"
exec ansible-test "$@"
