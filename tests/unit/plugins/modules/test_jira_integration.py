# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jira_integration in-process against the emulator: the exact HTTP calls and the result."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.frogops.xray.plugins.modules import jira_integration

TOKEN = "emulator-admin-token"
JIRA_PASSWORD = "jira-Secret-4711"
DETAILS = "/xray/api/v1/ticketing/jira-integrations/jira-1/details"
ITEM = "/xray/api/v1/ticketing/jira-integrations/jira-1"
COLLECTION = "/xray/api/v1/ticketing/jira-integrations"
STATUS = "/xray/api/v1/ticketing/integrations/status/check"
SPEC = dict(username="bot@acme.example", password=JIRA_PASSWORD, installation_type="cloud",
            jira_server_url="https://acme.atlassian.net")
STORED = dict(connection_name="jira-1", auth_type="basic", username="bot@acme.example", password="old-pw",
              installation_type="cloud", jira_server_url="https://acme.atlassian.net", skip_proxy=False)


@pytest.fixture
def run(run_module, xray):
    def run_task(_check_mode=False, _diff=False, **options):
        args = dict(url=xray.url, access_token=TOKEN, connection_name="jira-1", retries=0)
        args.update(options)
        args["_ansible_check_mode"] = _check_mode
        args["_ansible_diff"] = _diff
        return run_module(jira_integration, args)
    return run_task


def calls(xray):
    return [(r["method"], r["path"], r["json"]) for r in xray.requests]


def test_create_sends_one_get_then_one_post_with_defaults(run, xray):
    result = run(**SPEC)
    assert result["changed"] is True
    assert calls(xray) == [
        ("GET", DETAILS, None),
        ("POST", COLLECTION, dict(SPEC, connection_name="jira-1", auth_type="basic", skip_proxy=False)),
    ]
    assert result["integration"] == dict(connection_name="jira-1", auth_type="basic", username="bot@acme.example",
                                         installation_type="cloud", jira_server_url="https://acme.atlassian.net",
                                         skip_proxy=False)
    assert result["msg"] == "Integration 'jira-1' created."


def test_unchanged_run_makes_exactly_one_request(run, xray):
    xray.seed(STORED)
    result = run(**SPEC)
    assert result["changed"] is False
    assert calls(xray) == [("GET", DETAILS, None)]


def test_check_mode_create_writes_nothing_and_predicts(run, xray):
    result = run(_check_mode=True, _diff=True, **SPEC)
    assert result["changed"] is True
    assert calls(xray) == [("GET", DETAILS, None)]
    assert xray.integrations == {}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["password"] == "<hidden: will be sent>"
    assert JIRA_PASSWORD not in json.dumps(result)


def test_update_sends_only_the_changed_field_and_no_password(run, xray):
    xray.seed(STORED)
    result = run(jira_server_url="https://jira.acme.example", password="new-pw")
    assert result["changed"] is True
    assert calls(xray) == [
        ("GET", DETAILS, None),
        ("PUT", ITEM, {"connection_name": "jira-1", "jira_server_url": "https://jira.acme.example"}),
    ]
    assert xray.integrations["jira-1"]["password"] == "old-pw"
    assert result["msg"] == "Integration 'jira-1' updated (jira_server_url)."


def test_update_password_always_sends_the_password_every_run(run, xray):
    xray.seed(STORED)
    results = [run(update_password="always", _diff=True, **SPEC), run(update_password="always", _diff=True, **SPEC)]
    for result in results:
        assert result["changed"] is True
        assert result["diff"]["after"]["password"] == "<hidden: will be sent>"
        assert "password" not in result["diff"]["before"]
    puts = [c for c in calls(xray) if c[0] == "PUT"]
    assert puts == [("PUT", ITEM, {"connection_name": "jira-1", "password": JIRA_PASSWORD})] * 2
    assert xray.integrations["jira-1"]["password"] == JIRA_PASSWORD


