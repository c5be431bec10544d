# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generated watches and policies, and generated tasks: a full-replace PUT changes only what the task manages.

hypothesis draws a watch (or a policy) as Xray might return it: nested objects, lists of objects, keys no
document lists, unicode (astral characters too), integers of every size, floats, bools, nulls, ticketing fields
that are missing, null, empty or set; and a task of watch_jira_ticketing (or policy_jira_ticketing). The module
runs in-process against a scripted Xray: GET -> the object, PUT -> 200, GET -> exactly what was PUT plus the
read-only keys. For every run (see check_watch_run / check_policy_run):

(a) it ends through exit_json/fail_json, never another exception;
(b) it is changed exactly when a value the task sets differs from what Xray's defaults make of the object read
    (a missing or null bool is false, a missing profile "", missing routes [], routes a set, a rule without the
    action false): then 3 requests (GET, PUT, GET), else 1 (GET); all with ?projectKey= for a project object;
(c) the PUT body is the object read, minus the read-only keys, with only the managed paths that change
    changed: everything else equal with the same types (JSON text compared, so 1, 1.0 and true differ);
(d) the managed paths hold the task's values, and the result returns them;
(e) what could not be done (ticket creation on without a profile, a rule the policy lacks) fails before any PUT.
The oracle here is written from the issue's rules, not from the modules' code.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

from urllib.parse import quote

from hypothesis import HealthCheck, event, example, given, note, settings, strategies as st

from ansible_collections.frogops.xray.plugins.modules import policy_jira_ticketing, watch_jira_ticketing
from ansible_collections.frogops.xray.tests.unit.plugins.module_runner import run_module, warnings_of
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import answer

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAMES = ("vuln-prod", u"team b/\u00e9t\u00e9 \U0001f600", "a?b#c&d", "..")
PROJECT_KEYS = (None, None, "pay", u"p q&\u00e9")
PROFILES = ("team-a", "team-b", u"\u00e9quipe-\U0001f6a8", "")
PATTERNS = ("*/libs-a/*", "*/libs-b/*", u"*/\u540d/*")
VERSION_KEYS = ("build", "package", "release_bundle")
ENABLED = ("create_ticket_enabled",)
PROFILE = ("ticket_profile",)
INCLUDE = ("ticket_generation", "impact_path_profiles_mapping", "include")
BY_VERSION = ("ticket_generation", "create_duplicate_tickets", "by_version")
IGNORED = ("ticket_generation", "create_tickets_for_ignored_violation")
MISSING = object()
RULE_ACTION = "create_ticket_enabled"
POLICY_READ_ONLY = ("author", "created", "modified", "watches", "project_key")

# -- JSON as Xray may send it -------------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)  # every code point but lone surrogates
INTEGERS = st.integers() | st.sampled_from((0, -1, 2 ** 31, 2 ** 53 + 1, 2 ** 63 - 1, -2 ** 63, 2 ** 64,
                                            10 ** 30, -10 ** 300)) | st.builds(pow, st.just(10), st.just(4000))
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from((1.0, 0.0, -0.0, 1e300, 5e-324, 0.1))
SCALARS = st.none() | st.booleans() | INTEGERS | FLOATS | TEXT
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)
# Keys next to the managed ones: no document lists them (newer Xray versions add some).
UNKNOWN_KEYS = TEXT.map(lambda text: "future_" + text)


def unknown(max_size=2):
    return st.dictionaries(UNKNOWN_KEYS, JSON, max_size=max_size)


@st.composite
def field(draw, strategy):
    """A field as Xray may return it: MISSING, null, or a value."""
    return draw(st.sampled_from((MISSING, None, True, True)).flatmap(
        lambda kind: st.just(kind) if kind is not True else strategy))


def put_field(holder, key, value):
    if value is not MISSING:
        holder[key] = value


@st.composite
def holder(draw, fields):
    """MISSING, null, or an object of unknown keys and the fields (key -> strategy of field values)."""
    kind = draw(st.sampled_from(("missing", "null", "object", "object", "object")))
    if kind != "object":
        return MISSING if kind == "missing" else None
    value = draw(unknown())
    for key, strategy in fields:
        put_field(value, key, draw(strategy))
    return value


ROUTE = st.builds(lambda pattern, profile, extra: dict(extra, pattern=pattern, profile=profile),
                  st.sampled_from(PATTERNS), st.sampled_from(PROFILES[:3]), unknown(1))


