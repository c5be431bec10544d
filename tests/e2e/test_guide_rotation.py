# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token rotation guide's steps, run in order as its console blocks say, against the Xray emulator.

docs/docsite/rst/guide_jira_token_rotation.rst gives the commands: step 1 makes an inventory whose
group_vars/all/vault.yml is encrypted with ansible-vault (``ansible-vault create``; the editor is a
script that writes ``jira_api_token: <token>``), step 2 runs examples/rotate-jira-token.yml with that
inventory and ``--vault-password-file``, and the yearly rotation replaces the token with
``ansible-vault edit``. The commands are taken from the guide and run in bash, with only the guide's
placeholders replaced: the JFrog access token ("..."), the platform's URL (the emulator's) and the
home directory (which holds the vault password file). The example is copied into the work directory,
the way a user copies it.

- the token from the vault: healthy -> ok, 2 GETs, nothing sent; Jira revokes it -> the old token
  is sent, Xray's 400, failed; the new token in the vault (JIRA_API_TOKEN in the environment must not
  win over it) -> changed, sent once; then ok again;
- no token at all, or only blank ones -> the play fails before any request to Xray, naming
  jira_api_token and JIRA_API_TOKEN;
- neither token, nor the vault password, in any output.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import stat
import subprocess
import sys
import time

import pytest

import e2e_support as e2e

GUIDE = os.path.join(e2e.REPO_ROOT, "docs", "docsite", "rst", "guide_jira_token_rotation.rst")
EXAMPLE = os.path.join(e2e.REPO_ROOT, "examples", "rotate-jira-token.yml")
JIRA_URL = "https://acme.atlassian.net"
OLD_TOKEN = "atlassian-old-Tok7d2b"
NEW_TOKEN = "atlassian-new-Tok1e8f"
ENV_TOKEN = "atlassian-env-Tok0c3a"  # JIRA_API_TOKEN in the environment: must not win over the vault
VAULT_PASSWORD = "e2e-vault-pass-Wq81"
TASK = "Send the token only when Xray reports FAULTY_CONFIGURATION"
GUARD = "Stop unless a Jira API token was given"
DETAILS = ("GET", "details")
CHECK = ("GET", "check")

# The editor that `ansible-vault create` / `edit` open: writes the vault's text, given by the test.
EDITOR = """#!/bin/sh
printf '%s\\n' "$E2E_VAULT_TEXT" > "$1"
"""


def guide_commands():
    """The guide's console commands, in order: each `$ ` line of a console code block, with its
    backslash continuations joined."""
    commands = []
    in_block, indent = False, 0
    with open(GUIDE) as stream:
        lines = stream.read().splitlines()
    for line in lines:
        stripped = line.strip()
        if stripped == ".. code-block:: console":
            in_block, indent = True, len(line) - len(line.lstrip())
            continue
        if in_block and stripped and len(line) - len(line.lstrip()) <= indent:
            in_block = False
        if not in_block or not stripped:
            continue
        if stripped.startswith("$ "):
            commands.append(stripped[2:])
        elif commands and commands[-1].endswith("\\"):
            commands[-1] = commands[-1][:-1].rstrip() + " " + stripped
    return commands


def commands_starting(prefix):
    found = [command for command in guide_commands() if command.startswith(prefix)]
    assert found, "the guide has no command starting with %r: %r" % (prefix, guide_commands())
    return found


