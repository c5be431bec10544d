# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""update_password=on_unhealthy end to end: the Jira credential is sent exactly when Xray reports it broken.

Each test runs real ansible-playbook (on the collection the Makefile installed from the tarball, see
e2e_support.collections_path) against the in-process Xray emulator, whose Jira accepts one password
per URL (tests/emulator/README.md, "Jira's side"): revoking a token is setting another password there,
through the control API. The tests check what a scheduled job relies on: ok/changed/failed,
password_sent, status, the words of msg and the warnings, and the exact requests the emulator logged
for each task (the log entries that arrived between the task's start and its result).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import html
import json
import os

from urllib.parse import quote, quote_plus

import e2e_support as e2e
from e2e_support import assert_words, during, expect, shape, warnings_of

JIRA_URL = "https://acme.atlassian.net"
# Distinctive, and full of what escaping changes: quotes, angle brackets, an ampersand, a slash, a space.
OLD_PASSWORD = 'rev0ked-Tok"<9f3e>&/ old'
NEW_PASSWORD = 'fre5h-Tok"<4a1c>&/ new'
NEW_USER = "other-bot@acme.example"
CONNECT_FAILED = ("We were not able to connect to your Jira based on the credentials you provided, "
                  "please check all the values and try again.")
FAULTY_REASON = "The system is unable to connect to Jira."
DETAILS = "/xray/api/v1/ticketing/jira-integrations/%s/details"
ITEM = "/xray/api/v1/ticketing/jira-integrations/%s"
STATUS = "/xray/api/v1/ticketing/integrations/status/check?integrationName=%s"
VERSION = "/xray/api/v1/system/version"


# --------------------------------------------------------------------------- building blocks

def seed(emulator, name, password=OLD_PASSWORD, accepted=None, **extra):
    """An integration storing password; Jira at its URL accepts only `accepted` (None: leave Jira as it is)."""
    record = e2e.seed_record(name, password=password, **extra)
    emulator.seed(record)
    if accepted is not None:
        emulator.set_jira_password(record["jira_server_url"], accepted)
    return record


def rotation_args(name, password=NEW_PASSWORD, **extra):
    """The task of a scheduled rotation job: the integration as code, the token it holds, on_unhealthy."""
    return e2e.create_args(name, password=password, update_password="on_unhealthy", **extra)


def task(name, args, module="frogops.xray.jira_integration", **keywords):
    entry = {"name": name, module: args, "ignore_errors": True}
    entry.update(keywords)
    return entry


def revoke(url, password, jira_url=JIRA_URL):
    """A Jira admin revokes the token: from now on Jira accepts only `password` (set through the control API)."""
    return {"name": "revoke the token in Jira", "ansible.builtin.uri": {
        "url": url + "/_emulator/jira", "method": "PUT", "body_format": "json",
        "body": {"jira_server_url": jira_url, "password": password}}}


def play(url, tasks):
    return {"name": "jira password rotation", "hosts": "localhost", "gather_facts": False, "tasks": tasks,
            "module_defaults": {"group/frogops.xray.all": e2e.connection_args(url, retries=1)}}


def run(workdir, url, tasks, args=()):
    result = e2e.run_playbook(workdir, [play(url, tasks)], args=args)
    assert "Traceback (most recent call last)" not in result.stdout + result.stderr, result.describe()
    return result


def reads(name, status_code=200):
    """The two reads of on_unhealthy: the details, then the health."""
    return [("GET", DETAILS % name, 200), ("GET", STATUS % name, status_code)]


# --------------------------------------------------------------------------- the tests

def test_healthy_integration_is_left_alone(emulator, workdir):
    """Healthy and nothing else differs: two GETs (details, health), no write, ok, password_sent false,
    whichever token the task holds (Xray cannot tell, and the stored one works)."""
    seed(emulator, "healthy", accepted=OLD_PASSWORD)
    result = run(workdir, emulator.url, [
        task("same token", rotation_args("healthy", password=OLD_PASSWORD)),
        task("another token", rotation_args("healthy", password=NEW_PASSWORD)),
    ])
    log = emulator.requests
    for name in ("same token", "another token"):
        outcome = expect(result, name, "ok", False, False)
        assert outcome["status"]["status"] == "HEALTHY_INTEGRATION", outcome
        assert_words(outcome["msg"], "'healthy'", "nothing to do")
        assert warnings_of(outcome) == [], outcome
        assert shape(during(log, result, name)) == reads("healthy"), name
    assert e2e.methods(log) == ["GET"] * 4
    assert emulator.integrations["healthy"]["password"] == OLD_PASSWORD


def test_revoked_token_rotation(emulator, workdir):
    """The yearly rotation: healthy; the token is revoked in Jira; the run with the old token sends it, Xray's
    400 comes back, failed with Xray's words and changed false; the run with the new token sends it once,
    the health read after the PUT is healthy, changed; the next run is ok with two GETs."""
    seed(emulator, "rotate", accepted=OLD_PASSWORD)
    result = run(workdir, emulator.url, [
        task("before", rotation_args("rotate", password=OLD_PASSWORD)),
        revoke(emulator.url, NEW_PASSWORD),
        task("old token", rotation_args("rotate", password=OLD_PASSWORD)),
        task("new token", rotation_args("rotate", password=NEW_PASSWORD)),
        task("next run", rotation_args("rotate", password=NEW_PASSWORD)),
    ])
    log = emulator.requests

    before = expect(result, "before", "ok", False, False)
    assert before["status"]["status"] == "HEALTHY_INTEGRATION"
    assert shape(during(log, result, "before")) == reads("rotate")

    old = expect(result, "old token", "failed", False, True)
    assert CONNECT_FAILED in old["msg"] and "400" in old["msg"], old["msg"]
    assert old.get("http_status") == 400, old
    assert old["status"]["status"] == "FAULTY_CONFIGURATION", old
    entries = during(log, result, "old token")
    assert shape(entries) == reads("rotate") + [("PUT", ITEM % "rotate", 400)]
    assert entries[2]["json"] == {"connection_name": "rotate", "password": OLD_PASSWORD}

    new = expect(result, "new token", "ok", True, True)
    assert_words(new["msg"], "'rotate'", "password", "FAULTY_CONFIGURATION", FAULTY_REASON)
    assert new["status"]["status"] == "HEALTHY_INTEGRATION", new
    assert warnings_of(new) == [], new
    entries = during(log, result, "new token")
    assert shape(entries) == reads("rotate") + [("PUT", ITEM % "rotate", 200), ("GET", STATUS % "rotate", 200)]
    assert entries[2]["json"] == {"connection_name": "rotate", "password": NEW_PASSWORD}

    after = expect(result, "next run", "ok", False, False)
    assert after["status"]["status"] == "HEALTHY_INTEGRATION"
    assert shape(during(log, result, "next run")) == reads("rotate")

    assert [entry["method"] for entry in e2e.writes(log)] == ["PUT", "PUT"]
    assert emulator.integrations["rotate"]["password"] == NEW_PASSWORD


def test_still_unhealthy_after_the_write_fails_as_a_change(emulator, workdir):
    """Jira takes the token when Xray saves it, but Xray's health check still says FAULTY_CONFIGURATION (here: set
    through the control API): the write happened, so failed with changed true, password_sent true, Xray's reason."""
    seed(emulator, "stuck")
    emulator.set_health("stuck", "FAULTY_CONFIGURATION", "Jira answered 403: the user may not browse projects.")
    result = run(workdir, emulator.url, [task("stuck", rotation_args("stuck"))])
    log = emulator.requests
    outcome = expect(result, "stuck", "failed", True, True)
    assert_words(outcome["msg"], "'stuck'", "updated", "FAULTY_CONFIGURATION", "Jira answered 403")
    assert outcome["status"]["status"] == "FAULTY_CONFIGURATION", outcome
    assert shape(log) == reads("stuck") + [("PUT", ITEM % "stuck", 200), ("GET", STATUS % "stuck", 200)]
    assert emulator.integrations["stuck"]["password"] == NEW_PASSWORD


def test_check_mode_on_a_faulty_integration(emulator, workdir):
    """Check mode: both reads, the same decision (changed, password_sent), a placeholder in the diff, no write."""
    seed(emulator, "check", accepted=NEW_PASSWORD)
    result = run(workdir, emulator.url, [task("check", rotation_args("check"), check_mode=True)], args=["--diff"])
    log = emulator.requests
    outcome = expect(result, "check", "ok", True, True)
    assert_words(outcome["msg"], "would be updated", "password", "FAULTY_CONFIGURATION", FAULTY_REASON)
    assert outcome["status"]["status"] == "FAULTY_CONFIGURATION", outcome
    assert outcome["diff"]["after"]["password"] == "<hidden: will be sent>", outcome["diff"]
    assert "password" not in outcome["diff"]["before"], outcome["diff"]
    assert shape(log) == reads("check")
    assert emulator.integrations["check"]["password"] == OLD_PASSWORD


def test_username_change_carries_the_password(emulator, workdir):
    """A new Jira user on a healthy integration: Xray tests the connection with it, so the PUT carries the
    username and the password, and the health is read again after it."""
    seed(emulator, "new-user", password=NEW_PASSWORD, accepted=NEW_PASSWORD)
    result = run(workdir, emulator.url, [task("new user", rotation_args("new-user", username=NEW_USER))])
    log = emulator.requests
    outcome = expect(result, "new user", "ok", True, True)
    assert_words(outcome["msg"], "updated (username, password)", "username changes")
    assert outcome["status"]["status"] == "HEALTHY_INTEGRATION"
    assert outcome["integration"]["username"] == NEW_USER
    assert shape(log) == reads("new-user") + [("PUT", ITEM % "new-user", 200), ("GET", STATUS % "new-user", 200)]
    assert log[2]["json"] == {"connection_name": "new-user", "username": NEW_USER, "password": NEW_PASSWORD}
    assert emulator.integrations["new-user"]["username"] == NEW_USER


def test_xray_without_the_health_check_fails_before_any_write(workdir):
    """Xray 3.130 has no status endpoint (it answers a plain 404): failed, changed false, naming 3.130 and 3.136;
    the version is read to say so, nothing is written."""
    with e2e.XrayEmulator(host="127.0.0.1", xray_version="3.130.0") as emulator:
        seed(emulator, "old-xray", accepted=NEW_PASSWORD)
        result = run(workdir, emulator.url, [task("old xray", rotation_args("old-xray"))])
        log = emulator.requests
    outcome = expect(result, "old xray", "failed", False, False)
    assert_words(outcome["msg"], "3.130", "3.136")
    assert outcome.get("http_status") == 404, outcome
    assert shape(log) == [("GET", DETAILS % "old-xray", 200), ("GET", STATUS % "old-xray", 404), ("GET", VERSION, 200)]


def test_on_unhealthy_without_password_fails_before_any_request(emulator, workdir):
    seed(emulator, "no-password", accepted=NEW_PASSWORD)
    args = rotation_args("no-password")
    del args["password"]
    result = run(workdir, emulator.url, [task("no password", args)])
    event = result.result("no password")
    outcome = event["result"]
    assert (event["status"], outcome.get("changed")) == ("failed", False), outcome
    assert_words(outcome["msg"], "update_password=on_unhealthy", "password")
    assert emulator.requests == []


def test_failures_before_any_write_say_password_sent_false(emulator, workdir):
    """password_sent is documented as returned always ("on every run of the module", issue 11); a failure
    before any write, such as on_unhealthy without password or a create that lacks fields, says false."""
    args = rotation_args("no-password")
    del args["password"]
    result = run(workdir, emulator.url, [
        task("no password", args),
        task("cannot create", {"connection_name": "missing", "password": NEW_PASSWORD, "update_password": "on_unhealthy"}),
    ])
    for name in ("no password", "cannot create"):
        expect(result, name, "failed", False, False)
    assert e2e.writes(emulator.requests) == []


def test_other_health_sends_no_password(emulator, workdir):
    """INTERNAL_SERVER_ERROR (or a status Xray may add one day) is no reason to send the password: a warning
    says so; a change of another field is written without it (and the health is not read again).
    INTEGRATION_NOT_FOUND right after the details: removed meanwhile, failed, nothing written."""
    seed(emulator, "ise")
    emulator.set_health("ise", "INTERNAL_SERVER_ERROR")
    seed(emulator, "novel")
    emulator.set_health("novel", "JIRA_RATE_LIMITED", "Jira answered 429")
    seed(emulator, "gone")
    emulator.add_fault(method="GET", path_regex=r"/status/check\?integrationName=gone$", status=404, body=json.dumps(
        {"status": "INTEGRATION_NOT_FOUND", "reason": "Integration not found", "time": "2026-01-01T00:00:00Z",
         "integration_name": "gone"}))
    result = run(workdir, emulator.url, [
        task("unchanged", rotation_args("ise")),
        task("skip_proxy changes", rotation_args("ise", skip_proxy=True)),
        task("unknown status", rotation_args("novel")),
        task("removed meanwhile", rotation_args("gone")),
    ])
    log = emulator.requests
    unchanged = expect(result, "unchanged", "ok", False, False)
    changed = expect(result, "skip_proxy changes", "ok", True, False)
    novel = expect(result, "unknown status", "ok", False, False)
    for outcome, name, status in ((unchanged, "ise", "INTERNAL_SERVER_ERROR"), (changed, "ise", "INTERNAL_SERVER_ERROR"),
                                  (novel, "novel", "JIRA_RATE_LIMITED")):
        assert outcome["status"]["status"] == status, outcome
        warned = [text for text in warnings_of(outcome) if status in text]
        assert len(warned) == 1 and "FAULTY_CONFIGURATION" in warned[0] and "'%s'" % name in warned[0], outcome
    assert shape(during(log, result, "unknown status")) == reads("novel")
    gone = expect(result, "removed meanwhile", "failed", False, False)
    assert_words(gone["msg"], "INTEGRATION_NOT_FOUND", "removed meanwhile")
    assert shape(during(log, result, "removed meanwhile")) == reads("gone", 404)
    assert changed["msg"] == "Integration 'ise' updated (skip_proxy).", changed["msg"]
    assert shape(during(log, result, "unchanged")) == reads("ise")
    entries = during(log, result, "skip_proxy changes")
    assert shape(entries) == reads("ise") + [("PUT", ITEM % "ise", 200)]
    assert entries[2]["json"] == {"connection_name": "ise", "skip_proxy": True}
    assert emulator.integrations["ise"]["password"] == OLD_PASSWORD


def test_on_create_and_always_keep_their_counts(emulator, workdir):
    """on_create never reads the health (1 GET unchanged, 2 with a change), always sends the password on every
    run (GET + PUT, changed); neither reads the health after the write. on_unhealthy creates like any mode."""
    seed(emulator, "faulty", accepted=NEW_PASSWORD)
    seed(emulator, "plain", jira_server_url="https://plain.atlassian.net")
    result = run(workdir, emulator.url, [
        task("on_create unchanged", e2e.create_args("faulty", password=NEW_PASSWORD)),
        task("on_create changed", e2e.create_args("plain", jira_server_url="https://plain.atlassian.net",
                                                  skip_proxy=True)),
        task("always unchanged", e2e.create_args("faulty", password=NEW_PASSWORD, update_password="always")),
        task("always changed", e2e.create_args("plain", jira_server_url="https://plain.atlassian.net",
                                               username=NEW_USER, update_password="always")),
        task("on_unhealthy creates", rotation_args("created")),
    ])
    log = emulator.requests
    expect(result, "on_create unchanged", "ok", False, False)
    assert shape(during(log, result, "on_create unchanged")) == [("GET", DETAILS % "faulty", 200)]
    expect(result, "on_create changed", "ok", True, False)
    entries = during(log, result, "on_create changed")
    assert shape(entries) == [("GET", DETAILS % "plain", 200), ("PUT", ITEM % "plain", 200)]
    assert "password" not in entries[1]["json"]
    outcome = expect(result, "always unchanged", "ok", True, True)
    assert "status" not in outcome, outcome
    entries = during(log, result, "always unchanged")
    assert shape(entries) == [("GET", DETAILS % "faulty", 200), ("PUT", ITEM % "faulty", 200)]
    assert entries[1]["json"] == {"connection_name": "faulty", "password": NEW_PASSWORD}
    expect(result, "always changed", "ok", True, True)
    entries = during(log, result, "always changed")
    assert shape(entries) == [("GET", DETAILS % "plain", 200), ("PUT", ITEM % "plain", 200)]
    assert entries[1]["json"]["password"] == e2e.create_args("x")["password"]
    outcome = expect(result, "on_unhealthy creates", "ok", True, True)
    entries = during(log, result, "on_unhealthy creates")
    # A create carries the password, so its health is read back too; the status check before the POST proves that
    # Xray has it (an older Xray fails there, before anything is written).
    assert shape(entries) == [("GET", DETAILS % "created", 404), ("GET", STATUS % "created", 404),
                              ("POST", "/xray/api/v1/ticketing/jira-integrations", 200), ("GET", STATUS % "created", 200)]
    assert outcome["status"]["status"] == "HEALTHY_INTEGRATION"
    assert entries[2]["json"]["password"] == NEW_PASSWORD
    assert emulator.integrations["faulty"]["password"] == NEW_PASSWORD


# --------------------------------------------------------------------------- the password is never shown

def password_forms(value):
    """The password as it could be read anywhere: raw, JSON-escaped, HTML-escaped, percent-encoded and more."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             json.dumps(json.dumps(value)[1:-1])[1:-1], html.escape(value), html.escape(value, quote=False),
             html.escape(json.dumps(value)[1:-1]), quote(value, safe=""), quote(value), quote_plus(value),
             repr(value)[1:-1], ascii(value)[1:-1], base64.b64encode(value.encode("utf-8")).decode("ascii")}
    forms |= {form.lower() for form in forms if "%" in form}
    # Distinctive cores: found whatever is done to the characters around them.
    core = value.partition('"')[2].partition("&")[0]  # e.g. <9f3e>
    forms |= {value.partition('"')[0], core, html.escape(core), quote(core, safe=""), quote(core, safe="").lower(),
              json.dumps(core)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")}
    return sorted(forms)


def test_password_never_shown(emulator, workdir):
    """At -vvvv with --diff, through check mode, Xray's 400, the rotation, a username change, always, a create
    and an info task, neither password appears in stdout, stderr, the callback's events or registered results."""
    seed(emulator, "leak", accepted=NEW_PASSWORD)
    extra_vars = os.path.join(workdir, "secret-vars.json")
    with open(extra_vars, "w") as stream:
        json.dump({"old_token": OLD_PASSWORD, "new_token": NEW_PASSWORD}, stream)
    results_file = os.path.join(workdir, "registered.json")
    names = ["check", "old", "new", "rerun", "user", "always", "create", "info"]
    tasks = [
        task("check", rotation_args("leak", password="{{ new_token }}"), check_mode=True, register="r_check"),
        task("old", rotation_args("leak", password="{{ old_token }}"), register="r_old"),
        task("new", rotation_args("leak", password="{{ new_token }}"), register="r_new"),
        task("rerun", rotation_args("leak", password="{{ new_token }}"), register="r_rerun"),
        task("user", rotation_args("leak", password="{{ new_token }}", username=NEW_USER), register="r_user"),
        task("always", e2e.create_args("leak", password="{{ new_token }}", username=NEW_USER, update_password="always",
                                       verify_health=True), register="r_always"),
        task("create", rotation_args("leak-new", password="{{ new_token }}"), register="r_create"),
        task("info", {"connection_name": "leak", "include_status": True}, module="frogops.xray.jira_integration_info",
             register="r_info"),
        {"name": "write the registered results", "ansible.builtin.copy": {
            "dest": results_file, "content": "{{ {%s} | to_nice_json }}" % ", ".join(
                "'%s': r_%s" % (name, name) for name in names)}},
    ]
    result = run(workdir, emulator.url, tasks, args=["-vvvv", "--diff", "-e", "@" + extra_vars])
    log = emulator.requests

    # What each task did (so the search below covers every path), and the passwords did go to Xray.
    expect(result, "check", "ok", True, True)
    expect(result, "old", "failed", False, True)
    for name, changed, sent in (("new", True, True), ("rerun", False, False), ("user", True, True),
                                ("always", True, True), ("create", True, True)):
        expect(result, name, "ok", changed, sent)
    assert result.result("info")["result"]["status"]["status"] == "HEALTHY_INTEGRATION"
    sent = [(entry["method"], entry["json"]["password"], entry["status"]) for entry in e2e.writes(log)]
    assert sent == [("PUT", OLD_PASSWORD, 400), ("PUT", NEW_PASSWORD, 200), ("PUT", NEW_PASSWORD, 200),
                    ("PUT", NEW_PASSWORD, 200), ("POST", NEW_PASSWORD, 200)], sent
    assert result.stdout.count("<localhost> EXEC") >= 8, "-vvvv output expected"
    assert "<hidden: will be sent>" in result.stdout, "--diff output expected"

    with open(results_file) as stream:
        registered = stream.read()
    with open(result.args[3] + ".events.jsonl") as stream:
        events = stream.read()
    assert sorted(json.loads(registered)) == sorted(names)
    # The search finds the passwords where they really are: in the bodies Xray received.
    bodies = "".join(entry["body"] for entry in log)
    for value in (OLD_PASSWORD, NEW_PASSWORD):
        assert json.dumps(value)[1:-1] in bodies and value.partition('"')[0] in bodies
    places = {"stdout": result.stdout, "stderr": result.stderr, "registered results": registered,
              "callback events": events}
    leaks = []
    for place, text in places.items():
        for form in password_forms(OLD_PASSWORD) + password_forms(NEW_PASSWORD):
            if form in text:
                index = text.index(form)
                leaks.append("%s shows %r: ...%s..." % (place, form, text[max(0, index - 200):index + 60]))
    assert not leaks, "\n".join(leaks)
