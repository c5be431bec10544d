# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile input, as property tests: the modules run in-process against the in-process emulator.

- random option values (unicode, huge strings, wrong types): success or fail_json, never a traceback;
- random answers to the details GET: fail_json or success, and never a write after an answer the
  module could not understand;
- any connection_name reaches Xray as one percent-encoded path segment.

Bounded: 60 examples per property (E2E_HYPOTHESIS_EXAMPLES to change), no deadline (the emulator is real HTTP).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import socket
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import e2e_support as e2e

# E2E_HYPOTHESIS_EXAMPLES raises the bound for a longer hunt (default 60).
SETTINGS = settings(max_examples=int(os.environ.get("E2E_HYPOTHESIS_EXAMPLES", "60")), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
HUGE = 200000
STRING_FIELDS = ("auth_type", "username", "installation_type", "jira_server_url")
DETAILS_RE = re.compile(r"^/xray/api/v1/ticketing/jira-integrations/([^?]*)/details$")


@pytest.fixture(scope="module")
def servers(tls_files):
    """One plain and one HTTPS emulator for the whole module; every example resets them."""
    plain = e2e.XrayEmulator(host="127.0.0.1")
    https = e2e.XrayEmulator(host="127.0.0.1", certfile=tls_files.server_cert, keyfile=tls_files.server_key)
    with plain, https:
        yield plain, https


def _closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


CLOSED_PORT = _closed_port()


def run(module_name, args, **kwargs):
    """Run the module; a traceback (an exception other than the module's own exit) fails the test."""
    result = e2e.run_module(module_name, args, **kwargs)
    assert result.exit_code in (0, 1), result.raw[-2000:]
    assert result.failed == (result.exit_code == 1), result.raw[-2000:]
    if "exception" in result:
        # The only traceback a module may return: requests is not installed (missing_required_lib).
        assert "requests" in result["msg"] and "pip" in result["msg"].lower(), result.raw[-2000:]
    assert "Traceback (most recent call last)" not in result.raw
    if result.failed:
        assert isinstance(result.get("msg"), str) and result["msg"], result.raw[-2000:]
    return result


# --------------------------------------------------------------------------- random option values

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.just("x" * HUGE), st.just("é€😀\u202e\x00\n\t" * 500),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
SAFE_TEXT = st.text(alphabet=st.characters(blacklist_characters=":", blacklist_categories=("Cs",)), max_size=60)  # never a URL of another host


def url_choices(plain, https):
    return st.sampled_from([
        plain, plain + "/", plain + "/xray", plain + "/xray/api/v1/", https, https + "/xray",
        "http://127.0.0.1:%d" % CLOSED_PORT, https.replace("https:", "http:"), plain.replace("http:", "https:"),
        "ftp://127.0.0.1/", "", "   ", "127.0.0.1", "http://", "https:///path",
    ]) | SAFE_TEXT


def option(strategy):
    """Mostly a value of the right kind, sometimes junk."""
    return st.one_of(strategy, strategy, strategy, JUNK)


def mostly(valid, other):
    return st.one_of(valid, valid, valid, valid, other)


@st.composite
def hostile_args(draw, plain, https, tls):
    optional = {
        "url": option(url_choices(plain, https)),
        "access_token": option(st.sampled_from([e2e.ADMIN_TOKEN, e2e.READER_TOKEN, "tok\n", "tök€n", " "])),
        "url_username": option(st.sampled_from(["admin", "reader", "ädmin", "a:b"])),
        "url_password": option(st.sampled_from(["emulator-admin-password", "pä$$€", "\x00", ""])),
        "validate_certs": option(st.booleans()),
        "ca_path": option(st.sampled_from([tls.ca_pem, tls.other_ca_pem, "/nonexistent/ca.pem", tls.server_key,
                                           tls.directory])),
        "client_cert": option(st.sampled_from([tls.client_cert, "/nonexistent/cert.pem", tls.ca_pem])),
        "client_key": option(st.sampled_from([tls.client_key, "/nonexistent/key.pem"])),
        "use_proxy": option(st.booleans()),
        "timeout": option(st.sampled_from([0.001, 5, -1, 0, "5", "abc", "nan", "inf", 1e10, 2 ** 63])),
        "retries": option(st.integers(min_value=-2, max_value=1)),
        "retry_backoff": option(st.sampled_from([0, 0.001, -1, "x", "nan", "inf", 1e308])),
        "connection_name": option(st.text(min_size=1, max_size=30) | st.just("n" * HUGE)),
        "name": option(st.text(max_size=10)),
        "state": option(st.sampled_from(["present", "absent", "PRESENT", ""])),
        "auth_type": option(st.sampled_from(["basic", "oauth1", "Basic"])),
        "username": option(st.text(max_size=30)),
        "password": option(st.text(max_size=30)),
        "installation_type": option(st.sampled_from(["cloud", "server", "Cloud", "datacenter"])),
        "jira_server_url": option(st.sampled_from(["https://acme.atlassian.net", "http://jira.example/", "jira",
                                                   "https://", "javascript:alert(1)"]) | SAFE_TEXT),
        "skip_proxy": option(st.booleans() | st.sampled_from(["yes", "no", "maybe"])),
        "update_password": option(st.sampled_from(["always", "on_create", "never"])),
        "verify_health": option(st.booleans()),
        "unknown_option": JUNK,
    }
    # A working task, of which a few options are replaced or removed: deep paths are reached too.
    args = e2e.connection_args(plain, retries=0, timeout=5)
    if draw(st.booleans()):
        args.update(e2e.create_args("jira-random"))
    else:
        args["connection_name"] = "jira-random"
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=5)):
        if draw(st.integers(0, 5)):
            args[key] = draw(optional[key])
        else:
            args.pop(key, None)
    return args


