# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Transient faults: retries, Retry-After, lost answers to writes, exhausted retries.

One ansible-playbook run covers the scenarios seen by a user (task results, their warnings and the
[WARNING] lines); each scenario uses its own connection name and arms its faults through the
emulator's control API just before its task. The Retry-After cap and a refused connection need
control over time and the listening socket, so they run the module in-process.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket
import threading
import time
from urllib.parse import unquote

import e2e_support as e2e

RETRIES = 3
RETRY_RE = re.compile(r"^Retrying (GET|POST|PUT|DELETE) (\S+) after (.+) \(retry (\d+) of (\d+), waiting ([0-9.]+)s\)$")
# Warnings after an unclear answer to a write, once a re-read settled it (they end the warning).
PROVEN = "Reading the integration back shows that the %s took effect."
# The retry reason of a write re-sent because it certainly ended and a re-read found it not done.
NOT_DONE = " (reading back showed it did not take effect)"


def fault(method, name=None, **rule):
    """A fault rule for one scenario: details/PUT/DELETE paths carry the name, POST has none."""
    rule["method"] = method
    if method == "POST":
        rule["path_regex"] = r"/jira-integrations$"
    elif method == "GET":
        rule["path_regex"] = r"/jira-integrations/%s/details$" % re.escape(name)
    else:
        rule["path_regex"] = r"/jira-integrations/%s$" % re.escape(name)
    return rule


# name -> (seeded record or None, task options, faults, expected)
SCENARIOS = [
    ("get-429-retry-after", "seed", {}, [fault("GET", "get-429-retry-after", status=429, headers={"Retry-After": "1"})],
     dict(changed=False, methods=["GET", "GET"], retry_reasons=["HTTP 429"])),
    ("get-5xx", "seed", {}, [fault("GET", "get-5xx", status=s) for s in (502, 503, 504)],
     dict(changed=False, methods=["GET"] * 4, retry_reasons=["HTTP 502", "HTTP 503", "HTTP 504"])),
    ("put-5xx", "seed", {"username": "new-bot@acme.example"}, [fault("PUT", "put-5xx", status=s) for s in (502, 503)],
     dict(changed=True, methods=["GET", "PUT", "GET", "PUT", "PUT"], retry_reasons=["HTTP 502" + NOT_DONE, "HTTP 503"])),
    ("put-504-pending", "seed", {"username": "new-bot@acme.example"}, [fault("PUT", "put-504-pending", status=504)],
     dict(failed=True, changed=False, methods=["GET", "PUT", "GET"], retry_reasons=[], msg="not sent again")),
    ("put-502-applied", "seed", {"username": "new-bot@acme.example"},
     [fault("PUT", "put-502-applied", status=502, apply_then_continue=True)],
     dict(changed=True, methods=["GET", "PUT", "GET"], retry_reasons=[], extra_warnings=[PROVEN % "PUT"])),
    ("delete-5xx", "seed", {"state": "absent"}, [fault("DELETE", "delete-5xx", status=s) for s in (503, 502)],
     dict(changed=True, methods=["GET", "DELETE", "DELETE", "GET", "DELETE"],
          retry_reasons=["HTTP 503", "HTTP 502" + NOT_DONE])),
    ("delete-502-applied", "seed", {"state": "absent"},
     [fault("DELETE", "delete-502-applied", status=502, apply_then_continue=True)],
     dict(changed=True, methods=["GET", "DELETE", "GET"], retry_reasons=[], extra_warnings=[PROVEN % "DELETE"])),
    ("post-502-applied", None, {}, [fault("POST", status=502, body="<html>Bad Gateway</html>", content_type="text/html",
                                          apply_then_continue=True)],
     dict(changed=True, methods=["GET", "POST", "GET"], retry_reasons=[], extra_warnings=[PROVEN % "POST"])),
    ("post-504-applied", None, {}, [fault("POST", status=504, apply_then_continue=True)],
     dict(changed=True, methods=["GET", "POST", "GET"], retry_reasons=[], extra_warnings=[PROVEN % "POST"])),
    ("post-drop-applied", None, {}, [fault("POST", drop=True, apply_then_continue=True)],
     dict(changed=True, methods=["GET", "POST", "GET"], retry_reasons=[], extra_warnings=[PROVEN % "POST"])),
    ("post-drop-lost", None, {}, [fault("POST", drop=True)],
     dict(changed=True, methods=["GET", "POST", "GET", "POST"], retry_reasons=["a lost connection" + NOT_DONE])),
    ("post-503", None, {}, [fault("POST", status=503)],
     dict(changed=True, methods=["GET", "POST", "POST"], retry_reasons=["HTTP 503"])),
    ("post-429", None, {}, [fault("POST", status=429, headers={"Retry-After": "0"})],
     dict(changed=True, methods=["GET", "POST", "POST"], retry_reasons=["HTTP 429"])),
    ("exhausted-get", "seed", {}, [fault("GET", "exhausted-get", status=503, times=RETRIES + 1)],
     dict(failed=True, changed=False, methods=["GET"] * (RETRIES + 1), retry_reasons=["HTTP 503"] * RETRIES,
          msg="HTTP 503")),
    ("exhausted-put", "seed", {"username": "new-bot@acme.example"},
     [fault("PUT", "exhausted-put", status=503, times=RETRIES + 1)],
     dict(failed=True, changed=False, methods=["GET"] + ["PUT"] * (RETRIES + 1), retry_reasons=["HTTP 503"] * RETRIES,
          msg="HTTP 503")),
    # A create that certainly ended is re-sent once, however many retries are left.
    ("exhausted-post-502", None, {"retries": 3}, [fault("POST", status=502, times=2)],
     dict(failed=True, changed=False, methods=["GET", "POST", "GET", "POST", "GET"],
          retry_reasons=["HTTP 502" + NOT_DONE], msg="HTTP 502")),]


