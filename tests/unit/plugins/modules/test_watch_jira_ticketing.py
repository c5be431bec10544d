# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""watch_jira_ticketing in-process through the scripted transport, no sockets (issue 17, section 2):

- requests: nothing to change 1 (GET); a change 3 (GET, PUT, GET); check mode 1 (GET); ?projectKey= on each;
- only the options a task sets are compared and written; Xray's defaults are no drift;
- the PUT is the watch as read, minus general_data.id and general_data.project_key, with only the managed
  paths changed: every other key, known or not, as read (same values, same types);
- every PUT is proven by a re-read: not kept fails (naming the Xray version), anything else read back
  otherwise is a warning; never changed=true without proof;
- failures name the watch, the project, the role a 403 asks for, or Xray's own text; none before a read
  sends a write.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.frogops.xray.plugins.module_utils._http_transport import CONNECT, DROPPED, TIMEOUT
from ansible_collections.frogops.xray.plugins.modules import watch_jira_ticketing
from ansible_collections.frogops.xray.tests.unit.plugins.module_runner import TOKEN, put_and_reread, run_module, warnings_of
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import answer, failure

ITEM = "/xray/api/v2/watches/vuln-prod"
PROJECT_ITEM = ITEM + "?projectKey=pay"
VERSION = "/xray/api/v1/system/version"
TICKET_GENERATION = {
    "create_duplicate_tickets": {"by_version": {"build": False, "package": True, "release_bundle": False}},
    "impact_path_profiles_mapping": {"include": [{"profile": "team-b-security", "pattern": "*/libs-b/*"}]},
    "create_tickets_for_ignored_violation": False,
}
# What Xray returns for a watch without a profile (PR #392: "the API's default ticket_generation response").
DEFAULT_TICKET_GENERATION = {
    "create_duplicate_tickets": {"by_version": {"build": False, "package": False, "release_bundle": False}},
    "impact_path_profiles_mapping": {"include": []},
    "create_tickets_for_ignored_violation": False,
}
WATCH = {
    "general_data": {"id": "56sdf564b0fe4dc29f64cdfs564", "name": "vuln-prod", "description": "d", "active": True},
    "project_resources": {"resources": [
        {"type": "repository", "bin_mgr_id": "default", "name": "libs-release-local",
         "filters": [{"type": "regex", "value": ".*"},
                     {"type": "path-ant-patterns",
                      "value": {"IncludePatterns": ["com/acme/**"], "ExcludePatterns": ["**/*-SNAPSHOT/**"]}}]},
        {"type": "build", "bin_mgr_id": "default", "name": "app", "build_repo": "artifactory-build-info"}]},
    "assigned_policies": [{"name": "medium_policy", "type": "security"}],
    "watch_recipients": ["sec@example.com"],
    "create_ticket_enabled": True,
    "ticket_profile": "team-a-security",
    "ticket_generation": TICKET_GENERATION,
}
TICKETING = dict(enabled=True, profile="team-a-security",
                 profiles_by_impact_path=[dict(pattern="*/libs-b/*", profile="team-b-security")],
                 duplicate_tickets_by_version=dict(build=False, package=True, release_bundle=False),
                 tickets_for_ignored_violations=False)
WRITTEN = answer(200, {"info": "Watch has been successfully updated"})
NOT_FOUND = answer(404, {"error": "Watch not found"})


def watch(**changes):
    """A deep copy of WATCH with top-level changes (None removes the key)."""
    body = copy.deepcopy(WATCH)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def sent_form(raw):
    """raw as a PUT must carry it: without the read-only keys."""
    body = copy.deepcopy(raw)
    body["general_data"].pop("id", None)
    body["general_data"].pop("project_key", None)
    return body


def stored(body, raw):
    """What Xray keeps after a PUT of body: the body plus the read-only keys of raw."""
    kept = copy.deepcopy(body)
    for key in ("id", "project_key"):
        if key in raw["general_data"]:
            kept["general_data"][key] = raw["general_data"][key]
    return kept


def same(one, other):
    """Equal as JSON, types included (1 is not 1.0 nor True)."""
    return json.dumps(one, sort_keys=True) == json.dumps(other, sort_keys=True)


def run(script, **options):
    options.setdefault("watch", "vuln-prod")
    return run_module(watch_jira_ticketing, script, **options)


def change(raw, **options):
    """A run that changes raw: GET raw, PUT answered 200, GET what was put (plus the read-only keys)."""
    return run(put_and_reread(raw, WRITTEN, stored), **options)


def ticketing(**changes):
    value = copy.deepcopy(TICKETING)
    value.update(changes)
    return value


def calls(transport):
    return list(transport.calls)


def no_write(transport):
    return transport.count("PUT") == 0


# -- requests: 1 / 3 / 1 ---------------------------------------------------------------------------------------

def test_nothing_to_change_is_one_get():
    result, transport = run([answer(200, WATCH)], enabled=True, profile="team-a-security",
                            profiles_by_impact_path=[dict(pattern="*/libs-b/*", profile="team-b-security")],
                            duplicate_tickets_by_version=dict(package=True, build=False),
                            tickets_for_ignored_violations=False)
    assert calls(transport) == [("GET", ITEM)]
    assert result["changed"] is False and not result.get("failed")
    assert result["msg"] == "Watch 'vuln-prod': its Jira ticketing is as desired; nothing to do."
    assert result["ticketing"] == TICKETING
    assert "diff" not in result


