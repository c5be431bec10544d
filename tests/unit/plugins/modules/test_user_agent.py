# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The User-Agent of the modules' requests: no collection version in code (galaxy.yml alone holds it),
but what support asks first, the ansible-core and Python versions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.frogops.xray.plugins.module_utils import _connection
from ansible_collections.frogops.xray.plugins.modules import jira_integration_info

EXPECTED = "frogops.xray ansible-core/%s python/%d.%d" % (ANSIBLE_VERSION, sys.version_info[0], sys.version_info[1])


def test_user_agent_names_ansible_core_and_python():
    assert _connection.user_agent() == EXPECTED


def test_no_collection_version_in_code():
    assert not hasattr(_connection, "COLLECTION_VERSION")


def test_every_request_carries_it(run_module, xray):
    result = run_module(jira_integration_info, dict(url=xray.url, access_token="emulator-admin-token",
                                                    connection_name="jira-1"))
    assert not result.failed, result
    assert xray.requests
    assert all(entry["headers"].get("User-Agent") == EXPECTED for entry in xray.requests)
