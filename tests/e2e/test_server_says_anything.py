# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nine defects of release 0.1.0, one end-to-end test each: whatever the server says, the task
tells the truth about what it wrote, writes at most once, and keeps secrets out of sight.

Each test runs real ansible-playbook against the in-process Xray emulator over HTTP on 127.0.0.1,
shapes the server's answers with fault rules (armed before the run, or through the control API by
a uri task when the order of a play's tasks matters) and checks what a user relies on: the task's
status, changed, the words of msg and its warnings, and the exact requests the emulator logged.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import html
import json
import os
import re
from urllib.parse import quote, quote_plus

import e2e_support as e2e
from e2e_support import warnings_of

RETRIES = 3
NEW_USER = "other-bot@acme.example"
WAF_PAGE = ("<html><head><title>Access denied</title></head><body><h1>Request blocked</h1>"
            "<p>Your request was blocked by the web application firewall. Reference #18.2f7c</p></body></html>")
ARTIFACTORY_404 = json.dumps({"errors": [{"status": 404, "message": "Not Found"}]})
API_ROOT = "/xray/api/v1"


# --------------------------------------------------------------------------- building blocks

def details_path(name):
    return r"/jira-integrations/%s/details$" % re.escape(name)


def item_path(name):
    return r"/jira-integrations/%s$" % re.escape(name)


def details_fault(name, **rule):
    return dict(rule, method="GET", path_regex=details_path(name))


def write_fault(method, name=None, **rule):
    """A fault on a write: PUT and DELETE carry the name in the path, POST in its body only."""
    return dict(rule, method=method, path_regex=r"/jira-integrations$" if method == "POST" else item_path(name))


def details_body(name, **fields):
    """Details as Xray sends them for a record like e2e.seed_record (never a password)."""
    body = {"connection_name": name, "auth_type": "basic", "username": "xray-bot@acme.example",
            "installation_type": "cloud", "jira_server_url": "https://acme.atlassian.net", "skip_proxy": False}
    body.update(fields)
    return dict((key, value) for key, value in body.items() if value is not Ellipsis)


def task(name, args, module="frogops.xray.jira_integration", **keywords):
    entry = {"name": name, module: args, "ignore_errors": True}
    entry.update(keywords)
    return entry


def arm(url, faults, name=None):
    """A uri task that adds fault rules through the control API, just before the task that needs them."""
    return {"name": name or "arm %d fault(s)" % len(faults), "ansible.builtin.uri": {
        "url": url + "/_emulator/faults", "method": "POST", "body_format": "json", "body": {"faults": faults}}}


def configure(url, **changes):
    return {"name": "emulator config %s" % json.dumps(changes, sort_keys=True), "ansible.builtin.uri": {
        "url": url + "/_emulator/config", "method": "PATCH", "body_format": "json", "body": changes}}


def play(url, tasks, **defaults):
    options = {"url": url, "access_token": e2e.ADMIN_TOKEN, "retries": RETRIES, "retry_backoff": 0.01, "timeout": 10}
    options.update(defaults)
    return {"name": "server says anything", "hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/frogops.xray.all": options}, "tasks": tasks}


def run(workdir, plays, args=()):
    """ansible-playbook on plays; no Python traceback on the console, at any verbosity."""
    result = e2e.run_playbook(workdir, plays if isinstance(plays, list) else [plays], args=args)
    assert "Traceback (most recent call last)" not in result.stdout + result.stderr, result.describe()
    return result


def in_time_order(entries):
    """Log entries in the order the requests arrived (the log is appended when each is answered)."""
    return sorted(entries, key=lambda entry: entry["time"])


def expect(event, status, changed):
    result = event["result"]
    assert (event["status"], result.get("changed")) == (status, changed), "%s: %s" % (event["task"], result)
    e2e.assert_no_traceback(result)
    return result


def assert_words(message, *words):
    missing = [word for word in words if word.lower() not in message.lower()]
    assert not missing, "msg lacks %r: %s" % (missing, message)


# --------------------------------------------------------------------------- defect 1

