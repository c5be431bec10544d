# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Normalise / compare / payload logic of the Jira integration, without HTTP."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.frogops.xray.plugins.module_utils import _jira_integration as jira
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayError
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import (
    ScriptedTransport,
    answer,
    make_client,
)

CURRENT = {
    "connection_name": "jira-1", "auth_type": "basic", "username": "bot@acme.example",
    "installation_type": "cloud", "jira_server_url": "https://acme.atlassian.net", "skip_proxy": False,
}


def changed_fields(current, desired):
    changes, unknown = jira.compare(current, desired)
    assert unknown == []
    return changes


def details(body, name="jira-1", status=200):
    """What read_integration makes of one details answer."""
    return jira.read_integration(make_client(ScriptedTransport([answer(status, body)])), name)


def params(**overrides):
    base = dict.fromkeys(jira.FIELDS)
    base.update(password=None, update_password="on_create")
    base.update(overrides)
    return base


@pytest.mark.parametrize("desired,current", [
    ("https://ACME.atlassian.net/", "https://acme.atlassian.net"),
    ("HTTPS://acme.atlassian.net", "https://acme.atlassian.net/"),
    ("https://jira.acme.example/jira//", "https://jira.acme.example/jira"),
])
def test_urls_equal_after_normalising(desired, current):
    assert changed_fields({"jira_server_url": current}, {"jira_server_url": desired}) == {}


def test_url_path_case_still_counts():
    changes = changed_fields({"jira_server_url": "https://jira.acme.example/Jira"},
                             {"jira_server_url": "https://jira.acme.example/jira"})
    assert changes == {"jira_server_url": "https://jira.acme.example/jira"}


def test_enum_case_is_ignored():
    current = dict(CURRENT, installation_type="CLOUD")
    assert changed_fields(current, {"installation_type": "cloud"}) == {}


def test_only_set_options_are_compared():
    desired = jira.desired_fields(params(connection_name="jira-1", username="other@acme.example"))
    assert desired == {"username": "other@acme.example"}
    assert changed_fields(CURRENT, desired) == {"username": "other@acme.example"}


def test_skip_proxy_false_is_a_set_option():
    desired = jira.desired_fields(params(connection_name="jira-1", skip_proxy=False))
    assert changed_fields(dict(CURRENT, skip_proxy=True), desired) == {"skip_proxy": False}


def test_password_is_never_compared():
    desired = jira.desired_fields(params(connection_name="jira-1", password="s3cret"))
    assert "password" not in desired


def test_details_with_integration_name_and_no_skip_proxy():
    body = {"integrationName": "jira-1", "auth_type": "Basic", "username": "u", "installation_type": "server",
            "jira_server_url": "https://jira.acme.example"}
    integration = details(body)
    assert integration == {"connection_name": "jira-1", "auth_type": "basic", "username": "u",
                           "installation_type": "server", "jira_server_url": "https://jira.acme.example",
                           "skip_proxy": False}


def test_details_never_carry_a_password():
    body = dict(CURRENT, password="leaked")
    assert "password" not in details(body)


@pytest.mark.parametrize("body", [[], "text", dict(CURRENT, username=5), dict(CURRENT, skip_proxy="yes"),
                                  {"connection_name": ["a"]}, dict(CURRENT, connection_name="jira-2")])
def test_details_of_the_wrong_shape_fail_cleanly(body):
    with pytest.raises(XrayError) as caught:
        details(body)
    assert "answer to GET https://xray.test/xray/api/v1/ticketing/jira-integrations/jira-1/details" in \
        caught.value.message.replace("Xray for GET", "answer to GET")


def test_the_name_is_reported_as_xray_spells_it_and_is_never_a_change():
    integration = details(dict(CURRENT, connection_name="Jira-1"))
    assert integration["connection_name"] == "Jira-1"
    assert changed_fields(integration, jira.desired_fields(params(connection_name="jira-1", username="bot@acme.example"))) == {}


@pytest.mark.parametrize("missing", ["auth_type", "username", "installation_type", "jira_server_url"])
def test_a_field_xray_leaves_out_or_nulls_is_unknown_not_none(missing):
    for body in (dict((k, v) for k, v in CURRENT.items() if k != missing), dict(CURRENT, **{missing: None})):
        integration = details(body)
        assert missing not in integration
        assert jira.compare(integration, {missing: "basic"}) == ({}, [missing])


def test_create_payload_defaults_auth_type_and_skip_proxy():
    payload = jira.create_payload(params(connection_name="n", username="u", password="p",
                                         installation_type="cloud", jira_server_url="https://j"))
    assert payload == {"connection_name": "n", "auth_type": "basic", "username": "u", "password": "p",
                       "installation_type": "cloud", "jira_server_url": "https://j", "skip_proxy": False}


def test_missing_for_create_names_each_missing_option():
    assert jira.missing_for_create(params(connection_name="n", username="u")) == [
        "password", "installation_type", "jira_server_url"]


def test_public_fields_never_hold_the_password_and_the_placeholder_says_it_is_sent():
    shown = jira.fields_with_password_placeholder(dict(CURRENT, password="s3cret"))
    assert shown["password"] == jira.PASSWORD_PLACEHOLDER
    assert "s3cret" not in repr(shown)
    assert "password" not in jira.public_fields(dict(CURRENT, password="s3cret"))


@pytest.mark.parametrize("value,expected", [
    ("https://jira.acme.example", True), ("http://10.0.0.1:8080/jira", True),
    ("ftp://jira", False), ("jira.acme.example", False), ("https://", False), ("", False),
    ("https://jira.acme.example:notaport", False),
])
def test_is_http_url(value, expected):
    assert jira.is_http_url(value) is expected


def test_null_skip_proxy_and_null_connection_name_beside_integration_name():
    body = {"connection_name": None, "integrationName": "jira-1", "skip_proxy": None, "username": "u"}
    integration = details(body)
    assert integration["connection_name"] == "jira-1" and integration["skip_proxy"] is False


def test_unparsable_urls_compare_as_text():
    assert changed_fields({"jira_server_url": "http://[x"}, {"jira_server_url": "http://[x"}) == {}
    assert jira.is_http_url("http://[x") is False