def test_a_change_is_get_put_get_with_the_watch_as_read_and_one_path_changed():
    result, transport = change(WATCH, enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert result["msg"] == "Watch 'vuln-prod' updated (enabled)."
    assert same(transport.sent[1].json, sent_form(watch(create_ticket_enabled=False)))
    assert transport.sent[1].headers["Content-Type"] == "application/json"
    assert result["ticketing"] == ticketing(enabled=False)
    assert warnings_of(result) == ""


def test_msg_names_every_field_that_changes_in_option_order():
    result, transport = change(watch(create_ticket_enabled=False), enabled=True, profile="team-c",
                               tickets_for_ignored_violations=True)
    assert result["msg"] == "Watch 'vuln-prod' updated (enabled, profile, tickets_for_ignored_violations)."
    body = transport.sent[1].json
    assert (body["create_ticket_enabled"], body["ticket_profile"]) == (True, "team-c")
    assert body["ticket_generation"]["create_tickets_for_ignored_violation"] is True
    mapping = body["ticket_generation"]["impact_path_profiles_mapping"]
    assert mapping == TICKET_GENERATION["impact_path_profiles_mapping"]


def test_check_mode_is_one_get_with_the_predicted_ticketing():
    result, transport = run([answer(200, WATCH)], enabled=False, profile="team-c",
                            duplicate_tickets_by_version=dict(build=True), _ansible_check_mode=True)
    assert calls(transport) == [("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert result["msg"] == "Watch 'vuln-prod' would be updated (enabled, profile, duplicate_tickets_by_version)."
    assert result["ticketing"] == ticketing(enabled=False, profile="team-c", duplicate_tickets_by_version=dict(
        build=True, package=True, release_bundle=False))


def test_check_mode_with_nothing_to_change_is_unchanged():
    result, transport = run([answer(200, WATCH)], enabled=True, _ansible_check_mode=True)
    assert calls(transport) == [("GET", ITEM)] and result["changed"] is False


@pytest.mark.parametrize("check_mode", [False, True])
def test_diff_is_the_ticketing_before_and_after_not_the_whole_watch(check_mode):
    if check_mode:
        result, transport = run([answer(200, WATCH)], profiles_by_impact_path=[], _ansible_diff=True,
                                _ansible_check_mode=True)
    else:
        result, transport = change(WATCH, profiles_by_impact_path=[], _ansible_diff=True)
    assert result["diff"] == dict(before=TICKETING, after=ticketing(profiles_by_impact_path=[]))
    assert result["changed"] is True
    assert len(transport.sent) == (1 if check_mode else 3)


def test_diff_of_no_change_is_equal_sides():
    result, transport = run([answer(200, WATCH)], profile="team-a-security", _ansible_diff=True)
    assert result["diff"] == dict(before=TICKETING, after=TICKETING) and result["changed"] is False


def test_a_task_with_only_watch_reads_the_ticketing():
    result, transport = run([answer(200, WATCH)])
    assert calls(transport) == [("GET", ITEM)]
    assert result["changed"] is False and not result.get("failed")
    assert result["ticketing"] == TICKETING


def test_the_alias_name():
    result, transport = run_module(watch_jira_ticketing, [answer(200, WATCH)], name="vuln-prod")
    assert calls(transport) == [("GET", ITEM)] and result["ticketing"] == TICKETING


def test_a_name_is_one_percent_encoded_segment():
    raw = copy.deepcopy(WATCH)
    raw["general_data"]["name"] = u"team b/prod ?#\u00e9"
    result, transport = run([answer(200, raw)], watch=u"team b/prod ?#\u00e9")
    assert calls(transport) == [("GET", "/xray/api/v2/watches/team%20b%2Fprod%20%3F%23%C3%A9")]
    assert not result.get("failed")


# -- Xray's defaults are no drift ------------------------------------------------------------------------------

NO_TICKETING = watch(create_ticket_enabled=None, ticket_profile=None, ticket_generation=None)
DEFAULTS = dict(enabled=False, profile="", profiles_by_impact_path=[],
                duplicate_tickets_by_version=dict(build=False, package=False, release_bundle=False),
                tickets_for_ignored_violations=False)


@pytest.mark.parametrize("raw", [
    NO_TICKETING,
    dict(NO_TICKETING, create_ticket_enabled=None, ticket_profile=None, ticket_generation=None),
    dict(NO_TICKETING, ticket_generation=DEFAULT_TICKET_GENERATION),
    dict(NO_TICKETING, create_ticket_enabled=False, ticket_profile="", ticket_generation=DEFAULT_TICKET_GENERATION),
    dict(NO_TICKETING, ticket_generation={}),
    dict(NO_TICKETING, ticket_generation={"create_duplicate_tickets": None, "impact_path_profiles_mapping": None,
                                          "create_tickets_for_ignored_violation": None}),
    dict(NO_TICKETING, ticket_generation={"create_duplicate_tickets": {"by_version": None},
                                          "impact_path_profiles_mapping": {"include": None}}),
    dict(NO_TICKETING, ticket_generation={"create_duplicate_tickets": {"by_version": {"build": None}},
                                          "impact_path_profiles_mapping": {}}),
], ids=["missing", "null", "default-generation", "explicit-defaults", "empty-generation", "null-holders",
        "null-leaves", "null-bool"])
def test_xray_defaults_are_no_drift(raw):
    result, transport = run([answer(200, raw)], enabled=False, profile="", profiles_by_impact_path=[],
                            duplicate_tickets_by_version=dict(build=False, package=False, release_bundle=False),
                            tickets_for_ignored_violations=False)
    assert calls(transport) == [("GET", ITEM)]
    assert result["changed"] is False and not result.get("failed")
    assert result["ticketing"] == DEFAULTS


def test_a_default_generation_object_is_left_as_read_when_only_enabled_changes():
    raw = dict(NO_TICKETING, ticket_profile="team-a", ticket_generation=DEFAULT_TICKET_GENERATION)
    result, transport = change(raw, enabled=True)
    assert result["changed"] is True
    assert same(transport.sent[1].json, sent_form(dict(raw, create_ticket_enabled=True)))


def test_a_null_holder_becomes_an_object_only_for_what_is_written():
    raw = dict(NO_TICKETING, ticket_generation=None)
    result, transport = change(raw, tickets_for_ignored_violations=True)
    assert result["changed"] is True
    body = transport.sent[1].json
    assert body["ticket_generation"] == {"create_tickets_for_ignored_violation": True}
    assert "create_ticket_enabled" not in body and "ticket_profile" not in body


# -- profiles_by_impact_path: a set ------------------------------------------------------------------------------

ROUTES = [dict(pattern="*/libs-b/*", profile="team-b"), dict(pattern="*/libs-c/*", profile="team-c")]


def test_routes_in_another_order_or_repeated_are_no_change():
    raw = copy.deepcopy(WATCH)
    raw["ticket_generation"]["impact_path_profiles_mapping"]["include"] = [
        dict(profile="team-b", pattern="*/libs-b/*"), dict(profile="team-c", pattern="*/libs-c/*"),
        dict(profile="team-b", pattern="*/libs-b/*")]
    result, transport = run([answer(200, raw)], profiles_by_impact_path=list(reversed(ROUTES)) + ROUTES)
    assert calls(transport) == [("GET", ITEM)] and result["changed"] is False
    assert result["ticketing"]["profiles_by_impact_path"] == ROUTES


def test_an_empty_list_clears_the_routes():
    result, transport = change(WATCH, profiles_by_impact_path=[])
    assert result["changed"] is True and result["msg"] == "Watch 'vuln-prod' updated (profiles_by_impact_path)."
    expected = sent_form(WATCH)
    expected["ticket_generation"]["impact_path_profiles_mapping"]["include"] = []
    assert same(transport.sent[1].json, expected)


def test_new_routes_are_sent_in_the_tasks_order_without_duplicates():
    routes = [dict(pattern="*/z/*", profile="team-z"), dict(pattern="*/a/*", profile="team-a"),
              dict(pattern="*/z/*", profile="team-z")]
    result, transport = change(WATCH, profiles_by_impact_path=routes)
    assert result["changed"] is True
    include = transport.sent[1].json["ticket_generation"]["impact_path_profiles_mapping"]["include"]
    assert include == routes[:2]
    assert result["ticketing"]["profiles_by_impact_path"] == [routes[1], routes[0]]  # sorted, as a set


def test_a_route_with_another_profile_is_a_change():
    result, transport = change(WATCH, profiles_by_impact_path=[dict(pattern="*/libs-b/*", profile="team-b-ops")])
    assert result["changed"] is True
    assert transport.sent[1].json["ticket_generation"]["impact_path_profiles_mapping"]["include"] == [
        dict(pattern="*/libs-b/*", profile="team-b-ops")]


@pytest.mark.parametrize("route,words", [
    (dict(pattern=" ", profile="team-b"), "profiles_by_impact_path[0].pattern is empty"),
    (dict(pattern="*/b/*", profile=""), "profiles_by_impact_path[0].profile is empty"),
])
def test_an_empty_route_part_fails_before_any_request(route, words):
    result, transport = run([], profiles_by_impact_path=[route])
    assert result["failed"] and result["changed"] is False and words in result["msg"]
    assert calls(transport) == []


def test_a_null_route_part_fails_before_any_request():
    # ansible-core 2.16 refuses the null itself; later ones make it "", which the module refuses.
    result, transport = run([], profiles_by_impact_path=[dict(pattern=None, profile="team-b")])
    assert result["failed"] and "pattern" in result["msg"] and calls(transport) == []


# -- duplicate_tickets_by_version: only the keys set ---------------------------------------------------------

def by_version_watch(by_version):
    raw = copy.deepcopy(WATCH)
    raw["ticket_generation"]["create_duplicate_tickets"]["by_version"] = by_version
    return raw


def test_only_the_keys_set_are_written_and_a_missing_key_stays_missing():
    raw = by_version_watch({"package": True, "release_bundle": False, "future_kind": True})
    result, transport = change(raw, duplicate_tickets_by_version=dict(build=True))
    assert result["changed"] is True and result["msg"] == "Watch 'vuln-prod' updated (duplicate_tickets_by_version)."
    assert transport.sent[1].json["ticket_generation"]["create_duplicate_tickets"]["by_version"] == {
        "package": True, "release_bundle": False, "future_kind": True, "build": True}
    assert result["ticketing"]["duplicate_tickets_by_version"] == dict(build=True, package=True, release_bundle=False)


def test_keys_not_set_are_not_compared():
    raw = by_version_watch({"build": True})
    result, transport = run([answer(200, raw)], duplicate_tickets_by_version=dict(package=False))
    assert calls(transport) == [("GET", ITEM)] and result["changed"] is False
    assert result["ticketing"]["duplicate_tickets_by_version"] == dict(build=True, package=False, release_bundle=False)


def test_a_key_set_to_its_missing_default_is_no_change_and_stays_missing():
    raw = by_version_watch({"package": True})
    result, transport = change(raw, duplicate_tickets_by_version=dict(build=False, package=False))
    assert result["changed"] is True
    assert transport.sent[1].json["ticket_generation"]["create_duplicate_tickets"]["by_version"] == {"package": False}


# -- profile -------------------------------------------------------------------------------------------------

def test_an_empty_profile_clears_it():
    raw = watch(create_ticket_enabled=False)
    result, transport = change(raw, profile="")
    assert result["changed"] is True and result["msg"] == "Watch 'vuln-prod' updated (profile)."
    assert same(transport.sent[1].json, sent_form(watch(create_ticket_enabled=False, ticket_profile="")))
    assert result["ticketing"]["profile"] == ""


def test_an_empty_profile_on_a_watch_without_one_is_no_change():
    result, transport = run([answer(200, NO_TICKETING)], profile="")
    assert calls(transport) == [("GET", ITEM)] and result["changed"] is False


@pytest.mark.parametrize("raw,options", [
    (NO_TICKETING, dict(enabled=True)),
    (watch(ticket_profile=""), dict(enabled=True)),
    (watch(ticket_profile=None), dict(enabled=True, tickets_for_ignored_violations=True)),
    (WATCH, dict(profile="")),
    (WATCH, dict(enabled=True, profile="")),
], ids=["no-profile", "empty-profile", "null-profile", "clearing-while-on", "on-and-clearing"])
def test_ticket_creation_on_without_a_profile_fails_before_any_write(raw, options):
    result, transport = run([answer(200, raw)], _ansible_diff=True, **options)
    assert calls(transport) == [("GET", ITEM)]
    assert result["failed"] and result["changed"] is False
    assert "Watch 'vuln-prod' would have ticket creation on without a Jira profile" in result["msg"]
    assert "set profile" in result["msg"]
    assert "ticketing" not in result and "diff" not in result


def test_a_profile_on_the_watch_is_enough_for_enabled():
    result, transport = change(watch(create_ticket_enabled=False), enabled=True)
    assert result["changed"] is True and transport.sent[1].json["ticket_profile"] == "team-a-security"


# -- project watches ------------------------------------------------------------------------------------------

def project_watch():
    raw = copy.deepcopy(WATCH)
    raw["general_data"]["project_key"] = "pay"
    return raw


def test_project_key_is_sent_on_every_request_and_never_in_the_body():
    raw = project_watch()
    result, transport = change(raw, project_key="pay", enabled=False)
    assert calls(transport) == [("GET", PROJECT_ITEM), ("PUT", PROJECT_ITEM), ("GET", PROJECT_ITEM)]
    assert result["changed"] is True
    assert result["msg"] == "Watch 'vuln-prod' of project 'pay' updated (enabled)."
    body = transport.sent[1].json
    assert "project_key" not in body["general_data"] and "id" not in body["general_data"]
    assert same(body, sent_form(dict(raw, create_ticket_enabled=False)))


def test_project_key_is_percent_encoded_in_the_query():
    raw = project_watch()
    raw["general_data"]["project_key"] = "p&q=1"
    result, transport = run([answer(200, raw)], project_key="p&q=1")
    assert calls(transport) == [("GET", ITEM + "?projectKey=p%26q%3D1")] and not result.get("failed")


def test_an_empty_project_key_fails_before_any_request():
    result, transport = run([], project_key=" ")
    assert result["failed"] and "project_key is set but empty" in result["msg"] and calls(transport) == []


def test_an_empty_watch_name_fails_before_any_request():
    result, transport = run([], watch="  ")
    assert result["failed"] and result["msg"] == "watch must not be empty" and calls(transport) == []


# -- a missing watch, permissions, Xray's own error text --------------------------------------------------------

def test_a_missing_project_watch_fails_naming_the_watch_and_the_project():
    result, transport = run([NOT_FOUND], project_key="pay", enabled=True)
    assert calls(transport) == [("GET", PROJECT_ITEM)]
    assert result["failed"] and result["changed"] is False
    assert result["msg"].startswith("Watch 'vuln-prod' of project 'pay' does not exist.")
    assert "never creates one" in result["msg"] and "project_key" in result["msg"]


def test_a_missing_global_watch_says_it_looked_for_a_global_one():
    result, transport = run([NOT_FOUND], enabled=False)
    assert calls(transport) == [("GET", ITEM)]
    assert result["failed"] and result["changed"] is False
    assert result["msg"].startswith("Watch 'vuln-prod' does not exist (a global one: no project_key).")


def test_a_404_that_is_not_xrays_is_no_missing_watch_on_an_old_xray():
    result, transport = run([answer(404, "404 page not found", content_type="text/plain"),
                             answer(200, {"xray_version": "2.3.0"})], enabled=False)
    assert calls(transport) == [("GET", ITEM), ("GET", VERSION)]
    assert result["failed"] and result["changed"] is False
    assert "Xray 2.3.0 does not provide the watch API" in result["msg"] and "2.4 or later" in result["msg"]


@pytest.mark.parametrize("project_key,role,path", [
    (None, "the Manage Watches permission", ITEM),
    ("pay", "the Manage Watches permission (for a project's watch, a Project Admin role with Manage Security Assets "
            "in project 'pay')", PROJECT_ITEM),
])
def test_a_403_on_the_get_names_the_role(project_key, role, path):
    result, transport = run([answer(403, {"error": "Forbidden"})], project_key=project_key, enabled=False)
    assert calls(transport) == [("GET", path)]
    assert result["failed"] and result["changed"] is False and result["http_status"] == 403
    assert result["msg"] == ("Permission denied (HTTP 403 on GET https://xray.test%s): Forbidden. The access token or "
                             "user needs %s." % (path, role))
    assert "Xray admin" not in result["msg"]


@pytest.mark.parametrize("project_key,role", [
    (None, "Manage Watches"), ("pay", "Manage Security Assets"),
])
def test_a_403_on_the_put_names_the_role_and_nothing_changed(project_key, role):
    raw = project_watch() if project_key else WATCH
    result, transport = run([answer(200, raw), answer(403, {"error": "Forbidden"})], project_key=project_key,
                            enabled=False)
    assert [method for method, _path in calls(transport)] == ["GET", "PUT"]
    assert result["failed"] and result["changed"] is False and result["http_status"] == 403
    assert "HTTP 403 on PUT" in result["msg"] and role in result["msg"] and "Xray admin" not in result["msg"]
    assert "ticketing" not in result


def test_an_unknown_profile_fails_with_xrays_own_text():
    text = "Jira profile 'team-x' does not exist"
    result, transport = run([answer(200, WATCH), answer(400, {"error": text})], profile="team-x")
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM)]
    assert result["failed"] and result["changed"] is False and result["http_status"] == 400
    assert result["msg"] == "Xray answered HTTP 400 on PUT https://xray.test%s: %s." % (ITEM, text)


def test_a_404_on_the_put_says_the_watch_was_removed_meanwhile():
    result, transport = run([answer(200, WATCH), NOT_FOUND], enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM)]
    assert result["failed"] and result["changed"] is False
    assert "removed meanwhile" in result["msg"] and "'vuln-prod'" in result["msg"]


