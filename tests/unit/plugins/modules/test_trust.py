# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules' rules of trust (issue 16), proven in-process through the scripted transport, no sockets:

- the health counts only for the integration asked about, asked under Xray's spelling of the name;
- a documented status is understood whatever HTTP status (200, 404, 500) carries it;
- password_sent tells whether the password left this machine, as the transport saw it;
- the basic-auth pair Xray sends to Jira (username:password in base64) is masked like the password;
- a credential set but blank, and credentials inside jira_server_url, fail before any request;
- a write that a health check follows fails before the write on an Xray without the status API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.frogops.xray.plugins.module_utils._http_transport import CONNECT, DROPPED, PROXY, TIMEOUT, TLS
from ansible_collections.frogops.xray.plugins.modules import jira_integration, jira_integration_info
from ansible_collections.frogops.xray.tests.unit.plugins.module_runner import run_module, warnings_of
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import answer, failure

PASSWORD = "jira-Api-Token-0815"
USER = "xray-bot@acme.example"
API = "/xray/api/v1"
DETAILS = API + "/ticketing/jira-integrations/jira-cloud/details"
XRAY_DETAILS = API + "/ticketing/jira-integrations/Jira-Cloud/details"
ITEM = API + "/ticketing/jira-integrations/jira-cloud"
COLLECTION = API + "/ticketing/jira-integrations"
STATUS = API + "/ticketing/integrations/status/check?integrationName=jira-cloud"
XRAY_STATUS = API + "/ticketing/integrations/status/check?integrationName=Jira-Cloud"
VERSION = API + "/system/version"
STORED = dict(connection_name="jira-cloud", auth_type="basic", username=USER, installation_type="cloud",
              jira_server_url="https://acme.atlassian.net", skip_proxy=False)
CREATE = dict(connection_name="jira-cloud", username=USER, password=PASSWORD, installation_type="cloud",
              jira_server_url="https://acme.atlassian.net")
NOT_FOUND = answer(404, {"error": "Integration not found"})
PLAIN_404 = answer(404, "404 page not found", content_type="text/plain")
OLD_XRAY = answer(200, {"xray_version": "3.130.0", "xray_revision": "r"})


def create(**changes):
    """The options of a create, with changes."""
    options = dict(CREATE)
    options.update(changes)
    return options


def health(status="HEALTHY_INTEGRATION", name="jira-cloud", http=200, reason="Xray says so."):
    body = {"status": status, "reason": reason, "time": "2026-12-02T10:00:00Z"}
    if name is not None:
        body["integration_name"] = name
    return answer(http, body)


def run(module, script, **options):
    """(result, transport): main() of module with the task's options, answered by script."""
    return run_module(module, script, secrets=(PASSWORD,), **options)


def calls(transport):
    return list(transport.calls)


def warnings(result):
    return warnings_of(result)


# -- the health counts only for the integration asked about ------------------------------------------------

def test_info_asks_the_health_under_xrays_spelling():
    result, transport = run(jira_integration_info, [answer(200, dict(STORED, connection_name="Jira-Cloud")),
                                                    health(name="Jira-Cloud")], connection_name="jira-cloud",
                            include_status=True)
    assert not result.get("failed") and result["status"]["status"] == "HEALTHY_INTEGRATION"
    assert calls(transport) == [("GET", DETAILS), ("GET", XRAY_STATUS)]


@pytest.mark.parametrize("name,problem", [("other", "naming another integration ('other')"),
                                          (None, "naming no integration")])
def test_info_does_not_trust_a_status_about_another_integration(name, problem):
    result, transport = run(jira_integration_info, [answer(200, STORED), health(name=name)],
                            connection_name="jira-cloud", include_status=True)
    assert result["failed"] and "status" not in result
    assert problem in result["msg"] and "says nothing about that integration's health" in result["msg"]
    assert len(transport.sent) == 2


@pytest.mark.parametrize("name", ["other", None])
def test_on_unhealthy_sends_no_password_on_a_status_about_another_integration(name):
    result, transport = run(jira_integration, [answer(200, STORED), health("FAULTY_CONFIGURATION", name=name)],
                            update_password="on_unhealthy", **CREATE)
    assert result["failed"] and result["changed"] is False and result["password_sent"] is False
    assert transport.count("PUT") == 0 and len(transport.sent) == 2


