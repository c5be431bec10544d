# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's policy, proven through the scripted transport: what an answer means, how often a
request is sent, when a write is re-read, re-sent or reported, and what the user is told."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import types

import pytest

from ansible_collections.frogops.xray.plugins.module_utils import _jira_integration as jira
from ansible_collections.frogops.xray.plugins.module_utils._http_transport import (
    CONNECT,
    DROPPED,
    INVALID,
    PROXY,
    TIMEOUT,
    TLS,
    RawAnswer,
)
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import MAX_RETRY_WAIT, XrayClient, XrayError
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import (
    ScriptedTransport,
    answer,
    failure,
    make_client,
)

SEGMENTS = ("ticketing", "jira-integrations")
PATH = "/xray/api/v1/ticketing/jira-integrations"
NAME = "jira-prod"
DETAILS = PATH + "/" + NAME + "/details"
VERSION = "/xray/api/v1/system/version"
HINT = "Check that Jira at https://jira.acme.test answers."
BODY = {"connection_name": NAME, "username": "svc-xray", "password": "not-shown"}

INTEGRATION = {
    "connection_name": NAME, "auth_type": "basic", "username": "svc-xray", "installation_type": "server",
    "jira_server_url": "https://jira.acme.test", "skip_proxy": False,
}
XRAY_404 = answer(404, {"error": "Integration %s was not found" % NAME})
ARTIFACTORY_404 = answer(404, {"errors": [{"status": 404, "message": "Not Found"}]})
WAF_PAGE = "<html><head><title>Request blocked</title></head><body>Blocked by the Acme WAF, incident 4711</body></html>"
SUCCESS = answer(201, {})


class Reread:
    """A took_effect callable: says verdict (or raises error) and counts its calls."""

    def __init__(self, verdict=None, error=None):
        self.verdict = verdict
        self.error = error
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.verdict


def run_write(script, verdict=None, retries=3, method="POST", reread_error=None, **kwargs):
    """One client.write() on the script; the outcome is the return value or the XrayError."""
    transport = ScriptedTransport(script)
    warnings, sleeps = [], []
    client = make_client(transport, retries=retries, warnings=warnings, sleeps=sleeps, **kwargs)
    reread = Reread(verdict, reread_error)
    try:
        outcome = client.write(method, SEGMENTS, BODY, reread, HINT)
    except XrayError as error:
        outcome = error
    return types.SimpleNamespace(outcome=outcome, transport=transport, reread=reread, warnings=warnings,
                                 sleeps=sleeps)


def run_get(script, retries=3, accept=(200,), **kwargs):
    """One client.get(); the outcome is the Reply or the XrayError (any other exception fails the test)."""
    transport = ScriptedTransport(script)
    warnings, sleeps = [], []
    client = make_client(transport, retries=retries, warnings=warnings, sleeps=sleeps, **kwargs)
    try:
        outcome = client.get(("system", "ping"), accept=accept)
    except XrayError as error:
        outcome = error
    return types.SimpleNamespace(outcome=outcome, transport=transport, warnings=warnings, sleeps=sleeps)


def error_of(run):
    assert isinstance(run.outcome, XrayError), "expected XrayError, got %r" % (run.outcome,)
    return run.outcome


# -- 1. a write counts only on a documented success ------------------------------------------------

DOCUMENTED_SUCCESSES = [
    pytest.param(answer(status, body, content_type), id="%d-%s" % (status, label))
    for status in (200, 201, 202, 204)
    for label, body, content_type in (
        ("empty", b"", None),
        ("empty-json-type", b"", "application/json"),
        ("whitespace", "\r\n", "application/json"),
        ("empty-object", {}, "application/json"),
        ("object", {"info": "The integration was saved"}, "application/json; charset=utf-8"),
        ("object-no-type", {"info": "saved"}, None),
    )
]


@pytest.mark.parametrize("reply", DOCUMENTED_SUCCESSES)
def test_write_counts_a_documented_success_without_reading_back(reply):
    run = run_write([reply, SUCCESS])
    assert run.outcome == "answered"
    assert run.transport.calls == [("POST", PATH)]
    assert run.reread.calls == 0
    assert run.warnings == [] and run.sleeps == []