# -- the PUT body: everything as read -------------------------------------------------------------------------

ODD_WATCH = {
    "general_data": {"id": 4711, "name": "vuln-prod", "description": u"\u00e9t\u00e9 \U0001f600 \u540d",
                     "active": False, "future_flag": None, "created_by": {"user": "admin", "at": 1.0}},
    "project_resources": {"resources": [{"type": "all-repos", "bin_mgr_id": "default",
                                         "filters": [{"type": "package-type", "value": "Docker"},
                                                     {"type": "mime-type",
                                                      "value": {"IncludePatterns": [], "ExcludePatterns": ["x"]}}]}]},
    "assigned_policies": [],
    "watch_recipients": [],
    "unknown_top": {"nested": [[1, 2.5, True, None, 1.0, 0, -0.0, 1e300, 12345678901234567890123]], "": ""},
    "numbers": [1, 1.0, 0.1, 10 ** 30, -(2 ** 63), True, False],
    "create_ticket_enabled": False,
    "ticket_profile": "",
    "ticket_generation": {"future_generation_key": {"a": [None]},
                          "create_duplicate_tickets": {"by_version": {"package": False}, "other": 1.5},
                          "impact_path_profiles_mapping": {"include": [
                              {"pattern": "*/a/*", "profile": "team-a", "priority": 2}], "exclude": ["x"]}},
}