@st.composite
def watches(draw, name, project_key):
    general = dict(draw(unknown()), name=name)
    put_field(general, "description", draw(field(TEXT)))
    put_field(general, "active", draw(field(st.booleans())))
    if draw(st.booleans()):
        general["id"] = draw(TEXT | INTEGERS)
    if project_key:
        general["project_key"] = project_key
    elif draw(st.booleans()):
        general["project_key"] = draw(st.sampled_from((None, "")))
    raw = dict(draw(unknown(3)), general_data=general)
    raw["project_resources"] = {"resources": draw(st.lists(st.fixed_dictionaries(
        {"type": st.sampled_from(("repository", "build", "all-repos")), "name": TEXT,
         "filters": st.lists(st.fixed_dictionaries({"type": TEXT, "value": TEXT | st.fixed_dictionaries(
             {"IncludePatterns": st.lists(TEXT, max_size=2), "ExcludePatterns": st.lists(TEXT, max_size=2)})}),
             max_size=2)}, optional={"bin_mgr_id": TEXT, "build_repo": TEXT, "extra": JSON}), max_size=2))}
    raw["assigned_policies"] = draw(st.lists(st.fixed_dictionaries({"name": TEXT, "type": TEXT}), max_size=2))
    put_field(raw, "create_ticket_enabled", draw(field(st.booleans())))
    put_field(raw, "ticket_profile", draw(field(st.sampled_from(PROFILES))))
    by_version = holder([(key, field(st.booleans())) for key in VERSION_KEYS])
    generation = draw(holder([
        ("create_duplicate_tickets", holder([("by_version", by_version)])),
        ("impact_path_profiles_mapping", holder([("include", field(st.lists(ROUTE, max_size=4)))])),
        ("create_tickets_for_ignored_violation", field(st.booleans())),
    ]))
    put_field(raw, "ticket_generation", generation)
    return raw


def maybe(strategy):
    """None (the task does not set it) or a value."""
    return st.none() | strategy


@st.composite
def watch_tasks(draw):
    name, project_key = draw(st.sampled_from(NAMES)), draw(st.sampled_from(PROJECT_KEYS))
    options = dict(watch=name, project_key=project_key)
    options.update(
        enabled=draw(maybe(st.booleans())),
        profile=draw(maybe(st.sampled_from(PROFILES))),
        profiles_by_impact_path=draw(maybe(st.lists(st.builds(dict, pattern=st.sampled_from(PATTERNS),
                                                              profile=st.sampled_from(PROFILES[:3])), max_size=4))),
        duplicate_tickets_by_version=draw(maybe(st.fixed_dictionaries(
            {}, optional=dict((key, st.none() | st.booleans()) for key in VERSION_KEYS)))),
        tickets_for_ignored_violations=draw(maybe(st.booleans())),
    )
    return options, draw(watches(name, project_key))


@st.composite
def policies(draw, name, project_key):
    raw = dict(draw(unknown(3)), name=name, type=draw(st.sampled_from(("security", "license", "operational_risk"))))
    put_field(raw, "description", draw(field(TEXT)))
    for key, strategy in (("author", TEXT), ("created", TEXT), ("modified", JSON), ("watches", st.lists(TEXT))):
        if draw(st.booleans()):
            raw[key] = draw(strategy)
    if project_key:
        raw["project_key"] = project_key
    names = draw(st.lists(st.sampled_from(("block-critical", "warn-high", u"r\u00e8gle \U0001f600", " ")) |
                          TEXT.map(lambda text: "rule " + text), unique=True, min_size=1, max_size=4))
    rules = []
    for rule_name in names:
        rule = dict(draw(unknown(1)), name=rule_name, priority=draw(INTEGERS), criteria=draw(JSON))
        put_field(rule, "actions", draw(holder([(RULE_ACTION, field(st.booleans())),
                                                ("block_download", field(JSON)), ("mails", field(st.lists(TEXT)))])))
        rules.append(rule)
    put_field(raw, "rules", draw(st.sampled_from((MISSING, None) + (rules,) * 6)))
    return raw


@st.composite
def policy_tasks(draw):
    name, project_key = draw(st.sampled_from(NAMES)), draw(st.sampled_from(PROJECT_KEYS))
    raw = draw(policies(name, project_key))
    names = [rule["name"] for rule in raw.get("rules") or ()]
    choices = st.sampled_from(names * 4 + ["no-such-rule"]) if names else st.just("no-such-rule")
    options = dict(policy=name, project_key=project_key, enabled=draw(st.sampled_from((True, True, False))),
                   rules=draw(st.none() | st.none() | st.lists(choices, min_size=1, max_size=4)))
    return options, raw


# -- the scripted Xray ------------------------------------------------------------------------------------------

def xray(raw, read_only):
    """The script: GET raw, PUT 200, GET what was put plus raw's read-only keys (paths)."""
    state = {}

    def put(method, url, body):
        state["put"] = json.loads(body.decode("utf-8"))
        return answer(200, {"info": "successfully updated"})

    def reread(method, url, body):
        kept = copy.deepcopy(state["put"])
        for path in read_only:
            value = get(raw, path)
            if value is not MISSING:
                get(kept, path[:-1])[path[-1]] = value
        return answer(200, kept)

    return [answer(200, raw), put, reread]