NOT_UNDERSTOOD = [
    pytest.param(answer(200, WAF_PAGE, "text/html"), id="200-html"),
    pytest.param(answer(200, "OK", "text/plain"), id="200-text"),
    pytest.param(answer(201, [{"connection_name": NAME}]), id="201-json-list"),
    pytest.param(answer(200, '"saved"'), id="200-json-string"),
    pytest.param(answer(200, "null"), id="200-json-null"),
    pytest.param(answer(202, "{}", "text/html"), id="202-object-served-as-html"),
    pytest.param(answer(204, "<html>SSO</html>", "text/html; charset=utf-8"), id="204-html"),
    pytest.param(RawAnswer(200, {"Content-Type": "application/json"}, b'{"info": "sa', complete=False,
                           problem="the body was cut short"), id="200-truncated"),
    pytest.param(RawAnswer(200, {"Content-Type": "application/json"}, b"{}", complete=False,
                           problem="the body was cut short"), id="200-truncated-but-parses"),
    pytest.param(RawAnswer(204, {}, b"", complete=False, problem="the body was cut short"), id="204-truncated-empty"),
    pytest.param(answer(301, "", "text/html", {"Location": "https://xray.test/elsewhere"}), id="301"),
    pytest.param(answer(302, "<a href=/login>login</a>", "text/html", {"Location": "https://sso.acme.test/login"}),
                 id="302"),
    pytest.param(answer(303, "", None, {"Location": "/ui/login"}), id="303-relative"),
    pytest.param(answer(307, "", None, {"Location": "https://xray.test/other"}), id="307"),
    pytest.param(answer(308, "", None), id="308-no-location"),
]


@pytest.mark.parametrize("reply", NOT_UNDERSTOOD)
def test_write_answer_not_understood_is_proved_by_one_reread(reply):
    run = run_write([reply, SUCCESS], verdict=True)
    assert run.outcome == "re-read"
    assert run.transport.calls == [("POST", PATH)]
    assert run.reread.calls == 1
    assert len(run.warnings) == 1
    assert "took effect" in run.warnings[0]
    assert "HTTP %d" % reply.status in run.warnings[0]


@pytest.mark.parametrize("reply", NOT_UNDERSTOOD)
def test_write_answer_not_understood_and_not_in_effect_fails_without_a_second_send(reply):
    run = run_write([reply, SUCCESS], verdict=False)
    error = error_of(run)
    assert run.transport.count("POST") == 1
    assert run.reread.calls == 1
    assert "HTTP %d" % reply.status in error.message
    assert error.status == reply.status
    assert "has not taken effect" in error.message


@pytest.mark.parametrize("reply", NOT_UNDERSTOOD)
def test_write_answer_not_understood_that_cannot_be_read_back_fails_without_a_second_send(reply):
    run = run_write([reply, SUCCESS], verdict=None)
    error = error_of(run)
    assert run.transport.count("POST") == 1
    assert run.reread.calls == 1
    assert "cannot be read back" in error.message


def test_unexplained_html_page_names_status_type_excerpt_and_a_proxy_guess():
    error = error_of(run_write([answer(200, WAF_PAGE, "text/html; charset=utf-8")], verdict=False))
    assert "HTTP 200" in error.message
    assert "text/html" in error.message
    assert "Blocked by the Acme WAF, incident 4711" in error.message
    assert "proxy, WAF or SSO page" in error.message


def test_unexplained_text_names_status_type_excerpt_and_says_not_the_documented_json():
    error = error_of(run_write([answer(201, "Created it, probably", "text/plain")], verdict=False))
    assert "HTTP 201 (text/plain)" in error.message
    assert "Created it, probably" in error.message
    assert "not the documented JSON" in error.message


def test_truncated_answer_is_named_as_cut_short():
    truncated = RawAnswer(200, {"Content-Type": "application/json"}, b'{"info": "sa', complete=False,
                          problem="the body was cut short")
    error = error_of(run_write([truncated], verdict=False))
    assert "HTTP 200 (application/json)" in error.message
    assert '{"info": "sa' in error.message
    assert "cut short" in error.message


def test_redirect_from_http_to_https_is_named_and_the_fix_given():
    location = "https://xray.test/xray/api/v1/ticketing/jira-integrations"
    transport = ScriptedTransport([answer(301, "", "text/html", {"Location": location})])
    client = XrayClient("http://xray.test", transport, retries=3, sleep=lambda seconds: None)
    with pytest.raises(XrayError) as caught:
        client.write("POST", SEGMENTS, BODY, lambda: False)
    message = caught.value.message
    assert "HTTP 301 (text/html)" in message
    assert location in message
    assert "http-to-https" in message and "use https://" in message
    assert transport.count("POST") == 1