def test_random_options_never_cause_a_traceback(servers, tls_files):
    plain, https = servers

    @SETTINGS
    @given(args=hostile_args(plain.url, https.url, tls_files),
           module_name=st.sampled_from(["jira_integration", "jira_integration", "jira_integration_info"]),
           check_mode=st.booleans(), seeded=st.booleans())
    @example(args={"url": https.url, "access_token": e2e.ADMIN_TOKEN, "ca_path": "/nonexistent/ca.pem",
                   "connection_name": "x"}, module_name="jira_integration_info", check_mode=False, seeded=False)
    @example(args={"url": https.url, "access_token": e2e.ADMIN_TOKEN, "ca_path": tls_files.ca_pem,
                   "client_cert": "/nonexistent/cert.pem", "connection_name": "x"},
             module_name="jira_integration_info", check_mode=False, seeded=False)
    @example(args={"url": plain.url, "access_token": "tök€n", "connection_name": "x"},
             module_name="jira_integration", check_mode=False, seeded=False)
    @example(args={"url": plain.url, "url_username": "ädmin", "url_password": "pä$$€", "connection_name": "x"},
             module_name="jira_integration", check_mode=False, seeded=False)
    @example(args={"url": plain.url, "access_token": "tok\nX-Injected: 1", "connection_name": "x"},
             module_name="jira_integration", check_mode=False, seeded=False)
    @example(args={"url": plain.url, "access_token": e2e.ADMIN_TOKEN, "timeout": "nan", "connection_name": "x"},
             module_name="jira_integration", check_mode=False, seeded=False)
    @example(args={"url": plain.url, "access_token": e2e.ADMIN_TOKEN, "timeout": 1e10, "connection_name": "x"},
             module_name="jira_integration", check_mode=False, seeded=False)
    def check(args, module_name, check_mode, seeded):
        for server in (plain, https):
            server.reset()
            if seeded:
                server.seed(e2e.seed_record("jira-random", username="old-bot@acme.example"))
        run(module_name, args, check_mode=check_mode)

    check()


# --------------------------------------------------------------------------- random answers to the details GET

JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                      st.text(max_size=20))
JSON_ANY = st.recursive(JSON_LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=12)
NAME = "jira-hostile"


@st.composite
def details_bodies(draw):
    """(content_type, body text) for the details GET: documented shapes, near misses and garbage."""
    kind = draw(st.sampled_from(["object"] * 6 + ["any-json", "text", "truncated", "huge"]))
    content_type = draw(st.sampled_from(["application/json"] * 4 + [
        "application/json; charset=utf-8", "text/html", "text/plain", "application/octet-stream"]))
    if kind == "any-json":
        return content_type, json.dumps(draw(JSON_ANY))
    if kind == "text":
        return content_type, draw(st.text(max_size=200))
    body = {}
    fields = {
        "connection_name": mostly(st.just(NAME), JSON_ANY),
        "integrationName": mostly(st.just(NAME), JSON_ANY),
        "auth_type": mostly(st.sampled_from(["basic", "oauth1", "oauth2", "BASIC", ""]), JSON_ANY),
        "username": mostly(st.sampled_from(["xray-bot@acme.example", "other"]), JSON_ANY),
        "installation_type": mostly(st.sampled_from(["cloud", "server", "SERVER"]), JSON_ANY),
        "jira_server_url": mostly(st.sampled_from(["https://acme.atlassian.net", "https://ACME.atlassian.net/"]),
                                  JSON_ANY),
        "skip_proxy": mostly(st.booleans(), JSON_ANY),
        "password": st.text(max_size=10),
        "extra": JSON_ANY,
    }
    # Mostly with a name, so that both outcomes (understood or not) are common.
    body[draw(st.sampled_from(["connection_name", "connection_name", "integrationName"]))] = NAME
    for key in draw(st.lists(st.sampled_from(sorted(fields)), unique=True)):
        body[key] = draw(fields[key])
    if kind == "huge":
        body[draw(st.sampled_from(["username", "extra", "jira_server_url"]))] = "é" * HUGE
    text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    if kind == "truncated":
        text = text[:draw(st.integers(0, max(0, len(text) - 1)))]
    return content_type, text