class Guide:
    """A user's work directory that follows the guide."""

    def __init__(self, workdir, url):
        self.workdir = workdir
        self.url = url
        self.home = os.path.join(workdir, "home")
        os.makedirs(os.path.join(workdir, "examples"))
        os.makedirs(self.home)
        shutil.copy(EXAMPLE, os.path.join(workdir, "examples", "rotate-jira-token.yml"))
        with open(os.path.join(self.home, ".xray-vault-pass"), "w") as stream:
            stream.write(VAULT_PASSWORD + "\n")
        self.editor = os.path.join(workdir, "editor.sh")
        with open(self.editor, "w") as stream:
            stream.write(EDITOR)
        os.chmod(self.editor, stat.S_IRWXU)
        self.outputs = []
        self.runs = 0

    def shell(self, command, env=None):
        """bash -c command in the work directory; a command that opens an editor gets a terminal as
        stdout, as in the user's shell (`ansible-vault create` refuses to open one otherwise)."""
        full_env = e2e.ansible_env(self.workdir, dict(env or {}))
        full_env.update(HOME=self.home, EDITOR=self.editor,
                        PATH=os.path.dirname(sys.executable) + os.pathsep + full_env.get("PATH", ""))
        full_env.pop("JIRA_API_TOKEN", None)
        full_env.update(env or {})
        terminal = command.startswith(("ansible-vault create ", "ansible-vault edit "))
        master, slave = os.openpty() if terminal else (None, None)
        try:
            process = subprocess.run(["bash", "-c", command], env=full_env, cwd=self.workdir,
                                     stdout=slave if terminal else subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, timeout=e2e.PLAYBOOK_TIMEOUT, check=False)
        finally:
            if terminal:
                os.close(slave)
        stdout = read_terminal(master) if terminal else process.stdout.decode("utf-8", "replace")
        stderr = process.stderr.decode("utf-8", "replace")
        self.outputs.append(stdout + stderr)
        return process.returncode, stdout, stderr

    def step(self, prefix, vault_text=None):
        """Run the guide's commands that start with prefix (all of them must succeed)."""
        for command in commands_starting(prefix):
            rc, stdout, stderr = self.shell(command, {"E2E_VAULT_TEXT": vault_text or ""})
            assert rc == 0, "%s\nrc=%s\n%s\n%s" % (command, rc, stdout, stderr)

    def store(self, token):
        """Step 1: the inventory and the encrypted vault with the token."""
        for prefix in ("mkdir ", "printf ", "ansible-vault create "):
            self.step(prefix, "jira_api_token: " + token)
        vault = self.vault_text()
        assert vault.startswith("$ANSIBLE_VAULT;") and token not in vault, vault

    def replace(self, token):
        """The yearly rotation: the new token in the vault."""
        self.step("ansible-vault edit ", "jira_api_token: " + token)
        vault = self.vault_text()
        assert vault.startswith("$ANSIBLE_VAULT;") and token not in vault, vault

    def vault_text(self):
        with open(os.path.join(self.workdir, "inventory", "group_vars", "all", "vault.yml")) as stream:
            return stream.read()

    def run(self, env=None):
        """Step 2: export the access token, run the example as the guide says."""
        export = commands_starting("export JFROG_ACCESS_TOKEN=")[0].split("#")[0].strip()
        assert export == "export JFROG_ACCESS_TOKEN=...", export
        export = "export JFROG_ACCESS_TOKEN=" + e2e.ADMIN_TOKEN
        playbook = commands_starting("ansible-playbook ")[0]
        assert "https://acme.jfrog.io" in playbook and "--vault-password-file ~/.xray-vault-pass" in playbook, playbook
        playbook = playbook.replace("https://acme.jfrog.io", self.url)
        self.runs += 1
        record = os.path.join(self.workdir, "run-%d.events.jsonl" % self.runs)
        started = time.monotonic()
        rc, stdout, stderr = self.shell(export + " && " + playbook, dict(env or {}, E2E_RECORD_FILE=record))
        events = []
        if os.path.exists(record):
            with open(record) as stream:
                events = [json.loads(line) for line in stream if line.strip()]
        run = e2e.PlaybookRun(playbook, rc, stdout, stderr, events, time.monotonic() - started)
        assert "Traceback (most recent call last)" not in stdout + stderr, run.describe()
        return run


def read_terminal(master):
    """What was written to a pseudo-terminal whose other end is closed."""
    chunks = []
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:  # EIO: the other end is closed and everything was read
        pass
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def shape(entries):
    return [(entry["method"], entry["path"].partition("?")[0].rsplit("/", 1)[-1]) for entry in entries]


def sent_passwords(entries):
    return [entry["json"]["password"] for entry in entries
            if isinstance(entry.get("json"), dict) and "password" in entry["json"]]