def test_write_answered_by_an_html_page_is_not_a_change(emulator, workdir):
    """Defect 1: a POST, PUT or DELETE answered 200 text/html (a WAF or SSO page, nothing written) fails
    with changed=false, naming HTTP 200, text/html and a proxy, WAF or SSO page; sent once, then one re-read."""
    for name in ("waf-put", "waf-delete"):
        emulator.seed(e2e.seed_record(name))
    page = dict(status=200, content_type="text/html; charset=utf-8", body=WAF_PAGE)
    emulator.add_faults([write_fault("POST", **page), write_fault("PUT", "waf-put", **page),
                         write_fault("DELETE", "waf-delete", **page)])
    before = emulator.integrations
    result = run(workdir, play(emulator.url, [
        task("waf-post", e2e.create_args("waf-post")),
        task("waf-put", {"connection_name": "waf-put", "username": NEW_USER}),
        task("waf-delete", {"connection_name": "waf-delete", "state": "absent"}),
    ]))
    log = emulator.requests
    for name, method in (("waf-post", "POST"), ("waf-put", "PUT"), ("waf-delete", "DELETE")):
        outcome = expect(result.result(name), "failed", False)
        assert_words(outcome["msg"], "HTTP 200", "text/html", "proxy, WAF or SSO page", method, "not taken effect")
        entries = in_time_order(e2e.requests_for(log, name))
        # Exactly one write, then one GET that reads the integration back.
        assert e2e.methods(entries) == ["GET", method, "GET"], (name, [(e["method"], e["status"]) for e in entries])
        assert outcome.get("warnings") in (None, []), outcome["warnings"]
    assert emulator.integrations == before  # nothing was written, and the tasks did not claim otherwise
    assert emulator.faults == []


# --------------------------------------------------------------------------- defect 2

def test_write_answered_201_or_204_is_a_change(emulator, workdir):
    """Defect 2: a write Xray performed, answered 201 with JSON or 204 with an empty body, succeeds with
    changed=true and no re-read."""
    for name in ("ok-put-201", "ok-put-204", "ok-delete-204"):
        emulator.seed(e2e.seed_record(name))
    created = dict(status=201, body=json.dumps({"info": "Integration has been successfully created"}),
                   apply_then_continue=True)
    updated = dict(created)
    updated["body"] = json.dumps({"info": "Integration has been successfully updated"})
    empty = dict(status=204, body="", apply_then_continue=True)
    emulator.add_faults([
        write_fault("POST", **created),  # POST rules are used in order: the first create gets 201,
        write_fault("POST", **empty),    # the second 204
        write_fault("PUT", "ok-put-201", **updated),
        write_fault("PUT", "ok-put-204", **empty),
        write_fault("DELETE", "ok-delete-204", **empty),
    ])
    result = run(workdir, play(emulator.url, [
        task("ok-post-201", e2e.create_args("ok-post-201")),
        task("ok-post-204", e2e.create_args("ok-post-204")),
        task("ok-put-201", {"connection_name": "ok-put-201", "username": NEW_USER}),
        task("ok-put-204", {"connection_name": "ok-put-204", "username": NEW_USER}),
        task("ok-delete-204", {"connection_name": "ok-delete-204", "state": "absent"}),
    ]))
    log = emulator.requests
    expected = {"ok-post-201": ("POST", 201), "ok-post-204": ("POST", 204), "ok-put-201": ("PUT", 201),
                "ok-put-204": ("PUT", 204), "ok-delete-204": ("DELETE", 204)}
    for name, (method, status) in expected.items():
        outcome = expect(result.result(name), "ok", True)
        assert warnings_of(outcome) == [], (name, outcome["warnings"])
        entries = in_time_order(e2e.requests_for(log, name))
        # No GET after the write: its answer was the documented success.
        assert [(e["method"], e["status"]) for e in entries] == [("GET", 404 if method == "POST" else 200),
                                                                 (method, status)], name
    store = emulator.integrations
    assert store["ok-post-201"]["password"] == store["ok-post-204"]["password"] == "jira-pw-create-0x5eed"
    assert store["ok-put-201"]["username"] == store["ok-put-204"]["username"] == NEW_USER
    assert "ok-delete-204" not in store
    assert result.result("ok-put-204")["result"]["msg"] == "Integration 'ok-put-204' updated (username)."
    assert emulator.faults == []


# --------------------------------------------------------------------------- defect 3

JIRA_PASSWORD = 'pa"ss<w>rd&1'


def _password_forms():
    """Every form in which the password could be read, and distinctive cores of them."""
    value = JIRA_PASSWORD
    forms = {value, html.escape(value, quote=True), html.escape(value, quote=False), json.dumps(value)[1:-1],
             json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(json.dumps(value)[1:-1])[1:-1],
             quote(value, safe=""), quote(value), quote_plus(value), repr(value)[1:-1], ascii(value)[1:-1],
             html.escape(json.dumps(value)[1:-1]),
             # cores: found whatever is done to the characters around them
             "ss<w>rd", "ss&lt;w&gt;rd", "ss%3Cw%3Erd", "ss%3cw%3erd", "ss\\u003cw\\u003erd", "ss\\u003Cw\\u003Erd"}
    forms |= {form.lower() for form in forms if "%" in form}
    return sorted(forms)


