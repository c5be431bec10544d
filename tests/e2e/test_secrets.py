# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets stay out of everything a user or a log collector sees, at -vvvv with --diff.

The Jira passwords, the access token and url_password are distinctive values. The server is made
to echo them back in error bodies of every shape (an "error" field, a JSON body without one, where
they appear JSON-escaped, HTML, an Artifactory-style 401), and a TLS error and basic
authentication are covered. Every task result is registered and written to a file, and the
recording callback keeps each result as Ansible returned it; stdout, stderr and both files are
searched for each secret, in raw and JSON-escaped form and by a distinctive core.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re

import e2e_support as e2e

# core: a part that is found whatever escaping happens around the rest.
JIRA_PASSWORD = ("jira-PW-Sec9f3e", 'jira-PW-Sec9f3e-"quoted"\\-é')
JIRA_PASSWORD_NEW = ("jira-PW-Rot4a1c", "jira-PW-Rot4a1c-ü/€")
ACCESS_TOKEN = ("tok-AccessSec7b2d", "tok-AccessSec7b2d.eyJzdWIiOiJ4cmF5In0.c2ln")
URL_PASSWORD = ("urlpw-BasicSec5e8a", "urlpw-BasicSec5e8a-ß&%")
SECRETS = (JIRA_PASSWORD, JIRA_PASSWORD_NEW, ACCESS_TOKEN, URL_PASSWORD)
URL_USER = "svc-xray-admin"


