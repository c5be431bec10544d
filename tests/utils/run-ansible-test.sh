#!/usr/bin/env bash
# Run ansible-test from a virtual environment on a fresh copy of this collection.
#
# Usage: tests/utils/run-ansible-test.sh VENV_DIR STAGE_DIR ANSIBLE_TEST_ARGS...
#   e.g. tests/utils/run-ansible-test.sh .venv-oldest build/oldest sanity --venv --python 3.11
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

cd "${collection}"
export PATH="${venv}/bin:${PATH}"
echo "run-ansible-test: ansible-core $("${venv}/bin/python" -c 'from ansible.release import __version__; print(__version__)') in ${collection}"
echo "+ ansible-test $*"
exec ansible-test "$@"