@pytest.mark.parametrize("location", ["https://sso.acme.test/saml2/SSO?RelayState=xray", "https://www.acme.test/login.html",
                                      "https://idp.acme.test/oauth2/v1/authorize?client_id=jfrog", "/ui/login/"])
def test_redirect_to_a_login_page_is_named_as_sso(location):
    error = error_of(run_write([answer(302, "", "text/html", {"Location": location})], verdict=False))
    assert "HTTP 302" in error.message
    assert location in error.message
    assert "login page" in error.message


def test_redirect_elsewhere_says_url_is_probably_not_the_platform():
    location = "https://www.acme.test/welcome"
    error = error_of(run_write([answer(307, "", None, {"Location": location})], verdict=False))
    assert "HTTP 307 (no content type)" in error.message
    assert location in error.message
    assert "does not point at the JFrog Platform" in error.message


@pytest.mark.parametrize("location", ["http://[x", "https://[::1/login", "https://xray.test:99999/", "\u00e9://\x00"])
def test_redirect_to_a_malformed_location_still_ends_in_xray_error(location):
    reply = answer(302, "", "text/html", {"Location": location})
    read = run_get([reply])
    assert error_of(read).status == 302
    assert "HTTP 302" in read.outcome.message
    written = run_write([reply, SUCCESS], verdict=False)
    assert "HTTP 302" in error_of(written).message
    assert written.transport.count("POST") == 1


# -- 2. retries of reads ------------------------------------------------------------------------

TRANSIENT = [
    pytest.param(answer(429, ""), id="429"),
    pytest.param(answer(502, "<html>Bad Gateway</html>", "text/html"), id="502"),
    pytest.param(answer(503, ""), id="503"),
    pytest.param(answer(504, "Gateway Timeout", "text/plain"), id="504"),
    pytest.param(failure(CONNECT, "Connection refused"), id="connect"),
    pytest.param(failure(PROXY, "Tunnel connection failed: 502 Bad Gateway"), id="proxy"),
    pytest.param(failure(DROPPED, "Remote end closed connection without response"), id="dropped"),
    pytest.param(failure(TIMEOUT, "no complete answer within 30 seconds"), id="timeout"),
]


@pytest.mark.parametrize("retries", [0, 1, 3])
@pytest.mark.parametrize("item", TRANSIENT)
def test_get_makes_at_most_one_plus_retries_attempts(item, retries):
    run = run_get([item] * (retries + 1) + [answer(200, {"ok": True})], retries=retries)
    error_of(run)
    assert run.transport.calls == [("GET", "/xray/api/v1/system/ping")] * (retries + 1)
    assert len(run.sleeps) == retries
    assert len(run.warnings) == retries
    for number, warning in enumerate(run.warnings, 1):
        assert warning.startswith("Retrying GET https://xray.test/xray/api/v1/system/ping after ")
        assert "(retry %d of %d" % (number, retries) in warning


@pytest.mark.parametrize("item", TRANSIENT)
def test_get_recovers_from_transient_trouble_within_the_budget(item):
    run = run_get([item, item, answer(200, {"ok": True})], retries=2)
    assert run.outcome.data == {"ok": True}
    assert run.transport.count("GET") == 3
    assert len(run.warnings) == 2 and len(run.sleeps) == 2


@pytest.mark.parametrize("kind", [TLS, INVALID])
def test_get_never_retries_what_fails_the_same_next_time(kind):
    run = run_get([failure(kind, "certificate verify failed"), answer(200, {"ok": True})], retries=3)
    error_of(run)
    assert run.transport.count("GET") == 1
    assert run.warnings == [] and run.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500, 501])
def test_get_never_retries_a_definite_answer(status):
    run = run_get([answer(status, {"error": "no"}), answer(200, {"ok": True})], retries=3)
    assert error_of(run).status == status
    assert run.transport.count("GET") == 1
    assert run.sleeps == []


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("retry_after,wait", [("2", 2.0), ("17", 17.0), ("120", MAX_RETRY_WAIT),
                                              ("Wed, 21 Oct 2099 07:28:00 GMT", MAX_RETRY_WAIT)])
def test_retry_after_is_honoured_and_capped_for_reads_and_writes(status, retry_after, wait):
    busy = answer(status, "", headers={"Retry-After": retry_after})
    read = run_get([busy, answer(200, {"ok": True})])
    assert read.transport.count("GET") == 2
    assert read.sleeps == [wait]
    assert "waiting %.1fs" % wait in read.warnings[0]
    written = run_write([busy, SUCCESS])
    assert written.outcome == "answered"
    assert written.transport.count("POST") == 2
    assert written.sleeps == [wait]