def test_the_put_keeps_unknown_keys_nested_objects_numbers_and_unicode_as_read():
    result, transport = change(ODD_WATCH, enabled=True, profile=u"team-\u00e9")
    assert result["changed"] is True and not result.get("failed")
    expected = sent_form(ODD_WATCH)
    expected.update(create_ticket_enabled=True, ticket_profile=u"team-\u00e9")
    assert same(transport.sent[1].json, expected)
    # The same types: a float read is a float sent, an int an int, however Python's == sees them.
    numbers = transport.sent[1].json["numbers"]
    assert [type(value) for value in numbers] == [int, float, float, int, int, bool, bool]
    assert json.dumps(transport.sent[1].json["unknown_top"]) == json.dumps(ODD_WATCH["unknown_top"])
    assert warnings_of(result) == ""


def test_the_put_sends_the_bytes_of_unicode_as_utf8_json():
    result, transport = change(ODD_WATCH, tickets_for_ignored_violations=True)
    assert result["changed"] is True
    assert json.loads(transport.sent[1].raw_body.decode("utf-8"))["general_data"]["description"] == \
        ODD_WATCH["general_data"]["description"]
    tg = transport.sent[1].json["ticket_generation"]
    assert tg == dict(ODD_WATCH["ticket_generation"], create_tickets_for_ignored_violation=True)


