# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The routing guide's steps and examples/route-violations-to-jira.yml, run as users run them, against the emulator.

docs/docsite/rst/guide_route_violations.rst gives the commands, in order: the exports of step 3, the
ad-hoc read of the watch (the adoption), the example in check mode with diff, the real run, the rerun,
and `terraform apply` followed by the example again. They are taken from the guide and run in bash in a
work directory holding a copy of the example, with only the guide's placeholders replaced: the JFrog
access token and the Jira API token ("..."), the platform's URL (the emulator's). `terraform apply` is
played by what Terraform's released xray_watch does: a PUT of the whole watch without its ticketing
fields. The profiles of step 2, made in the UI in real life, are declared through the emulator's
control API; the watch and the policies are seeded as the UI made them.

- the guide's command list is exactly the one run here, in that order; its YAML blocks are the
  example's tasks and variables; its profile table names the example's profiles; the adoption output
  and the check-mode msg it shows are what the modules print;
- requests: the read 1 GET; check mode 1 GET per task and no write; the real run GET, PUT, GET per
  watch and policy; the rerun only GETs; after Terraform's PUT the watch alone is written again, and
  what Terraform set is kept;
- on an Xray that keeps no ticketing fields the watch task fails, changed false, with the guide's
  message naming the version, and the play stops;
- the example on a fresh platform: first run writes (changed=3), second only GETs (changed=0); the
  PUT bodies are the objects read with only the ticketing changed and no read-only key; the stored
  watch and policies differ from the seeded ones only there;
