# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Answers that are not the documented JSON: the task fails, says what it got, and writes nothing.

One ansible-playbook run; each scenario has its own connection name and a fault on its details GET.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

import e2e_support as e2e

HTML_LOGIN = "<html><head><title>Corporate proxy</title></head><body>Proxy login required</body></html>"
HUGE = json.dumps({"connection_name": "huge", "username": 7, "padding": "x" * 200000})


def details_fault(name, **rule):
    return dict(rule, method="GET", path_regex=r"/jira-integrations/%s/details$" % re.escape(name), times=-1)


# name, fault (on the details GET), task state, seeded?, what the message must contain
SCENARIOS = [
    ("html-200", dict(status=200, content_type="text/html; charset=utf-8", body=HTML_LOGIN), "present", False,
     ["HTTP 200", "Proxy login required"]),
    ("html-502", dict(status=502, content_type="text/html", body=HTML_LOGIN.replace("login required", "is down")),
     "present", True, ["HTTP 502", "Proxy is down"]),
    ("json-list", dict(status=200, body='[{"connection_name": "json-list"}]'), "present", True,
     ["HTTP 200", '[{"connection_name": "json-list"}]']),
    ("json-string", dict(status=200, body='"maintenance"'), "absent", True, ["HTTP 200", '"maintenance"']),
    ("truncated", dict(status=200, body='{"connection_name": "truncated", "auth_type": "bas'), "present", True,
     ["HTTP 200", '{"connection_name": "truncated", "auth_type": "bas']),
    ("empty-200", dict(status=200, body=""), "present", True, ["HTTP 200", "empty body"]),
    ("wrong-types", dict(status=200, body=json.dumps({
        "connection_name": "wrong-types", "username": ["bot"], "skip_proxy": "no", "installation_type": "cloud"})),
     "present", True, ["HTTP 200", "username", "skip_proxy", '"username": ["bot"]']),
    ("wrong-types-absent", dict(status=200, body=json.dumps({"connection_name": 12345})), "absent", True,
     ["HTTP 200", "connection_name", '{"connection_name": 12345}']),
    ("no-name", dict(status=200, body=json.dumps({"error": "Session expired", "status": 200})), "present", True,
     ["HTTP 200", "Session expired"]),
    ("huge", dict(status=200, body=HUGE), "present", True, ["HTTP 200", '{"connection_name": "huge"']),
]
RETRIES = 1


def _playbook(url):
    tasks = []
    for name, _fault, state, _seeded, _expected in SCENARIOS:
        if state == "absent":
            task = {"connection_name": name, "state": "absent"}
        else:
            task = e2e.create_args(name, username="other-bot@acme.example")
        tasks.append({"name": name, "frogops.xray.jira_integration": task, "ignore_errors": True})
    tasks.append({"name": "info json-list", "ignore_errors": True,
                  "frogops.xray.jira_integration_info": {"connection_name": "json-list"}})
    return [{"name": "bad bodies", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/frogops.xray.all": {"url": url, "access_token": e2e.ADMIN_TOKEN,
                                                            "retries": RETRIES, "retry_backoff": 0.01}},
             "tasks": tasks}]


def test_bodies_that_are_not_the_documented_json(emulator, workdir):
    for name, fault, _state, seeded, _expected in SCENARIOS:
        emulator.add_fault(**details_fault(name, **fault))
        if seeded:
            emulator.seed(e2e.seed_record(name))
    before = emulator.integrations
    run = e2e.run_playbook(workdir, _playbook(emulator.url))
    log = emulator.requests
    problems = []
    info = ("info json-list", None, None, None, ["HTTP 200", '[{"connection_name": "json-list"}]'])
    for name, _fault, _state, _seeded, expected in SCENARIOS + [info]:
        event = run.result(name)
        result = event["result"]
        e2e.assert_no_traceback(result)
        if event["status"] != "failed" or result.get("changed") is not False:
            problems.append("%s: expected a failure with changed=false, got %s: %s" % (name, event["status"], result))
            continue
        message = result["msg"]
        missing = [text for text in expected if text not in message]
        if missing or len(message) > 1000:
            problems.append("%s: message lacks %r (or is %d long): %s" % (name, missing, len(message), message[:1500]))
    assert not problems, "\n".join(problems)
    # Nothing but GETs reached Xray, and nothing changed in it.
    assert e2e.writes(log) == [], [(e["method"], e["path"]) for e in e2e.writes(log)]
    assert emulator.integrations == before
    # The 502 was retried like any 502 before it failed; the others were not.
    assert e2e.methods(e2e.requests_for(log, "html-502")) == ["GET"] * (RETRIES + 1)
    assert e2e.methods(e2e.requests_for(log, "html-200")) == ["GET"]
    assert "Traceback" not in run.stdout + run.stderr
