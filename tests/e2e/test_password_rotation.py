# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
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


def expect(result, name, status, changed, password_sent):
    """The task's result, checked for ok/failed, changed, password_sent and no traceback."""
    event = result.result(name)
    outcome = event["result"]
    assert (event["status"], outcome.get("changed"), outcome.get("password_sent")) == (status, changed, password_sent), (
        "%s: %s" % (name, json.dumps(outcome, indent=1, default=str)))
    e2e.assert_no_traceback(outcome)
    return outcome


def during(log, result, name):
    """The requests that arrived while the task ran, in the order they arrived, as (method, path, status)."""
    event = result.result(name)
    entries = sorted((entry for entry in log if event["start"] <= entry["time"] <= event["time"]),
                     key=lambda entry: entry["time"])
    return entries


def shape(entries):
    return [(entry["method"], entry["path"], entry["status"]) for entry in entries]


def reads(name, status_code=200):
    """The two reads of on_unhealthy: the details, then the health."""
    return [("GET", DETAILS % name, 200), ("GET", STATUS % name, status_code)]


def warnings_of(outcome):
    texts = []
    for warning in outcome.get("warnings") or []:
        if isinstance(warning, dict):
            warning = (warning.get("event") or {}).get("msg", warning.get("msg", json.dumps(warning)))
        texts.append(warning)
    return texts


def assert_words(message, *words):
    missing = [word for word in words if word not in message]
    assert not missing, "msg lacks %r: %s" % (missing, message)


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
        assert outcome["msg"] == "Integration 'healthy' is as desired; nothing to do.", outcome["msg"]
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