def test_waits_without_retry_after_stay_within_the_growing_backoff():
    run = run_get([answer(503, "")] * 3 + [answer(200, {"ok": True})], retries=3)
    assert run.transport.count("GET") == 4
    assert len(run.sleeps) == 3
    for attempt, wait in enumerate(run.sleeps):
        assert 0 <= wait <= 0.5 * 2 ** attempt


@pytest.mark.parametrize("retry_after", ["\u00b2", "\u00b9", "3\u00b3", "soon", "-1", "1.5e3", ""])
def test_retry_after_that_is_not_a_number_of_seconds_falls_back_to_the_backoff(retry_after):
    # Header values arrive latin-1 decoded, so a superscript digit (b"\xb2") can reach the client.
    run = run_get([answer(503, "", headers={"Retry-After": retry_after}), answer(200, {"ok": True})], retries=1)
    assert not isinstance(run.outcome, XrayError), run.outcome.message
    assert run.transport.count("GET") == 2
    assert len(run.sleeps) == 1 and 0 <= run.sleeps[0] <= 0.5


# -- 3. when a write is sent again --------------------------------------------------------------

NOT_SENT = [
    pytest.param(failure(CONNECT, "Connection refused"), id="connect"),
    pytest.param(failure(PROXY, "Tunnel connection failed: 503"), id="proxy"),
    pytest.param(answer(429, {"error": "Too many requests"}), id="429"),
    pytest.param(answer(503, "<html>Service Unavailable</html>", "text/html"), id="503"),
]


@pytest.mark.parametrize("item", NOT_SENT)
def test_write_that_certainly_did_not_reach_xray_is_sent_again_without_reading_back(item):
    run = run_write([item, SUCCESS], verdict=False)
    assert run.outcome == "answered"
    assert run.transport.calls == [("POST", PATH), ("POST", PATH)]
    assert run.reread.calls == 0
    assert len(run.warnings) == 1 and run.warnings[0].startswith("Retrying POST")
    assert len(run.sleeps) == 1


@pytest.mark.parametrize("retries", [0, 1, 2])
@pytest.mark.parametrize("item", NOT_SENT)
def test_write_that_did_not_reach_xray_is_sent_at_most_one_plus_retries_times(item, retries):
    run = run_write([item] * (retries + 1) + [SUCCESS], verdict=False, retries=retries)
    error_of(run)
    assert run.transport.count("POST") == retries + 1
    assert run.reread.calls == 0
    assert len(run.warnings) == retries == len(run.sleeps)


ENDED = [
    pytest.param(answer(502, "<html>Bad Gateway</html>", "text/html"), id="502"),
    pytest.param(failure(DROPPED, "Remote end closed connection without response"), id="dropped"),
]


@pytest.mark.parametrize("item", ENDED)
def test_write_that_ended_without_effect_is_sent_once_more(item):
    run = run_write([item, SUCCESS], verdict=False)
    assert run.outcome == "answered"
    assert run.transport.calls == [("POST", PATH), ("POST", PATH)]
    assert run.reread.calls == 1
    assert len(run.warnings) == 1 and "did not take effect" in run.warnings[0]


@pytest.mark.parametrize("item", ENDED)
def test_write_that_ended_twice_without_effect_is_not_sent_a_third_time(item):
    run = run_write([item, item, SUCCESS], verdict=False, retries=5)
    error = error_of(run)
    assert run.transport.count("POST") == 2
    assert run.reread.calls == 2
    assert "Nothing was changed" in error.message


@pytest.mark.parametrize("item", ENDED)
def test_write_that_ended_again_is_proved_by_the_second_reread(item):
    transport = ScriptedTransport([item, item, SUCCESS])
    verdicts = [False, True]
    outcome = make_client(transport).write("POST", SEGMENTS, BODY, lambda: verdicts.pop(0))
    assert outcome == "re-read"
    assert transport.count("POST") == 2
    assert verdicts == []


@pytest.mark.parametrize("item", ENDED)
def test_write_that_ended_and_is_found_by_the_reread_is_not_sent_again(item):
    run = run_write([item, SUCCESS], verdict=True)
    assert run.outcome == "re-read"
    assert run.transport.count("POST") == 1
    assert run.reread.calls == 1