# -- proving the PUT ------------------------------------------------------------------------------------------

def test_a_reread_that_does_not_keep_the_ticketing_fails_naming_the_xray_version():
    old = watch(create_ticket_enabled=None, ticket_profile=None, ticket_generation=None)
    result, transport = run([answer(200, old), WRITTEN, answer(200, old), answer(200, {"xray_version": "3.41.7"})],
                            enabled=True, profile="team-a-security")
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM), ("GET", VERSION)]
    assert result["failed"] and result["changed"] is False
    msg = result["msg"]
    assert msg.startswith("Xray 3.41.7 answered the PUT of watch 'vuln-prod' with success, but reading it back shows "
                          "that it did not keep enabled, profile (enabled reads false; profile reads \"\").")
    assert "upgrade Xray" in msg
    assert result["ticketing"] == DEFAULTS  # what it read back


def test_a_reread_that_kept_part_says_so_and_changed():
    raw = watch(create_ticket_enabled=False)
    kept = watch(create_ticket_enabled=True)
    result, transport = run([answer(200, raw), WRITTEN, answer(200, kept), answer(200, {"xray_version": "3.99.0"})],
                            enabled=True, tickets_for_ignored_violations=True)
    assert result["failed"] and result["changed"] is True
    assert "did not keep tickets_for_ignored_violations" in result["msg"]
    assert "It did keep enabled." in result["msg"] and "Xray 3.99.0" in result["msg"]