def _playbook(url):
    tasks = []
    for name, _seed, options, faults, _expected in SCENARIOS:
        tasks.append({"name": "arm " + name, "ansible.builtin.uri": {
            "url": url + "/_emulator/faults", "method": "POST", "body_format": "json", "body": {"faults": faults}}})
        if options.get("state") == "absent":
            task_args = dict(options, connection_name=name)
        else:
            task_args = e2e.create_args(name, **options)
        tasks.append({"name": name, "frogops.xray.jira_integration": task_args, "ignore_errors": True})
    return [{"name": "transient faults", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/frogops.xray.all": {"url": url, "access_token": e2e.ADMIN_TOKEN,
                                                            "retries": RETRIES, "retry_backoff": 0.01}},
             "tasks": tasks}]


def test_transient_faults_through_ansible_playbook(emulator, workdir):
    for name, seed, _options, _faults, _expected in SCENARIOS:
        if seed:
            emulator.seed(e2e.seed_record(name))
    run = e2e.run_playbook(workdir, _playbook(emulator.url))
    log = emulator.requests
    store = emulator.integrations
    total_retry_warnings = 0
    for name, _seed, options, _faults, expected in SCENARIOS:
        event = run.result(name)
        result = event["result"]
        entries = e2e.requests_for(log, name)
        context = "%s: %s\nlog: %s" % (name, result, [(e["method"], e["status"]) for e in entries])
        assert e2e.methods(entries) == expected["methods"], context
        assert event["status"] == ("failed" if expected.get("failed") else "ok"), context
        assert result.get("changed") is expected["changed"], context
        e2e.assert_no_traceback(result)
        if expected.get("failed"):
            assert expected["msg"] in result["msg"], context
        # One warning per retry, in the order they happened, as the user sees them in the result.
        warnings = result.get("warnings", [])
        retry_warnings = [w for w in warnings if w.startswith("Retrying ")]
        total_retry_warnings += len(retry_warnings)
        assert len(retry_warnings) == len(expected["retry_reasons"]), context
        for number, (warning, reason) in enumerate(zip(retry_warnings, expected["retry_reasons"]), 1):
            match = RETRY_RE.match(warning)
            assert match, warning
            assert match.group(3) == reason, warning
            assert int(match.group(4)) == number and int(match.group(5)) == options.get("retries", RETRIES), warning
            assert name in unquote(match.group(2)) or match.group(1) == "POST", warning
        others = [w for w in warnings if not w.startswith("Retrying ")]
        assert len(others) == len(expected.get("extra_warnings", [])), context
        assert all(w.endswith(end) for w, end in zip(others, expected.get("extra_warnings", []))), context
        # Backoff 0.01 s: no scenario without Retry-After may take long.
        duration = event["time"] - event["start"]
        assert duration < (6.0 if name == "get-429-retry-after" else 5.0), (name, duration)

    # Retry-After: 1 was honoured (the second GET came at least ~1 s after the first), not exceeded much.
    first, second = e2e.requests_for(log, "get-429-retry-after")
    assert 0.9 <= second["time"] - first["time"] < 3.0
    assert "waiting 1.0s" in run.result("get-429-retry-after")["result"]["warnings"][0]

    # Creates whose answer was lost were applied exactly once: one record, and only one POST applied.
    for name in ("post-502-applied", "post-504-applied", "post-drop-applied", "post-drop-lost", "post-503", "post-429"):
        assert name in store, name
        assert store[name]["password"] == "jira-pw-create-0x5eed"
    posts = dict((name, [e["status"] for e in e2e.requests_for(log, name) if e["method"] == "POST"])
                 for name in ("post-502-applied", "post-504-applied", "post-drop-applied", "post-drop-lost"))
    assert posts == {"post-502-applied": [502], "post-504-applied": [504], "post-drop-applied": ["dropped"],
                     "post-drop-lost": ["dropped", 200]}
    assert "exhausted-post-502" not in store
    # Updates and deletes landed; exhausted ones changed nothing.
    assert store["put-5xx"]["username"] == "new-bot@acme.example"
    assert store["put-502-applied"]["username"] == "new-bot@acme.example"
    assert "delete-5xx" not in store and "delete-502-applied" not in store
    assert store["exhausted-put"]["username"] == "xray-bot@acme.example"
    assert store["put-504-pending"]["username"] == "xray-bot@acme.example"
    assert emulator.faults == [], "every armed fault was used"

    # What the user reads on the console: one [WARNING] line per retry.
    console = run.stdout + run.stderr
    assert len(re.findall(r"\[WARNING\]: Retrying (?:GET|POST|PUT|DELETE) ", console)) == total_retry_warnings
    assert "Traceback" not in console
    assert run.rc == 0, run.describe()  # every failure above was expected (ignore_errors)
    assert run.duration < 60