@pytest.mark.parametrize("item", ENDED)
def test_write_that_ended_with_an_effect_that_cannot_be_read_is_not_sent_again(item):
    run = run_write([item, SUCCESS], verdict=None)
    error = error_of(run)
    assert run.transport.count("POST") == 1
    assert "cannot be read back" in error.message


PENDING = [
    pytest.param(failure(TIMEOUT, "no complete answer within 30 seconds"), id="timeout"),
    pytest.param(answer(504, "<html>Gateway Timeout</html>", "text/html"), id="504"),
]


@pytest.mark.parametrize("verdict", [False, None])
@pytest.mark.parametrize("item", PENDING)
def test_write_that_may_still_be_running_is_never_sent_again(item, verdict):
    run = run_write([item, SUCCESS, SUCCESS], verdict=verdict, retries=5)
    error = error_of(run)
    assert run.transport.calls == [("POST", PATH)]
    assert run.reread.calls == 1
    assert "not sent again" in error.message
    assert HINT in error.message
    assert "converges" in error.message
    assert run.sleeps == []


@pytest.mark.parametrize("item", PENDING)
def test_write_that_may_still_be_running_and_reads_back_as_done_counts(item):
    run = run_write([item, SUCCESS], verdict=True)
    assert run.outcome == "re-read"
    assert run.transport.count("POST") == 1
    assert len(run.warnings) == 1 and "took effect" in run.warnings[0]


@pytest.mark.parametrize("status", [400, 404, 409, 500])
def test_write_refused_by_xray_fails_at_once_and_quotes_xray(status):
    text = "Integration %s: jira_server_url is not reachable" % NAME
    run = run_write([answer(status, {"error": text}), SUCCESS], verdict=True)
    error = error_of(run)
    assert run.transport.count("POST") == 1
    assert run.reread.calls == 0
    assert error.status == status
    assert error.error_text == text
    assert "Xray answered HTTP %d on POST" % status in error.message
    assert text in error.message


@pytest.mark.parametrize("status,words", [(401, "Authentication to JFrog failed"),
                                          (403, "Xray admin permission is required")])
def test_write_without_the_right_credentials_says_what_is_missing(status, words):
    run = run_write([answer(status, {"errors": [{"status": status, "message": "Bad credentials"}]}), SUCCESS],
                    verdict=True)
    error = error_of(run)
    assert words in error.message
    assert "Bad credentials" in error.message
    assert error.status == status
    assert run.transport.count("POST") == 1
    assert run.reread.calls == 0


def test_write_refused_with_an_html_error_page_fails_at_once():
    run = run_write([answer(500, "<html><body>Internal Server Error</body></html>", "text/html"), SUCCESS],
                    verdict=True)
    error = error_of(run)
    assert error.status == 500
    assert "Internal Server Error" in error.message
    assert run.transport.count("POST") == 1 and run.reread.calls == 0


@pytest.mark.parametrize("kind", [TLS, INVALID])
def test_write_that_could_not_be_made_is_not_sent_again(kind):
    run = run_write([failure(kind, "handshake failure"), SUCCESS], verdict=False)
    error_of(run)
    assert run.transport.count("POST") == 1
    assert run.reread.calls == 0


@pytest.mark.parametrize("item,verdict", [
    pytest.param(failure(CONNECT, "refused"), False, id="connect"),
    pytest.param(failure(PROXY, "tunnel failed"), False, id="proxy"),
    pytest.param(answer(429, ""), False, id="429"),
    pytest.param(answer(503, ""), False, id="503"),
    pytest.param(answer(502, ""), False, id="502"),
    pytest.param(failure(DROPPED, "closed"), False, id="dropped"),
    pytest.param(failure(TIMEOUT, "slow"), False, id="timeout"),
    pytest.param(answer(504, ""), False, id="504"),
])
def test_write_with_no_retries_is_never_sent_again(item, verdict):
    run = run_write([item, SUCCESS], verdict=verdict, retries=0)
    error_of(run)
    assert run.transport.count("POST") == 1
    assert run.sleeps == [] and run.warnings == []


def test_every_kind_of_resend_shares_one_budget():
    script = [failure(CONNECT, "refused"), answer(429, ""), answer(502, ""), answer(503, ""), SUCCESS]
    run = run_write(script, verdict=False, retries=3)
    error = error_of(run)
    assert error.status == 503
    assert run.transport.count("POST") == 4
    assert run.reread.calls == 1
    assert len(run.warnings) == 3 == len(run.sleeps)


# -- 4. a re-read that fails ----------------------------------------------------------------------