def test_a_not_kept_write_says_when_the_version_cannot_be_read():
    old = watch(create_ticket_enabled=False)
    result, transport = run([answer(200, old), WRITTEN, answer(200, old), answer(404, "no", content_type="text/html")],
                            enabled=True)
    assert result["failed"] and result["changed"] is False
    assert result["msg"].startswith("Xray (its version could not be read) answered the PUT")


def test_a_reread_with_other_changes_warns_about_someone_else_and_succeeds():
    state = {}

    def put(method, url, body):
        state["put"] = json.loads(body.decode("utf-8"))
        return WRITTEN

    def reread(method, url, body):
        return answer(200, dict(stored(state["put"], WATCH), watch_recipients=["someone@else.example"]))

    result, transport = run([answer(200, WATCH), put, reread], enabled=False)
    assert len(transport.sent) == 3
    assert result["changed"] is True and not result.get("failed")
    assert "someone else" in warnings_of(result) and "last writer wins" in warnings_of(result)


def test_a_reread_with_the_read_only_keys_back_is_no_warning():
    result, transport = change(project_watch(), project_key="pay", enabled=False)
    assert result["changed"] is True and warnings_of(result) == ""


def test_a_reread_that_finds_the_watch_gone_fails_unchanged():
    result, transport = run([answer(200, WATCH), WRITTEN, NOT_FOUND], enabled=False)
    assert len(transport.sent) == 3
    assert result["failed"] and result["changed"] is False
    assert "gone when read back" in result["msg"]


def test_a_reread_that_fails_says_the_put_was_answered():
    result, transport = run([answer(200, WATCH), WRITTEN, failure(CONNECT, "refused")], enabled=False)
    assert len(transport.sent) == 3
    assert result["failed"] and result["changed"] is False
    assert "reading it back to prove it failed" in result["msg"] and "Run the task again" in result["msg"]


# -- answers about another watch, or not understood ------------------------------------------------------------

@pytest.mark.parametrize("raw,options,words", [
    (dict(WATCH, general_data=dict(WATCH["general_data"], name="vuln-dev")), {},
     "the watch of another name ('vuln-dev')"),
    (dict(WATCH, general_data=dict(WATCH["general_data"], name="Vuln-Prod")), {},
     "the watch of another name ('Vuln-Prod')"),
    (dict(WATCH, general_data=dict(WATCH["general_data"], project_key="other")), dict(project_key="pay"),
     "a watch of project 'other', not of project 'pay'"),
    (WATCH, dict(project_key="pay"), "a watch of no project, not of project 'pay'"),
    (dict(WATCH, general_data=dict(WATCH["general_data"], project_key="pay")), {},
     "a watch of project 'pay', not of no project"),
], ids=["other-name", "other-case", "other-project", "no-project", "project-for-global"])
def test_an_answer_about_another_watch_fails_without_a_put(raw, options, words):
    result, transport = run([answer(200, raw)], enabled=False, **options)
    assert len(transport.sent) == 1 and no_write(transport)
    assert result["failed"] and result["changed"] is False and result["http_status"] == 200
    assert words in result["msg"] and "Nothing was changed." in result["msg"]
    assert result["msg"].startswith("Unexpected answer from Xray for GET https://xray.test/xray/api/v2/watches/")


@pytest.mark.parametrize("raw,words", [
    (watch(create_ticket_enabled="true"), "create_ticket_enabled of the wrong type"),
    (watch(create_ticket_enabled=1), "create_ticket_enabled of the wrong type"),
    (watch(ticket_profile=5), "ticket_profile of the wrong type"),
    (watch(ticket_profile=["team-a"]), "ticket_profile of the wrong type"),
    (watch(ticket_generation=[]), "ticket_generation"),
    (watch(ticket_generation="none"), "ticket_generation"),
    (watch(ticket_generation={"impact_path_profiles_mapping": {"include": "team-a"}}), "include of the wrong type"),
    (watch(ticket_generation={"impact_path_profiles_mapping": {"include": [{"pattern": 1, "profile": "a"}]}}),
     "without a pattern and profile text"),
    (watch(ticket_generation={"impact_path_profiles_mapping": {"include": [{"pattern": "*"}]}}),
     "without a pattern and profile text"),
    (watch(ticket_generation={"impact_path_profiles_mapping": {"include": ["*/a/*"]}}),
     "without a pattern and profile text"),
    (watch(ticket_generation={"create_duplicate_tickets": {"by_version": {"build": "yes"}}}),
     "build of the wrong type"),
    (watch(ticket_generation={"create_duplicate_tickets": {"by_version": [True]}}), "by_version of the wrong type"),
    (watch(ticket_generation={"create_duplicate_tickets": True}), "create_duplicate_tickets that is no object"),
    (watch(ticket_generation={"create_tickets_for_ignored_violation": 0}),
     "create_tickets_for_ignored_violation of the wrong type"),
    (watch(general_data={"id": "x"}), "no general_data.name text"),
    (watch(general_data="vuln-prod"), "no general_data.name text"),
    (watch(general_data=dict(WATCH["general_data"], project_key=7)), "general_data.project_key of the wrong type"),
    (watch(description=u"lone \ud800 surrogate"), "not valid Unicode"),
])
def test_ticketing_fields_of_the_wrong_type_fail_before_any_put(raw, words):
    result, transport = run([answer(200, raw)], enabled=False)
    assert len(transport.sent) == 1 and no_write(transport)
    assert result["failed"] and result["changed"] is False
    assert words in result["msg"] and "Nothing was changed." in result["msg"]
    assert "Traceback" not in json.dumps(result)


