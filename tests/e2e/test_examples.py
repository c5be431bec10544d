# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Jira token examples run as users run them, against the Xray emulator.

- examples/rotate-jira-token.yml with JFROG_ACCESS_TOKEN and JIRA_API_TOKEN in the environment and
  -e xray_url: a healthy integration is left alone (two GETs); once the token is revoked in "Jira"
  (the emulator's control API) the new token is sent once, and the run after that is ok again.
- examples/health-report.yml over inventories of several platforms (one emulator each), given as the
  only inventory (no ansible_connection, no ansible_python_interpreter: the play sets both): a summary
  that counts healthy, unhealthy and unread integrations, then one line per problem, each with its
  reason, where a platform that is down, refuses the token or answers an SSO page, and an integration
  whose details answer 500, are unread and never healthy; the play fails unless all were read healthy;
  the README's sample output is what the play prints for the README's scenario.

The playbooks are the files in examples/ (their text, run from a work directory); the collection is the
one the Makefile installed from the tarball (e2e_support.collections_path).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import socket

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

SUMMARY = "Summary"
FAIL = "Fail when any integration is unhealthy or unread"
SSO_PAGE = ("<!DOCTYPE html><html><head><title>Sign in - Acme SSO</title></head>"
            "<body><form method=\"post\" action=\"/sso/login\">Username <input name=\"username\"></form></body></html>")


def platforms_inventory(workdir, platforms):
    """The user's inventory: each platform's xray_url, integrations and any other host variable, and
    nothing about the connection or the interpreter (the play sets those)."""
    inventory = {"all": {"hosts": {}}}
    for host, platform in platforms.items():
        url, integrations = platform[:2]
        host_vars = {"xray_url": url, "jira_integrations": list(integrations)}
        for key, value in (platform[2] if len(platform) > 2 else {}).items():
            if value is None:  # the variable is not set at all
                host_vars.pop(key)
            else:
                host_vars[key] = value
        inventory["all"]["hosts"][host] = host_vars
    path = os.path.join(workdir, "platforms.json")
    os.makedirs(workdir, exist_ok=True)
    with open(path, "w") as stream:
        json.dump(inventory, stream)
    return path


def run_report(workdir, platforms):
    # hosts=(): run_playbook's own inventory is empty, so the user's inventory is the only one.
    run = e2e.run_playbook(workdir, example("health-report.yml"), hosts=(),
                           args=["-i", platforms_inventory(workdir, platforms)],
                           env={"JFROG_ACCESS_TOKEN": e2e.ADMIN_TOKEN})
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr, run.describe()
    for event in run.results:  # the modules ran with ansible-playbook's Python, not a discovered one
        found = [item.get("ansible_facts", {}) for item in event["result"].get("results", [event["result"]])
                 if isinstance(item, dict)]
        assert not any("discovered_interpreter_python" in facts for facts in found), event
    assert "discovered" not in run.stdout + run.stderr, run.describe()  # no interpreter discovery warning
    tokens = [e2e.ADMIN_TOKEN] + [platform[2]["xray_access_token"] for platform in platforms.values()
                                  if len(platform) > 2 and platform[2].get("xray_access_token")]
    for token in tokens:  # the access tokens, right or refused, are never shown
        assert token not in run.stdout + run.stderr, run.describe()
    return run


def summary(run):
    """The summary the play printed: a list of lines when something is wrong, else one sentence."""
    event = run.result(SUMMARY)
    assert event["status"] == "ok", event
    return event["result"]["msg"]


def seed_platform(server, integrations=("jira-cloud", "jira-server")):
    """jira-cloud on Jira Cloud, jira-server on a self-hosted Jira; both healthy (Jira accepts what they store)."""
    for name in integrations:
        jira_url = JIRA_URL if name == "jira-cloud" else "https://jira.acme.example"
        server.seed(e2e.seed_record(name, jira_server_url=jira_url, password=OLD_TOKEN))
        server.set_jira_password(jira_url, OLD_TOKEN)


def closed_port():
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def platforms():
    """Two JFrog Platforms (emulators), seeded by each test."""
    with e2e.XrayEmulator(host="127.0.0.1") as prod, e2e.XrayEmulator(host="127.0.0.1") as dr:
        yield {"xray-prod": prod, "xray-dr": dr}


def names(servers):
    return dict((host, (server.url, ["jira-cloud", "jira-server"])) for host, server in servers.items())


def assert_failed_with(run, counts):
    assert run.rc == 2, run.describe()
    failure = run.result(FAIL)
    assert (failure["status"], failure["result"]["msg"]) == ("failed", counts), failure
    assert "are healthy" not in run.stdout, run.describe()


def assert_never_written(servers):
    for server in servers:
        assert e2e.writes(server.requests) == []


def test_health_report_lists_each_unhealthy_integration(platforms, workdir):
    seed_platform(platforms["xray-prod"])
    platforms["xray-prod"].set_jira_password(JIRA_URL, NEW_TOKEN)  # the token expired on prod only
    seed_platform(platforms["xray-dr"], ["jira-cloud"])           # and dr lost jira-server
    run = run_report(workdir, names(platforms))
    counts = "Jira integrations on 2 platforms: 2 healthy, 2 unhealthy, 0 unread."
    assert summary(run) == [counts,
                            "xray-prod jira-cloud: FAULTY_CONFIGURATION - " + FAULTY_REASON,
                            "xray-dr jira-server: does not exist"], run.describe()
    assert_failed_with(run, counts)
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
    assert run.result(FAIL)["status"] == "skipped"
    assert summary(run) == "All 4 Jira integrations on 2 platforms are healthy."
    assert "All 4 Jira integrations on 2 platforms are healthy." in run.stdout
    for server in platforms.values():
        assert e2e.methods(server.requests) == ["GET"] * 4


def test_health_report_does_not_call_an_unread_platform_healthy(platforms, workdir):
    """A platform whose Xray refuses the token: each of its integrations is a line of its own with Xray's
    401, counted unread; the others' health does not make the report say "healthy"."""
    for server in platforms.values():
        seed_platform(server)
    with e2e.XrayEmulator(host="127.0.0.1", admin_tokens=["another-token"]) as locked:
        seed_platform(locked)
        servers = dict(platforms, **{"xray-locked": locked})
        run = run_report(workdir, names(servers))
        locked_log = locked.requests
    counts = "Jira integrations on 3 platforms: 4 healthy, 0 unhealthy, 2 unread."
    lines = summary(run)
    assert lines[0] == counts and len(lines) == 3, lines
    for line, name in zip(lines[1:], ["jira-cloud", "jira-server"]):
        assert line.startswith("xray-locked %s: not read - Authentication to JFrog failed (HTTP 401 " % name), line
    assert_failed_with(run, counts)
    assert shape(locked_log) == [("GET", "details", 401), ("GET", "details", 401)]


def test_health_report_names_every_platform_and_integration_it_could_not_read(workdir):
    """Five platforms: one down (connection refused), one that refuses the token (401), one behind an SSO
    login page (302 to the login page on every path), one with a FAULTY integration and one whose details
    answer 500, one all healthy. Every unread integration is a line with its reason; only what was read
    healthy counts as healthy; the play fails."""
    with e2e.XrayEmulator(host="127.0.0.1") as prod, e2e.XrayEmulator(host="127.0.0.1") as locked, \
            e2e.XrayEmulator(host="127.0.0.1") as sso, e2e.XrayEmulator(host="127.0.0.1") as dr:
        servers = [prod, locked, sso, dr]
        for server in servers:
            seed_platform(server)
        prod.set_jira_password(JIRA_URL, NEW_TOKEN)  # jira-cloud: FAULTY_CONFIGURATION
        prod.add_fault(path_regex="/jira-server/details", status=500, times=-1,
                       body='{"error": "Internal error while reading the integration"}')
        sso.add_fault(status=302, content_type="text/html; charset=utf-8", body=SSO_PAGE, times=-1,
                      headers={"Location": "https://login.acme.example/sso/saml?RelayState=xray"})
        down_url = "http://127.0.0.1:%d" % closed_port()
        run = run_report(workdir, {
            "xray-down": (down_url, ["jira-cloud"]),
            "xray-locked": (locked.url, ["jira-cloud", "jira-server"], {"xray_access_token": "a-wrong-token"}),
            "xray-sso": (sso.url, ["jira-cloud", "jira-server"]),
            "xray-prod": (prod.url, ["jira-cloud", "jira-server"]),
            "xray-dr": (dr.url, ["jira-cloud", "jira-server"]),
        })
        logs = dict((host, shape(server.requests)) for host, server in
                    zip(["xray-prod", "xray-locked", "xray-sso", "xray-dr"], servers))
        assert_never_written(servers)

    counts = "Jira integrations on 5 platforms: 2 healthy, 1 unhealthy, 6 unread."
    lines = summary(run)
    assert lines[0] == counts, lines
    expected = [
        ("xray-down jira-cloud: not read - Could not connect to " + down_url, "Connection refused"),
        ("xray-locked jira-cloud: not read - Authentication to JFrog failed (HTTP 401 ", "Found invalid token"),
        ("xray-locked jira-server: not read - Authentication to JFrog failed (HTTP 401 ", "Found invalid token"),
        ("xray-sso jira-cloud: not read - Unexpected answer to GET ", "a redirect to a login page (SSO)"),
        ("xray-sso jira-server: not read - Unexpected answer to GET ", "a redirect to a login page (SSO)"),
        ("xray-prod jira-cloud: FAULTY_CONFIGURATION - " + FAULTY_REASON, ""),
        ("xray-prod jira-server: not read - Xray answered HTTP 500 ", "Internal error while reading the integration"),
    ]
    assert len(lines) == 1 + len(expected), lines
    for line, (start, reason) in zip(lines[1:], expected):
        assert line.startswith(start) and reason in line, (line, start, reason)
        assert "\n" not in line
        if "not read" in line:  # never called healthy, in any case
            assert "healthy" not in line.lower(), line
    assert not any(line.startswith("xray-dr") for line in lines), lines  # all read, all healthy
    console = run.stdout.splitlines()
    for line in lines[1:]:  # printed one per console line, as the README shows them
        assert "        " + json.dumps(line) in console or "        " + json.dumps(line) + "," in console, line
    assert_failed_with(run, counts)
    assert logs["xray-prod"] == [("GET", "details", 200), ("GET", "check", 200), ("GET", "details", 500)]
    assert logs["xray-locked"] == [("GET", "details", 401)] * 2
    assert logs["xray-sso"] == [("GET", "details", 302)] * 2
    assert logs["xray-dr"] == [("GET", "details", 200), ("GET", "check", 200)] * 2


def test_health_report_names_a_platform_it_could_not_start(platforms, workdir):
    """A platform without jira_integrations, one with an empty list, one without xray_url and one whose
    inventory sends it through ssh to a closed port (unreachable), one that fails as a host (a connection
    plugin that does not exist): each is a line naming it and the cause; the one healthy platform does not
    make the report healthy."""
    seed_platform(platforms["xray-dr"])
    run = run_report(workdir, {
        "xray-dr": (platforms["xray-dr"].url, ["jira-cloud", "jira-server"]),
        "xray-nolist": (platforms["xray-prod"].url, [], {"jira_integrations": None}),
        "xray-empty": (platforms["xray-prod"].url, []),
        "xray-nourl": (None, ["jira-cloud"], {"xray_url": None}),
        "xray-ssh": (platforms["xray-prod"].url, ["jira-cloud"],
                     {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": closed_port()}),
        "xray-broken": (platforms["xray-prod"].url, ["jira-cloud"], {"ansible_connection": "no_such_connection"}),
    })
    counts = "Jira integrations on 6 platforms: 2 healthy, 0 unhealthy, 5 unread."
    lines = summary(run)
    assert lines[0] == counts, lines
    assert lines[1].startswith("xray-nolist: not read - ") and "jira_integrations" in lines[1], lines
    assert lines[2] == "xray-empty: nothing checked - jira_integrations is empty", lines
    # ansible-core < 2.19 fails the whole loop (a line for the platform), later ones each item
    assert lines[3].startswith(("xray-nourl: not read - ", "xray-nourl jira-cloud: not read - ")), lines
    assert "'xray_url' is undefined" in lines[3], lines
    assert lines[4].startswith("xray-ssh jira-cloud: not read - ") and "ssh" in lines[4], lines
    # a host that failed is not in ansible_play_hosts any more, but is in ansible_play_hosts_all
    assert lines[5] == "xray-broken: not read - the host failed before its integrations were read (see above)", lines
    assert len(lines) == 6, lines
    assert_failed_with(run, counts)
    assert platforms["xray-prod"].requests == []


# --------------------------------------------------------------------------- README's sample

README_SCENARIO_URLS = {"xray-prod": "https://acme.jfrog.io", "xray-dr": "https://acme-dr.jfrog.io"}


def readme_health_sample():
    """The code block of README.md's "### Health report across platforms" subsection."""
    with open(os.path.join(e2e.REPO_ROOT, "README.md")) as stream:
        text = stream.read()
    section = text.split("### Health report across platforms", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"^```[a-z]*\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert block, section
    return block.group(1)


def test_readme_sample_is_what_the_report_prints(platforms, workdir):
    """The README's scenario: on prod, jira-cloud's token expired (jira-server is fine); dr refuses the
    access token. The console shows the README's block, line for line, once the emulators' URLs are
    replaced with the README's."""
    seed_platform(platforms["xray-prod"])
    platforms["xray-prod"].set_jira_password(JIRA_URL, NEW_TOKEN)
    seed_platform(platforms["xray-dr"], ["jira-cloud"])
    run = run_report(workdir, {
        "xray-prod": (platforms["xray-prod"].url, ["jira-cloud", "jira-server"]),
        "xray-dr": (platforms["xray-dr"].url, ["jira-cloud"], {"xray_access_token": "an-expired-token"}),
    })
    assert_failed_with(run, "Jira integrations on 2 platforms: 1 healthy, 1 unhealthy, 1 unread.")
    console = run.stdout
    for host, url in README_SCENARIO_URLS.items():
        console = console.replace(platforms[host].url, url)
    sample = readme_health_sample()
    assert sample in console, "README sample:\n%s\nprinted:\n%s" % (sample, console)
    with open(os.path.join(e2e.REPO_ROOT, "docs", "docsite", "rst", "guide_jira_token_rotation.rst")) as stream:
        guide = stream.read()
    guide_block = guide.split("4. Be told before tickets stop", 1)[1].split(".. code-block:: text\n\n", 1)[1]
    indented = "".join("    " + line + "\n" if line else "\n" for line in sample.splitlines())
    assert guide_block.startswith(indented), "the guide's sample differs from the README's:\n" + guide_block