def _forms(secret):
    core, value = secret
    return {core, value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def details(name):
    return r"/jira-integrations/%s/details$" % re.escape(name)


def path(name):
    return r"/jira-integrations/%s$" % re.escape(name)


def _faults():
    # Each task is given (and so can hide) the Jira password and its own credential: echo those.
    echo = "Jira said no to password %s; token %s" % (JIRA_PASSWORD_NEW[1], ACCESS_TOKEN[1])
    return [
        dict(method="PUT", path_regex=path("secret-echo-error"), status=400, body=json.dumps({"error": echo})),
        dict(method="PUT", path_regex=path("secret-echo-escaped"), status=400,
             body=json.dumps({"message": echo, "code": "JIRA_AUTH"})),
        dict(method="PUT", path_regex=path("secret-echo-plain"), status=500, content_type="text/plain",
             body=json.dumps({"message": echo})),
        dict(method="GET", path_regex=details("secret-echo-html"), status=502, content_type="text/html", times=2,
             body="<html><body><h1>Bad gateway</h1><pre>%s</pre></body></html>" % echo),
        dict(method="GET", path_regex=details("secret-echo-401"), status=401,
             body=json.dumps({"errors": [{"status": 401, "message": "Bad credentials: " + echo}]})),
        dict(method="GET", path_regex=details("secret-basic-echo"), status=403,
             body=json.dumps({"message": "user %s with password %s is not admin; jira %s" % (
                 URL_USER, URL_PASSWORD[1], JIRA_PASSWORD_NEW[1])})),
    ]


def _task(name, module="frogops.xray.jira_integration", keywords=None, **args):
    task = {"name": name, module: args, "register": "r_" + re.sub(r"\W", "_", name), "ignore_errors": True}
    task.update(keywords or {})
    return task


def _playbook(url, https_url, results_file):
    token = {"access_token": "{{ xray_access_token }}"}
    basic = {"url_username": URL_USER, "url_password": "{{ xray_url_password }}"}
    always_new = {"password": "{{ jira_password_new }}", "update_password": "always"}
    tasks = [
        _task("create", **dict(token, **e2e.create_args("secret-main", password="{{ jira_password }}"))),
        _task("rerun in check mode", keywords={"check_mode": True},
              **dict(token, **e2e.create_args("secret-main", password="{{ jira_password }}"))),
        _task("rotate password", **dict(token, connection_name="secret-main", **always_new)),
        _task("echo in error field", **dict(token, connection_name="secret-echo-error", **always_new)),
        _task("echo json-escaped", **dict(token, connection_name="secret-echo-escaped", **always_new)),
        _task("echo as plain text", **dict(token, connection_name="secret-echo-plain", **always_new)),
        _task("echo in html 502", **dict(token, connection_name="secret-echo-html", **always_new)),
        _task("echo in 401", **dict(token, connection_name="secret-echo-401", **always_new)),
        _task("tls error", **dict(token, url=https_url, connection_name="secret-main", **always_new)),
        _task("basic auth create", **dict(basic, **e2e.create_args("secret-basic", password="{{ jira_password }}"))),
        _task("basic auth info", module="frogops.xray.jira_integration_info", connection_name="secret-basic",
              include_status=True, **basic),
        _task("basic auth echo", **dict(basic, connection_name="secret-basic-echo", **always_new)),
        _task("delete", **dict(token, connection_name="secret-main", state="absent")),
    ]
    names = [task["register"] for task in tasks]
    tasks.append({"name": "write the registered results", "ansible.builtin.copy": {
        "dest": results_file, "content": "{{ {%s} | to_nice_json }}" % ", ".join("'%s': %s" % (n, n) for n in names)}})
    return [{"name": "secrets", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/frogops.xray.all": {"url": url, "retries": 1, "retry_backoff": 0.01}},
             "tasks": tasks}]


def test_secrets_never_shown(workdir, tls_files):
    emulator = e2e.XrayEmulator(host="127.0.0.1", admin_tokens=[ACCESS_TOKEN[1]],
                                users={URL_USER: (URL_PASSWORD[1], True)})
    https = e2e.XrayEmulator(host="127.0.0.1", certfile=tls_files.server_cert, keyfile=tls_files.server_key,
                             admin_tokens=[ACCESS_TOKEN[1]])
    results_file = os.path.join(workdir, "registered.json")
    extra_vars = os.path.join(workdir, "secret-vars.json")
    with open(extra_vars, "w") as stream:
        json.dump({"xray_access_token": ACCESS_TOKEN[1], "xray_url_password": URL_PASSWORD[1],
                   "jira_password": JIRA_PASSWORD[1], "jira_password_new": JIRA_PASSWORD_NEW[1]}, stream)
    with emulator, https:
        for name in ("secret-echo-error", "secret-echo-escaped", "secret-echo-plain", "secret-echo-html",
                     "secret-echo-401", "secret-basic-echo"):
            emulator.seed(e2e.seed_record(name))
        https.seed(e2e.seed_record("secret-main"))
        emulator.add_faults(_faults())
        run = e2e.run_playbook(workdir, _playbook(emulator.url, https.url, results_file),
                               args=["-vvvv", "--diff", "-e", "@" + extra_vars])
        log = emulator.requests
        store = emulator.integrations

    expected = {"create": ("ok", True), "rerun in check mode": ("ok", False), "rotate password": ("ok", True),
                "echo in error field": ("failed", False), "echo json-escaped": ("failed", False),
                "echo as plain text": ("failed", False), "echo in html 502": ("failed", False),
                "echo in 401": ("failed", False), "tls error": ("failed", False), "basic auth create": ("ok", True),
                "basic auth info": ("ok", False), "basic auth echo": ("failed", False), "delete": ("ok", True)}
    for name, (status, changed) in expected.items():
        event = run.result(name)
        assert (event["status"], event["result"].get("changed")) == (status, changed), (name, event["result"])
    assert "certificate verify failed" in run.result("tls error")["result"]["msg"]
    assert "Authentication to JFrog failed" in run.result("echo in 401")["result"]["msg"]
    assert run.result("rotate password")["result"]["diff"]["after"]["password"] == "<hidden: will be sent>"

    # The secrets did travel where they belong: to Xray, as the Jira password, and for authentication.
    assert store["secret-basic"]["password"] == JIRA_PASSWORD[1]
    assert any(entry["json"] and entry["json"].get("password") == JIRA_PASSWORD_NEW[1] for entry in log)
    assert any(entry["headers"].get("Authorization") == "Bearer " + ACCESS_TOKEN[1] for entry in log)
    assert any(entry["headers"].get("Authorization", "").startswith("Basic ") for entry in log)
    # ...and the server did echo them: the checks below are not vacuous.
    assert sum(1 for entry in log if entry["status"] in (400, 401, 403, 500, 502)) == 7

    with open(results_file) as stream:
        registered = stream.read()
    with open(run.args[3] + ".events.jsonl") as stream:
        events = stream.read()
    assert "secret-echo-escaped" in registered and len(run.results) == len(expected) + 1
    places = {"stdout": run.stdout, "stderr": run.stderr, "registered results": registered, "callback events": events}
    leaks = []
    for place, text in places.items():
        for secret in SECRETS:
            for form in _forms(secret):
                if form in text:
                    index = text.index(form)
                    leaks.append("%s shows %r: ...%s..." % (place, form, text[max(0, index - 200):index + 60]))
    assert not leaks, "\n".join(leaks)
    assert run.stdout.count("<localhost> EXEC") >= len(expected), "-vvvv output expected"