def _echo_page(name):
    """A 500 page that echoes the request: the password HTML-escaped, percent-encoded and as a Python repr."""
    request_repr = repr({"connection_name": name, "password": JIRA_PASSWORD})
    page = ("<html><body><h1>500</h1><p>Jira rejected the password &quot;%s&quot;</p><a href=\"/retry?password=%s\">"
            "retry</a><pre>%s</pre><!-- %s --></body></html>")
    return page % (html.escape(JIRA_PASSWORD), quote(JIRA_PASSWORD, safe=""), html.escape(request_repr), request_repr)


def test_password_echoed_in_any_encoding_is_never_shown(emulator, workdir):
    """Defect 3: a 500 echoing the Jira password HTML-escaped (&quot; &lt; &amp;) and as a Python repr does
    not leak it: not on stdout/stderr at -vvvv, not in registered results or the callback's data."""
    emulator.seed(e2e.seed_record("leak-put"))
    emulator.seed(e2e.seed_record("leak-get"))
    repr_text = "Internal Server Error: ValueError(%r) while saving %s" % (
        {"connection_name": "leak-put", "password": JIRA_PASSWORD}, html.escape(JIRA_PASSWORD))
    emulator.add_faults([
        write_fault("POST", status=500, content_type="text/html", body=_echo_page("leak-post")),
        write_fault("PUT", "leak-put", status=500, content_type="text/plain", body=repr_text),
        details_fault("leak-get", status=500, content_type="text/html", body=_echo_page("leak-get")),
    ])
    # The echoes are really there: the checks below are not vacuous.
    assert "pa&quot;ss&lt;w&gt;rd&amp;1" in _echo_page("x") and "pa%22ss%3Cw%3Erd%261" in _echo_page("x")
    assert repr(JIRA_PASSWORD) in _echo_page("x") and repr(JIRA_PASSWORD) in repr_text
    results_file = os.path.join(workdir, "registered.json")
    extra_vars = os.path.join(workdir, "secret-vars.json")
    with open(extra_vars, "w") as stream:
        json.dump({"jira_password": JIRA_PASSWORD}, stream)
    secret = {"password": "{{ jira_password }}"}
    tasks = [
        task("leak-post", e2e.create_args("leak-post", **secret), register="r_post"),
        task("leak-put", dict(secret, connection_name="leak-put", update_password="always"), register="r_put"),
        task("leak-get", e2e.create_args("leak-get", **secret), register="r_get"),
        {"name": "write the registered results", "ansible.builtin.copy": {
            "dest": results_file, "content": "{{ {'post': r_post, 'put': r_put, 'get': r_get} | to_nice_json }}"}},
    ]
    # At -vvv and above, ansible-core up to 2.18 adds to a failure the traceback of an exception being handled;
    # the modules fail outside their except blocks, so there is none even at -vvvv.
    result = run(workdir, play(emulator.url, tasks, retries=1), args=["-vvvv", "--diff", "-e", "@" + extra_vars])
    log = emulator.requests

    for name, method in (("leak-post", "POST"), ("leak-put", "PUT"), ("leak-get", "GET")):
        outcome = expect(result.result(name), "failed", False)
        assert_words(outcome["msg"], "HTTP 500", method)
        assert "********" in outcome["msg"] or "withheld" in outcome["msg"], outcome["msg"]
    # The password did travel where it belongs (to Xray), and Xray's answers did echo it.
    sent = [entry["json"]["password"] for entry in log if entry["method"] in ("POST", "PUT")]
    assert sent == [JIRA_PASSWORD, JIRA_PASSWORD]
    assert [(entry["method"], entry["status"]) for entry in log if entry["status"] == 500] == [
        ("POST", 500), ("PUT", 500), ("GET", 500)]
    assert result.stdout.count("<localhost> EXEC") >= 3, "-vvvv output expected"

    with open(results_file) as stream:
        registered = stream.read()
    with open(result.args[3] + ".events.jsonl") as stream:
        events = stream.read()
    assert "leak-put" in registered
    places = {"stdout": result.stdout, "stderr": result.stderr, "registered results": registered,
              "callback events": events}
    leaks = []
    for place, text in places.items():
        for form in _password_forms():
            if form in text:
                index = text.index(form)
                leaks.append("%s shows %r: ...%s..." % (place, form, text[max(0, index - 200):index + 60]))
    assert not leaks, "\n".join(leaks)