def test_normalised_values_are_not_changes(run, xray):
    xray.seed(dict(STORED, installation_type="CLOUD"))
    xray.set_config(details_name_field="integrationName", omit_skip_proxy=True)
    result = run(connection_name="jira-1", installation_type="cloud", jira_server_url="HTTPS://ACME.atlassian.net/",
                 skip_proxy=False)
    assert result["changed"] is False
    assert len(xray.requests) == 1


def test_oauth_integration_keeps_its_auth_type(run, xray):
    xray.seed(dict(STORED, auth_type="oauth2"))
    result = run(username="someone@acme.example")
    assert calls(xray)[1] == ("PUT", ITEM, {"connection_name": "jira-1", "username": "someone@acme.example"})
    assert result["integration"]["auth_type"] == "oauth2"


def test_switching_oauth_to_basic_needs_the_password(run, xray):
    xray.seed(dict(STORED, auth_type="oauth2"))
    result = run(auth_type="basic")
    assert result.failed and "update_password=always" in result["msg"]
    assert [c[0] for c in calls(xray)] == ["GET"]


def test_absent_deletes_once_then_does_nothing(run, xray):
    xray.seed(STORED)
    assert run(state="absent", _check_mode=True)["changed"] is True
    assert "jira-1" in xray.integrations
    assert run(state="absent")["changed"] is True
    assert run(state="absent")["changed"] is False
    assert [c[:2] for c in calls(xray)] == [("GET", DETAILS), ("GET", DETAILS), ("DELETE", ITEM), ("GET", DETAILS)]


def test_create_without_required_options_names_them(run, xray):
    result = run(username="u")
    assert result.failed and result["changed"] is False
    assert result["msg"] == "Integration 'jira-1' does not exist; to create it, set password, installation_type, jira_server_url."
    assert [c[0] for c in calls(xray)] == ["GET"]


@pytest.mark.parametrize("options,message", [
    (dict(connection_name="  "), "connection_name must not be empty"),
    (dict(jira_server_url="jira.acme.example"), "jira_server_url must be an http(s) URL"),
    (dict(password=""), "password is set but empty"),
    (dict(password=" "), "password is set but empty: the task gives it an empty value"),
    (dict(timeout=0), "timeout must be a positive number"),
    (dict(url="acme.jfrog.io"), "url must be an http(s) URL"),
])
def test_bad_input_fails_before_any_request(run, xray, options, message):
    result = run(**options)
    assert result.failed and message in result["msg"]
    assert xray.requests == []


def test_jira_connection_test_failure_shows_xray_text_and_changes_nothing(run, xray):
    xray.set_config(jira_connection_fails=True)
    result = run(**SPEC)
    assert result.failed and result["changed"] is False
    assert "We were not able to connect to your Jira" in result["msg"]
    assert result["http_status"] == 400
    assert xray.integrations == {}
    assert "integration" not in result


def test_a_token_wins_over_an_injected_username_without_password(run, xray, monkeypatch):
    monkeypatch.setenv("JFROG_USERNAME", "someone")
    assert run(**SPEC)["changed"] is True
    result = run(access_token=None, url_username="admin", **SPEC)
    assert result.failed and "url_password (or JFROG_PASSWORD) is required" in result["msg"]


@pytest.mark.parametrize("token,status,message", [
    ("wrong-token", 401, "Authentication to JFrog failed (HTTP 401"),
    ("emulator-reader-token", 403, "Xray admin permission is required (HTTP 403"),
])
def test_auth_failures(run, xray, token, status, message):
    result = run(access_token=token, **SPEC)
    assert result.failed and result["changed"] is False and result["http_status"] == status
    assert message in result["msg"]


def test_basic_auth_works(run, xray):
    result = run(access_token=None, url_username="admin", url_password="emulator-admin-password", **SPEC)
    assert result["changed"] is True
    assert xray.requests[0]["headers"]["Authorization"].startswith("Basic ")