- the roles of the guide's table: a token with Manage Watches / Manage Policies but no admin role
  runs the watch and policy tasks and not the integration; without them, the 403 names them
  (Manage Security Assets for a project's watch);
- no token, Jira's or JFrog's, in any output.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time

import requests
import yaml

import e2e_support as e2e

GUIDE = os.path.join(e2e.REPO_ROOT, "docs", "docsite", "rst", "guide_route_violations.rst")
EXAMPLE = os.path.join(e2e.REPO_ROOT, "examples", "route-violations-to-jira.yml")
GUIDE_URL = "https://acme.jfrog.io"
JIRA_TOKEN = "atlassian-routing-Tok5b7e"
WATCH_TOKEN = "emulator-watch-manager-token"   # Read/Manage Watches, Read/Manage Policies; no admin
READ_TOKEN = "emulator-watch-reader-token"     # Read Watches, Read Policies

INTEGRATION_TASK = "Connect Xray to Jira Cloud"
WATCH_TASK = "Open Jira tickets for the watch's violations, each team's paths in its own project"
POLICY_TASK = "Turn on the \"create Jira ticket\" action of the policies' rules"
GUARD_TASK = "Stop unless a Jira API token was given"
PROFILES = ["platform-security", "team-a-security", "team-b-security"]
ROUTES = [{"pattern": "*/libs-team-a/*", "profile": "team-a-security"},
          {"pattern": "*/libs-team-b/*", "profile": "team-b-security"}]
TICKETING_KEYS = ("create_ticket_enabled", "ticket_profile", "ticket_generation")

WATCH_PATH = "/xray/api/v2/watches/prod-security"
POLICY_PATHS = {"critical-cves": "/xray/api/v2/policies/critical-cves",
                "banned-licences": "/xray/api/v2/policies/banned-licences"}
DETAILS_PATH = "/xray/api/v1/ticketing/jira-integrations/jira-cloud/details"

# A watch as made in the UI, with what this collection does not manage: nested filters, an object
# filter value, a build resource with build_repo, a key no document lists, numbers of every size.
WATCH = {
    "general_data": {"id": "5f3c9a0b1d2e4f60718293a4b5c", "name": "prod-security",
                     "description": "Production repositories", "active": True},
    "project_resources": {"resources": [
        {"type": "repository", "bin_mgr_id": "default", "name": "libs-team-a-release",
         "filters": [{"type": "regex", "value": ".*"}]},
        {"type": "repository", "bin_mgr_id": "default", "name": "libs-team-b-release",
         "filters": [{"type": "package-type", "value": "Maven"}]},
        {"type": "build", "bin_mgr_id": "default", "name": "payments-ci", "build_repo": "artifactory-build-info",
         "filters": [{"type": "ant-patterns", "value": {"IncludePatterns": ["**/*.jar"], "ExcludePatterns": []}}]},
    ]},
    "assigned_policies": [{"name": "critical-cves", "type": "security"}, {"name": "banned-licences", "type": "license"}],
    "watch_recipients": ["sec@acme.example"],
    "x_future_setting": {"retention_days": 90, "ratio": 0.25, "huge": 12345678901234567890, "note": "Zürich ✓"},
}
# What the UI set for its ticketing before the play (the adoption reads it).
UI_TICKETING = {"create_ticket_enabled": True, "ticket_profile": "platform-security"}
CRITICAL = {
    "name": "critical-cves", "type": "security", "description": "Critical CVEs block downloads",
    "rules": [
        {"name": "block-critical", "priority": 1,
         "criteria": {"min_severity": "critical", "fix_version_dependant": False},
         "actions": {"mails": ["sec@acme.example"], "webhooks": [], "fail_build": True,
                     "block_download": {"active": True, "unscanned": False, "grace_period_days": 0},
                     "notify_watch_recipients": True, "custom_severity": "critical"}},
        {"name": "warn-high", "priority": 2, "criteria": {"cvss_range": {"from": 7.0, "to": 8.9}},
         "actions": {"notify_deployer": True, "create_ticket_enabled": False}},
    ],
    "watches": ["prod-security"],
}
LICENCES = {
    "name": "banned-licences", "type": "license",
    "rules": [{"name": "gpl", "priority": 1, "criteria": {"banned_licenses": ["GPL-3.0", "AGPL-3.0"], "allow_unknown": False},
               "actions": {"fail_build": True}}],
    "watches": ["prod-security"],
}


# --------------------------------------------------------------------------- the guide's text

def guide_text():
    with open(GUIDE) as stream:
        return stream.read()


def code_blocks(kind):
    """The guide's code blocks of one kind (console, yaml, text), in order, dedented."""
    blocks, current, indent = [], None, 0
    for line in guide_text().splitlines() + [""]:
        stripped = line.strip()
        if stripped == ".. code-block:: %s" % kind:
            current, indent = [], len(line) - len(line.lstrip())
            continue
        if current is None:
            continue
        if stripped and len(line) - len(line.lstrip()) <= indent:
            blocks.append(current)
            current = None
            continue
        current.append(line)
    if current is not None:
        blocks.append(current)
    result = []
    for block in blocks:
        lines = list(block)
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        margin = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        result.append("\n".join(line[margin:] for line in lines))
    return result


def guide_commands():
    """Each `$ ` line of the guide's console blocks, in order, backslash continuations joined."""
    commands = []
    for block in code_blocks("console"):
        for line in block.splitlines():
            stripped = line.strip()
            if stripped.startswith("$ "):
                commands.append(stripped[2:])
            elif commands and commands[-1].endswith("\\"):
                commands[-1] = commands[-1][:-1].rstrip() + " " + stripped
    return commands


def one_line(text):
    return " ".join(text.split())


def example_text():
    with open(EXAMPLE) as stream:
        return stream.read()


def example_play():
    return yaml.safe_load(example_text())[0]


# --------------------------------------------------------------------------- the emulator

def seed(emulator, ticketing=None, profiles=True):
    watch = dict(copy.deepcopy(WATCH), **(ticketing or {}))
    emulator.seed_watch(watch)
    emulator.seed_policy(copy.deepcopy(CRITICAL))
    emulator.seed_policy(copy.deepcopy(LICENCES))
    if profiles:
        emulator.set_jira_profiles(PROFILES)


def stored_watch(emulator):
    return emulator.watches[(None, "prod-security")]


def stored_policy(emulator, name):
    return emulator.policies[(None, name)]


def without_ticketing(watch):
    return dict((key, value) for key, value in watch.items() if key not in TICKETING_KEYS)


def without_ticket_actions(policy):
    """The policy without rules[].actions.create_ticket_enabled and without modified (the emulator sets it on PUT)."""
    policy = copy.deepcopy(policy)
    policy.pop("modified", None)
    for rule in policy.get("rules") or ():
        (rule.get("actions") or {}).pop("create_ticket_enabled", None)
    return policy


def same(one, other):
    """Equal as JSON, types included (1 is not 1.0 nor True)."""
    return json.dumps(one, sort_keys=True) == json.dumps(other, sort_keys=True)


def shape(entries):
    return [(entry["method"], entry["path"], entry["status"]) for entry in entries]


def ticket_actions(policy):
    return [(rule["name"], rule["actions"].get("create_ticket_enabled")) for rule in policy["rules"]]


ROUTED_GENERATION = {
    "create_duplicate_tickets": {"by_version": {"build": False, "package": True, "release_bundle": False}},
    "impact_path_profiles_mapping": {"include": ROUTES},
    "create_tickets_for_ignored_violation": False,
}


def assert_routed(emulator, seeded_watch):
    """The watch has the example's ticketing and, apart from it, is what was seeded; the policies the
    ticket action on the named rules only."""
    watch = stored_watch(emulator)
    assert watch["create_ticket_enabled"] is True and watch["ticket_profile"] == "platform-security", watch
    assert watch["ticket_generation"] == ROUTED_GENERATION, watch["ticket_generation"]
    assert same(without_ticketing(watch), without_ticketing(seeded_watch)), watch
    critical = stored_policy(emulator, "critical-cves")
    assert ticket_actions(critical) == [("block-critical", True), ("warn-high", False)]
    assert same(without_ticket_actions(critical), without_ticket_actions(dict(CRITICAL, author="admin", project_key="",
                                                                              created=critical["created"])))
    licences = stored_policy(emulator, "banned-licences")
    assert ticket_actions(licences) == [("gpl", True)]
    assert same(without_ticket_actions(licences), without_ticket_actions(dict(
        LICENCES, description="", author="admin", project_key="", created=licences["created"])))


# --------------------------------------------------------------------------- the user's shell

class Guide:
    """A user's work directory that follows the guide, command after command."""

    def __init__(self, workdir, url):
        self.workdir = workdir
        self.url = url
        os.makedirs(os.path.join(workdir, "examples"))
        shutil.copy(EXAMPLE, os.path.join(workdir, "examples", "route-violations-to-jira.yml"))
        self.commands = guide_commands()
        self.position = 0
        self.exports = []
        self.outputs = []
        self.runs = 0

    def next(self, prefix):
        """The guide's next command, which must start with prefix."""
        assert self.position < len(self.commands), "the guide has no command after %r" % self.commands
        command = self.commands[self.position]
        assert command.startswith(prefix), "command %d of the guide is %r, not %r..." % (self.position, command, prefix)
        self.position += 1
        return command

    def export(self, variable, value):
        """An export of step 3, its placeholder replaced."""
        command = self.next("export %s=" % variable).split("#")[0].strip()
        placeholder = GUIDE_URL if variable == "JFROG_URL" else "..."
        assert command == "export %s=%s" % (variable, placeholder), command
        self.exports.append("export %s=%s" % (variable, value))

    def shell(self, command, record=None):
        env = e2e.ansible_env(self.workdir, {"E2E_RECORD_FILE": record or ""})
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        env.pop("JIRA_API_TOKEN", None)
        script = " && ".join(self.exports + [command])
        process = subprocess.run(["bash", "-c", script], env=env, cwd=self.workdir, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=e2e.PLAYBOOK_TIMEOUT,
                                 check=False)
        stdout, stderr = process.stdout.decode("utf-8", "replace"), process.stderr.decode("utf-8", "replace")
        self.outputs.append(stdout + stderr)
        assert "Traceback (most recent call last)" not in stdout + stderr, stdout + stderr
        return process.returncode, stdout, stderr

    def playbook(self, suffix=""):
        """The guide's next ansible-playbook command (ending in suffix), run; a PlaybookRun."""
        command = self.next("ansible-playbook ")
        assert command == 'ansible-playbook examples/route-violations-to-jira.yml -e xray_url="$JFROG_URL"' + suffix, command
        self.runs += 1
        record = os.path.join(self.workdir, "run-%d.events.jsonl" % self.runs)
        started = time.monotonic()
        rc, stdout, stderr = self.shell(command, record)
        events = []
        if os.path.exists(record):
            with open(record) as stream:
                events = [json.loads(line) for line in stream if line.strip()]
        return e2e.PlaybookRun(command, rc, stdout, stderr, events, time.monotonic() - started)

    def done(self):
        assert self.position == len(self.commands), "commands of the guide not run: %r" % self.commands[self.position:]


def terraform_apply(emulator):
    """What an update by Terraform's released xray_watch sends: the whole watch, as its configuration
    says, without ticketing fields and without the read-only id (here: a new description)."""
    watch = without_ticketing(stored_watch(emulator))
    watch["general_data"] = dict(watch["general_data"], description="Managed by Terraform")
    del watch["general_data"]["id"]
    answer = requests.put(emulator.url + WATCH_PATH, json=watch, timeout=10,
                          headers={"Authorization": "Bearer " + e2e.ADMIN_TOKEN})
    assert answer.status_code == 200, answer.text


def recap_changed(run):
    match = re.search(r"^localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)", run.stdout, re.M)
    assert match, run.describe()
    return int(match.group(2)), int(match.group(3))


def assert_no_secret(outputs):
    for text in outputs:
        for secret in (JIRA_TOKEN, e2e.ADMIN_TOKEN):
            assert secret not in text, "%s in output:\n%s" % (secret, text[-3000:])


# --------------------------------------------------------------------------- the guide's text matches the example

def test_guide_shows_the_example():
    """The YAML blocks of the guide are the example's tasks and play variables; its profile table and
    its list of routes name the example's profiles."""
    play = example_play()
    tasks = dict((task["name"], task) for task in play["tasks"])
    shown_tasks, shown_vars = [], {}
    for block in code_blocks("yaml"):
        loaded = yaml.safe_load(block)
        if isinstance(loaded, list):
            for task in loaded:
                assert task == tasks.get(task["name"]), "the guide's task differs from the example's:\n%s" % block
                shown_tasks.append(task["name"])
        else:
            for key, value in loaded.items():
                assert play["vars"].get(key) == value, "the guide's %s differs from the example's" % key
                shown_vars[key] = value
    assert shown_tasks == [INTEGRATION_TASK, WATCH_TASK, POLICY_TASK]
    assert sorted(shown_vars) == ["jira_default_profile", "jira_team_routes", "xray_ticket_policies", "xray_watch"]
    section = guide_text().split("2. Make one Jira profile per team in the Xray UI", 1)[1].split("\n3. ", 1)[0]
    assert re.findall(r"^   \* - ``([^`]+)``$", section, re.M) == PROFILES
    used = [play["vars"]["jira_default_profile"]] + [route["profile"] for route in play["vars"]["jira_team_routes"]]
    assert used == PROFILES
    assert play["vars"]["jira_team_routes"] == ROUTES
    for route in ROUTES:
        assert "``%s``" % route["pattern"] in section, route


# --------------------------------------------------------------------------- the guide's steps, in order

def test_guide_steps_in_order(emulator, workdir):
    seed(emulator, UI_TICKETING, profiles=False)
    seeded_watch = stored_watch(emulator)
    guide = Guide(workdir, emulator.url)

    # 2. The profiles, made in the UI.
    emulator.set_jira_profiles(PROFILES)

    # 3. See what the UI set: the exports, then the read.
    guide.export("JFROG_URL", emulator.url)
    guide.export("JFROG_ACCESS_TOKEN", e2e.ADMIN_TOKEN)
    guide.export("JIRA_API_TOKEN", JIRA_TOKEN)
    read = guide.next("ansible localhost -m frogops.xray.watch_jira_ticketing ")
    assert read == "ansible localhost -m frogops.xray.watch_jira_ticketing -a 'watch=prod-security'", read
    rc, stdout, stderr = guide.shell(read)
    assert rc == 0, stdout + stderr
    shown = [block for block in code_blocks("text") if block.startswith("localhost | SUCCESS => {")]
    assert len(shown) == 1, code_blocks("text")
    printed = stdout[stdout.index("localhost | SUCCESS => {"):]
    assert json.loads(printed.split("=>", 1)[1]) == json.loads(shown[0].split("=>", 1)[1]), printed
    adopted = json.loads(printed.split("=>", 1)[1])["ticketing"]
    assert shape(emulator.requests) == [("GET", WATCH_PATH, 200)]

    # 5. Preview: one GET per task, no write, the guide's msg and a diff of the ticketing.
    emulator.clear_requests()
    preview = guide.playbook(" --check --diff")
    assert preview.rc == 0, preview.describe()
    assert recap_changed(preview) == (3, 0), preview.describe()
    assert shape(emulator.requests) == [("GET", DETAILS_PATH, 404), ("GET", WATCH_PATH, 200),
                                        ("GET", POLICY_PATHS["critical-cves"], 200),
                                        ("GET", POLICY_PATHS["banned-licences"], 200)]
    watch_result = e2e.expect(preview, WATCH_TASK, "ok", True)
    quoted = re.search(r"\(\"(Watch 'prod-security' would be updated \([^)]*\)\.)\"\)", one_line(guide_text()))
    assert quoted and watch_result["msg"] == quoted.group(1), (watch_result["msg"], quoted and quoted.group(1))
    assert watch_result["diff"]["before"] == adopted
    assert watch_result["diff"]["after"] == watch_result["ticketing"] == dict(
        adopted, profiles_by_impact_path=ROUTES, duplicate_tickets_by_version=dict(build=False, package=True,
                                                                                   release_bundle=False))
    assert stored_watch(emulator) == seeded_watch and emulator.integrations == {}
    assert ticket_actions(stored_policy(emulator, "critical-cves")) == [("block-critical", None), ("warn-high", False)]

    # The real run: the same changes, each write proven by a read.
    emulator.clear_requests()
    applied = guide.playbook()
    assert applied.rc == 0, applied.describe()
    assert recap_changed(applied) == (3, 0), applied.describe()
    log = emulator.requests
    assert shape(log) == [
        ("GET", DETAILS_PATH, 404), ("POST", "/xray/api/v1/ticketing/jira-integrations", 200),
        ("GET", WATCH_PATH, 200), ("PUT", WATCH_PATH, 200), ("GET", WATCH_PATH, 200),
        ("GET", POLICY_PATHS["critical-cves"], 200), ("PUT", POLICY_PATHS["critical-cves"], 200),
        ("GET", POLICY_PATHS["critical-cves"], 200),
        ("GET", POLICY_PATHS["banned-licences"], 200), ("PUT", POLICY_PATHS["banned-licences"], 200),
        ("GET", POLICY_PATHS["banned-licences"], 200)]
    assert log[1]["json"]["password"] == JIRA_TOKEN and emulator.integrations["jira-cloud"]["password"] == JIRA_TOKEN
    applied_watch = e2e.expect(applied, WATCH_TASK, "ok", True)
    assert applied_watch["msg"] == quoted.group(1).replace("would be updated", "updated")
    assert e2e.warnings_of(applied_watch) == [], applied_watch
    assert_routed(emulator, seeded_watch)
    routed = stored_watch(emulator)

    # Run it again: ok, one GET per task.
    emulator.clear_requests()
    again = guide.playbook()
    assert again.rc == 0, again.describe()
    assert recap_changed(again) == (0, 0), again.describe()
    assert e2e.methods(emulator.requests) == ["GET"] * 4
    assert stored_watch(emulator) == routed

    # 6. terraform apply drops the ticketing; the play run after it puts it back and keeps Terraform's change.
    assert guide.next("terraform apply") == "terraform apply"
    terraform_apply(emulator)
    assert stored_watch(emulator).get("create_ticket_enabled") is None
    emulator.clear_requests()
    after_terraform = guide.playbook()
    assert after_terraform.rc == 0, after_terraform.describe()
    assert recap_changed(after_terraform) == (1, 0), after_terraform.describe()
    assert shape(emulator.requests) == [
        ("GET", DETAILS_PATH, 200), ("GET", WATCH_PATH, 200), ("PUT", WATCH_PATH, 200), ("GET", WATCH_PATH, 200),
        ("GET", POLICY_PATHS["critical-cves"], 200), ("GET", POLICY_PATHS["banned-licences"], 200)]
    assert e2e.warnings_of(e2e.expect(after_terraform, WATCH_TASK, "ok", True)) == []
    watch = stored_watch(emulator)
    assert watch["general_data"]["description"] == "Managed by Terraform"
    assert watch["create_ticket_enabled"] is True and watch["ticket_profile"] == "platform-security"
    assert watch["ticket_generation"] == ROUTED_GENERATION
    assert same(without_ticketing(watch), dict(without_ticketing(routed), general_data=watch["general_data"]))
    guide.done()

    # An Xray that keeps no ticketing fields (and, that old, no Jira integration API): the play stops at
    # the integration; the watch task on its own fails with the guide's message, changed false.
    emulator.set_config(drop_ticketing_fields=True, xray_version="3.44.1")
    emulator.clear_requests()
    guide.position -= 1  # the same command as the last one
    older = guide.playbook()
    assert older.rc == 2, older.describe()
    failed = e2e.expect(older, INTEGRATION_TASK, "failed", False, password_sent=False)
    quoted = re.search(r'"(Xray 3\.44\.1 does not provide the Jira integration API: [^"]*)"', one_line(guide_text()))
    assert quoted and failed["msg"].startswith(quoted.group(1)), (failed["msg"], quoted and quoted.group(1))
    assert not [event for event in older.results if event["task"] in (WATCH_TASK, POLICY_TASK)], older.describe()
    assert e2e.writes(emulator.requests) == []
    emulator.clear_requests()
    alone = watch_task(emulator.url, e2e.ADMIN_TOKEN)
    assert alone.failed and alone["changed"] is False, alone
    block = [one_line(text) for text in code_blocks("text") if text.startswith("Xray ")]
    assert len(block) == 1, code_blocks("text")
    head, tail = block[0].split(" (...). ")
    assert alone["msg"].startswith(head + " (") and alone["msg"].endswith(". " + tail), (alone["msg"], block[0])
    assert shape(emulator.requests) == [("GET", WATCH_PATH, 200), ("PUT", WATCH_PATH, 200), ("GET", WATCH_PATH, 200),
                                        ("GET", "/xray/api/v1/system/version", 200)]
    assert_no_secret(guide.outputs)


def test_adopted_ticketing_converges_unchanged(emulator):
    """Step 3: the ticketing read, written into the task's options, is no change (one GET)."""
    seed(emulator, dict(UI_TICKETING, ticket_generation=ROUTED_GENERATION))
    read = e2e.run_module("watch_jira_ticketing", e2e.connection_args(emulator.url, watch="prod-security"))
    assert read["changed"] is False and not read.failed, read
    fed_back = e2e.run_module("watch_jira_ticketing", e2e.connection_args(
        emulator.url, watch="prod-security", **read["ticketing"]))
    assert fed_back["changed"] is False and not fed_back.failed, fed_back
    assert e2e.methods(emulator.requests) == ["GET", "GET"]


# --------------------------------------------------------------------------- the example

def run_example(workdir, url, args=()):
    run = e2e.run_playbook(workdir, example_text(), args=["-e", "xray_url=" + url] + list(args),
                           env={"JFROG_ACCESS_TOKEN": e2e.ADMIN_TOKEN, "JIRA_API_TOKEN": JIRA_TOKEN})
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr, run.describe()
    assert_no_secret([run.stdout + run.stderr])
    return run


def test_example_sets_up_the_whole_path_once(emulator, workdir):
    """A platform where nobody set any ticketing: the first run writes the integration, the watch and both
    policies, each PUT the object read with only the ticketing changed; the second run only reads."""
    seed(emulator)
    seeded_watch = stored_watch(emulator)
    seeded_policies = dict((name, stored_policy(emulator, name)) for name in POLICY_PATHS)

    first = run_example(os.path.join(workdir, "first"), emulator.url)
    assert first.rc == 0, first.describe()
    assert recap_changed(first) == (3, 0), first.describe()
    e2e.expect(first, INTEGRATION_TASK, "ok", True, password_sent=True)
    watch_result = e2e.expect(first, WATCH_TASK, "ok", True)
    assert watch_result["msg"] == ("Watch 'prod-security' updated (enabled, profile, profiles_by_impact_path, "
                                   "duplicate_tickets_by_version).")
    policies = first.result(POLICY_TASK)["result"]["results"]
    assert [(item["item"]["policy"], item["changed"], item["rules"]) for item in policies] == [
        ("critical-cves", True, [{"name": "block-critical", "create_ticket_enabled": True},
                                 {"name": "warn-high", "create_ticket_enabled": False}]),
        ("banned-licences", True, [{"name": "gpl", "create_ticket_enabled": True}])]
    log = emulator.requests
    assert [(entry["method"], entry["path"]) for entry in log] == [
        ("GET", DETAILS_PATH), ("POST", "/xray/api/v1/ticketing/jira-integrations"),
        ("GET", WATCH_PATH), ("PUT", WATCH_PATH), ("GET", WATCH_PATH),
        ("GET", POLICY_PATHS["critical-cves"]), ("PUT", POLICY_PATHS["critical-cves"]),
        ("GET", POLICY_PATHS["critical-cves"]),
        ("GET", POLICY_PATHS["banned-licences"]), ("PUT", POLICY_PATHS["banned-licences"]),
        ("GET", POLICY_PATHS["banned-licences"])]

    # The watch's PUT: what GET returned (Xray's default ticketing included), read-only id left out,
    # only the ticketing paths changed.
    watch_put = log[3]["json"]
    assert "id" not in watch_put["general_data"] and "project_key" not in watch_put["general_data"]
    expected = without_ticketing(copy.deepcopy(seeded_watch))
    del expected["general_data"]["id"]
    assert same(without_ticketing(watch_put), expected), watch_put
    assert watch_put["create_ticket_enabled"] is True and watch_put["ticket_profile"] == "platform-security"
    assert watch_put["ticket_generation"] == ROUTED_GENERATION
    # The policies' PUTs: read-only keys left out, only create_ticket_enabled of the named rules changed.
    for index, name in ((6, "critical-cves"), (9, "banned-licences")):
        body = log[index]["json"]
        assert not set(body) & {"author", "created", "modified", "watches", "project_key"}, body
        seeded = seeded_policies[name]
        assert same(without_ticket_actions(body), without_ticket_actions(dict(
            (key, value) for key, value in seeded.items() if key not in ("author", "created", "watches", "project_key"))))
    assert ticket_actions(log[6]["json"]) == [("block-critical", True), ("warn-high", False)]
    assert_routed(emulator, seeded_watch)
    after_first = (stored_watch(emulator), dict((name, stored_policy(emulator, name)) for name in POLICY_PATHS))

    emulator.clear_requests()
    second = run_example(os.path.join(workdir, "second"), emulator.url)
    assert second.rc == 0, second.describe()
    assert recap_changed(second) == (0, 0), second.describe()
    assert shape(emulator.requests) == [("GET", DETAILS_PATH, 200), ("GET", WATCH_PATH, 200),
                                        ("GET", POLICY_PATHS["critical-cves"], 200),
                                        ("GET", POLICY_PATHS["banned-licences"], 200)]
    assert (stored_watch(emulator), dict((name, stored_policy(emulator, name)) for name in POLICY_PATHS)) == after_first


def test_example_without_a_jira_token_stops_before_any_request(emulator, workdir):
    seed(emulator)
    run = e2e.run_playbook(workdir, example_text(), args=["-e", "xray_url=" + emulator.url],
                           env={"JFROG_ACCESS_TOKEN": e2e.ADMIN_TOKEN})
    assert run.rc == 2, run.describe()
    guard = run.result(GUARD_TASK)
    assert guard["status"] == "failed" and "jira_api_token" in guard["result"]["msg"], guard
    assert "JIRA_API_TOKEN" in guard["result"]["msg"]
    assert emulator.requests == []


# --------------------------------------------------------------------------- the roles of the guide's table

def watch_task(url, token, check_mode=False, **options):
    return e2e.run_module("watch_jira_ticketing", e2e.connection_args(
        url, access_token=token, watch="prod-security", enabled=True, profile="team-a-security", **options),
        check_mode=check_mode)


def policy_task(url, token):
    return e2e.run_module("policy_jira_ticketing", e2e.connection_args(
        url, access_token=token, policy="critical-cves", rules=["block-critical"], enabled=True))


def test_roles_the_guide_names(emulator):
    seed(emulator)
    emulator.seed_watch(dict(copy.deepcopy(WATCH), general_data={"name": "prod-security"}), project_key="pay")
    seeded = stored_watch(emulator), stored_policy(emulator, "critical-cves")

    # Read Watches / Read Policies only: the reads work (check mode), the writes get a 403 naming what to ask for.
    assert watch_task(emulator.url, READ_TOKEN, check_mode=True)["changed"] is True
    emulator.clear_requests()
    denied = watch_task(emulator.url, READ_TOKEN)
    assert denied.failed and denied["changed"] is False and denied["http_status"] == 403, denied
    assert denied["msg"].endswith("The access token or user needs the Manage Watches permission."), denied["msg"]
    assert shape(emulator.requests) == [("GET", WATCH_PATH, 200), ("PUT", WATCH_PATH, 403)]
    denied = policy_task(emulator.url, READ_TOKEN)
    assert denied.failed and denied["changed"] is False and denied["http_status"] == 403, denied
    assert denied["msg"].endswith("The access token or user needs the Manage Policies permission."), denied["msg"]
    assert (stored_watch(emulator), stored_policy(emulator, "critical-cves")) == seeded

    # A project's watch: the 403 names Manage Security Assets in that project.
    denied = watch_task(emulator.url, e2e.READER_TOKEN, project_key="pay")
    assert denied.failed and denied["http_status"] == 403, denied
    assert "Manage Security Assets in project 'pay'" in denied["msg"], denied["msg"]

    # Manage Watches / Manage Policies without the admin role: the watch and policy tasks work, the
    # integration does not.
    emulator.clear_requests()
    assert watch_task(emulator.url, WATCH_TOKEN)["changed"] is True
    assert policy_task(emulator.url, WATCH_TOKEN)["changed"] is True
    assert e2e.methods(emulator.requests) == ["GET", "PUT", "GET"] * 2
    assert stored_watch(emulator)["ticket_profile"] == "team-a-security"
    integration = e2e.run_module("jira_integration_info", e2e.connection_args(
        emulator.url, access_token=WATCH_TOKEN, connection_name="jira-cloud"))
    assert integration.failed and integration["http_status"] == 403, integration
    assert "admin" in integration["msg"], integration["msg"]


# --------------------------------------------------------------------------- the README's use case

def readme_routing_tasks():
    """The YAML block of README.md's "### Route violations to Jira per team" subsection."""
    with open(os.path.join(e2e.REPO_ROOT, "README.md")) as stream:
        text = stream.read()
    section = text.split("### Route violations to Jira per team", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"^```yaml\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert block, section
    return yaml.safe_load(block.group(1))


def test_readme_routing_tasks(emulator, workdir):
    """The README's two tasks, in a play that sets the connection: the first run changes the watch and the
    policy (GET, PUT, GET each), the second only reads."""
    seed(emulator)
    tasks = readme_routing_tasks()
    assert [list(task)[1] for task in tasks] == ["frogops.xray.watch_jira_ticketing", "frogops.xray.policy_jira_ticketing"]
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks,
             "module_defaults": {"group/frogops.xray.all": {"url": emulator.url}}}]
    env = {"JFROG_ACCESS_TOKEN": e2e.ADMIN_TOKEN}
    first = e2e.run_playbook(os.path.join(workdir, "first"), play, env=env)
    assert first.rc == 0 and recap_changed(first) == (2, 0), first.describe()
    assert e2e.methods(emulator.requests) == ["GET", "PUT", "GET"] * 2
    watch = stored_watch(emulator)
    assert (watch["create_ticket_enabled"], watch["ticket_profile"]) == (True, "platform-security")
    assert watch["ticket_generation"]["impact_path_profiles_mapping"]["include"] == ROUTES
    assert ticket_actions(stored_policy(emulator, "critical-cves")) == [("block-critical", True), ("warn-high", False)]
    emulator.clear_requests()
    second = e2e.run_playbook(os.path.join(workdir, "second"), play, env=env)
    assert second.rc == 0 and recap_changed(second) == (0, 0), second.describe()
    assert e2e.methods(emulator.requests) == ["GET", "GET"]
    assert e2e.ADMIN_TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr


# --------------------------------------------------------------------------- what step 4 and the request table promise

def test_what_step_4_promises(emulator):
    """Each failure of step 4 and of the request table, with its requests; nothing is written."""
    seed(emulator, UI_TICKETING)
    seeded = stored_watch(emulator), stored_policy(emulator, "critical-cves")

    def run(module, **options):
        emulator.clear_requests()
        return e2e.run_module(module, e2e.connection_args(emulator.url, **options))

    missing = run("watch_jira_ticketing", watch="prod-securty", enabled=True)
    assert missing.failed and missing["changed"] is False and "'prod-securty' does not exist" in missing["msg"], missing
    assert shape(emulator.requests) == [("GET", "/xray/api/v2/watches/prod-securty", 404)]
    missing = run("policy_jira_ticketing", policy="critical", enabled=True)
    assert missing.failed and "'critical' does not exist" in missing["msg"], missing
    assert e2e.methods(emulator.requests) == ["GET"]
    no_rule = run("policy_jira_ticketing", policy="critical-cves", rules=["block-criticals"], enabled=True)
    assert no_rule.failed and "'block-critical', 'warn-high'" in no_rule["msg"], no_rule
    assert e2e.methods(emulator.requests) == ["GET"]
    no_profile = run("watch_jira_ticketing", watch="prod-security", enabled=True, profile="")
    assert no_profile.failed and no_profile["changed"] is False and "without a Jira profile" in no_profile["msg"], no_profile
    assert e2e.methods(emulator.requests) == ["GET"]
    unknown = run("watch_jira_ticketing", watch="prod-security", profile="team-c-security")
    assert unknown.failed and unknown["http_status"] == 400, unknown
    assert "Jira profile 'team-c-security' does not exist" in unknown["msg"], unknown["msg"]
    assert (stored_watch(emulator), stored_policy(emulator, "critical-cves")) == seeded

    # profile "" with enabled false clears it; routes [] remove every route.
    seed(emulator, dict(UI_TICKETING, ticket_generation=ROUTED_GENERATION))
    cleared = run("watch_jira_ticketing", watch="prod-security", enabled=False, profile="", profiles_by_impact_path=[])
    assert cleared["changed"] is True and not cleared.failed, cleared
    assert e2e.methods(emulator.requests) == ["GET", "PUT", "GET"]
    watch = stored_watch(emulator)
    assert (watch["create_ticket_enabled"], watch["ticket_profile"]) == (False, "")
    assert watch["ticket_generation"]["impact_path_profiles_mapping"]["include"] == []
    # Routes compare as a set: another order, a duplicate, is no change.
    seed(emulator, dict(UI_TICKETING, ticket_generation=ROUTED_GENERATION))
    same_routes = run("watch_jira_ticketing", watch="prod-security", profiles_by_impact_path=ROUTES[::-1] + ROUTES[:1])
    assert same_routes["changed"] is False and not same_routes.failed, same_routes
    assert e2e.methods(emulator.requests) == ["GET"]
    # Read Policies is enough for check mode.
    preview = e2e.run_module("policy_jira_ticketing", e2e.connection_args(
        emulator.url, access_token=READ_TOKEN, policy="critical-cves", enabled=True), check_mode=True)
    assert preview["changed"] is True and not preview.failed, preview