def understood(status, content_type, text):
    """Whether a details answer is one the module can act on (the documented contract).

    JSON is read where the server says so, or says text/plain; an HTML page or a download is never data.
    """
    if status != 200 or not ("json" in content_type or content_type.startswith("text/plain")):
        return False
    try:
        body = json.loads(text)
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    name = body.get("connection_name")
    if name is None:
        name = body.get("integrationName")
    if not isinstance(name, str) or name.casefold() != NAME.casefold():  # the details of this integration
        return False
    if any(body.get(field) is not None and not isinstance(body.get(field), str) for field in STRING_FIELDS):
        return False
    # Missing or null skip_proxy reads as false, its documented default.
    return body.get("skip_proxy") is None or isinstance(body["skip_proxy"], bool)


def test_random_details_answers_never_lead_to_a_blind_write(servers):
    plain, _https = servers

    @SETTINGS
    @given(answer=details_bodies(), status=st.sampled_from([200, 200, 200, 404, 500, 302, 418]),
           state=st.sampled_from(["present", "absent"]), check_mode=st.booleans(),
           task=st.fixed_dictionaries({}, optional={
               "username": st.sampled_from(["xray-bot@acme.example", "new-bot"]),
               "installation_type": st.sampled_from(["cloud", "server"]),
               "jira_server_url": st.sampled_from(["https://acme.atlassian.net", "https://jira.acme.example/"]),
               "skip_proxy": st.booleans(), "update_password": st.just("always"),
               "password": st.just("jira-hostile-pw"), "verify_health": st.booleans()}))
    def check(answer, status, state, check_mode, task):
        plain.reset()
        plain.seed(e2e.seed_record(NAME))
        content_type, text = answer
        plain.add_fault(method="GET", path_regex=r"/details$", status=status, content_type=content_type, body=text)
        args = dict(e2e.connection_args(plain.url, retries=0), connection_name=NAME, state=state, **task)
        result = run("jira_integration", args, check_mode=check_mode)
        log = plain.requests
        assert log and log[0]["method"] == "GET" and log[0]["status"] == status
        if status == 404:
            # Any 404 here is absent on Xray's word: its own {"error"} shape, or else the version endpoint at the
            # same URL (the emulator's, always there) confirms that Xray answered. A create is right then.
            assert e2e.methods(e2e.writes(log)) in ([], ["POST"])
            if state == "absent" or check_mode:
                assert e2e.writes(log) == [], result
            if state == "absent":
                assert not result.failed and result["changed"] is False, result
            return
        if not understood(status, content_type, text):
            assert e2e.writes(log) == [], (status, content_type, text[:300], result)
            assert result.failed, (status, content_type, text[:300], result)
            assert result["changed"] is False

    check()


# --------------------------------------------------------------------------- connection names in the path

# No NUL: ansible-core 2.21 itself refuses arguments with one (it cannot log them to syslog).
NAME_ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00") | st.sampled_from(
    list("/.?#% &+;=@\\"))


def test_any_connection_name_is_one_encoded_segment(servers):
    plain, _https = servers

    @SETTINGS
    @given(name=st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=40).filter(lambda n: n.strip()))
    @example(name="..")
    @example(name=".")
    @example(name="a/../b")
    @example(name="jira?state=absent#frag")
    @example(name="100% done")
    @example(name="%2F%2e%2E")
    @example(name="Jira Überwachung 監視 😀")
    def check(name):
        plain.reset()
        plain.seed(e2e.seed_record(name))
        result = run("jira_integration_info", dict(e2e.connection_args(plain.url, retries=0), connection_name=name))
        assert not result.failed, result
        assert result["exists"] is True and result["integration"]["connection_name"] == name
        (entry,) = plain.requests
        match = DETAILS_RE.match(entry["path"])
        assert match, entry["path"]
        segment = match.group(1)
        assert "/" not in segment and "?" not in segment and "#" not in segment, segment
        assert re.fullmatch(r"[A-Za-z0-9_.~%-]*", segment), segment
        assert unquote(segment, errors="strict") == name
        assert entry["query"] == {}

    check()