@pytest.mark.parametrize("options,words", [
    (dict(enabled="maybe"), "enabled"),
    (dict(duplicate_tickets_by_version=dict(build="sometimes")), "build"),
    (dict(tickets_for_ignored_violations="perhaps"), "tickets_for_ignored_violations"),
    (dict(profiles_by_impact_path=[dict(pattern="*/a/*")]), "profile"),
    (dict(profiles_by_impact_path=[dict(pattern="*/a/*", profile="a", team="b")]), "team"),
])
def test_task_options_of_the_wrong_type_fail_before_any_request(options, words):
    result, transport = run([], **options)
    assert result["failed"] and words in result["msg"] and calls(transport) == []


# Where ansible-core validates sub-options and one is malformed, ansible-core 2.16 to 2.20 print the task's
# arguments unmasked in `invocation` (ansible/ansible#81672). The module declares these options without
# sub-options and checks them itself, so the token stays masked on every ansible-core.
@pytest.mark.parametrize("options", [
    dict(profiles_by_impact_path="*/a/*"),
    dict(profiles_by_impact_path=["*/a/*"]),
    dict(profiles_by_impact_path=[None]),
    dict(profiles_by_impact_path=[dict(pattern="*/a/*", profile="p", Pattern="x")]),
    dict(profiles_by_impact_path=[dict(pattern=5, profile="p")]),
    dict(duplicate_tickets_by_version="build"),
    dict(duplicate_tickets_by_version=[None]),
    dict(duplicate_tickets_by_version=dict(build="maybe")),
    dict(duplicate_tickets_by_version=dict(builds=True)),
])
def test_malformed_sub_options_fail_without_showing_the_token(options):
    result, transport = run([], **options)  # run_module asserts the token is not in the output
    assert result["failed"] and calls(transport) == []
    assert list(options)[0] in result["msg"] and "Traceback" not in result["msg"]


def test_a_200_with_html_fails_without_a_put():
    result, transport = run([answer(200, "<html><body>Sign in</body></html>", content_type="text/html")],
                            enabled=False)
    assert len(transport.sent) == 1 and no_write(transport)
    assert result["failed"] and result["changed"] is False and result["http_status"] == 200
    assert "a proxy, WAF or SSO page, not Xray" in result["msg"]


def test_a_200_with_a_json_list_fails_without_a_put():
    result, transport = run([answer(200, [WATCH])], enabled=False)
    assert len(transport.sent) == 1 and result["failed"] and result["changed"] is False


# -- the write contract: never changed without proof ------------------------------------------------------------

def written_watch(**changes):
    return answer(200, stored(sent_form(watch(**changes)), WATCH))