@pytest.mark.parametrize("item", [answer(200, WAF_PAGE, "text/html"), failure(TIMEOUT, "slow"), answer(502, "")])
def test_reread_that_fails_reports_both_and_asks_to_run_again(item):
    reread_error = XrayError("Xray answered HTTP 500 on GET %s: database is locked." % DETAILS, status=500)
    run = run_write([item, SUCCESS], reread_error=reread_error)
    error = error_of(run)
    assert run.transport.count("POST") == 1
    assert run.reread.calls == 1
    assert "POST" in error.message and "database is locked" in error.message
    assert error.message.index("POST") < error.message.index("database is locked")
    assert "Run the task again" in error.message


# -- 5. what a GET accepts ------------------------------------------------------------------------

def cut(body):
    return RawAnswer(200, {"Content-Type": "application/json"}, body, complete=False, problem="the body was cut short")


NOT_AN_OBJECT = [
    pytest.param(answer(200, WAF_PAGE, "text/html"), id="html"),
    pytest.param(answer(200, '{"xray_version": "3.140.0"}', "text/html"), id="object-served-as-html"),
    pytest.param(answer(200, [{"xray_version": "3.140.0"}]), id="json-list"),
    pytest.param(answer(200, '"3.140.0"'), id="json-string"),
    pytest.param(answer(200, "null"), id="json-null"),
    pytest.param(answer(200, ""), id="empty"),
    pytest.param(answer(200, '{"xray_version": NaN}'), id="nan"),
    pytest.param(answer(200, "NaN"), id="bare-nan"),
    pytest.param(answer(200, '{"a": Infinity}'), id="infinity"),
    pytest.param(answer(200, "[" * 200000 + "]" * 200000), id="deep-list"),
    pytest.param(answer(200, '{"a": ' + "[" * 200000 + "]" * 200000 + "}"), id="deep-list-in-object"),
    pytest.param(answer(200, "1" * 5000), id="5000-digits"),
    pytest.param(answer(200, '{"a": ' + "9" * 5000 + "}"), id="5000-digits-in-object"),
    pytest.param(answer(200, b"\xff\xfe\xfd\x80"), id="not-utf8"),
    pytest.param(answer(200, b"\x00\x01\x02"), id="control-bytes"),
    pytest.param(cut(b'{"xray_version": "3.1'), id="truncated"),
    pytest.param(cut(b'{"xray_version": "3.140.0"}'), id="truncated-but-parses"),
]


@pytest.mark.parametrize("reply", NOT_AN_OBJECT)
def test_get_200_that_is_not_a_complete_json_object_ends_in_xray_error(reply):
    # A body cut short is retried (the connection was lost in it): with no retry left it is the error.
    run = run_get([reply, answer(200, {"ok": True})], accept=(200, 404), retries=3 if reply.complete else 0)
    error = error_of(run)
    assert error.status == 200
    assert "HTTP 200" in error.message
    assert run.transport.count("GET") == 1


def test_get_whose_body_was_cut_short_is_asked_again():
    run = run_get([cut(b'{"xray_version": "3.1'), answer(200, {"xray_version": "3.140.0"})])
    assert run.outcome.data == {"xray_version": "3.140.0"}
    assert run.transport.count("GET") == 2 and len(run.warnings) == 1


def test_get_200_with_bytes_that_are_not_utf8_inside_a_json_string_is_not_understood():
    # Latin-1 bytes where UTF-8 is due: decoding with replacement characters would change the value read.
    run = run_get([answer(200, b'{"connection_name": "j\xe9ra", "username": "b\xf6t"}')], accept=(200, 404))
    error_of(run)


@pytest.mark.parametrize("charset", ["idna", "undefined", "punycode", "base64", "rot13", "no-such-charset"])
def test_get_with_a_charset_that_cannot_decode_leniently_ends_in_xray_error_or_utf8(charset):
    # The charset comes from the server: one Python knows but cannot decode with errors="replace" included.
    run = run_get([answer(200, '{"a": "b\u00e9"}', "application/json; charset=%s" % charset)], accept=(200, 404))
    assert isinstance(run.outcome, XrayError) or run.outcome.data == {"a": "b\u00e9"}
    assert run.transport.count("GET") == 1


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/json;charset=UTF-8", None])
def test_get_accepts_json_after_a_utf8_bom(content_type):
    run = run_get([answer(200, b'\xef\xbb\xbf{"xray_version": "3.140.0"}', content_type)])
    assert run.outcome.data == {"xray_version": "3.140.0"}


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/vnd.jfrog+json", None])
def test_get_accepts_a_json_object_whatever_json_type_it_is_served_as(content_type):
    run = run_get([answer(200, {"xray_version": "3.140.0"}, content_type)])
    assert run.outcome.data == {"xray_version": "3.140.0"}
    assert run.outcome.status == 200