def test_verify_health_after_a_write_does_not_trust_another_integration():
    result, transport = run(jira_integration, [answer(200, STORED), health(), answer(200, {}), health(name="other")],
                            verify_health=True, connection_name="jira-cloud", installation_type="server")
    assert result["failed"] and result["changed"] is True
    assert result["msg"].startswith("Integration 'jira-cloud' was updated, but reading its health failed: ")
    assert "naming another integration ('other')" in result["msg"]
    assert [method for method, _path in calls(transport)] == ["GET", "GET", "PUT", "GET"]


# -- a documented status whatever HTTP status carries it ----------------------------------------------------

def test_info_understands_internal_server_error_in_a_500():
    result, _transport = run(jira_integration_info, [answer(200, STORED), health("INTERNAL_SERVER_ERROR", http=500)],
                             connection_name="jira-cloud", include_status=True)
    assert not result.get("failed") and result["status"]["status"] == "INTERNAL_SERVER_ERROR"


@pytest.mark.parametrize("http", [404, 500])
def test_a_status_answer_in_404_or_500_understood_only_when_documented(http):
    script = [answer(200, STORED), answer(http, {"status": "DEGRADED", "integration_name": "jira-cloud"})]
    if http == 404:
        script.append(OLD_XRAY)  # a 404 that is not the documented body: the verdict on the version
    result, _transport = run(jira_integration_info, script, connection_name="jira-cloud", include_status=True)
    assert result["failed"] and result["http_status"] == http


def test_on_unhealthy_with_internal_server_error_in_a_500_warns_and_makes_the_other_changes():
    result, transport = run(jira_integration, [answer(200, STORED), health("INTERNAL_SERVER_ERROR", http=500),
                                               answer(200, {"info": "Integration has been successfully updated"})],
                            **create(update_password="on_unhealthy", jira_server_url="https://jira.acme.example"))
    assert not result.get("failed") and result["changed"] is True and result["password_sent"] is False
    assert calls(transport) == [("GET", DETAILS), ("GET", STATUS), ("PUT", ITEM)]
    assert transport.sent[2].json == {"connection_name": "jira-cloud", "jira_server_url": "https://jira.acme.example"}
    assert "INTERNAL_SERVER_ERROR" in warnings(result) and result["status"]["status"] == "INTERNAL_SERVER_ERROR"


# -- password_sent: whether the password left this machine --------------------------------------------------

@pytest.mark.parametrize("kind,sent", [(CONNECT, False), (TLS, False), (PROXY, False), (DROPPED, True), (TIMEOUT, True)])
def test_password_sent_follows_what_the_transport_saw(kind, sent):
    script = [answer(200, STORED), health("FAULTY_CONFIGURATION"), failure(kind, "scripted %s" % kind)]
    if sent:
        script.append(answer(200, STORED))  # the read-back after a lost or late answer
    result, transport = run(jira_integration, script, update_password="on_unhealthy", **CREATE)
    assert result["failed"] and result["changed"] is False
    assert result["password_sent"] is sent
    assert transport.count("PUT") == 1


def test_password_sent_once_any_attempt_was_answered():
    result, transport = run(jira_integration, [answer(200, STORED), answer(503, {"error": "busy"}),
                                               failure(CONNECT, "refused")],
                            update_password="always", retries=1, **CREATE)
    assert result["failed"] and result["password_sent"] is True and transport.count("PUT") == 2


def test_password_sent_false_when_the_create_never_left():
    result, _transport = run(jira_integration, [NOT_FOUND, failure(CONNECT, "refused")], **CREATE)
    assert result["failed"] and result["changed"] is False and result["password_sent"] is False


# -- the basic-auth pair Xray sends to Jira ---------------------------------------------------------------

def basic(username, password):
    return base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")