def test_a_put_answered_502_that_a_reread_proves_is_changed_with_a_warning():
    result, transport = run([answer(200, WATCH), answer(502, "<html>Bad Gateway</html>", content_type="text/html"),
                             written_watch(create_ticket_enabled=False)], enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert "Reading the watch back shows that the PUT took effect" in warnings_of(result)
    assert result["ticketing"] == ticketing(enabled=False)


def test_a_put_answered_502_that_did_not_take_effect_fails_unchanged():
    result, transport = run([answer(200, WATCH), answer(502, "<html>Bad Gateway</html>", content_type="text/html"),
                             answer(200, WATCH)], enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["failed"] and result["changed"] is False and result["http_status"] == 502
    assert "Nothing was changed" in result["msg"]


def test_a_put_answered_502_is_sent_again_after_a_reread_and_proven_by_a_fresh_read():
    result, transport = run([answer(200, WATCH), answer(502, "<html>Bad Gateway</html>", content_type="text/html"),
                             answer(200, WATCH), WRITTEN, written_watch(create_ticket_enabled=False)],
                            enabled=False, retries=1, retry_backoff=0)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert same(transport.sent[1].json, transport.sent[3].json)


@pytest.mark.parametrize("kind", [TIMEOUT, DROPPED])
def test_a_put_without_an_answer_is_proven_by_a_reread(kind):
    result, transport = run([answer(200, WATCH), failure(kind), written_watch(create_ticket_enabled=False)],
                            enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert "took effect" in warnings_of(result)


def test_a_put_that_timed_out_and_did_not_take_effect_is_not_sent_again():
    result, transport = run([answer(200, WATCH), failure(TIMEOUT), answer(200, WATCH)], enabled=False, retries=2,
                            retry_backoff=0)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["failed"] and result["changed"] is False
    assert "It was not sent again" in result["msg"]


def test_a_put_answered_200_with_html_is_no_success_without_proof():
    result, transport = run([answer(200, WATCH), answer(200, "<html>Welcome</html>", content_type="text/html"),
                             answer(200, WATCH)], enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["failed"] and result["changed"] is False


def test_a_put_that_never_left_fails_unchanged_without_a_reread():
    result, transport = run([answer(200, WATCH), failure(CONNECT, "refused")], enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM)]
    assert result["failed"] and result["changed"] is False


def test_the_token_is_never_shown_even_when_xray_echoes_it():
    echo = "bad token %s" % TOKEN
    result, transport = run([answer(200, WATCH), answer(400, {"error": echo})], enabled=False)
    assert result["failed"] and TOKEN not in json.dumps(result) and "bad token" in result["msg"]


# -- what the task did not change, read back otherwise -----------------------------------------------------------

def test_a_ticketing_field_the_task_left_alone_that_reads_back_otherwise_is_a_warning_and_returned_as_read():
    # The task turns ticket creation off; the re-read also shows another profile: the PUT sent the profile as
    # read, so someone else (or Xray) changed it, and the ticketing returned must say what Xray holds.
    result, transport = run([answer(200, WATCH), WRITTEN,
                             written_watch(create_ticket_enabled=False, ticket_profile="team-z")], enabled=False)
    assert len(transport.sent) == 3
    assert result["changed"] is True and not result.get("failed")
    assert "profile" in warnings_of(result) and "someone else" in warnings_of(result)
    assert result["ticketing"] == ticketing(enabled=False, profile="team-z")


def test_a_502_whose_reread_shows_the_change_and_another_ticketing_change_is_proven():
    # The re-read after the unclear answer shows the task's change in effect (and someone else's profile):
    # the PUT took effect, so "nothing was changed" would be false.
    result, transport = run([answer(200, WATCH), answer(502, "<html>Bad Gateway</html>", content_type="text/html"),
                             written_watch(create_ticket_enabled=False, ticket_profile="team-z")], enabled=False)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert "someone else" in warnings_of(result)


# -- what an independent hostile server found (issue 17 review) --------------------------------------------------

def test_a_put_answered_500_after_xray_stored_it_is_proven_by_one_read():
    # A full replace stored before Xray failed (e.g. notifying its indexer): read back, it is in effect.
    state = {}

    def put(method, url, body):
        state["put"] = json.loads(body.decode("utf-8"))
        return answer(500, {"error": "Internal error while notifying the indexer"})

    result, transport = run([answer(200, watch(create_ticket_enabled=False)), put,
                             lambda method, url, body: answer(200, stored(state["put"], WATCH))], enabled=True)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert "HTTP 500" in warnings_of(result) and "Reading the watch back shows that the PUT took effect" in \
        warnings_of(result)


def test_a_put_answered_500_that_did_not_take_effect_fails_unchanged_after_one_read():
    result, transport = run([answer(200, watch(create_ticket_enabled=False)), answer(500, {"error": "Boom"}),
                             answer(200, watch(create_ticket_enabled=False))], enabled=True)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["failed"] and result["changed"] is False and result["http_status"] == 500
    assert result["msg"] == ("Xray answered HTTP 500 on PUT https://xray.test%s: Boom. Reading the watch back shows "
                             "that it has not taken effect. Nothing was changed." % ITEM)


def test_a_put_answered_500_whose_read_back_fails_says_run_again():
    result, transport = run([answer(200, watch(create_ticket_enabled=False)), answer(500, {"error": "Boom"}),
                             answer(500, {"error": "Still down"})], enabled=True)
    assert len(transport.sent) == 3 and result["failed"] and result["changed"] is False
    assert "Reading it back to learn whether it took effect failed too" in result["msg"]
    assert "Run the task again" in result["msg"]


def test_a_blank_profile_is_refused_before_any_request():
    result, transport = run([], enabled=True, profile="   ")
    assert result["failed"] and calls(transport) == [] and "profile is blank" in result["msg"]


def test_a_by_version_flag_of_the_wrong_type_is_named_by_its_whole_path():
    ticket_generation = copy.deepcopy(TICKET_GENERATION)
    ticket_generation["create_duplicate_tickets"]["by_version"]["package"] = "yes"
    result, transport = run([answer(200, watch(ticket_generation=ticket_generation))], enabled=False)
    assert result["failed"] and no_write(transport)
    assert "ticket_generation.create_duplicate_tickets.by_version.package of the wrong type" in result["msg"]


def test_a_partial_write_in_diff_mode_returns_the_diff_of_what_was_kept():
    kept = watch(create_ticket_enabled=True, ticket_profile="")  # the profile was not kept
    result, transport = run([answer(200, watch(create_ticket_enabled=False, ticket_profile="")), WRITTEN,
                             answer(200, kept), answer(200, {"xray_version": "3.90.0"})],
                            enabled=True, profile="team-a-security", _ansible_diff=True)
    assert result["failed"] and result["changed"] is True and "It did keep enabled" in result["msg"]
    assert result["diff"]["before"]["enabled"] is False and result["diff"]["after"]["enabled"] is True
    assert result["diff"]["after"]["profile"] == ""


def test_a_read_after_the_put_that_is_not_understood_does_not_say_nothing_was_changed():
    result, transport = run([answer(200, watch(create_ticket_enabled=False)), WRITTEN,
                             answer(200, dict(watch(), general_data=dict(WATCH["general_data"], name="other")))],
                            enabled=True)
    assert result["failed"] and result["changed"] is False and len(transport.sent) == 3
    assert "answered the PUT of watch 'vuln-prod' with success, but reading it back to prove it failed" in \
        result["msg"]
    assert "Nothing was changed" not in result["msg"]


def test_a_project_watch_on_an_xray_before_projects_names_the_minimum():
    result, transport = run([answer(404, "404 page not found", content_type="text/plain"),
                             answer(200, {"xray_version": "3.20.0", "xray_revision": "r"})],
                            project_key="pay", enabled=False)
    assert calls(transport) == [("GET", PROJECT_ITEM), ("GET", VERSION)] and result["failed"]
    assert "Xray 3.20.0 does not provide the watch API (/xray/api/v2/watches?projectKey=): it needs Xray 3.21.2" \
        in result["msg"]


@pytest.mark.parametrize("depth", [150, 5000])
def test_an_answer_nested_too_deep_fails_in_one_line_without_a_put(depth):
    # Copying or comparing it would recurse past Python's limit: a traceback, were it not refused first.
    text = json.dumps(watch())[:-1] + ', "deep": ' + "[" * depth + '"x"' + "]" * depth + "}"
    result, transport = run([answer(200, text)], enabled=False)
    assert result["failed"] and result["changed"] is False and no_write(transport)
    assert "nested more than 100 levels deep" in result["msg"] or "not the documented JSON" in result["msg"]
