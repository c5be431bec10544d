# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Jira token examples run as users run them, against the Xray emulator.

- examples/rotate-jira-token.yml with JFROG_ACCESS_TOKEN and JIRA_API_TOKEN in the environment and
  -e xray_url: a healthy integration is left alone (two GETs); once the token is revoked in "Jira"
  (the emulator's control API) the new token is sent once, and the run after that is ok again.
- examples/health-report.yml over an inventory of two platforms (two emulators): one line per unhealthy
  or missing integration in the play's failure; all healthy, it succeeds.

The playbooks are the files in examples/ (their text, run from a work directory); the collection is the
one the Makefile installed from the tarball (e2e_support.collections_path).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

import e2e_support as e2e

EXAMPLES = os.path.join(e2e.REPO_ROOT, "examples")
JIRA_URL = "https://acme.atlassian.net"
OLD_TOKEN = "atlassian-old-Tok9f3e"
NEW_TOKEN = "atlassian-new-Tok4a1c"
FAULTY_REASON = "The system is unable to connect to Jira."


def example(name):
    with open(os.path.join(EXAMPLES, name)) as stream:
        return stream.read()


def shape(entries):
    return [(entry["method"], entry["path"].partition("?")[0].rsplit("/", 1)[-1], entry["status"]) for entry in entries]


# --------------------------------------------------------------------------- rotate-jira-token.yml

def run_rotation(workdir, url, token):
    return e2e.run_playbook(workdir, example("rotate-jira-token.yml"), args=["-e", "xray_url=" + url],
                            env={"JFROG_ACCESS_TOKEN": e2e.ADMIN_TOKEN, "JIRA_API_TOKEN": token})


def rotation_outcome(run):
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr, run.describe()
    event = run.result("Send the token only when Xray reports FAULTY_CONFIGURATION")
    said = run.result("Say what happened")["result"]["msg"]
    return event, said


def test_rotate_jira_token(emulator, workdir):
    emulator.seed(e2e.seed_record("jira-cloud", password=OLD_TOKEN))
    emulator.set_jira_password(JIRA_URL, OLD_TOKEN)

    healthy = run_rotation(os.path.join(workdir, "healthy"), emulator.url, OLD_TOKEN)
    assert healthy.rc == 0, healthy.describe()
    event, said = rotation_outcome(healthy)
    assert (event["status"], event["result"]["changed"], event["result"]["password_sent"]) == ("ok", False, False)
    assert "password sent: False" in said and "health: HEALTHY_INTEGRATION" in said, said
    assert shape(emulator.requests) == [("GET", "details", 200), ("GET", "check", 200)]

    # Atlassian expires the token; the vault (here: the environment) gets the new one.
    emulator.set_jira_password(JIRA_URL, NEW_TOKEN)
    emulator.clear_requests()
    rotated = run_rotation(os.path.join(workdir, "rotated"), emulator.url, NEW_TOKEN)
    assert rotated.rc == 0, rotated.describe()
    event, said = rotation_outcome(rotated)
    outcome = event["result"]
    assert (event["status"], outcome["changed"], outcome["password_sent"]) == ("ok", True, True), outcome
    assert "FAULTY_CONFIGURATION" in outcome["msg"] and FAULTY_REASON in outcome["msg"], outcome["msg"]
    assert "password sent: True" in said and "health: HEALTHY_INTEGRATION" in said, said
    log = emulator.requests
    assert shape(log) == [("GET", "details", 200), ("GET", "check", 200), ("PUT", "jira-cloud", 200),
                          ("GET", "check", 200)]
    assert log[2]["json"] == {"connection_name": "jira-cloud", "password": NEW_TOKEN}
    assert emulator.integrations["jira-cloud"]["password"] == NEW_TOKEN
    assert "changed=1" in rotated.stdout and NEW_TOKEN not in rotated.stdout + rotated.stderr

    emulator.clear_requests()
    again = run_rotation(os.path.join(workdir, "again"), emulator.url, NEW_TOKEN)
    assert again.rc == 0, again.describe()
    event, _said = rotation_outcome(again)
    assert (event["status"], event["result"]["changed"], event["result"]["password_sent"]) == ("ok", False, False)
    assert shape(emulator.requests) == [("GET", "details", 200), ("GET", "check", 200)]


# --------------------------------------------------------------------------- health-report.yml

def platforms_inventory(workdir, platforms):
    """A second inventory source with each platform's xray_url and integrations (run_playbook's own
    inventory makes the hosts local)."""
    inventory = {"all": {"hosts": dict((host, {"xray_url": url, "jira_integrations": names})
                                       for host, (url, names) in platforms.items())}}
    path = os.path.join(workdir, "platforms.json")
    os.makedirs(workdir, exist_ok=True)
    with open(path, "w") as stream:
        json.dump(inventory, stream)
    return path


def run_report(workdir, platforms):
    run = e2e.run_playbook(workdir, example("health-report.yml"), hosts=tuple(platforms),
                           args=["-i", platforms_inventory(workdir, platforms)],
                           env={"JFROG_ACCESS_TOKEN": e2e.ADMIN_TOKEN})
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr, run.describe()
    return run


def seed_platform(server, integrations=("jira-cloud", "jira-server")):
    """jira-cloud on Jira Cloud, jira-server on a self-hosted Jira; both healthy (Jira accepts what they store)."""
    for name in integrations:
        jira_url = JIRA_URL if name == "jira-cloud" else "https://jira.acme.example"
        server.seed(e2e.seed_record(name, jira_server_url=jira_url, password=OLD_TOKEN))
        server.set_jira_password(jira_url, OLD_TOKEN)


@pytest.fixture
def platforms():
    """Two JFrog Platforms (emulators), seeded by each test."""
    with e2e.XrayEmulator(host="127.0.0.1") as prod, e2e.XrayEmulator(host="127.0.0.1") as dr:
        yield {"xray-prod": prod, "xray-dr": dr}


def names(servers):
    return dict((host, (server.url, ["jira-cloud", "jira-server"])) for host, server in servers.items())


def test_health_report_lists_each_unhealthy_integration(platforms, workdir):
    seed_platform(platforms["xray-prod"])
    platforms["xray-prod"].set_jira_password(JIRA_URL, NEW_TOKEN)  # the token expired on prod only
    seed_platform(platforms["xray-dr"], ["jira-cloud"])           # and dr lost jira-server
    run = run_report(workdir, names(platforms))
    assert run.rc == 2, run.describe()
    failure = run.result("Fail with the summary of all platforms")
    assert failure["status"] == "failed"
    lines = ["Unhealthy Jira integrations (2):",
             "xray-prod jira-cloud: FAULTY_CONFIGURATION - " + FAULTY_REASON,
             "xray-dr jira-server: does not exist"]
    message = failure["result"]["msg"]
    # One line per integration: a list of lines, or (as well) one text of lines.
    assert (message if isinstance(message, list) else message.splitlines()) == lines, failure["result"]
    for line in lines:
        assert line in run.stdout, run.describe()
    assert "are healthy" not in run.stdout
    for host, server in platforms.items():
        # Per integration: its details, and its health when it exists; never a write.
        expected = [("GET", "details", 200), ("GET", "check", 200), ("GET", "details", 200), ("GET", "check", 200)]
        if host == "xray-dr":
            expected[2:] = [("GET", "details", 404)]
        assert shape(server.requests) == expected, host


def test_health_report_all_healthy(platforms, workdir):
    for server in platforms.values():
        seed_platform(server)
    run = run_report(workdir, names(platforms))
    assert run.rc == 0, run.describe()
    assert run.result("Fail with the summary of all platforms")["status"] == "skipped"
    said = run.result("All healthy")["result"]["msg"]
    assert said == "All 4 Jira integrations are healthy.", said
    for server in platforms.values():
        assert e2e.methods(server.requests) == ["GET"] * 4


def test_health_report_does_not_call_an_unread_platform_healthy(platforms, workdir):
    """A platform whose Xray cannot be read (here: the access token is refused) fails its host; the other
    platform's report must not claim that all integrations, the unread ones included, are healthy."""
    for server in platforms.values():
        seed_platform(server)
    with e2e.XrayEmulator(host="127.0.0.1", admin_tokens=["another-token"]) as locked:
        servers = dict(platforms, **{"xray-locked": locked})
        run = run_report(workdir, names(servers))
    assert run.rc != 0, run.describe()
    assert run.result("Read each integration and its health", "xray-locked")["status"] == "failed"
    healthy = [event for event in run.results if event["task"] == "All healthy"]
    assert not healthy or "All 4 " in healthy[0]["result"]["msg"], healthy[0]["result"]["msg"]
