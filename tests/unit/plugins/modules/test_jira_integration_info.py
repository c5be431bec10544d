# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jira_integration_info in-process against the emulator."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.frogops.xray.plugins.modules import jira_integration, jira_integration_info

STORED = dict(connection_name="jira-1", auth_type="basic", username="bot@acme.example", password="pw-never-shown",
              installation_type="server", jira_server_url="https://jira.acme.example", skip_proxy=True)
STATUS_PATH = "/xray/api/v1/ticketing/integrations/status/check?integrationName=jira-1"


@pytest.fixture
def info(run_module, xray):
    def run_info(**options):
        args = dict(url=xray.url, access_token="emulator-admin-token", connection_name="jira-1")
        args.update(options)
        return run_module(jira_integration_info, args)
    return run_info


def test_existing_integration_is_returned_without_password(info, xray):
    xray.seed(STORED)
    result = info()
    assert result["exists"] is True and result["changed"] is False
    assert result["integration"] == {k: v for k, v in STORED.items() if k != "password"}
    assert "pw-never-shown" not in str(result)
    assert len(xray.requests) == 1 and "status" not in result


def test_missing_integration_is_not_a_failure(info, xray):
    result = info()
    assert not result.failed
    assert result["exists"] is False and result["integration"] == {}


@pytest.mark.parametrize("health", ["HEALTHY_INTEGRATION", "FAULTY_CONFIGURATION"])
def test_include_status(info, xray, health):
    xray.seed(STORED)
    xray.set_health("jira-1", health)
    result = info(include_status=True)
    assert result["status"]["status"] == health
    assert set(result["status"]) == {"status", "reason", "time"}
    assert xray.requests[-1]["path"] == STATUS_PATH


@pytest.mark.parametrize("version,message", [
    ("3.135.0", "Xray 3.135.0 does not provide the integration status API: it needs Xray 3.136 or later"),
    ("3.128.0", "Xray 3.128.0 does not provide the Jira integration API: it needs Xray 3.129 or later"),
])
def test_version_verdicts(info, xray, version, message):
    xray.seed(STORED)
    xray.set_config(xray_version=version)
    result = info(include_status=True)
    assert result.failed and message in result["msg"]
    assert all(r["method"] == "GET" for r in xray.requests)


def test_round_trip_into_jira_integration_is_unchanged(info, run_module, xray):
    xray.seed(dict(STORED, auth_type="oauth2"))
    found = info()["integration"]
    xray.clear_requests()
    args = dict(found, url=xray.url, access_token="emulator-admin-token")
    result = run_module(jira_integration, args)
    assert result["changed"] is False and not result.failed
    assert [r["method"] for r in xray.requests] == ["GET"]