def test_put_404_after_get_says_removed_meanwhile(run, xray):
    xray.seed(STORED)
    xray.add_fault(method="PUT", status=404, body='{"error": "No integration found with the given connection name"}')
    result = run(username="other")
    assert result.failed and result["changed"] is False
    assert "removed meanwhile" in result["msg"]


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_server_error_is_a_clean_failure(run, xray, method):
    xray.seed(STORED)
    xray.add_fault(method=method, status=500, body='{"error": "database is on fire"}')
    result = run(username="other")
    assert result.failed and result["changed"] is False
    assert "HTTP 500" in result["msg"] and "database is on fire" in result["msg"]
    assert xray.integrations["jira-1"]["username"] == STORED["username"]


def test_connection_refused_names_the_url(run, xray):
    result = run(url="http://127.0.0.1:1", **SPEC)
    assert result.failed and result["changed"] is False
    assert "Could not connect to http://127.0.0.1:1/xray/api/v1" in result["msg"]


def test_verify_health_fails_with_xray_reason_after_the_write(run, xray):
    xray.seed(STORED)
    xray.set_health("jira-1", "FAULTY_CONFIGURATION")
    result = run(username="other", verify_health=True)
    assert result.failed and result["changed"] is True
    assert result["status"]["status"] == "FAULTY_CONFIGURATION"
    assert "The system is unable to connect to Jira." in result["msg"]


def test_verify_health_in_check_mode_reads_the_details_and_asks_the_status_api_once(run, xray):
    # The status check before a write that verify_health follows: an Xray without it fails in check mode too.
    xray.seed(STORED)
    result = run(username="other", verify_health=True, _check_mode=True)
    assert result["changed"] is True and "status" not in result
    assert [(c[0], c[1].split("?")[0]) for c in calls(xray)] == [("GET", DETAILS), ("GET", STATUS)]
    assert xray.integrations["jira-1"]["username"] == STORED["username"]


def test_old_xray_is_named_with_the_minimum(run, xray):
    xray.set_config(xray_version="3.128.0")
    result = run(**SPEC)
    assert result.failed and result["changed"] is False
    assert "Xray 3.128.0 does not provide the Jira integration API: it needs Xray 3.129 or later" in result["msg"]
    assert [c[:2] for c in calls(xray)] == [("GET", DETAILS), ("GET", "/xray/api/v1/system/version")]


@pytest.mark.parametrize("name,segment", [
    ("a/b c", "a%2Fb%20c"), ("..", "%2E%2E"), ("q?x#y%", "q%3Fx%23y%25"), ("jöra", "j%C3%B6ra"),
])
def test_names_travel_as_one_encoded_segment(run, xray, name, segment):
    assert run(connection_name=name, **SPEC)["changed"] is True
    assert run(connection_name=name, **SPEC)["changed"] is False
    assert xray.requests[-1]["path"] == "/xray/api/v1/ticketing/jira-integrations/%s/details" % segment
    assert list(xray.integrations) == [name]


def test_no_secret_in_any_result(run, xray):
    xray.add_fault(method="POST", status=400, body=json.dumps({"error": "bad password %s for token %s" % (JIRA_PASSWORD, TOKEN)}))
    result = run(_diff=True, **SPEC)
    assert result.failed
    dumped = json.dumps(result)
    assert JIRA_PASSWORD not in dumped and TOKEN not in dumped


def test_oauth_cannot_be_written(run, xray):
    xray.seed(STORED)
    result = run(auth_type="oauth2")
    assert result.failed and "the Xray API can only write basic, so switching it to oauth2" in result["msg"]
    assert [c[0] for c in calls(xray)] == ["GET"]


def test_delete_404_after_get_says_removed_meanwhile(run, xray):
    xray.seed(STORED)
    xray.add_fault(method="DELETE", status=404, body='{"error": "No integration found with the given connection name"}')
    result = run(state="absent")
    assert result.failed and result["changed"] is False
    assert "removed meanwhile" in result["msg"]