# --------------------------------------------------------------------------- defect 4

def test_name_in_another_case_is_the_same_integration(emulator, workdir):
    """Defect 4: details that spell the name Jira-Cloud for the task's jira-cloud: an unchanged run makes one
    GET and reports ok; a change PUTs connection_name as Xray spells it; msg and integration use that spelling."""
    xray_spelling = details_body("Jira-Cloud")
    emulator.add_faults([
        details_fault("jira-cloud", status=200, body=json.dumps(xray_spelling), times=2),
        # Xray matches names without regard to case; the emulator does not, so its PUT answer is scripted.
        dict(method="PUT", path_regex=r"(?i)/jira-integrations/jira-cloud$", status=200,
             body=json.dumps({"info": "Integration has been successfully updated"})),
    ])
    result = run(workdir, play(emulator.url, [
        task("unchanged", e2e.create_args("jira-cloud")),
        task("changed", e2e.create_args("jira-cloud", username=NEW_USER)),
    ]))
    log = emulator.requests
    unchanged = expect(result.result("unchanged"), "ok", False)
    assert unchanged["integration"]["connection_name"] == "Jira-Cloud", unchanged
    assert "'Jira-Cloud'" in unchanged["msg"] and "'jira-cloud'" not in unchanged["msg"], unchanged["msg"]
    changed = expect(result.result("changed"), "ok", True)
    assert changed["integration"] == dict(xray_spelling, username=NEW_USER), changed
    assert changed["msg"] == "Integration 'Jira-Cloud' updated (username).", changed["msg"]
    assert warnings_of(unchanged) == [] and warnings_of(changed) == []

    # One GET for the unchanged run; for the change one GET and one PUT that names Xray's spelling and
    # changes only the username (no rename). Nothing else reached the emulator.
    entries = in_time_order(log)
    assert [(e["method"], (e2e.name_of(e) or "").casefold()) for e in entries] == [
        ("GET", "jira-cloud"), ("GET", "jira-cloud"), ("PUT", "jira-cloud")], [(e["method"], e["path"]) for e in entries]
    assert entries[2]["json"] == {"connection_name": "Jira-Cloud", "username": NEW_USER}, entries[2]["json"]
    assert emulator.faults == []


# --------------------------------------------------------------------------- defect 5

def test_artifactory_url_suffix_and_artifactory_404(emulator, workdir):
    """Defect 5: url may end in /artifactory (stripped like /xray); an Artifactory-style JSON 404 on the
    details and on /system/version is not "absent": state=absent fails with no DELETE, info fails."""
    emulator.seed(e2e.seed_record("art-404"))
    emulator.add_faults([
        details_fault("art-404", status=404, body=ARTIFACTORY_404, times=-1),
        dict(method="GET", path_regex=r"/system/version$", status=404, body=ARTIFACTORY_404, times=-1),
    ])
    artifactory_url = emulator.url + "/artifactory"
    result = run(workdir, play(artifactory_url, [
        task("create via /artifactory", e2e.create_args("via-artifactory")),
        task("info via /artifactory/", {"connection_name": "via-artifactory", "url": artifactory_url + "/"},
             module="frogops.xray.jira_integration_info"),
        task("rerun via /artifactory", e2e.create_args("via-artifactory")),
        task("absent on Artifactory 404", {"connection_name": "art-404", "state": "absent", "url": emulator.url}),
        task("info on Artifactory 404", {"connection_name": "art-404", "url": emulator.url},
             module="frogops.xray.jira_integration_info"),
        task("present on Artifactory 404", e2e.create_args("art-404", url=emulator.url)),
    ]))
    log = emulator.requests
    problems = []  # both halves are reported, whichever fails

    def check(condition, what):
        if not condition:
            problems.append(what)

    for name, changed in (("create via /artifactory", True), ("info via /artifactory/", False),
                          ("rerun via /artifactory", False)):
        event = result.result(name)
        check((event["status"], event["result"].get("changed")) == ("ok", changed), "%s: %s" % (name, event["result"]))
    info = result.result("info via /artifactory/")["result"]
    check(info.get("exists") is True and info.get("integration", {}).get("connection_name") == "via-artifactory",
          "info via /artifactory/: %s" % info)
    suffix_log = in_time_order(e2e.requests_for(log, "via-artifactory"))
    check(e2e.methods(suffix_log) == ["GET", "POST", "GET", "GET"],
          "via /artifactory: %s" % [(e["method"], e["path"], e["status"]) for e in suffix_log])
    check(all(entry["path"].startswith(API_ROOT + "/") for entry in log), "paths: %s" % [e["path"] for e in log])
    check("via-artifactory" in emulator.integrations, "via /artifactory: not created")

    for name in ("absent on Artifactory 404", "info on Artifactory 404", "present on Artifactory 404"):
        event = result.result(name)
        outcome = event["result"]
        e2e.assert_no_traceback(outcome)
        check((event["status"], outcome.get("changed")) == ("failed", False), "%s: %s" % (name, outcome))
        check("404" in outcome.get("msg", "") and outcome.get("http_status") == 404, "%s: %s" % (name, outcome))
        # Not "exists: false", not an empty integration: no verdict on the integration at all.
        check("exists" not in outcome and not outcome.get("integration"), "%s: %s" % (name, outcome))
    # Nothing but reads of the details and of the version (one each per task); the integration is still there.
    art_log = e2e.requests_for(log, "art-404")
    check(e2e.methods(art_log) == ["GET"] * 3, "art-404: %s" % [(e["method"], e["status"]) for e in art_log])
    check(len([e for e in log if e["path"] == API_ROOT + "/system/version"]) == 3, "version reads")
    check(emulator.integrations.get("art-404") == e2e.seed_record("art-404"), "art-404 changed")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- defect 6