@pytest.mark.parametrize("reply,xray_not_found", [
    pytest.param(answer(404, {"error": "Integration jira-prod not found"}), True, id="xray"),
    pytest.param(answer(404, {"errors": [{"status": 404, "message": "Not Found"}]}), False, id="artifactory"),
    pytest.param(answer(404, {"error": "Not Found", "errors": [{"status": 404}]}), False, id="both-shapes"),
    pytest.param(answer(404, {"error": 404}), False, id="error-not-text"),
    pytest.param(answer(404, "<html><body>404 Not Found</body></html>", "text/html"), False, id="html"),
    pytest.param(answer(404, '{"error": "Not Found"}', "text/html"), False, id="xray-shape-served-as-html"),
    pytest.param(answer(404, ""), False, id="empty"),
    pytest.param(answer(404, [{"error": "Not Found"}]), False, id="list"),
])
def test_only_xray_shaped_404_is_xrays_not_found(reply, xray_not_found):
    run = run_get([reply], accept=(200, 404))
    assert run.outcome.status == 404
    assert run.outcome.xray_not_found is xray_not_found
    strict = run_get([reply], accept=(200,))
    assert error_of(strict).status == 404
    assert strict.outcome.xray_not_found is xray_not_found


def test_200_in_xray_error_shape_is_not_not_found():
    run = run_get([answer(200, {"error": "Not Found"})], accept=(200, 404))
    assert run.outcome.xray_not_found is False


# -- 6. the Jira integration API on top of it ---------------------------------------------------------

def jira_client(script, retries=3):
    transport = ScriptedTransport(script)
    warnings = []
    return make_client(transport, retries=retries, warnings=warnings), transport, warnings


def test_read_integration_believes_xrays_own_404():
    client, transport, _warnings = jira_client([XRAY_404])
    assert jira.read_integration(client, NAME) is None
    assert transport.calls == [("GET", DETAILS)]


@pytest.mark.parametrize("version", ["3.129.0", "3.129", "3.131.11", "4.0.0", "3.140.0-rc1"])
def test_read_integration_believes_another_404_where_xray_has_the_api(version):
    client, transport, _warnings = jira_client([ARTIFACTORY_404, answer(200, {"xray_version": version})])
    assert jira.read_integration(client, NAME) is None
    assert transport.calls == [("GET", DETAILS), ("GET", VERSION)]


@pytest.mark.parametrize("version_reply", [
    pytest.param(ARTIFACTORY_404, id="version-404"),
    pytest.param(answer(200, {"revision": "abc"}), id="version-missing"),
    pytest.param(answer(200, {"xray_version": None}), id="version-null"),
    pytest.param(answer(200, {"xray_version": "latest"}), id="version-not-a-number"),
    pytest.param(answer(200, "<html>Login</html>", "text/html"), id="version-html"),
])
def test_read_integration_refuses_a_404_when_no_xray_version_can_be_read(version_reply):
    client, transport, _warnings = jira_client([ARTIFACTORY_404, version_reply])
    with pytest.raises(XrayError) as caught:
        jira.read_integration(client, NAME)
    assert "no Xray version could be read" in caught.value.message
    assert caught.value.status == 404
    assert transport.calls == [("GET", DETAILS), ("GET", VERSION)]


def test_read_integration_names_an_xray_too_old_for_the_api():
    client, transport, _warnings = jira_client([ARTIFACTORY_404, answer(200, {"xray_version": "3.120.0"})])
    with pytest.raises(XrayError) as caught:
        jira.read_integration(client, NAME)
    assert "3.120.0" in caught.value.message
    assert "3.129" in caught.value.message
    assert transport.calls == [("GET", DETAILS), ("GET", VERSION)]


def test_create_answered_with_an_html_page_and_not_found_after_is_an_error_with_one_post():
    client, transport, warnings = jira_client([answer(200, WAF_PAGE, "text/html"), XRAY_404, SUCCESS])
    with pytest.raises(XrayError) as caught:
        jira.create_integration(client, NAME, BODY)
    assert transport.calls == [("POST", PATH), ("GET", DETAILS)]
    assert "HTTP 200 (text/html)" in caught.value.message
    assert "has not taken effect" in caught.value.message
    assert warnings == []