@pytest.mark.parametrize("options,message", [
    (dict(url="http://[x"), "url must be an http(s) URL"),
    (dict(url="https://acme.jfrog.io:99999999"), "url must be an http(s) URL"),
    (dict(url="https://admin:hunter2@acme.jfrog.io"), "url must not contain credentials"),
    (dict(jira_server_url="http://[x"), "jira_server_url must be an http(s) URL"),
])
def test_malformed_urls_fail_cleanly_before_any_request(run, xray, options, message):
    result = run(**options)
    assert result.failed and message in result["msg"] and "exception" not in result
    assert "hunter2" not in result["msg"]
    assert xray.requests == []


def test_details_with_an_unparsable_url_are_understood(run, xray):
    xray.seed(dict(STORED, jira_server_url="http://[x"))
    result = run(jira_server_url="https://acme.atlassian.net", skip_proxy=False)
    assert result["changed"] is True
    assert calls(xray)[1] == ("PUT", ITEM, {"connection_name": "jira-1", "jira_server_url": "https://acme.atlassian.net"})


def test_a_404_not_in_xrays_shape_counts_as_absent_once_the_version_endpoint_confirms_xray(run, xray):
    xray.add_fault(method="GET", path_regex="/details$", status=404, content_type="text/plain", body="404 page not found")
    result = run(**SPEC)
    assert result["changed"] is True
    assert [c[:2] for c in calls(xray)] == [("GET", DETAILS), ("GET", "/xray/api/v1/system/version"), ("POST", COLLECTION)]


def test_artifactorys_404_is_not_xrays_word(run, xray):
    xray.add_fault(method="GET", path_regex="/details$", status=404,
                   body='{"errors": [{"status": 404, "message": "Not Found"}]}')
    xray.add_fault(method="GET", path_regex="/version$", status=404,
                   body='{"errors": [{"status": 404, "message": "Not Found"}]}')
    result = run(state="absent")
    assert result.failed and result["changed"] is False
    assert "no Xray version could be read there" in result["msg"]
    assert [c[0] for c in calls(xray)] == ["GET", "GET"]


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_redirect_with_a_location_that_is_no_utf8_is_an_answer_not_a_failure_to_send(run, xray, method):
    # The write was stored, then answered by a login redirect whose Location has a Latin-1 byte (http.server sends
    # it so): an answer not understood, read back, proven; the password did leave.
    if method == "PUT":
        xray.seed(STORED)
    xray.add_fault(method=method, status=302, body="", content_type="text/html", apply_then_continue=True,
                   headers={"Location": u"https://sso.acme.example/login?next=caf\u00e9"})
    # The PUT changes a field, so the read-back can prove it (a password alone cannot be read back).
    options = dict(SPEC, update_password="always", username="new-bot") if method == "PUT" else dict(SPEC)
    result = run(**options)
    assert not result.failed and result["changed"] is True and result["password_sent"] is True
    assert [c[0] for c in calls(xray)] == ["GET", method, "GET"]
    assert xray.integrations["jira-1"]["password"] == JIRA_PASSWORD
    assert any("redirecting to https://sso.acme.example/login" in w for w in map(str, result.get("warnings", [])))


def test_a_write_whose_answer_has_two_content_lengths_was_sent_and_is_read_back(run, xray):
    # urllib3 calls such an answer an invalid header, a failure it also raises before sending; the request had
    # left, so it counts as sent and is proven by reading back, never sent twice.
    xray.add_fault(method="POST", status=200, body='{"info": "created"}', apply_then_continue=True,
                   headers={"Content-Length": "40"})
    result = run(**SPEC)
    assert not result.failed and result["changed"] is True and result["password_sent"] is True
    assert [c[0] for c in calls(xray)] == ["GET", "POST", "GET"]