def _wait_for_post(url):
    """Until the emulator logged a POST: the delayed create was answered (to nobody) and is over."""
    return {"name": "wait for Xray's late answer", "ansible.builtin.uri": {"url": url + "/_emulator/requests"},
            "register": "requests_log", "retries": 40, "delay": 0.25,
            "until": "requests_log.json.requests | selectattr('method', 'equalto', 'POST') | list | length > 0"}


def test_create_slower_than_timeout_is_sent_once(emulator, workdir):
    """Defect 6: a create whose Jira connection test outlasts timeout is sent exactly once; the task fails
    unchanged saying no complete answer came, it was not sent again, Xray may still be testing the connection
    to Jira, check jira_server_url/credentials or raise timeout, the next run converges (and it does). When the
    slow create does succeed, the re-read finds it: changed, one POST."""
    url = emulator.url
    result = run(workdir, play(url, [
        configure(url, jira_connection_fails=True),
        arm(url, [write_fault("POST", delay=3)]),
        task("slow create fails", e2e.create_args("slow-fails", timeout=2)),
        _wait_for_post(url),
        configure(url, jira_connection_fails=False),
        task("next run converges", e2e.create_args("slow-fails")),
        arm(url, [write_fault("POST", delay=2.6),
                  details_fault("slow-succeeds", headers={"X-Emulator": "first read, served normally"}),
                  # The re-read after the timeout is held until the create has landed.
                  details_fault("slow-succeeds", delay=1.2)]),
        task("slow create succeeds", e2e.create_args("slow-succeeds", timeout=2)),
    ]))
    log = emulator.requests

    failed_event = result.result("slow create fails")
    failed = expect(failed_event, "failed", False)
    message = failed["msg"]
    assert re.search(r"No complete answer to POST \S+ came within 2(\.0)? seconds", message), message
    assert_words(message, "not sent again", "may still be", "connection to Jira", "jira_server_url", "credentials",
                 "raise timeout", "converge")
    assert failed_event["time"] - failed_event["start"] < 8
    entries = in_time_order(e2e.requests_for(log, "slow-fails"))
    # The slow create once (Xray finally said 400), one re-read; then the next run's read and create.
    assert [(e["method"], e["status"]) for e in entries] == [
        ("GET", 404), ("POST", 400), ("GET", 404), ("GET", 404), ("POST", 200)], [(e["method"], e["status"]) for e in entries]
    expect(result.result("next run converges"), "ok", True)

    succeeded = expect(result.result("slow create succeeds"), "ok", True)
    assert any("took effect" in warning for warning in warnings_of(succeeded)), succeeded
    entries = in_time_order(e2e.requests_for(log, "slow-succeeds"))
    assert [(e["method"], e["status"]) for e in entries] == [("GET", 404), ("POST", 200), ("GET", 200)], [
        (e["method"], e["status"]) for e in entries]
    assert set(emulator.integrations) == {"slow-fails", "slow-succeeds"}
    assert emulator.faults == []


# --------------------------------------------------------------------------- defect 7

