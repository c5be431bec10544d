# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An AWX-style run of examples/demo.yml through ansible-runner.

The connection comes from environment variables, the way an AWX custom credential type injects
them (docs/docsite/rst/guide_awx.rst); the Jira password from DEMO_JIRA_API_TOKEN. The job events are checked task by
task, and no event (serialised to JSON) or the job's stdout may hold a secret. Verbosity 4, like an
AWX job template's "Connection Debug".
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil

import sys

import ansible_runner  # a test requirement: the suite fails, rather than skips, without it

import e2e_support as e2e

ACCESS_TOKEN = "awx-injected-token-Q7w3e9r1"
JIRA_API_TOKEN = "awx-jira-api-token-Z5x8c2v4"

# task name -> changed, in the order of examples/demo.yml
EXPECTED = [
    ("Create the integration", True),
    ("Run the same task again - nothing to change, one GET, no write", False),
    ("Preview a move to a self-hosted Jira (check mode with diff, nothing is written)", True),
    ("Apply that change", True),
    ("Read it back", False),
    ("Delete the integration", True),
    ("Show what each step reported", False),
    ("Check the demo behaved as documented", False),
]


def test_demo_through_ansible_runner(workdir, monkeypatch):
    # In its own process: ansible-runner forks through a pty (pexpect), which a process with threads
    # should not do.
    emulator = e2e.EmulatorProcess("--admin-token", ACCESS_TOKEN)
    private = os.path.join(workdir, "private")
    os.makedirs(os.path.join(private, "project"))
    shutil.copy(os.path.join(e2e.REPO_ROOT, "examples", "demo.yml"), os.path.join(private, "project", "demo.yml"))
    # The calling environment must not leak proxies, CA bundles or JFrog settings into the job.
    for variable in e2e._SCRUBBED_ENV:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env = e2e.ansible_env(workdir)
    for key in ("ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_CALLBACKS_ENABLED"):
        env.pop(key)
    with emulator:
        envvars = {
            # what the custom credential type's injector sets
            "JFROG_URL": emulator.url,
            "JFROG_ACCESS_TOKEN": ACCESS_TOKEN,
            "DEMO_JIRA_API_TOKEN": JIRA_API_TOKEN,
            "ANSIBLE_COLLECTIONS_PATH": env["ANSIBLE_COLLECTIONS_PATH"],
            "ANSIBLE_HOME": env["ANSIBLE_HOME"],
            "ANSIBLE_LOCAL_TEMP": env["ANSIBLE_LOCAL_TEMP"],
            "ANSIBLE_REMOTE_TEMP": env["ANSIBLE_REMOTE_TEMP"],
            "ANSIBLE_CONFIG": env["ANSIBLE_CONFIG"],
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "LC_ALL": "C.UTF-8",
        }
        runner = ansible_runner.run(private_data_dir=private, playbook="demo.yml", envvars=envvars,
                                    extravars={"xray_url": emulator.url}, inventory="localhost ansible_connection=local",
                                    verbosity=4, quiet=True, timeout=e2e.PLAYBOOK_TIMEOUT)
        store = emulator.integrations
        log = emulator.requests
        events = list(runner.events)
        stdout = runner.stdout.read()

    assert runner.status == "successful" and runner.rc == 0, stdout[-5000:]
    assert "ESTABLISH LOCAL CONNECTION" in stdout  # verbosity 4 took effect
    assert runner.stats["failures"] == {} and runner.stats["dark"] == {}, runner.stats

    results = [event for event in events if event["event"].startswith("runner_on_")
               and event["event"] not in ("runner_on_start", "runner_on_file_diff")]
    assert [event["event"] for event in results] == ["runner_on_ok"] * len(EXPECTED), [e["event"] for e in results]
    seen = [(event["event_data"]["task"], event["event_data"]["res"].get("changed", False)) for event in results]
    assert seen == EXPECTED
    assert not [event for event in events if event["event"] in ("runner_on_failed", "runner_on_unreachable")]
    # --diff is not on: the two tasks with diff: true report theirs, with no password in them.
    diffs = [event for event in events if event["event"] == "runner_on_file_diff"]
    assert [event["event_data"]["task"] for event in diffs] == [EXPECTED[2][0], EXPECTED[3][0]]

    # The demo really converged against the emulator, with the injected token: create, update, delete.
    assert store == {}
    assert all(entry["headers"].get("Authorization") == "Bearer " + ACCESS_TOKEN for entry in log)
    assert [entry["method"] for entry in log if entry["method"] != "GET"] == ["POST", "PUT", "DELETE"]
    create = [entry for entry in log if entry["method"] == "POST"][0]
    assert create["json"]["password"] == JIRA_API_TOKEN

    serialised = json.dumps(events, default=str)
    for secret in (ACCESS_TOKEN, JIRA_API_TOKEN):
        assert secret not in serialised, secret
        assert secret not in stdout, secret
    # The runner's own records of the job (what AWX stores and shows): its stdout and job events.
    # (artifacts/<id>/env and /command hold the job's environment as given, credential included, by design.)
    scanned = 0
    for root, _dirs, files in os.walk(os.path.join(private, "artifacts")):
        for name in files:
            if name != "stdout" and os.path.basename(root) != "job_events":
                continue
            scanned += 1
            with open(os.path.join(root, name), "rb") as stream:
                data = stream.read()
            for secret in (ACCESS_TOKEN, JIRA_API_TOKEN):
                assert secret.encode() not in data, (os.path.join(root, name), secret)
    assert scanned > len(EXPECTED)