@pytest.mark.parametrize("task_username", [USER, None])
def test_an_echoed_basic_auth_header_of_the_jira_credentials_is_masked(task_username):
    # Without username in the task, Xray sends the one it has stored: that pair is masked too.
    echoed = "Jira answered 401 to Authorization: Basic %s" % basic(USER, PASSWORD)
    options = dict(CREATE, username=task_username) if task_username else \
        dict((k, v) for k, v in CREATE.items() if k != "username")
    script = [answer(200, STORED), answer(400, {"error": echoed})]
    result, _transport = run(jira_integration, script, update_password="always", **options)
    assert result["failed"] and "Jira answered 401" in result["msg"]
    assert basic(USER, PASSWORD) not in json.dumps(result)


def test_an_echoed_basic_auth_header_of_the_jfrog_user_is_masked():
    echoed = "Authorization: Basic %s" % basic("admin", PASSWORD)
    result, _transport = run(jira_integration, [answer(500, {"error": echoed})], access_token=None,
                             url_username="admin", url_password=PASSWORD, connection_name="jira-cloud")
    assert result["failed"] and basic("admin", PASSWORD) not in json.dumps(result)


@pytest.mark.parametrize("url", ["https://bot:s3cr3t-pw@acme.atlassian.net", "https://s3cr3t-pw@acme.atlassian.net",
                                 "ftp://bot:s3cr3t-pw@acme.atlassian.net", "http://[bot:s3cr3t-pw@x",
                                 # "/", "?" or "#" in the password end the authority early: the "@" is in the path.
                                 "https://bot:s3cr3t-pw/x@acme.atlassian.net", "https://bot:s3cr3t-pw?x@acme.atlassian.net",
                                 "https://bot:s3cr3t-pw#x@acme.atlassian.net", "https://bot:s3cr3t-pw@acme.atlassian.net/jira",
                                 # what reads as an "@": percent-encoded, fullwidth, small
                                 "https://bot:s3cr3t-pw%40acme.atlassian.net", u"https://bot:s3cr3t-pw\uff20acme.atlassian.net",
                                 u"https://bot:s3cr3t-pw\ufe6bacme.atlassian.net"])
def test_credentials_in_jira_server_url_are_refused_before_any_request(url):
    result, transport = run(jira_integration, [], **create(jira_server_url=url))
    assert result["failed"] and "jira_server_url must not contain credentials" in result["msg"]
    assert "s3cr3t-pw" not in json.dumps(result) and transport.sent == []


# -- blank credentials ------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", [jira_integration, jira_integration_info])
@pytest.mark.parametrize("options,named", [
    (dict(access_token=""), "access_token is set but empty (by the task, or by JFROG_ACCESS_TOKEN"),
    (dict(access_token=" \t"), "access_token is set but empty (by the task, or by JFROG_ACCESS_TOKEN"),
    (dict(access_token="", url_username="", url_password=""), "access_token is set but empty"),
    (dict(access_token=None, url_username="", url_password="pw"),
     "url_username is set but empty (by the task, or by JFROG_USERNAME"),
    (dict(access_token=None, url_username="admin", url_password=" "),
     "url_password is set but empty (by the task, or by JFROG_PASSWORD"),
])
def test_a_blank_credential_fails_before_any_request_naming_it(module, options, named):
    result, transport = run(module, [], connection_name="jira-cloud", **options)
    assert result["failed"] and named in result["msg"] and transport.sent == []
    assert "url_password (or JFROG_PASSWORD) is required" not in result["msg"]


@pytest.mark.parametrize("option", ["username", "password"])
def test_a_blank_jira_credential_says_where_it_comes_from(option):
    result, transport = run(jira_integration, [], **dict(CREATE, **{option: ""}))
    assert result["failed"] and transport.sent == []
    assert result["msg"].startswith("%s is set but empty" % option) and "lookup('env', ...)" in result["msg"]


# -- an Xray without the status API fails before the write --------------------------------------------------

OLD_XRAY_TASKS = [
    ("create, verify_health", [NOT_FOUND], dict(CREATE, verify_health=True)),
    ("create, on_unhealthy", [NOT_FOUND], dict(CREATE, update_password="on_unhealthy")),
    ("update, verify_health", [answer(200, STORED)], dict(connection_name="jira-cloud", installation_type="server",
                                                          verify_health=True)),
]


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("label,first,options", OLD_XRAY_TASKS, ids=[task[0] for task in OLD_XRAY_TASKS])
def test_older_xray_fails_before_any_write(label, first, options, check_mode):
    result, transport = run(jira_integration, first + [PLAIN_404, OLD_XRAY], _ansible_check_mode=check_mode, **options)
    assert result["failed"] and result["changed"] is False and result["password_sent"] is False, label
    assert "Xray 3.130.0 does not provide the integration status API: it needs Xray 3.136 or later" in result["msg"]
    assert [method for method, _path in calls(transport)] == ["GET", "GET", "GET"]
    assert calls(transport)[1:] == [("GET", STATUS), ("GET", VERSION)]