def test_trickling_answer_is_cut_at_the_deadline(emulator, workdir):
    """Defect 7: timeout=2, retries=0 against details that trickle 16 bytes every 0.5 s (about 16 s in all):
    the task fails within about 2-4 s with "No complete answer ... within 2"."""
    emulator.seed(e2e.seed_record("trickle"))
    body = json.dumps(details_body("trickle", padding=""))
    body = body.replace('"padding": ""', '"padding": "%s"' % ("." * (512 - len(body))))
    assert len(body) == 512  # 32 chunks of 16 bytes, 31 pauses of 0.5 s
    emulator.add_fault(**details_fault("trickle", status=200, body=body, trickle={"chunk": 16, "interval": 0.5}))
    result = run(workdir, play(emulator.url, [task("trickle", e2e.create_args("trickle"))], timeout=2, retries=0))
    log = emulator.requests

    event = result.result("trickle")
    outcome = expect(event, "failed", False)
    assert re.search(r"No complete answer to GET \S+ came within 2(\.0)? seconds", outcome["msg"]), outcome["msg"]
    entries = e2e.requests_for(log, "trickle")
    assert [(e["method"], e["status"]) for e in entries] == [("GET", 200)]
    # From the GET's arrival to the task's result: the deadline, not the 16 s of the trickle.
    waited = event["time"] - entries[0]["time"]
    assert 1.9 <= waited < 4, waited
    assert event["time"] - event["start"] < 5.5
    assert warnings_of(outcome) == []


# --------------------------------------------------------------------------- defect 8

def test_deeply_nested_json_ends_in_the_modules_message(emulator, workdir):
    """Defect 8: details that nest JSON arrays 200000 deep end in the module's own one-line message:
    failed, no "recursion", no traceback, no MODULE FAILURE."""
    emulator.seed(e2e.seed_record("deep"))
    emulator.add_fault(**details_fault("deep", status=200, body="[" * 200000 + "]" * 200000, times=-1))
    result = run(workdir, play(emulator.url, [
        task("deep present", e2e.create_args("deep", username=NEW_USER)),
        task("deep absent", {"connection_name": "deep", "state": "absent"}),
        task("deep info", {"connection_name": "deep"}, module="frogops.xray.jira_integration_info"),
    ]))
    log = emulator.requests
    for name in ("deep present", "deep absent", "deep info"):
        outcome = expect(result.result(name), "failed", False)
        message = outcome["msg"]
        assert_words(message, "HTTP 200", "GET")
        assert "\n" not in message and len(message) < 1000, message
        assert "recursion" not in message.lower() and "MODULE FAILURE" not in message, message
        assert not set(outcome) & {"module_stdout", "module_stderr", "exception_stdout"}, outcome
    assert "MODULE FAILURE" not in result.stdout + result.stderr
    assert e2e.methods(log) == ["GET"] * 3
    assert emulator.integrations["deep"] == e2e.seed_record("deep")


# --------------------------------------------------------------------------- defect 9

def test_details_without_auth_type_are_not_a_change(emulator, workdir):
    """Defect 9: details that leave out auth_type, or send it as null, with a task saying auth_type=basic:
    ok, no write, and a warning that Xray did not report auth_type."""
    emulator.add_fault(**details_fault("no-auth-type", status=200, times=-1,
                                       body=json.dumps(details_body("no-auth-type", auth_type=Ellipsis))))
    emulator.seed(e2e.seed_record("null-auth-type", auth_type=None))
    # The emulator's details of that record really say "auth_type": null.
    assert e2e.xray_emulator.details_view(emulator.integrations["null-auth-type"], emulator.config)["auth_type"] is None
    result = run(workdir, play(emulator.url, [
        task("no-auth-type", e2e.create_args("no-auth-type", auth_type="basic")),
        task("null-auth-type", e2e.create_args("null-auth-type", auth_type="basic")),
    ]))
    log = emulator.requests
    for name in ("no-auth-type", "null-auth-type"):
        outcome = expect(result.result(name), "ok", False)
        reported = [w for w in warnings_of(outcome) if "did not report" in w and "auth_type" in w]
        assert len(reported) == 1, (name, outcome.get("warnings"))
        assert name in reported[0], reported
        assert "auth_type" not in outcome["integration"], outcome["integration"]
        assert outcome["integration"]["username"] == "xray-bot@acme.example"
        assert e2e.methods(e2e.requests_for(log, name)) == ["GET"], name
    assert e2e.writes(log) == []
    assert emulator.integrations["null-auth-type"]["auth_type"] is None