# --------------------------------------------------------------------------- in-process: Retry-After cap

class _Clock:
    """Stands in for the time module inside _xray_client: records sleeps instead of sleeping."""

    def __init__(self, on_sleep=None):
        self.sleeps = []
        self._on_sleep = on_sleep

    def time(self):
        return time.time()

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        if self._on_sleep:
            self._on_sleep()


def test_retry_after_is_capped_and_http_dates_are_honoured(emulator, monkeypatch):
    client_module = e2e.import_module("module_utils._xray_client")
    clock = _Clock()
    monkeypatch.setattr(client_module, "time", clock)
    name = "retry-after-cap"
    emulator.seed(e2e.seed_record(name))
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 7200))
    emulator.add_faults([fault("GET", name, status=429, headers={"Retry-After": "3600"}),
                         fault("GET", name, status=503, headers={"Retry-After": http_date})])
    result = e2e.run_module("jira_integration", dict(e2e.connection_args(emulator.url), connection_name=name))
    assert not result.failed and result["changed"] is False, result
    cap = client_module.MAX_RETRY_WAIT
    assert clock.sleeps == [cap, cap]
    assert cap == 30.0
    assert [w.endswith("waiting 30.0s)") for w in result["warnings"]] == [True, True], result["warnings"]
    assert e2e.methods(e2e.requests_for(emulator.requests, name)) == ["GET"] * 3


# --------------------------------------------------------------------------- in-process: refused connection

class RefusingRelay:
    """A TCP relay to the emulator that stops listening after its first connection until reopen().

    While it does not listen, connecting to its port is refused by the kernel: a request that
    certainly never reached Xray.
    """

    def __init__(self, target_port):
        self._target = ("127.0.0.1", target_port)
        self._listener = None
        self._threads = []
        self.port = None
        self.accepted = 0
        self._open = []
        self._lock = threading.Lock()

    def _listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(8)
        listener.settimeout(10)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_one, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def start(self):
        self._listen()
        return self

    def reopen(self):
        with self._lock:
            if self._listener is None:
                self._listen()

    def _accept_one(self, listener):
        try:
            client, _address = listener.accept()
        except OSError:
            return
        with self._lock:
            self.accepted += 1
            # Stop listening right away: the next connection attempt is refused.
            listener.close()
            self._listener = None
        upstream = socket.create_connection(self._target, timeout=10)
        with self._lock:
            self._open.extend((client, upstream))
        e2e.forward_proxy.relay(client, upstream, 10)
        client.close()
        upstream.close()

    def stop(self):
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # closed already
        for thread in self._threads:
            thread.join(5)


def test_post_with_refused_connection_is_retried(emulator, monkeypatch):
    client_module = e2e.import_module("module_utils._xray_client")
    name = "post-refused"
    # The GET's answer closes the connection, so the POST needs a new one, which the relay refuses.
    emulator.add_fault(**fault("GET", name, headers={"Connection": "close"}))
    relay = RefusingRelay(int(emulator.url.rsplit(":", 1)[1])).start()
    clock = _Clock(on_sleep=relay.reopen)  # the retry's wait lets the relay listen again
    monkeypatch.setattr(client_module, "time", clock)
    try:
        result = e2e.run_module("jira_integration", e2e.create_args(name, **e2e.connection_args(
            "http://127.0.0.1:%d" % relay.port)))
    finally:
        relay.stop()
    assert not result.failed and result["changed"] is True, result
    assert relay.accepted == 2
    warnings = result["warnings"]
    assert len(warnings) == 1 and RETRY_RE.match(warnings[0]), warnings
    assert warnings[0].startswith("Retrying POST ") and "Could not connect" in warnings[0], warnings
    assert "may have reached Xray" not in warnings[0]
    entries = e2e.requests_for(emulator.requests, name)
    assert [(e["method"], e["status"]) for e in entries] == [("GET", 404), ("POST", 200)]
    assert list(emulator.integrations) == [name]
    assert len(clock.sleeps) == 1


def test_connection_refused_everywhere_fails_cleanly(workdir):
    """Nothing listens: retries run out, the task fails with a clean message, changed=false."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    started = time.monotonic()
    result = e2e.run_module("jira_integration", e2e.create_args("nobody-home", **e2e.connection_args(
        "http://127.0.0.1:%d" % port, retries=2)))
    assert result.failed and result["changed"] is False, result
    assert "Could not connect" in result["msg"] and "Traceback" not in result["msg"]
    assert len([w for w in result["warnings"] if w.startswith("Retrying GET ")]) == 2
    assert time.monotonic() - started < 5
