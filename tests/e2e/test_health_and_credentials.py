# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16 end to end: the health counts only for the integration asked about, a documented status is
understood in a 500, password_sent tells whether the password left, the Jira credentials never show in
base64, blank JFrog credentials are refused before any request, and an older Xray fails before any write.

Each test runs real ansible-playbook (on the collection the Makefile installed from the tarball, see
e2e_support.collections_path) at -vvvv with --diff against the in-process Xray emulator, shapes the
status check's answers with fault rules, and checks what a user relies on: ok/changed/failed,
password_sent, status, the words of msg and of the warnings, the exact requests the emulator logged for
each task (the entries that arrived between the task's start and its result), and that no secret shows
in stdout, stderr or the recorded results, in any encoding, base64 of the basic-auth pairs included.

Where the transport must fail at one request only (the PUT after two GETs), the module talks to the emulator
through a TCP relay in this process that serves the first connection (the emulator closes it after the health
read) and then refuses, or ends in the TLS handshake, every later one: real sockets, no patching.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import html
import json
import os
import re
import socket
import struct
import threading
from urllib.parse import quote, quote_plus

import pytest

import e2e_support as e2e
from e2e_support import assert_words, during, expect, shape, warnings_of

API = "/xray/api/v1"
DETAILS = API + "/ticketing/jira-integrations/%s/details"
ITEM = API + "/ticketing/jira-integrations/%s"
COLLECTION = API + "/ticketing/jira-integrations"
STATUS = API + "/ticketing/integrations/status/check?integrationName=%s"
VERSION = API + "/system/version"
HEALTHY = "HEALTHY_INTEGRATION"
FAULTY = "FAULTY_CONFIGURATION"

JIRA_URL = "https://acme.atlassian.net"
JIRA_USER = e2e.create_args("x")["username"]  # the task's Jira user
STORED_USER = "stored-bot@acme.example"       # the Jira user Xray has stored, when it differs
# Distinctive, and full of what escaping changes: a quote, angle brackets, an ampersand, a slash, a space.
JIRA_PASSWORD = 'h3alth-Pw"<6d2b>&/ jira'
URL_USER = "svc-xray-basic"
URL_PASSWORD = 'urlPw-B4sic"<8e1f>&/ x'
URL_CREDENTIAL = "inUrlPw-5b7d"  # a password written into jira_server_url
SECRETS = {"jira_password": JIRA_PASSWORD, "url_password": URL_PASSWORD, "url_credential": URL_CREDENTIAL}
# Every basic-auth pair the module knows of, as Xray (to Jira) or the module (to Xray) sends it.
PAIRS = ((JIRA_USER, JIRA_PASSWORD), (STORED_USER, JIRA_PASSWORD), (URL_USER, URL_PASSWORD),
         (JIRA_USER, URL_CREDENTIAL))


# --------------------------------------------------------------------------- building blocks

def b64_pair(user, password):
    return base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")


def task(name, args, module="frogops.xray.jira_integration", **keywords):
    entry = {"name": name, module: args, "ignore_errors": True}
    entry.update(keywords)
    return entry


def info(name, args, **keywords):
    return task(name, args, module="frogops.xray.jira_integration_info", **keywords)


def play(tasks, **defaults):
    return {"name": "health and credentials", "hosts": "localhost", "gather_facts": False, "tasks": tasks,
            "module_defaults": {"group/frogops.xray.all": defaults}}


def token_play(url, tasks, **options):
    """A play whose tasks reach the emulator as admin with the access token, with fast retries."""
    return play(tasks, **e2e.connection_args(url, retries=1, **options))


def status_rule(name, body, http_status=200, times=-1):
    """A fault rule answering the status check of name with body (a status-check answer)."""
    return {"method": "GET", "path_regex": r"/status/check\?integrationName=%s$" % re.escape(name),
            "status": http_status, "times": times, "body": json.dumps(body)}


def served_normally(path_regex, method="GET"):
    """A rule that lets one matching request through untouched (rules are used in order, one time each)."""
    return {"method": method, "path_regex": path_regex, "headers": {"X-Emulator": "served normally"}}


def status_body(name, status, reason="Checked by the e2e test.", **extra):
    body = {"status": status, "reason": reason, "time": "2026-01-01T00:00:00Z", "integration_name": name}
    body.update(extra)
    return dict((key, value) for key, value in body.items() if value is not None)


def seed_faulty(emulator, name, **extra):
    """An integration storing the seeded password while its Jira accepts only JIRA_PASSWORD: Xray's health check
    says FAULTY_CONFIGURATION until a task sends JIRA_PASSWORD."""
    url = extra.pop("jira_server_url", "https://%s.atlassian.net" % name)
    record = emulator.seed(e2e.seed_record(name, jira_server_url=url, **extra))
    emulator.set_jira_password(url, JIRA_PASSWORD)
    return record


def rotation(name, **extra):
    """The task of a scheduled rotation job (on_unhealthy), its Jira URL as seed_faulty makes it."""
    extra.setdefault("jira_server_url", "https://%s.atlassian.net" % name)
    return e2e.create_args(name, password="{{ jira_password }}", update_password="on_unhealthy", **extra)


def secret_forms(value):
    """The secret as it could be read anywhere: raw, JSON-, HTML-, percent-escaped, as a repr, in base64."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             json.dumps(json.dumps(value)[1:-1])[1:-1], html.escape(value), html.escape(value, quote=False),
             html.escape(json.dumps(value)[1:-1]), quote(value, safe=""), quote(value), quote_plus(value),
             repr(value)[1:-1], ascii(value)[1:-1], base64.b64encode(value.encode("utf-8")).decode("ascii")}
    forms |= {form.lower() for form in forms if "%" in form}
    # Distinctive cores, found whatever is done to the characters around them.
    head, _quote, rest = value.partition('"')
    forms.add(head)
    core = rest.partition("&")[0]
    if core:
        forms |= {core, html.escape(core), quote(core, safe=""), quote(core, safe="").lower(),
                  json.dumps(core)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")}
    forms.discard("")
    return sorted(forms)


_BASE64_RE = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def decodable_secrets(text):
    """Base64 runs in text that decode to something holding a password (an echoed Authorization header)."""
    found = []
    passwords = [value.encode("utf-8") for value in SECRETS.values()] + [e2e.ADMIN_TOKEN.encode("ascii")]
    for match in _BASE64_RE.finditer(text):
        token = match.group(0)
        for start in range(4):  # whatever came glued before it
            chunk = token[start:]
            chunk = chunk[:len(chunk) - len(chunk) % 4] if not chunk.endswith("=") else chunk
            try:
                decoded = base64.b64decode(chunk, validate=True)
            except (binascii.Error, ValueError):
                continue
            if any(password in decoded or password.split(b'"')[0] in decoded for password in passwords):
                found.append(token)
    return found


def assert_no_secret(result):
    """No secret, no basic-auth pair, no decodable credential in stdout, stderr or the recorded results."""
    with open(result.args[3] + ".events.jsonl") as stream:
        events = stream.read()
    places = {"stdout": result.stdout, "stderr": result.stderr, "callback events": events}
    forms = set()
    for value in list(SECRETS.values()) + [e2e.ADMIN_TOKEN]:
        forms |= set(secret_forms(value))
    for user, password in PAIRS:
        forms |= {b64_pair(user, password), "%s:%s" % (user, password)}
    leaks = []
    for place, text in places.items():
        for form in sorted(forms):
            if form in text:
                index = text.index(form)
                leaks.append("%s shows %r: ...%s..." % (place, form, text[max(0, index - 200):index + 60]))
        leaks += ["%s holds base64 that decodes to a secret: %s" % (place, token) for token in decodable_secrets(text)]
    assert not leaks, "\n".join(leaks)


def run(workdir, plays, env=None):
    """ansible-playbook at -vvvv --diff with the secrets as extra vars; no traceback, no secret shown."""
    extra_vars = os.path.join(workdir, "secret-vars.json")
    with open(extra_vars, "w") as stream:
        json.dump(SECRETS, stream)
    result = e2e.run_playbook(workdir, plays, args=["-vvvv", "--diff", "-e", "@" + extra_vars], env=env)
    assert "Traceback (most recent call last)" not in result.stdout + result.stderr, result.describe()
    assert result.stdout.count("<localhost> EXEC") >= 1, "-vvvv output expected\n" + result.describe()
    assert_no_secret(result)
    return result


def assert_not_healthy(outcome):
    """Nothing reported healthy that was not read as healthy for that name."""
    assert (outcome.get("status") or {}).get("status") != HEALTHY, outcome


# --------------------------------------------------------------------------- case 1: Xray's spelling

def test_health_is_asked_under_xrays_spelling(emulator, workdir):
    """Xray stores Jira-Cloud, the tasks say jira-cloud: the info module (include_status), on_unhealthy and an
    update with verify_health all ask the status check for integrationName=Jira-Cloud (before and after the PUT)
    and read HEALTHY_INTEGRATION; none asks under the task's spelling (which would answer INTEGRATION_NOT_FOUND)."""
    emulator.seed(e2e.seed_record("Jira-Cloud"))
    details = e2e.seed_record("Jira-Cloud")
    del details["password"]
    emulator.add_faults([
        # Xray matches names without regard to case; the emulator does not, so these two answers are scripted.
        {"method": "GET", "path_regex": r"/jira-integrations/jira-cloud/details$", "status": 200, "times": -1,
         "body": json.dumps(details)},
        {"method": "PUT", "path_regex": r"/jira-integrations/jira-cloud$", "status": 200,
         "body": json.dumps({"info": "Integration has been successfully updated"})},
    ])
    # Asked as jira-cloud, the emulator's status check would answer INTEGRATION_NOT_FOUND (it matches names exactly).
    result = run(workdir, [token_play(emulator.url, [
        info("info", {"connection_name": "jira-cloud", "include_status": True}),
        task("on_unhealthy", dict(e2e.create_args("jira-cloud", password="{{ jira_password }}"),
                                  update_password="on_unhealthy")),
        task("verified update", e2e.create_args("jira-cloud", skip_proxy=True, verify_health=True)),
    ])])
    log = emulator.requests

    report = expect(result, "info", "ok", False)
    assert report["exists"] is True and report["integration"]["connection_name"] == "Jira-Cloud", report
    assert report["status"]["status"] == HEALTHY, report
    assert shape(during(log, result, "info")) == [("GET", DETAILS % "jira-cloud", 200),
                                                  ("GET", STATUS % "Jira-Cloud", 200)]

    rotated = expect(result, "on_unhealthy", "ok", False, False)
    assert rotated["status"]["status"] == report["status"]["status"] == HEALTHY, rotated
    assert_words(rotated["msg"], "'Jira-Cloud'", "nothing to do")
    assert shape(during(log, result, "on_unhealthy")) == [("GET", DETAILS % "jira-cloud", 200),
                                                          ("GET", STATUS % "Jira-Cloud", 200)]

    verified = expect(result, "verified update", "ok", True, False)
    assert verified["status"]["status"] == HEALTHY, verified
    assert verified["msg"] == "Integration 'Jira-Cloud' updated (skip_proxy).", verified["msg"]
    entries = during(log, result, "verified update")
    assert shape(entries) == [("GET", DETAILS % "jira-cloud", 200), ("GET", STATUS % "Jira-Cloud", 200),
                              ("PUT", ITEM % "jira-cloud", 200), ("GET", STATUS % "Jira-Cloud", 200)]
    assert entries[2]["json"] == {"connection_name": "Jira-Cloud", "skip_proxy": True}

    asked = [entry["query"].get("integrationName") for entry in log if "/status/check" in entry["path"]]
    assert asked == ["Jira-Cloud"] * 4, asked
    assert len(log) == 8


# --------------------------------------------------------------------------- case 2: another integration

def test_status_answer_about_another_integration_is_not_understood(emulator, workdir):
    """A status check that answers about 'other' (a cache ignoring the query string), or names no integration:
    the info module fails; on_unhealthy fails before any write, sending no password, whichever health the
    answer claims; a create or update whose read before the write is such an answer fails before the write;
    and when the read AFTER a write is such an answer (verify_health, on_unhealthy's second read), the task
    fails with changed true. Never is anything reported healthy."""
    seed_faulty(emulator, "faulty")        # really FAULTY; the answer says 'other' is healthy
    emulator.seed(e2e.seed_record("healthy", jira_server_url="https://healthy.atlassian.net"))  # answer: 'other' FAULTY
    seed_faulty(emulator, "nameless")      # the answer names no integration
    emulator.seed(e2e.seed_record("updated"))
    seed_faulty(emulator, "rotated")
    emulator.add_faults([
        status_rule("faulty", status_body("other", HEALTHY)),
        status_rule("healthy", status_body("other", FAULTY)),
        status_rule("nameless", status_body(None, HEALTHY)),
        status_rule("precheck", status_body("other", HEALTHY)),
        # The status check before the write is served normally, the one after it answers about another.
        served_normally(r"integrationName=created$"), status_rule("created", status_body("other", HEALTHY), times=1),
        served_normally(r"integrationName=updated$"), status_rule("updated", status_body("other", HEALTHY), times=1),
        served_normally(r"integrationName=rotated$"), status_rule("rotated", status_body("other", HEALTHY), times=1),
        served_normally(r"integrationName=created-nameless$"),
        status_rule("created-nameless", status_body(None, HEALTHY), times=1),
    ])
    result = run(workdir, [token_play(emulator.url, [
        info("info about another", {"connection_name": "faulty", "include_status": True}),
        info("info naming none", {"connection_name": "nameless", "include_status": True}),
        task("on_unhealthy, faulty, answer: other healthy", rotation("faulty")),
        task("on_unhealthy, healthy, answer: other faulty", rotation("healthy")),
        task("on_unhealthy, answer names none", rotation("nameless")),
        task("create verify_health, read before about another", e2e.create_args(
            "precheck", password="{{ jira_password }}", verify_health=True)),
        task("create verify_health, read after about another", e2e.create_args(
            "created", password="{{ jira_password }}", verify_health=True)),
        task("update verify_health, read after about another", e2e.create_args(
            "updated", skip_proxy=True, verify_health=True)),
        task("on_unhealthy, read after the PUT about another", rotation("rotated")),
        task("create on_unhealthy, read after names none", rotation(
            "created-nameless", jira_server_url=JIRA_URL)),
    ])])
    log = emulator.requests

    for name, integration, problem in (("info about another", "faulty", "another integration ('other')"),
                                       ("info naming none", "nameless", "no integration")):
        outcome = expect(result, name, "failed", False)
        assert_words(outcome["msg"], "Unexpected answer from Xray for the status check of '%s'" % integration, problem)
        assert "status" not in outcome and outcome.get("http_status") == 200, outcome
        assert shape(during(log, result, name)) == [("GET", DETAILS % integration, 200),
                                                    ("GET", STATUS % integration, 200)]

    for name, integration, problem in (("on_unhealthy, faulty, answer: other healthy", "faulty", "another integration"),
                                       ("on_unhealthy, healthy, answer: other faulty", "healthy", "another integration"),
                                       ("on_unhealthy, answer names none", "nameless", "no integration")):
        outcome = expect(result, name, "failed", False, False)
        assert_words(outcome["msg"], "status check of '%s'" % integration, problem)
        if problem == "another integration":
            assert_words(outcome["msg"], "('other')")
        assert_not_healthy(outcome)
        assert "status" not in outcome, outcome
        assert shape(during(log, result, name)) == [("GET", DETAILS % integration, 200),
                                                    ("GET", STATUS % integration, 200)]

    name = "create verify_health, read before about another"
    outcome = expect(result, name, "failed", False, False)
    assert_words(outcome["msg"], "status check of 'precheck'", "another integration ('other')")
    assert shape(during(log, result, name)) == [("GET", DETAILS % "precheck", 404), ("GET", STATUS % "precheck", 200)]

    for name, integration, first, method, path, sent, done, problem in (
            ("create verify_health, read after about another", "created", 404, "POST", COLLECTION, True, "created",
             "another integration ('other')"),
            ("update verify_health, read after about another", "updated", 200, "PUT", ITEM % "updated", False,
             "updated", "another integration ('other')"),
            ("on_unhealthy, read after the PUT about another", "rotated", 200, "PUT", ITEM % "rotated", True,
             "updated", "another integration ('other')"),
            ("create on_unhealthy, read after names none", "created-nameless", 404, "POST", COLLECTION, True,
             "created", "no integration")):
        outcome = expect(result, name, "failed", True, sent)
        assert_words(outcome["msg"], "Integration '%s' was %s, but reading its health failed" % (integration, done),
                     "status check of '%s'" % integration, problem)
        assert_not_healthy(outcome)
        entries = during(log, result, name)
        assert shape(entries) == [("GET", DETAILS % integration, first), ("GET", STATUS % integration, first),
                                  (method, path, 200), ("GET", STATUS % integration, 200)], name
        assert ("password" in entries[2]["json"]) is sent, entries[2]["json"]

    store = emulator.integrations
    assert store["created"]["password"] == store["created-nameless"]["password"] == JIRA_PASSWORD
    assert store["rotated"]["password"] == JIRA_PASSWORD and store["updated"]["skip_proxy"] is True
    for integration in ("faulty", "healthy", "nameless"):
        assert store[integration]["password"] == e2e.seed_record("x")["password"], integration
    assert "precheck" not in store
    assert sorted((entry["method"], entry["path"]) for entry in e2e.writes(log)) == sorted([
        ("POST", COLLECTION), ("POST", COLLECTION), ("PUT", ITEM % "rotated"), ("PUT", ITEM % "updated")])
    assert emulator.faults == [rule for rule in emulator.faults if rule["times"] < 0]  # every one-time rule was used


# --------------------------------------------------------------------------- case 4: base64 credentials

def _echo(*pairs):
    """What a server echoing the header it sent (or received) says: `Authorization: Basic base64(user:password)`."""
    return "Jira answered 401 to GET https://acme.atlassian.net/rest/api/2/myself; request headers: %s" % "; ".join(
        "{Authorization: Basic %s, Accept: application/json}" % b64_pair(*pair) for pair in pairs)


def test_basic_auth_pairs_are_never_shown(workdir):
    """A POST answered 400 echoing `Authorization: Basic base64(username:password)` of the task's Jira user, a PUT
    echoing it for the user Xray has stored, and answers echoing url_username:url_password: msg and output hold
    no decodable credential. A jira_server_url with credentials is refused before any request, not echoed."""
    emulator = e2e.XrayEmulator(host="127.0.0.1", users={URL_USER: (URL_PASSWORD, True)})
    with emulator:
        emulator.seed(e2e.seed_record("echo-put", username=STORED_USER))
        emulator.seed(e2e.seed_record("echo-basic"))
        emulator.add_faults([
            {"method": "POST", "path_regex": r"/jira-integrations$", "status": 400,
             "body": json.dumps({"error": _echo((JIRA_USER, JIRA_PASSWORD))})},
            {"method": "PUT", "path_regex": r"/jira-integrations/echo-put$", "status": 400,
             "body": json.dumps({"error": _echo((STORED_USER, JIRA_PASSWORD))})},
            {"method": "GET", "path_regex": r"/jira-integrations/echo-basic/details$", "status": 400,
             "body": json.dumps({"error": "Rejected: " + _echo((URL_USER, URL_PASSWORD))})},
            {"method": "PUT", "path_regex": r"/jira-integrations/echo-basic$", "status": 500, "content_type": "text/plain",
             "body": _echo((URL_USER, URL_PASSWORD), (JIRA_USER, JIRA_PASSWORD))},
        ])
        basic = {"url": emulator.url, "url_username": URL_USER, "url_password": "{{ url_password }}", "retries": 0}
        in_url = "https://%s:{{ url_credential }}@jira.example" % quote(JIRA_USER, safe="")
        result = run(workdir, [
            token_play(emulator.url, [
                task("POST echoes the task's pair", e2e.create_args("echo-post", password="{{ jira_password }}")),
                task("PUT echoes the stored pair", {"connection_name": "echo-put", "password": "{{ jira_password }}",
                                                    "update_password": "always"}),
                task("credentials in jira_server_url", e2e.create_args(
                    "in-url", password="{{ jira_password }}", jira_server_url=in_url)),
                task("credentials in jira_server_url, on_unhealthy", e2e.create_args(
                    "echo-put", password="{{ jira_password }}", update_password="on_unhealthy",
                    jira_server_url=in_url)),
            ]),
            play([
                info("info echoes url_username:url_password", {"connection_name": "echo-basic"}),
                task("PUT echoes both pairs", dict(e2e.create_args("echo-basic", password="{{ jira_password }}"),
                                                   update_password="always")),
            ], **basic),
        ])
        log = emulator.requests

    outcome = expect(result, "POST echoes the task's pair", "failed", False, True)
    assert_words(outcome["msg"], "HTTP 400", "POST", "Authorization: Basic ********")
    assert outcome.get("http_status") == 400
    entries = during(log, result, "POST echoes the task's pair")
    assert shape(entries) == [("GET", DETAILS % "echo-post", 404), ("POST", COLLECTION, 400)]
    outcome = expect(result, "PUT echoes the stored pair", "failed", False, True)
    assert_words(outcome["msg"], "HTTP 400", "PUT", "Authorization: Basic ********")
    entries = during(log, result, "PUT echoes the stored pair")
    assert shape(entries) == [("GET", DETAILS % "echo-put", 200), ("PUT", ITEM % "echo-put", 400)]
    for name in ("credentials in jira_server_url", "credentials in jira_server_url, on_unhealthy"):
        outcome = expect(result, name, "failed", False, False)
        assert_words(outcome["msg"], "jira_server_url must not contain credentials", "username", "password")
        assert "jira.example" not in outcome["msg"], outcome["msg"]
        assert during(log, result, name) == [], name

    outcome = expect(result, "info echoes url_username:url_password", "failed", False)
    assert_words(outcome["msg"], "HTTP 400", "Authorization: Basic ********")
    outcome = expect(result, "PUT echoes both pairs", "failed", False, True)
    assert_words(outcome["msg"], "HTTP 500", "Authorization: Basic ********")
    entries = during(log, result, "info echoes url_username:url_password")
    assert shape(entries) == [("GET", DETAILS % "echo-basic", 400)]
    entries = during(log, result, "PUT echoes both pairs")
    assert shape(entries) == [("GET", DETAILS % "echo-basic", 200), ("PUT", ITEM % "echo-basic", 500)]

    # The credentials did travel (so the echoes were real): the Jira password to Xray, the pair for basic auth.
    assert [entry["json"]["password"] for entry in e2e.writes(log)] == [JIRA_PASSWORD] * 3
    assert any(entry["headers"].get("Authorization") == "Basic " + b64_pair(URL_USER, URL_PASSWORD) for entry in log)
    assert not any("jira.example" in entry["body"] for entry in log)


# --------------------------------------------------------------------------- case 5: a documented status in a 500

def test_documented_status_in_a_500(emulator, workdir):
    """The status check answers HTTP 500 {"status": "INTERNAL_SERVER_ERROR", ..., "integration_name": NAME}: with
    on_unhealthy and a jira_server_url change, a warning, no password, the URL change made (PUT without the password);
    the info module returns the status without failing. FAULTY_CONFIGURATION in a 500 is understood too (the password
    is sent); a status that is not documented in a 500 is an HTTP error, nothing written."""
    emulator.seed(e2e.seed_record("ise", jira_server_url=JIRA_URL))
    seed_faulty(emulator, "faulty-500")
    emulator.seed(e2e.seed_record("unknown-500"))
    ise = status_body("ise", "INTERNAL_SERVER_ERROR", reason="Xray could not reach its database.")
    emulator.add_faults([
        status_rule("ise", ise, http_status=500),
        status_rule("faulty-500", status_body("faulty-500", FAULTY), http_status=500, times=1),
        status_rule("unknown-500", status_body("unknown-500", "JIRA_RATE_LIMITED"), http_status=500),
    ])
    result = run(workdir, [token_play(emulator.url, [
        task("on_unhealthy, URL change, ISE in a 500", rotation("ise", jira_server_url="https://moved.atlassian.net")),
        info("info, ISE in a 500", {"connection_name": "ise", "include_status": True}),
        task("on_unhealthy, FAULTY in a 500", rotation("faulty-500")),
        task("on_unhealthy, unknown status in a 500", rotation("unknown-500", jira_server_url=JIRA_URL)),
    ])])
    log = emulator.requests

    name = "on_unhealthy, URL change, ISE in a 500"
    outcome = expect(result, name, "ok", True, False)
    assert outcome["msg"] == "Integration 'ise' updated (jira_server_url).", outcome["msg"]
    assert outcome["status"] == {"status": "INTERNAL_SERVER_ERROR", "reason": ise["reason"], "time": ise["time"]}
    warned = [text for text in warnings_of(outcome) if "INTERNAL_SERVER_ERROR" in text]
    assert len(warned) == 1, outcome
    assert_words(warned[0], "'ise'", ise["reason"], "FAULTY_CONFIGURATION", "not on that basis")
    entries = during(log, result, name)
    assert shape(entries) == [("GET", DETAILS % "ise", 200), ("GET", STATUS % "ise", 500), ("PUT", ITEM % "ise", 200)]
    assert entries[2]["json"] == {"connection_name": "ise", "jira_server_url": "https://moved.atlassian.net"}
    store = emulator.integrations
    assert store["ise"]["jira_server_url"] == "https://moved.atlassian.net"
    assert store["ise"]["password"] == e2e.seed_record("x")["password"]

    outcome = expect(result, "info, ISE in a 500", "ok", False)
    assert outcome["exists"] is True and outcome["status"]["status"] == "INTERNAL_SERVER_ERROR", outcome
    entries = during(log, result, "info, ISE in a 500")
    assert shape(entries) == [("GET", DETAILS % "ise", 200), ("GET", STATUS % "ise", 500)]

    name = "on_unhealthy, FAULTY in a 500"
    outcome = expect(result, name, "ok", True, True)
    assert_words(outcome["msg"], "updated (password)", FAULTY)
    assert outcome["status"]["status"] == HEALTHY, outcome
    entries = during(log, result, name)
    assert shape(entries) == [("GET", DETAILS % "faulty-500", 200), ("GET", STATUS % "faulty-500", 500),
                              ("PUT", ITEM % "faulty-500", 200), ("GET", STATUS % "faulty-500", 200)]
    assert store["faulty-500"]["password"] == JIRA_PASSWORD

    name = "on_unhealthy, unknown status in a 500"
    outcome = expect(result, name, "failed", False, False)
    assert_words(outcome["msg"], "HTTP 500")
    assert outcome.get("http_status") == 500 and "status" not in outcome, outcome
    assert shape(during(log, result, name)) == [("GET", DETAILS % "unknown-500", 200),
                                                ("GET", STATUS % "unknown-500", 500)]
    assert [entry["path"] for entry in e2e.writes(log)] == [ITEM % "ise", ITEM % "faulty-500"]


# --------------------------------------------------------------------------- case 6: password_sent by the transport

class OneConnectionRelay:
    """A TCP relay to the emulator for ONE connection; what it does with every later connection is `then`:

    - "refuse": it stops listening, so connecting is refused by the kernel (the request never left);
    - "eof": it reads what the client sends first (a TLS ClientHello) and ends the connection cleanly (FIN);
    - "reset": the same, ending it with a TCP reset (RST), as a firewall or an overloaded server may.
    Over TLS, "eof" and "reset" are a handshake that fails before any request was sent.
    """

    def __init__(self, target_url, then="refuse", scheme="http"):
        self._target = ("127.0.0.1", int(target_url.rsplit(":", 1)[1]))
        self._then = then
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self.url = "%s://127.0.0.1:%d" % (scheme, self._listener.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _address = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return None
            self.accepted += 1
            client.settimeout(10)
            return client
        return None

    def _serve(self):
        client = self._accept()
        if self._then == "refuse":
            self._listener.close()  # from now on connecting is refused
        if client is not None:
            upstream = socket.create_connection(self._target, timeout=30)
            try:
                e2e.forward_proxy.relay(client, upstream, 30)
            finally:
                client.close()
                upstream.close()
        while self._then != "refuse":
            late = self._accept()
            if late is None:
                break
            try:
                late.recv(65536)  # the ClientHello
                if self._then == "reset":
                    late.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    late.shutdown(socket.SHUT_WR)
                    late.recv(65536)  # until the client gives up and closes
            except OSError:
                pass
            late.close()
        self._listener.close()

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(10)


def wait_for_put(url, name):
    """Until the emulator logged the PUT of name: the late answer was given (to nobody), the PUT is over."""
    return {"name": "wait for the late PUT", "ansible.builtin.uri": {"url": url + "/_emulator/requests"},
            "register": "requests_log", "retries": 40, "delay": 0.25, "no_log": True,  # the log holds the password
            "until": "requests_log.json.requests | selectattr('method', 'equalto', 'PUT') | selectattr("
                     "'path', 'search', '/%s$') | list | length > 0" % name}


# The health read's answer closes the kept-alive connection, so the PUT needs a new one (which the relay refuses).
CLOSE_AFTER_HEALTH = {"method": "GET", "path_regex": r"integrationName=(refused|tls)$", "headers": {"Connection": "close"}}


def test_password_sent_tells_whether_it_left(emulator, workdir):
    """on_unhealthy, health FAULTY: the PUT's connection refused (the emulator closes the kept-alive connection after
    the health read, the relay no longer listens) → failed, changed false, password_sent false, the server saw only
    the two GETs. The PUT's answer lost (dropped) or late (beyond timeout) → password_sent true, changed false."""
    for name in ("refused", "dropped", "late"):
        seed_faulty(emulator, name)
    emulator.add_faults([
        CLOSE_AFTER_HEALTH,
        {"method": "PUT", "path_regex": r"/jira-integrations/dropped$", "drop": True},
        {"method": "PUT", "path_regex": r"/jira-integrations/late$", "delay": 2},
    ])
    with OneConnectionRelay(emulator.url) as relay:
        result = run(workdir, [token_play(emulator.url, [
            task("PUT answer late", rotation("late", timeout=1)),
            wait_for_put(emulator.url, "late"),
            task("PUT answer lost", rotation("dropped")),
            task("PUT connection refused", rotation("refused", url=relay.url, retries=2)),
        ])])
    log = emulator.requests
    reads = [("GET", DETAILS % "%s", 200), ("GET", STATUS % "%s", 200)]

    outcome = expect(result, "PUT connection refused", "failed", False, False)
    assert_words(outcome["msg"], "Could not connect", "PUT")
    assert outcome["status"]["status"] == FAULTY, outcome
    assert relay.accepted == 1
    retried = [text for text in warnings_of(outcome) if text.startswith("Retrying PUT ")]
    assert len(retried) == 2, outcome
    entries = during(log, result, "PUT connection refused")
    assert shape(entries) == [(m, p % "refused", s) for m, p, s in reads]
    assert len({tuple(entry["client"]) for entry in entries}) == 1  # one kept-alive connection, then refused

    outcome = expect(result, "PUT answer lost", "failed", False, True)
    assert_words(outcome["msg"], "connection was lost", "PUT", "cannot be read back")
    assert shape(during(log, result, "PUT answer lost")) == [(m, p % "dropped", s) for m, p, s in reads] + [
        ("PUT", ITEM % "dropped", "dropped"), ("GET", DETAILS % "dropped", 200)]

    outcome = expect(result, "PUT answer late", "failed", False, True)
    assert_words(outcome["msg"], "No complete answer to PUT", "not sent again")
    entries = during(log, result, "PUT answer late")
    assert [(entry["method"], entry["path"]) for entry in entries] == [
        ("GET", DETAILS % "late"), ("GET", STATUS % "late"), ("PUT", ITEM % "late"), ("GET", DETAILS % "late")]

    store = emulator.integrations
    assert store["refused"]["password"] == e2e.seed_record("x")["password"]  # never sent
    assert store["late"]["password"] == JIRA_PASSWORD  # sent: Xray applied it after the module stopped waiting
    assert [entry["path"] for entry in e2e.writes(log)] == [ITEM % "late", ITEM % "dropped"]


@pytest.mark.parametrize("ending", ["eof", "reset"])
def test_tls_handshake_of_the_put_fails(ending, workdir, tls_files):
    """on_unhealthy over HTTPS, health FAULTY, and the PUT's new connection fails in the TLS handshake (the server
    ends it after the ClientHello, cleanly or with a reset): the password never left, so password_sent false,
    failed, changed false; the server saw only the two GETs and still stores the old password."""
    https = e2e.XrayEmulator(host="127.0.0.1", certfile=tls_files.server_cert, keyfile=tls_files.server_key)
    with https, OneConnectionRelay(https.url, then=ending, scheme="https") as relay:
        seed_faulty(https, "tls")
        https.add_fault(**CLOSE_AFTER_HEALTH)
        result = run(workdir, [token_play(relay.url, [
            task("PUT TLS handshake fails", rotation("tls", ca_path=tls_files.ca_pem, retries=2)),
        ])])
        log = https.requests
        store = https.integrations
    outcome = expect(result, "PUT TLS handshake fails", "failed", False, False)
    assert_words(outcome["msg"], ITEM % "tls")
    assert outcome["status"]["status"] == FAULTY, outcome
    assert shape(log) == [("GET", DETAILS % "tls", 200), ("GET", STATUS % "tls", 200)]
    assert store["tls"]["password"] == e2e.seed_record("x")["password"]
    assert relay.accepted >= 2  # the kept-alive connection of the GETs, then the PUT's


# --------------------------------------------------------------------------- cases 7 and 11: blank credentials

def blank_message(option, variable):
    return "%s is set but empty (by the task, or by %s in the environment)" % (option, variable)


def test_blank_jfrog_credentials_in_the_environment(emulator, workdir):
    """JFROG_ACCESS_TOKEN, JFROG_USERNAME and JFROG_PASSWORD all "" in ansible-playbook's environment: both modules
    fail before any request naming access_token and JFROG_ACCESS_TOKEN (no "Authorization: Basic Og==" sent). A task
    that sets working credentials (through `environment:`) reaches the emulator: the log is empty for a reason."""
    emulator.seed(e2e.seed_record("blank"))
    # Not secrets of the test: ansible-core itself prints a task's environment at -vvvv (its EXEC line).
    working = {"JFROG_USERNAME": "admin", "JFROG_PASSWORD": "emulator-admin-password"}
    result = run(workdir, [play([
        task("jira_integration", e2e.create_args("blank", password="{{ jira_password }}")),
        info("jira_integration_info", {"connection_name": "blank", "include_status": True}),
        info("working credentials", {"connection_name": "blank", "access_token": e2e.ADMIN_TOKEN}, environment=working),
    ], url=emulator.url, retries=0)], env={"JFROG_ACCESS_TOKEN": "", "JFROG_USERNAME": "", "JFROG_PASSWORD": ""})
    log = emulator.requests
    for name, password_sent in (("jira_integration", False), ("jira_integration_info", None)):
        outcome = expect(result, name, "failed", False, password_sent)
        assert_words(outcome["msg"], blank_message("access_token", "JFROG_ACCESS_TOKEN"))
        assert "url_username" not in outcome["msg"] and "url_password" not in outcome["msg"], outcome["msg"]
        assert during(log, result, name) == [], name
    expect(result, "working credentials", "ok", False)
    assert shape(log) == [("GET", DETAILS % "blank", 200)]
    assert log[0]["headers"]["Authorization"] == "Bearer " + e2e.ADMIN_TOKEN


# name -> (task-level module options, environment of the task, the option named, its variable)
BLANK_CASES = [
    ("access_token from a lookup of an unset variable", {"access_token": "{{ lookup('env', 'FROGOPS_E2E_UNSET') }}"},
     {}, "access_token", "JFROG_ACCESS_TOKEN"),
    ("access_token blank (task)", {"access_token": "   "}, {}, "access_token", "JFROG_ACCESS_TOKEN"),
    ("all three whitespace (environment)", {}, {"JFROG_ACCESS_TOKEN": "  ", "JFROG_USERNAME": " ",
                                                "JFROG_PASSWORD": "\t"}, "access_token", "JFROG_ACCESS_TOKEN"),
    ("JFROG_ACCESS_TOKEN empty alone", {}, {"JFROG_ACCESS_TOKEN": ""}, "access_token", "JFROG_ACCESS_TOKEN"),
    ("JFROG_USERNAME blank alone", {}, {"JFROG_USERNAME": " ", "JFROG_PASSWORD": "emulator-admin-password"},
     "url_username", "JFROG_USERNAME"),
    ("JFROG_PASSWORD empty alone", {}, {"JFROG_USERNAME": "admin", "JFROG_PASSWORD": ""},
     "url_password", "JFROG_PASSWORD"),
    ("url_username empty (task)", {"url_username": "", "url_password": "emulator-admin-password"}, {},
     "url_username", "JFROG_USERNAME"),
    ("url_password whitespace (task)", {"url_username": "admin", "url_password": "  "}, {},
     "url_password", "JFROG_PASSWORD"),
]


def test_blank_credentials_fail_before_any_request(emulator, workdir):
    """Case 11 and the siblings of case 7: an empty access_token (an env lookup of an unset variable) says
    access_token is empty, not that url_password is needed with url_username; every credential set but blank,
    by the task or by its variable, empty or whitespace, fails before any request naming the option and the
    variable, in both modules. The same credentials given properly work (one GET each)."""
    emulator.seed(e2e.seed_record("blank"))
    tasks = []
    for name, options, environment, _option, _variable in BLANK_CASES:
        keywords = {"environment": environment} if environment else {}
        tasks.append(task(name, dict(e2e.create_args("blank", password="{{ jira_password }}"), **options), **keywords))
        tasks.append(info(name + " (info)", dict(options, connection_name="blank"), **keywords))
    tasks += [info("token given", {"connection_name": "blank", "access_token": e2e.ADMIN_TOKEN}),
              info("basic auth from the environment", {"connection_name": "blank"},
                   environment={"JFROG_USERNAME": "admin", "JFROG_PASSWORD": "emulator-admin-password"})]
    result = run(workdir, [play(tasks, url=emulator.url, retries=0)])
    log = emulator.requests
    for name, _options, _environment, option, variable in BLANK_CASES:
        for task_name, password_sent in ((name, False), (name + " (info)", None)):
            outcome = expect(result, task_name, "failed", False, password_sent)
            assert_words(outcome["msg"], blank_message(option, variable))
            others = {"access_token", "url_username", "url_password"} - {option}
            assert not [word for word in others if word in outcome["msg"]], outcome["msg"]
            assert "********" not in outcome["msg"], outcome["msg"]
    for name in ("token given", "basic auth from the environment"):
        expect(result, name, "ok", False)
    assert shape(log) == [("GET", DETAILS % "blank", 200)] * 2
    assert log[1]["headers"]["Authorization"] == "Basic " + b64_pair("admin", "emulator-admin-password")


# --------------------------------------------------------------------------- case 9: Xray without the status API

# name -> (seeded?, task options, check mode)
HEALTH_TASKS = [
    ("create verify_health", False, {"verify_health": True}, False),
    ("create on_unhealthy", False, {"update_password": "on_unhealthy"}, False),
    ("update verify_health", True, {"verify_health": True, "skip_proxy": True}, False),
    ("create verify_health check", False, {"verify_health": True}, True),
    ("create on_unhealthy check", False, {"update_password": "on_unhealthy"}, True),
    ("update verify_health check", True, {"verify_health": True, "skip_proxy": True}, True),
]


def slug(name):
    return name.replace(" ", "-").replace("_", "-")


def _health_play(emulator):
    tasks = []
    for name, seeded, options, check_mode in HEALTH_TASKS:
        integration = slug(name)
        if seeded:
            emulator.seed(e2e.seed_record(integration))
        keywords = {"check_mode": True} if check_mode else {}
        tasks.append(task(name, e2e.create_args(integration, password="{{ jira_password }}", **options), **keywords))
    emulator.seed(e2e.seed_record("nothing-to-change"))
    tasks.append(task("verify_health, nothing to change", e2e.create_args("nothing-to-change", verify_health=True)))
    return token_play(emulator.url, tasks)


@pytest.mark.parametrize("xray_version", ["3.130.0", "3.140.0"])
def test_tasks_that_need_the_health(xray_version, emulator, workdir):
    """A create with verify_health or on_unhealthy, an update with verify_health, and their check mode: on Xray 3.130
    (no status API) each fails before any write, naming 3.130 and 3.136, changed false, password_sent false, after
    GET details, GET status (a 404 not Xray's), GET version. On 3.140 each costs GET details, GET status, the write,
    GET status (check mode: the first two). verify_health with nothing to change: one GET on both."""
    emulator.set_config(xray_version=xray_version)
    result = run(workdir, [_health_play(emulator)])
    log = emulator.requests
    old = xray_version == "3.130.0"
    for name, seeded, options, check_mode in HEALTH_TASKS:
        integration = slug(name)
        first = 200 if seeded else 404
        entries = during(log, result, name)
        if old:
            outcome = expect(result, name, "failed", False, False)
            assert_words(outcome["msg"], "Xray 3.130.0 does not provide the integration status API", "3.136")
            assert outcome.get("http_status") == 404 and "status" not in outcome, outcome
            assert shape(entries) == [("GET", DETAILS % integration, first), ("GET", STATUS % integration, 404),
                                      ("GET", VERSION, 200)], name
            continue
        sent = not seeded  # a create carries the password; the update of skip_proxy does not
        outcome = expect(result, name, "ok", True, sent)
        expected = [("GET", DETAILS % integration, first), ("GET", STATUS % integration, first)]
        if check_mode:
            assert_words(outcome["msg"], "would be")
            assert "status" not in outcome, outcome  # the check before a write is not reported
        else:
            method, path = ("PUT", ITEM % integration) if seeded else ("POST", COLLECTION)
            expected += [(method, path, 200), ("GET", STATUS % integration, 200)]
            assert outcome["status"]["status"] == HEALTHY, outcome
        assert shape(entries) == expected, name
    outcome = expect(result, "verify_health, nothing to change", "ok", False, False)
    assert shape(during(log, result, "verify_health, nothing to change")) == [
        ("GET", DETAILS % "nothing-to-change", 200)]
    store = emulator.integrations
    if old:
        assert e2e.writes(log) == []
        assert store["update-verify-health"]["skip_proxy"] is False
        assert "create-verify-health" not in store and "create-on-unhealthy" not in store
    else:
        assert sorted(entry["method"] for entry in e2e.writes(log)) == ["POST", "POST", "PUT"]
        assert store["create-on-unhealthy"]["password"] == JIRA_PASSWORD
        assert "create-verify-health-check" not in store
        assert store["update-verify-health-check"]["skip_proxy"] is False