def get(value, path):
    """The value at path, MISSING when it or a holder is missing (or no object)."""
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def delete(value, path):
    holder_ = get(value, path[:-1])
    if isinstance(holder_, dict):
        holder_.pop(path[-1], None)


def text(value):
    return json.dumps(value, sort_keys=True)


def strip(body, raw, paths):
    """body without the leaves at paths, and without holders of them that the write made (empty objects where raw
    had none, or null): what must equal raw, likewise without those leaves."""
    body, raw = copy.deepcopy(body), copy.deepcopy(raw)
    for path in paths:
        delete(body, path)
        delete(raw, path)
        for depth in range(len(path) - 1, 0, -1):
            prefix = path[:depth]
            if get(body, prefix) == {} and not isinstance(get(raw, prefix), dict):
                was = get(raw, prefix)
                if was is MISSING:
                    delete(body, prefix)
                else:
                    get(body, prefix[:-1])[prefix[-1]] = was
    return body, raw


def expected_path(collection, name, project_key):
    segment = quote(name, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    path = "/xray/api/v2/%s/%s" % (collection, segment)
    return path + ("?projectKey=" + quote(project_key, safe="") if project_key else "")


# -- watches --------------------------------------------------------------------------------------------------

def value_or(raw, path, default):
    value = get(raw, path)
    return default if value is MISSING or value is None else value


def watch_view(raw):
    """The ticketing of a watch by the issue's rules: missing or null is false, "", [] (routes: a set)."""
    return dict(enabled=value_or(raw, ENABLED, False), profile=value_or(raw, PROFILE, ""),
                routes=set((route["pattern"], route["profile"]) for route in value_or(raw, INCLUDE, [])),
                by_version=dict((key, value_or(raw, BY_VERSION + (key,), False)) for key in VERSION_KEYS),
                ignored=value_or(raw, IGNORED, False))


def returned_view(ticketing):
    return dict(enabled=ticketing["enabled"], profile=ticketing["profile"],
                routes=set((route["pattern"], route["profile"]) for route in ticketing["profiles_by_impact_path"]),
                by_version=ticketing["duplicate_tickets_by_version"], ignored=ticketing["tickets_for_ignored_violations"])


def check_watch_run(options, raw):
    script = xray(raw, (("general_data", "id"), ("general_data", "project_key")))
    result, transport = run_module(watch_jira_ticketing, script, **options)
    note("result: %r" % result)
    note("sent: %r" % transport.sent)
    before = watch_view(raw)
    after = copy.deepcopy(before)
    changed_paths = []
    for option, key, path in (("enabled", "enabled", ENABLED), ("profile", "profile", PROFILE),
                              ("tickets_for_ignored_violations", "ignored", IGNORED)):
        if options[option] is not None:
            after[key] = options[option]
            if after[key] != before[key]:
                changed_paths.append(path)
    if options["profiles_by_impact_path"] is not None:
        after["routes"] = set((route["pattern"], route["profile"]) for route in options["profiles_by_impact_path"])
        if after["routes"] != before["routes"]:
            changed_paths.append(INCLUDE)
    for key, value in (options["duplicate_tickets_by_version"] or {}).items():
        if value is not None:
            after["by_version"][key] = value
            if value != before["by_version"][key]:
                changed_paths.append(BY_VERSION + (key,))
    path = expected_path("watches", options["watch"], options["project_key"])

    event("watch: %s" % ("refused" if result.get("failed") else "changed" if result["changed"] else "unchanged"))
    if after["enabled"] and not after["profile"] and (options["enabled"] or options["profile"] is not None):
        assert result["failed"] and result["changed"] is False
        assert "without a Jira profile" in result["msg"]
        assert transport.calls == [("GET", path)]
        return
    assert not result.get("failed"), result["msg"]
    assert returned_view(result["ticketing"]) == after
    assert warnings_of(result) == ""
    if not changed_paths:
        assert result["changed"] is False and transport.calls == [("GET", path)]
        return
    assert result["changed"] is True
    assert transport.calls == [("GET", path), ("PUT", path), ("GET", path)]
    body = transport.sent[1].json
    assert "id" not in body["general_data"] and "project_key" not in body["general_data"]
    read = copy.deepcopy(raw)
    delete(read, ("general_data", "id"))
    delete(read, ("general_data", "project_key"))
    stripped_body, stripped_read = strip(body, read, changed_paths)
    assert text(stripped_body) == text(stripped_read)
    assert watch_view(body) == after
    if INCLUDE in changed_paths:
        unique = []
        for route in options["profiles_by_impact_path"]:
            if route not in unique:
                unique.append(route)
        assert get(body, INCLUDE) == unique  # sent in the task's order, without duplicates


@SETTINGS
@given(watch_tasks())
# A watch with no ticketing at all, turned on with a profile: the holders are made for what is written.
@example((dict(watch="vuln-prod", project_key=None, enabled=True, profile="team-a", profiles_by_impact_path=None,
               duplicate_tickets_by_version=dict(build=True), tickets_for_ignored_violations=None),
          {"general_data": {"name": "vuln-prod", "id": 1}, "ticket_generation": None}))
# The default ticket_generation of a watch without a profile, and a task that disables: no change.
@example((dict(watch="vuln-prod", project_key="pay", enabled=False, profile="", profiles_by_impact_path=[],
               duplicate_tickets_by_version=dict(build=False, package=False, release_bundle=False),
               tickets_for_ignored_violations=False),
          {"general_data": {"name": "vuln-prod", "id": "x", "project_key": "pay"}, "ticket_profile": "",
           "ticket_generation": {"create_duplicate_tickets": {"by_version": {"build": False, "package": False,
                                                                             "release_bundle": False}},
                                 "impact_path_profiles_mapping": {"include": []},
                                 "create_tickets_for_ignored_violation": False}}))
def test_a_watch_put_changes_only_what_the_task_manages(case):
    check_watch_run(*case)


# -- policies -------------------------------------------------------------------------------------------------

def rule_view(raw):
    return [(rule["name"], get(rule, ("actions", RULE_ACTION)) is True) for rule in raw.get("rules") or ()]


def check_policy_run(options, raw):
    result, transport = run_module(policy_jira_ticketing, xray(raw, [(key,) for key in POLICY_READ_ONLY]), **options)
    note("result: %r" % result)
    note("sent: %r" % transport.sent)
    before = rule_view(raw)
    names = [name for name, _value in before]
    path = expected_path("policies", options["policy"], options["project_key"])
    unknown_names = [name for name in options["rules"] or () if name not in names]
    event("policy: %s" % ("refused" if result.get("failed") else "changed" if result["changed"] else "unchanged"))
    if any(not name.strip() for name in options["rules"] or ()):
        assert result["failed"] and result["changed"] is False and transport.calls == []
        assert "rules holds an empty name" in result["msg"]
        return
    if not isinstance(raw.get("rules"), list):
        # Xray's policies always have a rules list: one missing or null is not understood, and nothing written.
        assert result["failed"] and result["changed"] is False and transport.calls == [("GET", path)]
        assert "no rules list" in result["msg"]
        return
    if unknown_names:
        assert result["failed"] and result["changed"] is False and transport.calls == [("GET", path)]
        assert "has no rule named %r" % unknown_names[0] in result["msg"]
        assert all(repr(name) in result["msg"] for name in names)
        return
    targets = set(options["rules"]) if options["rules"] is not None else set(names)
    after = [(name, options["enabled"] if name in targets else value) for name, value in before]
    changing = [name for (name, value), (_same, new) in zip(before, after) if value != new]
    assert not result.get("failed"), result["msg"]
    assert result["rules"] == [dict(name=name, create_ticket_enabled=value) for name, value in after]
    assert warnings_of(result) == ""
    if not changing:
        assert result["changed"] is False and transport.calls == [("GET", path)]
        return
    assert result["changed"] is True
    assert transport.calls == [("GET", path), ("PUT", path), ("GET", path)]
    body = transport.sent[1].json
    assert not set(POLICY_READ_ONLY) & set(body)
    read = dict((key, value) for key, value in raw.items() if key not in POLICY_READ_ONLY)
    positions = [index for index, name in enumerate(names) if name in changing]
    stripped_body, stripped_read = strip(body, read, ())
    for index in positions:
        rule_body, rule_read = strip(stripped_body["rules"][index], stripped_read["rules"][index],
                                     [("actions", RULE_ACTION)])
        stripped_body["rules"][index], stripped_read["rules"][index] = rule_body, rule_read
    assert text(stripped_body) == text(stripped_read)
    assert rule_view(body) == after
    assert all(body["rules"][index]["actions"][RULE_ACTION] is options["enabled"] for index in positions)


@SETTINGS
@given(policy_tasks())
# A rule without actions, and one whose actions lack the key: false, so turning on writes both.
@example((dict(policy="critical", project_key=None, enabled=True, rules=None),
          {"name": "critical", "type": "security", "author": "admin", "watches": ["w"],
           "rules": [{"name": "a", "priority": 1, "criteria": {}}, {"name": "b", "actions": {"mails": []}},
                     {"name": "c", "actions": None}]}))
def test_a_policy_put_changes_only_the_rules_actions(case):
    check_policy_run(*case)