def test_create_that_timed_out_and_is_found_after_counts_as_reread():
    client, transport, warnings = jira_client([failure(TIMEOUT, "slow"), answer(200, INTEGRATION), SUCCESS])
    assert jira.create_integration(client, NAME, BODY) == "re-read"
    assert transport.calls == [("POST", PATH), ("GET", DETAILS)]
    assert len(warnings) == 1 and "took effect" in warnings[0]


def test_create_that_timed_out_and_is_not_found_is_not_sent_again():
    client, transport, _warnings = jira_client([failure(TIMEOUT, "slow"), XRAY_404, SUCCESS])
    with pytest.raises(XrayError) as caught:
        jira.create_integration(client, NAME, BODY)
    assert transport.calls == [("POST", PATH), ("GET", DETAILS)]
    assert "not sent again" in caught.value.message
    assert jira.STILL_SAVING_HINT in caught.value.message


def test_create_whose_connection_dropped_and_is_not_found_is_sent_once_more():
    client, transport, _warnings = jira_client([failure(DROPPED, "reset"), XRAY_404, SUCCESS])
    assert jira.create_integration(client, NAME, BODY) == "answered"
    assert transport.calls == [("POST", PATH), ("GET", DETAILS), ("POST", PATH)]
    assert transport.count("POST") == 2
    assert transport.sent[0].json == transport.sent[2].json == BODY


def test_update_behind_a_504_that_reads_back_as_sent_counts_as_reread():
    changes = {"jira_server_url": "https://jira2.acme.test"}
    client, transport, _warnings = jira_client([answer(504, ""), answer(200, dict(INTEGRATION, **changes)),
                                                SUCCESS])
    assert jira.update_integration(client, NAME, dict(BODY, **changes), changes) == "re-read"
    assert transport.calls == [("PUT", PATH + "/" + NAME), ("GET", DETAILS)]


def test_update_behind_a_504_that_reads_back_unchanged_is_not_sent_again():
    changes = {"jira_server_url": "https://jira2.acme.test"}
    client, transport, _warnings = jira_client([answer(504, ""), answer(200, INTEGRATION), SUCCESS])
    with pytest.raises(XrayError) as caught:
        jira.update_integration(client, NAME, dict(BODY, **changes), changes)
    assert transport.calls == [("PUT", PATH + "/" + NAME), ("GET", DETAILS)]
    assert "not sent again" in caught.value.message
    assert jira.STILL_SAVING_HINT in caught.value.message


def test_update_of_the_password_alone_cannot_be_proved_by_reading_back():
    client, transport, _warnings = jira_client([answer(200, WAF_PAGE, "text/html"), answer(200, INTEGRATION), SUCCESS])
    with pytest.raises(XrayError) as caught:
        jira.update_integration(client, NAME, BODY, {})
    assert transport.count("PUT") == 1
    assert "cannot be read back" in caught.value.message


def test_delete_behind_a_502_that_is_still_there_is_sent_once_more():
    client, transport, _warnings = jira_client([answer(502, ""), answer(200, INTEGRATION), answer(204)])
    assert jira.delete_integration(client, NAME) == "answered"
    assert transport.calls == [("DELETE", PATH + "/" + NAME), ("GET", DETAILS), ("DELETE", PATH + "/" + NAME)]


def test_delete_that_timed_out_and_is_gone_counts_as_reread():
    client, transport, _warnings = jira_client([failure(TIMEOUT, "slow"), XRAY_404, answer(204)])
    assert jira.delete_integration(client, NAME) == "re-read"
    assert transport.count("DELETE") == 1


# -- 8. the deadline --------------------------------------------------------------------------------

def test_timeout_says_no_complete_answer_within_the_timeout_not_could_not_connect():
    run = run_write([failure(TIMEOUT, "read timed out")], verdict=False, timeout=7)
    error = error_of(run)
    assert "No complete answer to POST" in error.message
    assert "within 7 seconds" in error.message
    assert "Could not connect" not in error.message
    read = run_get([failure(TIMEOUT, "read timed out")] * 2, retries=1, timeout=12.5)
    assert "No complete answer to GET" in error_of(read).message
    assert "within 12.5 seconds" in read.outcome.message
    assert "within 12.5 seconds" in read.warnings[0]
    assert "Could not connect" not in read.outcome.message + read.warnings[0]
