# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 17 end to end: watch_jira_ticketing and policy_jira_ticketing through real ansible-playbook runs.

The collection is the one the Makefile installed from the tarball (e2e_support.collections_path); the
Xray emulator runs in this process over HTTP on 127.0.0.1, a second one plays an older Xray that keeps
no ticketing fields (drop_ticketing_fields). Each test is one playbook run with many tasks, each task on
its own watch or policy where it matters; what a task did is read from the emulator's request log (the
entries that arrived between the task's start and its result) and its store:

- requests: nothing to change 1 (GET), a change 3 (GET, PUT, GET), check mode 1 (GET); a rerun 1;
- the stored watch or policy after a change is the seeded one with only the ticketing changed (unknown
  keys, filter values that are objects, numbers of every size and type, unicode, general_data.id);
  the PUT body carries no read-only key; a failure leaves the store as seeded;
- project scope: projectKey on every request, and a global and a project object of one name are two;
- diff mode shows the ticketing (or the rules' action) before and after, on the console too;
- failures: Xray's own text for an unknown profile, the roles of a 403, the Xray version and the
  fields an older Xray did not keep, a missing watch named with its project, refusals before any write;
- the write contract through faults: a PUT answered 502/504 or dropped after Xray applied it is
  changed only with the re-read's proof (and a warning that says so); a PUT that was not applied is
  re-sent once (502) or not at all (504, changed false); a re-read that fails claims nothing;
- the access token never shows at -vvv --diff, not even when Xray echoes it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import copy
import json
import os
import re
import threading

import e2e_support as e2e
from e2e_support import assert_words, during, expect, shape, warnings_of

WATCHES = "/xray/api/v2/watches/"
POLICIES = "/xray/api/v2/policies/"
VERSION = "/xray/api/v1/system/version"
WATCH_MODULE = "frogops.xray.watch_jira_ticketing"
POLICY_MODULE = "frogops.xray.policy_jira_ticketing"
WATCH_READER = "emulator-watch-reader-token"  # Read Watches, Read Policies: GET only
PROFILES = ["team-a-security", "team-b-security", "platform-security"]
OLD_XRAY = "3.60.0"
UNICODE = "Prüfung – 安全 😀 \u00a0ß"

# Xray's defaults, as the modules return them (the ticketing option names).
DEFAULT_TICKETING = {"enabled": False, "profile": "", "profiles_by_impact_path": [],
                     "duplicate_tickets_by_version": {"build": False, "package": False, "release_bundle": False},
                     "tickets_for_ignored_violations": False}
TICKETING_KEYS = ("create_ticket_enabled", "ticket_profile", "ticket_generation")
POLICY_READ_ONLY = ("author", "created", "modified", "watches", "project_key")

# A watch as the UI makes it, with all that this collection does not manage: filter values that are
# objects, a build resource with build_repo, keys no document lists (one inside ticket_generation),
# numbers of every size and JSON type, unicode in values and keys, nulls and empty containers.
WATCH = {
    "general_data": {"name": "prod-security", "description": UNICODE, "active": True,
                     "x_future": {"nested": [1, 2.0, "3"]}},
    "project_resources": {"resources": [
        {"type": "repository", "bin_mgr_id": "default", "name": "libs-release-local",
         "filters": [{"type": "regex", "value": ".*"},
                     {"type": "path-regex", "value": {"IncludePatterns": ["org/acme/**"],
                                                      "ExcludePatterns": ["**/*-SNAPSHOT*"]}}]},
        {"type": "build", "bin_mgr_id": "edge-1", "name": "acme-build", "build_repo": "acme-build-info"}]},
    "assigned_policies": [{"name": "critical-cves", "type": "security"}],
    "watch_recipients": ["sec@example.com"],
    "numbers": {"big": 2 ** 70 + 1, "negative": -9007199254740993, "tenth": 0.1, "huge": 1.5e300,
                "tiny": 5e-324, "whole_float": 1.0, "zero": 0, "negative_zero": -0.0, "true": True},
    "x_unknown_\u00fc": [None, True, False, "", {}, [], {"deep": {"deeper": ["\u2603"]}}],
    "ticket_generation": {"x_future_option": {"level": 3, "mode": "strict"}},
}
WATCH_CHANGE = {"enabled": True, "profile": "team-a-security",
                "profiles_by_impact_path": [{"pattern": "*/libs-team-b/*", "profile": "team-b-security"}],
                "duplicate_tickets_by_version": {"package": True}}
WATCH_AFTER = dict(DEFAULT_TICKETING, enabled=True, profile="team-a-security",
                   profiles_by_impact_path=[{"pattern": "*/libs-team-b/*", "profile": "team-b-security"}],
                   duplicate_tickets_by_version={"build": False, "package": True, "release_bundle": False})
# The ticketing fields the stored watch holds after WATCH_CHANGE (the unknown key in ticket_generation kept).
WATCH_AFTER_FIELDS = {
    "create_ticket_enabled": True, "ticket_profile": "team-a-security",
    "ticket_generation": {
        "x_future_option": {"level": 3, "mode": "strict"},
        "create_duplicate_tickets": {"by_version": {"build": False, "package": True, "release_bundle": False}},
        "impact_path_profiles_mapping": {"include": [{"pattern": "*/libs-team-b/*", "profile": "team-b-security"}]},
        "create_tickets_for_ignored_violation": False}}

# A policy as the UI makes it: rules with many actions, one without create_ticket_enabled, one with it on;
# criteria of several shapes; keys no document lists; numbers and unicode.
POLICY = {
    "name": "critical-cves", "type": "security", "description": UNICODE,
    "rules": [
        {"name": "block-critical", "priority": 1,
         "criteria": {"min_severity": "critical", "fix_version_dependant": False,
                      "cvss_range": {"from": 9.0, "to": 10}},
         "actions": {"mails": ["sec@example.com"], "webhooks": [], "fail_build": True,
                     "build_failure_grace_period_in_days": 0,
                     "block_download": {"active": True, "unscanned": False, "grace_period_days": 3},
                     "block_release_bundle_distribution": False, "notify_watch_recipients": True,
                     "create_ticket_enabled": False, "x_future_action": {"n": 2 ** 65}}},
        {"name": "warn-high", "priority": 2, "criteria": {"min_severity": "high"},
         "actions": {"notify_deployer": True, "custom_severity": "medium"}},
        {"name": "ticket-medium", "priority": 3, "criteria": {"malicious_package": True, "exposures": None},
         "actions": {"create_ticket_enabled": True, "fail_pull_request": {"active": False}}},
    ],
    "x_unknown": {"list": [1, 1.0, "1", True, None], "\u00fc": -0.0},
    "watches": ["prod-security"],
}
RULE_NAMES = [rule["name"] for rule in POLICY["rules"]]


# --------------------------------------------------------------------------- building blocks

def task(name, module, args, **keywords):
    entry = {"name": name, module: args, "ignore_errors": True}
    entry.update(keywords)
    return entry


def watch(name, args, **keywords):
    return task(name, WATCH_MODULE, args, **keywords)


def policy(name, args, **keywords):
    return task(name, POLICY_MODULE, args, **keywords)


def play(url, tasks, **options):
    return {"name": "ticketing", "hosts": "localhost", "gather_facts": False, "tasks": tasks,
            "module_defaults": {"group/frogops.xray.all": e2e.connection_args(url, retries=1, **options)}}


def same(one, other):
    """Equal as JSON, types included (1 is not 1.0 nor True, as Python's == would say)."""
    return json.dumps(one, sort_keys=True) == json.dumps(other, sort_keys=True)


def assert_same(one, other, what):
    assert same(one, other), "%s differs:\n%s\n!=\n%s" % (
        what, json.dumps(one, indent=1, sort_keys=True), json.dumps(other, indent=1, sort_keys=True))


def without(obj, keys):
    return dict((key, value) for key, value in obj.items() if key not in keys)


def with_fields(obj, fields):
    changed = copy.deepcopy(obj)
    changed.update(copy.deepcopy(fields))
    return changed


def calls(log, run, name):
    """(method, path with query, status) of each request the task made."""
    return shape(during(log, run, name))


def path_of(base, name, project=None):
    return base + name + ("?projectKey=" + project if project else "")


def get(base, name, project=None, status=200):
    return ("GET", path_of(base, name, project), status)


def put(base, name, project=None, status=200):
    return ("PUT", path_of(base, name, project), status)


def assert_calls(log, run, name, expected):
    assert calls(log, run, name) == expected, (name, calls(log, run, name))


def assert_unchanged(log, run, name, base, obj, project=None):
    """Nothing to change: one GET, changed false."""
    outcome = expect(run, name, "ok", False)
    assert_calls(log, run, name, [get(base, obj, project)])
    return outcome


def the_put(log, run, name):
    puts = [entry for entry in during(log, run, name) if entry["method"] == "PUT"]
    assert len(puts) == 1, (name, puts)
    return puts[0]["json"]


def seed_watches(emulator):
    """The stored watches by name, as seeded (the project watch of "pay" as "shared@pay")."""
    emulator.set_jira_profiles(PROFILES)
    seeded = {"prod-security": emulator.seed_watch(WATCH)}
    # Exactly as an Xray returns a watch made before ticketing existed: no ticketing key at all.
    seeded["ui-default"] = emulator.seed_watch({"general_data": {"name": "ui-default", "id": "0" * 27}}, exact=True)
    seeded["routes"] = emulator.seed_watch({
        "general_data": {"name": "routes"}, "create_ticket_enabled": True, "ticket_profile": "platform-security",
        "ticket_generation": {"impact_path_profiles_mapping": {"include": [
            {"profile": "team-b-security", "pattern": "*/libs-b/*"},
            {"pattern": "*/libs-a/*", "profile": "team-a-security"}]}}})
    seeded["shared"] = emulator.seed_watch({"general_data": {"name": "shared", "description": "the global one"},
                                            "create_ticket_enabled": True, "ticket_profile": "platform-security"})
    seeded["shared@pay"] = emulator.seed_watch({"general_data": {"name": "shared", "description": "pay's own"},
                                                "watch_recipients": ["pay@example.com"]}, project_key="pay")
    seeded["errors"] = emulator.seed_watch({"general_data": {"name": "errors", "description": "no profile yet"}})
    return seeded


def stored_watch(emulator, name, project=None):
    return emulator.watches[(project, name)]


# --------------------------------------------------------------------------- watches

def test_watch_ticketing(emulator, workdir):
    """Counts 1/3/1 and reruns, the store changed only in its ticketing, project scope, diff, every refusal."""
    seeded = seed_watches(emulator)
    old = e2e.XrayEmulator(host="127.0.0.1", xray_version=OLD_XRAY)
    with old:
        old.set_config(drop_ticketing_fields=True)
        old_seeded = old.seed_watch(WATCH)
        tasks = [
            watch("read before", {"watch": "prod-security"}),
            watch("check mode", dict(WATCH_CHANGE, watch="prod-security"), check_mode=True, diff=True),
            watch("change", dict(WATCH_CHANGE, watch="prod-security"), diff=True),
            watch("rerun", dict(WATCH_CHANGE, watch="prod-security")),
            watch("read after", {"name": "prod-security"}),  # the alias
            watch("defaults are no drift", {
                "watch": "ui-default", "enabled": False, "profile": "", "profiles_by_impact_path": [],
                "duplicate_tickets_by_version": {"build": False, "package": False, "release_bundle": False},
                "tickets_for_ignored_violations": False}),
            watch("routes are a set", {"watch": "routes", "enabled": True, "profiles_by_impact_path": [
                {"pattern": "*/libs-a/*", "profile": "team-a-security"},
                {"pattern": "*/libs-b/*", "profile": "team-b-security"},
                {"pattern": "*/libs-a/*", "profile": "team-a-security"}]}),
            watch("project change", {"watch": "shared", "project_key": "pay", "enabled": True,
                                     "profile": "team-b-security"}),
            watch("project rerun", {"watch": "shared", "project_key": "pay", "enabled": True,
                                    "profile": "team-b-security"}),
            watch("global read", {"watch": "shared"}),
            watch("unknown profile", {"watch": "errors", "profile": "no-such-profile"}),
            watch("reader token", {"watch": "errors", "enabled": True, "profile": "team-a-security",
                                   "access_token": WATCH_READER}),
            watch("missing watch", {"watch": "no-such-watch", "project_key": "pay", "enabled": False}),
            watch("enabled without a profile", {"watch": "errors", "enabled": True}),
            watch("enabled, profile cleared", {"watch": "shared", "enabled": True, "profile": ""}),
            watch("older xray", dict(WATCH_CHANGE, watch="prod-security", url=old.url)),
        ]
        run = e2e.run_playbook(workdir, [play(emulator.url, tasks)])
        old_log = old.requests
        old_store = old.watches
    log = emulator.requests
    assert len(run.results) == len(tasks), run.describe()

    # Nothing set but the watch: a read, Xray's defaults filled in.
    outcome = assert_unchanged(log, run, "read before", WATCHES, "prod-security")
    assert outcome["ticketing"] == DEFAULT_TICKETING
    assert_words(outcome["msg"], "'prod-security'", "nothing to do")

    # Check mode: one GET, the change predicted, nothing written.
    outcome = expect(run, "check mode", "ok", True)
    assert_calls(log, run, "check mode", [get(WATCHES, "prod-security")])
    assert outcome["ticketing"] == WATCH_AFTER
    assert outcome["diff"] == {"before": DEFAULT_TICKETING, "after": WATCH_AFTER}
    assert_words(outcome["msg"], "would be updated", "enabled", "profile", "profiles_by_impact_path",
                 "duplicate_tickets_by_version")
    assert "tickets_for_ignored_violations" not in outcome["msg"]

    # The change: GET, PUT of the object read with only the ticketing changed, GET that proves it.
    outcome = expect(run, "change", "ok", True)
    assert_calls(log, run, "change", [get(WATCHES, "prod-security"), put(WATCHES, "prod-security"),
                                      get(WATCHES, "prod-security")])
    assert outcome["ticketing"] == WATCH_AFTER
    assert outcome["diff"] == {"before": DEFAULT_TICKETING, "after": WATCH_AFTER}
    assert not warnings_of(outcome), outcome
    assert_words(outcome["msg"], "Watch 'prod-security' updated (", "enabled", "profile")
    expected = with_fields(seeded["prod-security"], WATCH_AFTER_FIELDS)
    assert stored_watch(emulator, "prod-security")["general_data"]["id"] == \
        seeded["prod-security"]["general_data"]["id"]
    assert_same(stored_watch(emulator, "prod-security"), expected, "the stored watch")
    body = the_put(log, run, "change")
    assert "id" not in body["general_data"] and "project_key" not in body["general_data"], body
    expected_body = copy.deepcopy(expected)
    del expected_body["general_data"]["id"]
    assert_same(body, expected_body, "the PUT body")
    # The console shows the ticketing diff (default callback, diff: true on the task).
    assert re.search(r'^-\s+"enabled": false,$', run.stdout, re.MULTILINE), run.stdout[-4000:]
    assert re.search(r'^\+\s+"enabled": true,$', run.stdout, re.MULTILINE), run.stdout[-4000:]
    assert re.search(r'^\+\s+"profile": "team-a-security",$', run.stdout, re.MULTILINE), run.stdout[-4000:]
    assert '"project_resources"' not in run.stdout  # the ticketing, not the whole watch

    outcome = assert_unchanged(log, run, "rerun", WATCHES, "prod-security")
    assert outcome["ticketing"] == WATCH_AFTER and "diff" not in outcome
    outcome = assert_unchanged(log, run, "read after", WATCHES, "prod-security")
    assert outcome["ticketing"] == WATCH_AFTER

    # Xray's defaults (all keys missing, the watch returned exactly as seeded) and set comparison: no change.
    outcome = assert_unchanged(log, run, "defaults are no drift", WATCHES, "ui-default")
    assert outcome["ticketing"] == DEFAULT_TICKETING
    outcome = assert_unchanged(log, run, "routes are a set", WATCHES, "routes")
    assert outcome["ticketing"]["profiles_by_impact_path"] == [
        {"pattern": "*/libs-a/*", "profile": "team-a-security"},
        {"pattern": "*/libs-b/*", "profile": "team-b-security"}]

    # A project watch: projectKey on every request; the global watch of that name is another one.
    outcome = expect(run, "project change", "ok", True)
    assert_calls(log, run, "project change", [get(WATCHES, "shared", "pay"), put(WATCHES, "shared", "pay"),
                                              get(WATCHES, "shared", "pay")])
    assert all(entry["query"] == {"projectKey": "pay"} for entry in during(log, run, "project change"))
    assert_words(outcome["msg"], "Watch 'shared' of project 'pay' updated")
    assert outcome["ticketing"] == dict(DEFAULT_TICKETING, enabled=True, profile="team-b-security")
    assert "project_key" not in the_put(log, run, "project change")["general_data"]
    stored = stored_watch(emulator, "shared", "pay")
    assert stored["general_data"]["project_key"] == "pay"
    assert_same(without(stored, TICKETING_KEYS), without(seeded["shared@pay"], TICKETING_KEYS), "pay's watch")
    assert (stored["create_ticket_enabled"], stored["ticket_profile"]) == (True, "team-b-security")
    assert_same(stored_watch(emulator, "shared"), seeded["shared"], "the global watch of the same name")
    assert_unchanged(log, run, "project rerun", WATCHES, "shared", "pay")
    outcome = assert_unchanged(log, run, "global read", WATCHES, "shared")
    assert outcome["ticketing"] == dict(DEFAULT_TICKETING, enabled=True, profile="platform-security")
    assert during(log, run, "global read")[0]["query"] == {}

    # Xray's own text for a profile it does not know; nothing stored.
    outcome = expect(run, "unknown profile", "failed", False)
    assert_calls(log, run, "unknown profile", [get(WATCHES, "errors"), put(WATCHES, "errors", status=400)])
    assert_words(outcome["msg"], "Jira profile 'no-such-profile' does not exist")
    assert outcome["http_status"] == 400

    # A token that may read but not write watches: the 403 names the role, not "Xray admin".
    outcome = expect(run, "reader token", "failed", False)
    assert_calls(log, run, "reader token", [get(WATCHES, "errors"), put(WATCHES, "errors", status=403)])
    assert_words(outcome["msg"], "Manage Watches", "403")
    assert "admin" not in outcome["msg"].lower() and outcome["http_status"] == 403

    # A missing watch: named with its project; only the GET.
    outcome = expect(run, "missing watch", "failed", False)
    assert_calls(log, run, "missing watch", [get(WATCHES, "no-such-watch", "pay", status=404)])
    assert_words(outcome["msg"], "'no-such-watch'", "project 'pay'", "does not exist")

    # Ticket creation on without a profile (none on the watch, or cleared by the task): refused before any write.
    for name in ("enabled without a profile", "enabled, profile cleared"):
        outcome = expect(run, name, "failed", False)
        assert [entry["method"] for entry in during(log, run, name)] == ["GET"], name
        assert_words(outcome["msg"], "without a Jira profile", "profile")
    assert_same(stored_watch(emulator, "errors"), seeded["errors"], "the watch of the failed tasks")

    # An older Xray answers the PUT 200 but keeps no ticketing: failed, changed false, its version and the fields.
    outcome = expect(run, "older xray", "failed", False)
    assert shape(during(old_log, run, "older xray")) == [
        get(WATCHES, "prod-security"), put(WATCHES, "prod-security"), get(WATCHES, "prod-security"),
        ("GET", VERSION, 200)]
    assert_words(outcome["msg"], "Xray %s" % OLD_XRAY, "did not keep", "enabled", "profile",
                 "profiles_by_impact_path", "duplicate_tickets_by_version", "upgrade Xray")
    assert outcome["ticketing"] == DEFAULT_TICKETING  # what it read back
    assert_same(old_store[(None, "prod-security")], without(old_seeded, TICKETING_KEYS), "the older Xray's watch")


# --------------------------------------------------------------------------- policies

def test_policy_ticketing(emulator, workdir):
    """Counts 1/3/1, a subset of rules, every rule, unknown rules, the store, a project policy, 403, older Xray."""
    seeded = emulator.seed_policy(POLICY)
    seeded_pay = emulator.seed_policy({"name": "critical-cves", "rules": [
        {"name": "block-critical", "actions": {"fail_build": False}}]}, project_key="pay")
    old = e2e.XrayEmulator(host="127.0.0.1", xray_version=OLD_XRAY)
    with old:
        old.set_config(drop_ticketing_fields=True)
        old.seed_policy(POLICY)
        tasks = [
            policy("nothing to change", {"policy": "critical-cves", "enabled": False,
                                         "rules": ["block-critical", "warn-high"]}),
            policy("check mode", {"policy": "critical-cves", "enabled": True, "rules": ["block-critical"]},
                   check_mode=True, diff=True),
            policy("change", {"policy": "critical-cves", "enabled": True, "rules": ["block-critical"]}, diff=True),
            policy("rerun", {"policy": "critical-cves", "enabled": True, "rules": ["block-critical"]}),
            policy("every rule off", {"name": "critical-cves", "enabled": False}),
            policy("unknown rule", {"policy": "critical-cves", "enabled": True,
                                    "rules": ["warn-high", "no-such-rule"]}),
            policy("reader token", {"policy": "critical-cves", "enabled": True, "access_token": WATCH_READER}),
            policy("project change", {"policy": "critical-cves", "project_key": "pay", "enabled": True}),
            policy("missing policy", {"policy": "no-such-policy", "enabled": True}),
            policy("older xray", {"policy": "critical-cves", "enabled": True, "rules": ["block-critical"],
                                  "url": old.url}),
        ]
        run = e2e.run_playbook(workdir, [play(emulator.url, tasks)])
        old_log = old.requests
        old_store = old.policies
    log = emulator.requests
    assert len(run.results) == len(tasks), run.describe()
    before = [{"name": "block-critical", "create_ticket_enabled": False},
              {"name": "warn-high", "create_ticket_enabled": False},
              {"name": "ticket-medium", "create_ticket_enabled": True}]
    after = copy.deepcopy(before)
    after[0]["create_ticket_enabled"] = True

    # A rule without the action counts as false: enabled false on it is no change.
    outcome = assert_unchanged(log, run, "nothing to change", POLICIES, "critical-cves")
    assert outcome["rules"] == before

    outcome = expect(run, "check mode", "ok", True)
    assert_calls(log, run, "check mode", [get(POLICIES, "critical-cves")])
    assert outcome["rules"] == after and outcome["diff"] == {"before": {"rules": before}, "after": {"rules": after}}
    assert_words(outcome["msg"], "would be updated", "create_ticket_enabled=true", "'block-critical'")

    outcome = expect(run, "change", "ok", True)
    assert_calls(log, run, "change", [get(POLICIES, "critical-cves"), put(POLICIES, "critical-cves"),
                                      get(POLICIES, "critical-cves")])
    assert outcome["rules"] == after and outcome["diff"] == {"before": {"rules": before}, "after": {"rules": after}}
    assert not warnings_of(outcome), outcome
    body = the_put(log, run, "change")
    expected_body = without(copy.deepcopy(seeded), POLICY_READ_ONLY)
    expected_body["rules"][0]["actions"]["create_ticket_enabled"] = True
    assert_same(body, expected_body, "the PUT body")  # read-only keys left out, the rest as read
    assert re.search(r'^\+\s+"create_ticket_enabled": true,$', run.stdout, re.MULTILINE), run.stdout[-4000:]

    assert_unchanged(log, run, "rerun", POLICIES, "critical-cves")

    # No rules given: every rule. The rule without the action stays without it (false already).
    outcome = expect(run, "every rule off", "ok", True)
    assert_calls(log, run, "every rule off", [get(POLICIES, "critical-cves"), put(POLICIES, "critical-cves"),
                                              get(POLICIES, "critical-cves")])
    assert outcome["rules"] == [dict(rule, create_ticket_enabled=False) for rule in before]
    assert_words(outcome["msg"], "create_ticket_enabled=false", "'block-critical'", "'ticket-medium'")
    assert "warn-high" not in outcome["msg"]
    stored = emulator.policies[(None, "critical-cves")]
    expected = copy.deepcopy(seeded)
    expected["rules"][0]["actions"]["create_ticket_enabled"] = False
    expected["rules"][2]["actions"]["create_ticket_enabled"] = False
    assert "create_ticket_enabled" not in stored["rules"][1]["actions"]
    assert stored["modified"] != seeded["modified"]  # Xray's, set by the PUT
    assert_same(without(stored, ("modified",)), without(expected, ("modified",)), "the stored policy")

    outcome = expect(run, "unknown rule", "failed", False)
    assert_calls(log, run, "unknown rule", [get(POLICIES, "critical-cves")])
    assert_words(outcome["msg"], "'no-such-rule'", *("'%s'" % name for name in RULE_NAMES))

    outcome = expect(run, "reader token", "failed", False)
    assert_calls(log, run, "reader token", [get(POLICIES, "critical-cves"), put(POLICIES, "critical-cves", status=403)])
    assert_words(outcome["msg"], "Manage Policies", "403")
    assert "admin" not in outcome["msg"].lower() and outcome["http_status"] == 403
    assert_same(emulator.policies[(None, "critical-cves")], stored, "the policy after the failed tasks")

    outcome = expect(run, "project change", "ok", True)
    assert_calls(log, run, "project change", [get(POLICIES, "critical-cves", "pay"),
                                              put(POLICIES, "critical-cves", "pay"),
                                              get(POLICIES, "critical-cves", "pay")])
    assert outcome["rules"] == [{"name": "block-critical", "create_ticket_enabled": True}]
    stored_pay = emulator.policies[("pay", "critical-cves")]
    assert stored_pay["project_key"] == "pay" and stored_pay["rules"][0]["actions"] == {
        "fail_build": False, "create_ticket_enabled": True}
    assert_same(without(stored_pay, ("rules", "modified")), without(seeded_pay, ("rules", "modified")), "pay's policy")

    outcome = expect(run, "missing policy", "failed", False)
    assert_calls(log, run, "missing policy", [get(POLICIES, "no-such-policy", status=404)])
    assert_words(outcome["msg"], "'no-such-policy'", "does not exist")

    outcome = expect(run, "older xray", "failed", False)
    assert shape(during(old_log, run, "older xray")) == [
        get(POLICIES, "critical-cves"), put(POLICIES, "critical-cves"), get(POLICIES, "critical-cves"),
        ("GET", VERSION, 200)]
    assert_words(outcome["msg"], "Xray %s" % OLD_XRAY, "did not keep", "create_ticket_enabled of rule 'block-critical'")
    assert outcome["rules"][0] == {"name": "block-critical", "create_ticket_enabled": False}
    assert all("create_ticket_enabled" not in rule["actions"] for rule in old_store[(None, "critical-cves")]["rules"])


# --------------------------------------------------------------------------- the write contract through faults

def rule(method, base, name, **fault):
    fault.update(method=method, path_regex=r"%s%s$" % (re.escape(base), re.escape(name)))
    return fault


PROVEN = "Reading the %s back shows that the PUT took effect."
PROVEN_BY_REREAD = ("watch-502-applied", "watch-dropped-applied", "watch-504-applied", "policy-502-applied",
                    "policy-dropped-applied")
NOT_DONE = "(reading back showed it did not take effect)"
# (name of the watch or policy, module, fault rules, method and status of each request, changed, failed)
FAULT_CASES = [
    ("watch-502-applied", WATCH_MODULE, [rule("PUT", WATCHES, "watch-502-applied", status=502,
                                              apply_then_continue=True)],
     ["GET 200", "PUT 502", "GET 200"], True, False),
    ("watch-dropped-applied", WATCH_MODULE, [rule("PUT", WATCHES, "watch-dropped-applied", drop=True,
                                                  apply_then_continue=True)],
     ["GET 200", "PUT dropped", "GET 200"], True, False),
    ("watch-504-applied", WATCH_MODULE, [rule("PUT", WATCHES, "watch-504-applied", status=504,
                                              apply_then_continue=True)],
     ["GET 200", "PUT 504", "GET 200"], True, False),
    ("policy-502-applied", POLICY_MODULE, [rule("PUT", POLICIES, "policy-502-applied", status=502,
                                                apply_then_continue=True)],
     ["GET 200", "PUT 502", "GET 200"], True, False),
    ("policy-dropped-applied", POLICY_MODULE, [rule("PUT", POLICIES, "policy-dropped-applied", drop=True,
                                                    apply_then_continue=True)],
     ["GET 200", "PUT dropped", "GET 200"], True, False),
    # Not applied: a 502 ended, the re-read shows nothing done, so the PUT is sent once more and proven.
    ("watch-502-not-applied", WATCH_MODULE, [rule("PUT", WATCHES, "watch-502-not-applied", status=502)],
     ["GET 200", "PUT 502", "GET 200", "PUT 200", "GET 200"], True, False),
    # A 504 may still be running: never sent again; not in effect when re-read, so changed false.
    ("watch-504-not-applied", WATCH_MODULE, [rule("PUT", WATCHES, "watch-504-not-applied", status=504)],
     ["GET 200", "PUT 504", "GET 200"], False, True),
    # Applied, but the re-read that would prove it fails: no proof, no claim.
    ("policy-502-reread-fails", POLICY_MODULE, [
        rule("GET", POLICIES, "policy-502-reread-fails", headers={"X-Emulator": "served normally"}),  # the first read
        rule("PUT", POLICIES, "policy-502-reread-fails", status=502, apply_then_continue=True),
        rule("GET", POLICIES, "policy-502-reread-fails", status=500, body=json.dumps({"error": "Database busy"}))],
     ["GET 200", "PUT 502", "GET 500"], False, True),
    # Someone else writes the watch between this task's PUT and its proving GET (held 1.5 s for that): the
    # PUT is proven (what the task changed reads as sent), and each other difference is a warning.
    ("watch-changed-meanwhile", WATCH_MODULE, [
        rule("GET", WATCHES, "watch-changed-meanwhile", headers={"X-Emulator": "served normally"}),
        rule("GET", WATCHES, "watch-changed-meanwhile", delay=1.5)],
     ["GET 200", "PUT 200", "GET 200"], True, False),
]
MEANWHILE = "watch-changed-meanwhile"


def change_meanwhile(emulator, stop):
    """Once the PUT of MEANWHILE is answered, change the watch as a person in the UI would."""
    while not stop.wait(0.05):
        if any(entry["method"] == "PUT" and entry["path"] == WATCHES + MEANWHILE for entry in emulator.requests):
            current = emulator.watches[(None, MEANWHILE)]
            current["general_data"]["description"] = "changed in the UI meanwhile"
            current.setdefault("ticket_generation", {})["create_tickets_for_ignored_violation"] = True
            emulator.seed_watch(current)
            return


def test_write_contract_through_faults(emulator, workdir):
    """changed true only with proof: a lost or unclear answer to a PUT is settled by one re-read."""
    emulator.set_jira_profiles(PROFILES)
    tasks = []
    for name, module, _faults, _calls, _changed, _failed in FAULT_CASES:
        if module == WATCH_MODULE:
            emulator.seed_watch({"general_data": {"name": name}, "watch_recipients": ["x@example.com"]})
            tasks.append(watch(name, {"watch": name, "enabled": True, "profile": "team-a-security"}))
        else:
            emulator.seed_policy({"name": name, "rules": [{"name": "r1", "actions": {"fail_build": True}}]})
            tasks.append(policy(name, {"policy": name, "enabled": True}))
    seeded = (emulator.watches, emulator.policies)
    emulator.add_faults([fault for case in FAULT_CASES for fault in case[2]])
    stop = threading.Event()
    writer = threading.Thread(target=change_meanwhile, args=(emulator, stop))
    writer.start()
    try:
        run = e2e.run_playbook(workdir, [play(emulator.url, tasks, timeout=5)])
    finally:
        stop.set()
        writer.join()
    log = emulator.requests
    assert len(run.results) == len(tasks), run.describe()
    for name, module, _faults, expected_calls, changed, failed in FAULT_CASES:
        outcome = expect(run, name, "failed" if failed else "ok", changed)
        assert ["%s %s" % (entry["method"], entry["status"]) for entry in during(log, run, name)] == expected_calls, (
            name, shape(during(log, run, name)))
        noun = "watch" if module == WATCH_MODULE else "policy"
        warnings = warnings_of(outcome)
        key = (None, name)
        if module == WATCH_MODULE:
            stored, before = emulator.watches[key], seeded[0][key]
            in_effect = (stored.get("create_ticket_enabled"), stored.get("ticket_profile")) == (True, "team-a-security")
        else:
            stored, before = emulator.policies[key], seeded[1][key]
            in_effect = stored["rules"][0]["actions"] == {"fail_build": True, "create_ticket_enabled": True}
        if changed:
            assert in_effect, (name, stored)
            assert outcome.get("ticketing", {}).get("enabled", True) and outcome.get("rules", [{}])[0].get(
                "create_ticket_enabled", True), outcome
        if name in PROVEN_BY_REREAD:
            # The proof is the re-read (no second PUT, no further GET): the one warning says so.
            assert len(warnings) == 1 and warnings[0].endswith(PROVEN % noun), (name, warnings)
        if name == "watch-502-not-applied":
            assert len(warnings) == 1 and NOT_DONE in warnings[0], warnings
        if name == "watch-504-not-applied":
            assert_words(outcome["msg"], "HTTP 504", "not sent again", "has not taken effect")
            assert_same(stored, before, "the watch after a 504 not applied")
            assert outcome["http_status"] == 504
        if name == "policy-502-reread-fails":
            # Xray did apply it (the fault said so), but nothing proved it: changed false, and the message says why.
            assert in_effect, stored
            assert_words(outcome["msg"], "HTTP 502", "Reading back to learn whether it took effect failed too",
                         "Database busy", "Run the task again")
        if name == MEANWHILE:
            assert len(warnings) == 2, warnings
            assert_words(warnings[0], "tickets_for_ignored_violations", "someone else changed it meanwhile",
                         "last writer wins")
            assert_words(warnings[1], "outside its Jira ticketing", "someone else changed it meanwhile")
            assert outcome["ticketing"]["tickets_for_ignored_violations"] is True  # what reads back


# --------------------------------------------------------------------------- secrets

SECRET_TOKEN = "tok-Ticketing-Sec4d9e.eyJ4cmF5IjoidGlja2V0cyJ9.c2ln"
SECRET_CORE = "tok-Ticketing-Sec4d9e"


_BASE64_RE = re.compile(r"[A-Za-z0-9+/_-]{16,}")


def leaks_in(place, text):
    """Where text shows the token: as it is, by its core, or in base64 that decodes to it (wherever it starts)."""
    found = []
    for form in (SECRET_TOKEN, SECRET_CORE, json.dumps(SECRET_TOKEN)[1:-1]):
        if form in text:
            index = text.index(form)
            found.append("%s shows %r: ...%s..." % (place, form, text[max(0, index - 200):index + 60]))
    for match in _BASE64_RE.finditer(text):
        token = match.group(0).replace("-", "+").replace("_", "/")
        for start in range(4):
            chunk = token[start:]
            chunk = chunk[:len(chunk) - len(chunk) % 4]
            try:
                decoded = base64.b64decode(chunk, validate=True)
            except ValueError:
                continue
            if SECRET_CORE.encode("ascii")[:12] in decoded:
                found.append("%s holds base64 that decodes to the token: %s" % (place, match.group(0)))
                break
    return found


def test_access_token_never_shown(workdir):
    """-vvv --diff, Xray echoing the token in a 400, a 403 and a 500: the token shows nowhere."""
    emulator = e2e.XrayEmulator(host="127.0.0.1", admin_tokens=[SECRET_TOKEN])
    results_file = os.path.join(workdir, "registered.json")
    extra_vars = os.path.join(workdir, "secret-vars.json")
    with open(extra_vars, "w") as stream:
        json.dump({"xray_token": SECRET_TOKEN}, stream)
    # Raw, JSON-escaped (in the JSON bodies), and in base64, as a gateway's header dump or a JSON body in base64.
    echo = "rejected: header dump %s; body %s; token %s (Authorization: Bearer %s)" % (
        base64.b64encode(("Authorization: Bearer " + SECRET_TOKEN).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"token": SECRET_TOKEN}).encode()).decode(), SECRET_TOKEN, SECRET_TOKEN)
    with emulator:
        emulator.set_jira_profiles(PROFILES)
        for name in ("secret-watch", "secret-watch-400", "secret-watch-403"):
            emulator.seed_watch({"general_data": {"name": name}})
        for name in ("secret-policy", "secret-policy-500"):
            emulator.seed_policy({"name": name, "rules": [{"name": "r1", "actions": {}}]})
        emulator.add_faults([
            rule("PUT", WATCHES, "secret-watch-400", status=400, body=json.dumps({"error": echo})),
            rule("PUT", WATCHES, "secret-watch-403", status=403, body=json.dumps({"message": echo})),
            rule("GET", POLICIES, "secret-policy-500", status=500, content_type="text/plain", body=echo)])
        change = {"enabled": True, "profile": "team-a-security"}
        tasks = [
            watch("watch check mode", dict(change, watch="secret-watch"), check_mode=True),
            watch("watch change", dict(change, watch="secret-watch")),
            watch("watch echo 400", dict(change, watch="secret-watch-400")),
            watch("watch echo 403", dict(change, watch="secret-watch-403")),
            policy("policy change", {"policy": "secret-policy", "enabled": True}),
            policy("policy echo 500", {"policy": "secret-policy-500", "enabled": True}),
        ]
        for entry in tasks:
            entry["register"] = "r_" + re.sub(r"\W", "_", entry["name"])
        names = [entry["register"] for entry in tasks]
        listing = ", ".join("'%s': %s" % (name, name) for name in names)
        tasks.append({"name": "write the registered results", "ansible.builtin.copy": {
            "dest": results_file, "content": "{{ {%s} | to_nice_json }}" % listing}})
        run = e2e.run_playbook(workdir, [play(emulator.url, tasks, access_token="{{ xray_token }}")],
                               args=["-vvv", "--diff", "-e", "@" + extra_vars])
        log = emulator.requests
    expected = {"watch check mode": ("ok", True), "watch change": ("ok", True),
                "watch echo 400": ("failed", False), "watch echo 403": ("failed", False),
                "policy change": ("ok", True), "policy echo 500": ("failed", False)}
    for name, (status, changed) in expected.items():
        outcome = expect(run, name, status, changed)
        if status == "failed":
            assert_words(outcome["msg"], "rejected")  # the echo reached the message, masked
    # The token did travel, and Xray did echo it: the search below is not vacuous.
    assert all(entry["headers"].get("Authorization") == "Bearer " + SECRET_TOKEN for entry in log)
    assert sorted(entry["status"] for entry in log if entry["status"] >= 400) == [400, 403, 500]
    assert run.stdout.count("<localhost> EXEC") >= len(expected), "-vvv output expected"
    with open(results_file) as stream:
        registered = stream.read()
    with open(run.args[3] + ".events.jsonl") as stream:
        events = stream.read()
    assert "secret-policy-500" in registered
    assert leaks_in("the echo", echo) and len(leaks_in("the echo", echo)) >= 4  # the check finds every form
    leaks = []
    for place, text in {"stdout": run.stdout, "stderr": run.stderr, "registered results": registered,
                        "callback events": events}.items():
        leaks += leaks_in(place, text)
    assert not leaks, "\n".join(leaks)
