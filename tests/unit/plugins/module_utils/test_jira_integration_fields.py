# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalise / compare / payload logic of the Jira integration, without HTTP."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.frogops.xray.plugins.module_utils import _jira_integration as jira
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayError

CURRENT = {
    "connection_name": "jira-1", "auth_type": "basic", "username": "bot@acme.example",
    "installation_type": "cloud", "jira_server_url": "https://acme.atlassian.net", "skip_proxy": False,
}


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
    assert jira.changed_fields({"jira_server_url": current}, {"jira_server_url": desired}) == {}


def test_url_path_case_still_counts():
    changes = jira.changed_fields({"jira_server_url": "https://jira.acme.example/Jira"},
                                  {"jira_server_url": "https://jira.acme.example/jira"})
    assert changes == {"jira_server_url": "https://jira.acme.example/jira"}


def test_enum_case_is_ignored():
    current = dict(CURRENT, installation_type="CLOUD")
    assert jira.changed_fields(current, {"installation_type": "cloud"}) == {}


def test_only_set_options_are_compared():
    desired = jira.desired_fields(params(connection_name="jira-1", username="other@acme.example"))
    assert desired == {"connection_name": "jira-1", "username": "other@acme.example"}
    assert jira.changed_fields(CURRENT, desired) == {"username": "other@acme.example"}


def test_skip_proxy_false_is_a_set_option():
    desired = jira.desired_fields(params(connection_name="jira-1", skip_proxy=False))
    assert jira.changed_fields(dict(CURRENT, skip_proxy=True), desired) == {"skip_proxy": False}


def test_password_is_never_compared():
    desired = jira.desired_fields(params(connection_name="jira-1", password="s3cret"))
    assert "password" not in desired


def test_details_with_integration_name_and_no_skip_proxy():
    body = {"integrationName": "jira-1", "auth_type": "Basic", "username": "u", "installation_type": "server",
            "jira_server_url": "https://jira.acme.example"}
    integration = jira.integration_from_details(body, "https://x/details")
    assert integration == {"connection_name": "jira-1", "auth_type": "basic", "username": "u",
                           "installation_type": "server", "jira_server_url": "https://jira.acme.example",
                           "skip_proxy": False}


def test_details_never_carry_a_password():
    body = dict(CURRENT, password="leaked")
    assert "password" not in jira.integration_from_details(body, "u")


@pytest.mark.parametrize("body", [[], "text", {"username": 5}, {"skip_proxy": "yes"}, {"connection_name": ["a"]}])
def test_details_of_the_wrong_shape_fail_cleanly(body):
    with pytest.raises(XrayError) as caught:
        jira.integration_from_details(body, "https://x/details")
    assert "Unexpected answer from Xray for GET https://x/details" in caught.value.message


def test_create_payload_defaults_auth_type_and_skip_proxy():
    payload = jira.create_payload(params(connection_name="n", username="u", password="p",
                                         installation_type="cloud", jira_server_url="https://j"))
    assert payload == {"connection_name": "n", "auth_type": "basic", "username": "u", "password": "p",
                       "installation_type": "cloud", "jira_server_url": "https://j", "skip_proxy": False}


def test_missing_for_create_names_each_missing_option():
    assert jira.missing_for_create(params(connection_name="n", username="u")) == [
        "password", "installation_type", "jira_server_url"]


def test_without_password_uses_a_placeholder():
    shown = jira.without_password(dict(CURRENT, password="s3cret"), True)
    assert shown["password"] == jira.PASSWORD_PLACEHOLDER
    assert "s3cret" not in repr(shown)
    assert "password" not in jira.without_password(dict(CURRENT, password="s3cret"), False)


@pytest.mark.parametrize("value,expected", [
    ("https://jira.acme.example", True), ("http://10.0.0.1:8080/jira", True),
    ("ftp://jira", False), ("jira.acme.example", False), ("https://", False), ("", False),
])
def test_is_http_url(value, expected):
    assert jira.is_http_url(value) is expected


def test_null_skip_proxy_and_null_connection_name_beside_integration_name():
    body = {"connection_name": None, "integrationName": "jira-1", "skip_proxy": None, "username": "u"}
    integration = jira.integration_from_details(body, "u")
    assert integration["connection_name"] == "jira-1" and integration["skip_proxy"] is False


def test_unparsable_urls_compare_as_text():
    assert jira.changed_fields({"jira_server_url": "http://[x"}, {"jira_server_url": "http://[x"}) == {}
    assert jira.is_http_url("http://[x") is False