def outcome(run, status, changed, password_sent):
    event = run.result(TASK)
    result = event["result"]
    assert (event["status"], result.get("changed"), result.get("password_sent")) == (status, changed, password_sent), (
        run.describe())
    return result


def assert_no_secret(guide):
    for text in guide.outputs:
        for secret in (OLD_TOKEN, NEW_TOKEN, ENV_TOKEN, VAULT_PASSWORD):
            assert secret not in text, "%s in output:\n%s" % (secret, text[-3000:])


def test_guide_steps_in_order(emulator, workdir):
    emulator.seed(e2e.seed_record("jira-cloud", password=OLD_TOKEN))
    emulator.set_jira_password(JIRA_URL, OLD_TOKEN)
    guide = Guide(workdir, emulator.url)

    # 1. Keep the current token where the playbook reads it: the vault.
    guide.store(OLD_TOKEN)

    # 2. The scheduled job: healthy, nothing sent.
    healthy = guide.run()
    assert healthy.rc == 0, healthy.describe()
    outcome(healthy, "ok", False, False)
    assert shape(emulator.requests) == [DETAILS, CHECK]

    # Atlassian expires the token: the next run sends the old one, which Xray's save test rejects.
    emulator.set_jira_password(JIRA_URL, NEW_TOKEN)
    emulator.clear_requests()
    expired = guide.run()
    assert expired.rc == 2, expired.describe()
    result = outcome(expired, "failed", False, True)
    assert "We were not able to connect to your Jira" in result["msg"], result["msg"]
    assert shape(emulator.requests) == [DETAILS, CHECK, ("PUT", "jira-cloud")]
    assert [entry["status"] for entry in emulator.requests] == [200, 200, 400]
    assert sent_passwords(emulator.requests) == [OLD_TOKEN]
    assert emulator.integrations["jira-cloud"]["password"] == OLD_TOKEN

    # The new token goes into the vault; JIRA_API_TOKEN in the environment does not override it.
    guide.replace(NEW_TOKEN)
    emulator.clear_requests()
    rotated = guide.run({"JIRA_API_TOKEN": ENV_TOKEN})
    assert rotated.rc == 0, rotated.describe()
    result = outcome(rotated, "ok", True, True)
    assert "FAULTY_CONFIGURATION" in result["msg"], result["msg"]
    assert result["status"]["status"] == "HEALTHY_INTEGRATION", result
    assert shape(emulator.requests) == [DETAILS, CHECK, ("PUT", "jira-cloud"), CHECK]
    assert sent_passwords(emulator.requests) == [NEW_TOKEN]
    assert emulator.integrations["jira-cloud"]["password"] == NEW_TOKEN

    # And every run after that is ok, with the two reads.
    emulator.clear_requests()
    again = guide.run()
    assert again.rc == 0, again.describe()
    outcome(again, "ok", False, False)
    assert shape(emulator.requests) == [DETAILS, CHECK]
    assert_no_secret(guide)


@pytest.mark.parametrize("vault_text, env", [
    (None, {}),                                            # no vault file, no JIRA_API_TOKEN
    ("jira_api_token: ''", {"JIRA_API_TOKEN": "   "}),     # both set, both blank
], ids=["nothing", "blank"])
def test_guide_without_a_token_stops_before_any_request(emulator, workdir, vault_text, env):
    emulator.seed(e2e.seed_record("jira-cloud", password=OLD_TOKEN))
    guide = Guide(workdir, emulator.url)
    if vault_text is None:
        guide.step("mkdir ")
        guide.step("printf ")
    else:
        for prefix in ("mkdir ", "printf ", "ansible-vault create "):
            guide.step(prefix, vault_text)
    run = guide.run(env)
    assert run.rc == 2, run.describe()
    guard = run.result(GUARD)
    assert guard["status"] == "failed", guard
    message = guard["result"]["msg"]
    assert "jira_api_token" in message and "JIRA_API_TOKEN" in message and "group_vars" in message, message
    assert message in run.stdout, run.describe()
    assert not [event for event in run.results if event["task"] == TASK], run.describe()
    assert emulator.requests == []
    assert_no_secret(guide)