def test_create_with_on_unhealthy_costs_four_requests_and_two_in_check_mode():
    script = [NOT_FOUND, health("INTEGRATION_NOT_FOUND", http=404), answer(200, {}), health()]
    result, transport = run(jira_integration, script, update_password="on_unhealthy", **CREATE)
    assert result["changed"] is True and result["password_sent"] is True and result["status"]["status"] == \
        "HEALTHY_INTEGRATION"
    assert calls(transport) == [("GET", DETAILS), ("GET", STATUS), ("POST", COLLECTION), ("GET", STATUS)]
    result, transport = run(jira_integration, script[:2], update_password="on_unhealthy", _ansible_check_mode=True,
                            **CREATE)
    assert result["changed"] is True and result["password_sent"] is True and "status" not in result
    assert calls(transport) == [("GET", DETAILS), ("GET", STATUS)]


@pytest.mark.parametrize("url", ["", "  "])
def test_a_blank_url_names_its_variable(url):
    result, transport = run(jira_integration_info, [], url=url, connection_name="jira-cloud")
    assert result["failed"] and "url is set but empty (by the task, or by JFROG_URL" in result["msg"]
    assert transport.sent == []


@pytest.mark.parametrize("module", [jira_integration, jira_integration_info])
def test_http_status_only_when_something_answered(module):
    result, _transport = run(module, [failure(CONNECT, "refused")], connection_name="jira-cloud")
    assert result["failed"] and "http_status" not in result
    result, _transport = run(module, [answer(500, {"error": "down"})], connection_name="jira-cloud")
    assert result["failed"] and result["http_status"] == 500


def test_a_lost_answer_that_a_reread_cannot_judge_claims_no_outcome():
    # Only the password is sent, and Xray never returns it: the re-read cannot tell, so "nothing was changed" would
    # be a guess.
    script = [answer(200, STORED), health("FAULTY_CONFIGURATION"), failure(DROPPED, "reset"), answer(200, STORED)]
    result, transport = run(jira_integration, script, update_password="on_unhealthy", **CREATE)
    assert result["failed"] and result["changed"] is False and result["password_sent"] is True
    assert "cannot be read back" in result["msg"] and "Nothing was changed" not in result["msg"]
    assert result["msg"].endswith("Run the task again: it reads first, so it converges.")
    assert transport.count("PUT") == 1


def test_a_jira_server_url_with_a_port_that_is_no_number_is_refused():
    result, transport = run(jira_integration, [], **create(jira_server_url="https://acme.atlassian.net:notaport"))
    assert result["failed"] and "jira_server_url must be an http(s) URL" in result["msg"] and transport.sent == []


@pytest.mark.parametrize("body,http", [
    ({"status": "  ", "integration_name": "jira-cloud"}, 200),
    ({"status": "", "integration_name": "jira-cloud"}, 200),
    ({"status": "HEALTHY_INTEGRATION", "integration_name": "jira-cloud"}, 500),
    ({"status": "HEALTHY_INTEGRATION", "integration_name": "jira-cloud"}, 404),
    ('{"status": "FAULTY_CONFIGURATION", "status": "HEALTHY_INTEGRATION", "integration_name": "jira-cloud"}', 200),
])
def test_a_health_answer_that_says_nothing_clear_is_never_health(body, http):
    script = [answer(200, STORED), answer(http, body)]
    if http == 404:
        script.append(answer(200, {"xray_version": "3.140.0"}))
    result, _transport = run(jira_integration_info, script, connection_name="jira-cloud", include_status=True)
    assert result["failed"] and "status" not in result
    result, transport = run(jira_integration, script, update_password="on_unhealthy", **CREATE)
    assert result["failed"] and result["password_sent"] is False and transport.count("PUT") == 0
