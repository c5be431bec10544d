# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""policy_jira_ticketing in-process through the scripted transport, no sockets (issue 17, section 3):

- requests: nothing to change 1 (GET); a change 3 (GET, PUT, GET); check mode 1 (GET); ?projectKey= on each;
- rules default to every rule; a name the policy lacks fails before any write, listing the policy's rules;
- a rule without actions, or actions without create_ticket_enabled, counts as false;
- the PUT is the policy as read minus author, created, modified, watches and project_key, with only those
  actions.create_ticket_enabled changed; every PUT proven by a re-read;
- a 403 names "Read Policies" on the GET and "Manage Policies" on the PUT.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible_collections.frogops.xray.plugins.module_utils._http_transport import TIMEOUT
from ansible_collections.frogops.xray.plugins.modules import policy_jira_ticketing
from ansible_collections.frogops.xray.tests.unit.plugins.module_runner import put_and_reread, run_module, warnings_of
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import answer, failure

ITEM = "/xray/api/v2/policies/critical-cves"
PROJECT_ITEM = ITEM + "?projectKey=pay"
VERSION = "/xray/api/v1/system/version"
READ_ONLY = ("author", "created", "modified", "watches", "project_key")
POLICY = {
    "name": "critical-cves",
    "type": "security",
    "description": u"Critical CVEs \u2014 block \U0001f6ab",
    "author": "admin",
    "created": "2024-03-01T10:00:00Z",
    "modified": "2024-03-02T10:00:00Z",
    "watches": ["vuln-prod"],
    "rules": [
        {"name": "block-critical", "priority": 1,
         "criteria": {"min_severity": "critical", "fix_version_dependant": False, "applicable_cves_only": False},
         "actions": {"mails": ["sec@acme.example"], "webhooks": [], "fail_build": True,
                     "build_failure_grace_period_in_days": 0,
                     "block_download": {"active": True, "unscanned": False, "grace_period_days": 3},
                     "block_release_bundle_distribution": False, "notify_watch_recipients": True,
                     "create_ticket_enabled": False, "custom_severity": None}},
        {"name": "warn-high", "priority": 2, "criteria": {"cvss_range": {"from": 7.0, "to": 8.9}},
         "actions": {"block_download": {"active": False, "unscanned": False}, "fail_pull_request": {"active": True}}},
        {"name": "no-actions", "priority": 3, "criteria": {"malicious_package": True}},
        {"name": "null-ticket", "priority": 4, "criteria": {"exposures": {"min_severity": "high", "secrets": True}},
         "actions": {"create_ticket_enabled": None, "future_action": {"x": [1, 1.0]}}},
    ],
    "future_policy_key": {"nested": [None, True, 10 ** 25]},
}
NAMES = ["block-critical", "warn-high", "no-actions", "null-ticket"]
WRITTEN = answer(200, {"info": "Policy has been successfully updated"})


def sent_form(raw):
    return dict((key, value) for key, value in copy.deepcopy(raw).items() if key not in READ_ONLY)


def stored(body, raw):
    kept = copy.deepcopy(body)
    kept.update((key, raw[key]) for key in READ_ONLY if key in raw)
    return kept


def same(one, other):
    return json.dumps(one, sort_keys=True) == json.dumps(other, sort_keys=True)


def with_tickets(raw, values):
    """raw with create_ticket_enabled set on the rules named in values (a missing actions object made)."""
    body = copy.deepcopy(raw)
    for rule in body["rules"]:
        if rule["name"] in values:
            if not isinstance(rule.get("actions"), dict):
                rule["actions"] = {}
            rule["actions"]["create_ticket_enabled"] = values[rule["name"]]
    return body


def rules(*enabled_names):
    return [dict(name=name, create_ticket_enabled=name in enabled_names) for name in NAMES]


def run(script, **options):
    options.setdefault("policy", "critical-cves")
    return run_module(policy_jira_ticketing, script, **options)


def change(raw, **options):
    return run(put_and_reread(raw, WRITTEN, stored), **options)


def calls(transport):
    return list(transport.calls)


# -- requests and bodies ---------------------------------------------------------------------------------------

def test_every_rule_by_default_is_get_put_get_with_only_the_actions_changed():
    result, transport = change(POLICY, enabled=True)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert result["msg"] == ("Policy 'critical-cves' updated (create_ticket_enabled=true on rules 'block-critical', "
                             "'warn-high', 'no-actions', 'null-ticket').")
    expected = sent_form(with_tickets(POLICY, dict.fromkeys(NAMES, True)))
    assert same(transport.sent[1].json, expected)
    assert transport.sent[1].json["rules"][2]["actions"] == {"create_ticket_enabled": True}
    assert result["rules"] == rules(*NAMES)
    assert warnings_of(result) == ""


def test_the_put_leaves_out_every_read_only_key_and_keeps_the_rest_with_its_types():
    result, transport = change(POLICY, enabled=True, rules=["warn-high"])
    body = transport.sent[1].json
    assert not set(READ_ONLY) & set(body)
    assert same(body, sent_form(with_tickets(POLICY, {"warn-high": True})))
    assert [type(value) for value in body["rules"][1]["criteria"]["cvss_range"].values()] == [float, float]
    assert body["rules"][3]["actions"]["create_ticket_enabled"] is None  # not asked: as read, null and all


def test_enabled_false_on_rules_without_the_action_is_no_change():
    raw = with_tickets(POLICY, {"block-critical": False})
    result, transport = run([answer(200, raw)], enabled=False)
    assert calls(transport) == [("GET", ITEM)]
    assert result["changed"] is False and not result.get("failed")
    assert result["msg"] == "Policy 'critical-cves': its Jira ticketing is as desired; nothing to do."
    assert result["rules"] == rules()


def test_only_the_rules_named_change():
    raw = with_tickets(POLICY, {"block-critical": True})
    result, transport = change(raw, enabled=True, rules=["no-actions", "block-critical"])
    assert result["changed"] is True
    assert result["msg"] == "Policy 'critical-cves' updated (create_ticket_enabled=true on rule 'no-actions')."
    assert same(transport.sent[1].json, sent_form(with_tickets(raw, {"no-actions": True})))
    assert result["rules"] == rules("block-critical", "no-actions")


def test_turning_the_action_off():
    raw = with_tickets(POLICY, {"block-critical": True, "null-ticket": True})
    result, transport = change(raw, enabled=False, rules=["null-ticket", "null-ticket"])
    assert result["changed"] is True
    assert result["msg"] == "Policy 'critical-cves' updated (create_ticket_enabled=false on rule 'null-ticket')."
    assert transport.sent[1].json["rules"][3]["actions"] == {"create_ticket_enabled": False,
                                                             "future_action": {"x": [1, 1.0]}}
    assert result["rules"] == rules("block-critical")


def test_an_unknown_rule_fails_listing_the_policys_rules_before_any_write():
    result, transport = run([answer(200, POLICY)], enabled=True, rules=["block-critical", "Warn-High", "gone"])
    assert calls(transport) == [("GET", ITEM)]
    assert result["failed"] and result["changed"] is False
    assert result["msg"] == ("Policy 'critical-cves' has no rule named 'Warn-High', 'gone'; its rules are: "
                             "'block-critical', 'warn-high', 'no-actions', 'null-ticket'.")


def test_a_rule_asked_of_a_policy_without_rules_says_none():
    result, transport = run([answer(200, dict(POLICY, rules=[]))], enabled=False, rules=["block-critical"])
    assert result["failed"] and result["msg"].endswith("its rules are: none.") and transport.count("PUT") == 0


def test_tickets_asked_of_a_policy_without_rules_fail_instead_of_ok():
    # "Every rule opens a ticket" is no truth to report as ok about a policy with no rule at all.
    result, transport = run([answer(200, dict(POLICY, rules=[]))], enabled=True)
    assert calls(transport) == [("GET", ITEM)] and result["failed"] and result["changed"] is False
    assert "has no rules, so none can open a Jira ticket" in result["msg"]


def test_no_tickets_from_a_policy_without_rules_is_nothing_to_change():
    result, transport = run([answer(200, dict(POLICY, rules=[]))], enabled=False)
    assert calls(transport) == [("GET", ITEM)] and result["changed"] is False and result["rules"] == []


@pytest.mark.parametrize("rules", ["missing", None])
def test_a_policy_answer_without_a_rules_list_is_not_understood(rules):
    body = dict(POLICY, rules=rules)
    if rules == "missing":
        del body["rules"]
    result, transport = run([answer(200, body)], enabled=False)
    assert calls(transport) == [("GET", ITEM)] and result["failed"] and result["changed"] is False
    assert "no rules list" in result["msg"] and "Nothing was changed" in result["msg"]


@pytest.mark.parametrize("options,words", [
    (dict(rules=[]), "rules is set but empty"),
    (dict(rules=["block-critical", " "]), "rules holds an empty name"),
    (dict(policy=" "), "policy must not be empty"),
    (dict(project_key=""), "project_key is set but empty"),
])
def test_bad_options_fail_before_any_request(options, words):
    options.setdefault("enabled", True)
    result, transport = run([], **options)
    assert result["failed"] and result["changed"] is False and words in result["msg"] and calls(transport) == []


def test_enabled_is_required():
    result, transport = run([])
    assert result["failed"] and "enabled" in result["msg"] and calls(transport) == []


def test_check_mode_is_one_get_with_the_predicted_rules():
    result, transport = run([answer(200, POLICY)], enabled=True, rules=["warn-high"], _ansible_check_mode=True)
    assert calls(transport) == [("GET", ITEM)]
    assert result["changed"] is True
    assert result["msg"] == "Policy 'critical-cves' would be updated (create_ticket_enabled=true on rule 'warn-high')."
    assert result["rules"] == rules("warn-high")


@pytest.mark.parametrize("check_mode", [False, True])
def test_diff_is_the_rules_before_and_after(check_mode):
    raw = with_tickets(POLICY, {"block-critical": True})
    if check_mode:
        result, transport = run([answer(200, raw)], enabled=False, _ansible_diff=True, _ansible_check_mode=True)
    else:
        result, transport = change(raw, enabled=False, _ansible_diff=True)
    assert result["diff"] == dict(before=dict(rules=rules("block-critical")), after=dict(rules=rules()))
    assert len(transport.sent) == (1 if check_mode else 3)


def test_the_alias_name_and_an_encoded_name():
    raw = dict(POLICY, name=u"sec/critical \u00e9")
    result, transport = run_module(policy_jira_ticketing, [answer(200, raw)], name=u"sec/critical \u00e9",
                                   enabled=False)
    assert calls(transport) == [("GET", "/xray/api/v2/policies/sec%2Fcritical%20%C3%A9")]
    assert not result.get("failed")


# -- project policies --------------------------------------------------------------------------------------------

def test_project_key_is_sent_on_every_request_and_never_in_the_body():
    raw = dict(POLICY, project_key="pay")
    result, transport = change(raw, project_key="pay", enabled=True, rules=["block-critical"])
    assert calls(transport) == [("GET", PROJECT_ITEM), ("PUT", PROJECT_ITEM), ("GET", PROJECT_ITEM)]
    assert result["changed"] is True
    assert result["msg"].startswith("Policy 'critical-cves' of project 'pay' updated")
    assert "project_key" not in transport.sent[1].json
    assert warnings_of(result) == ""


def test_a_missing_policy_fails_naming_it_and_the_project():
    result, transport = run([answer(404, {"error": "Policy not found or not accessible in the current scope"})],
                            project_key="pay", enabled=True)
    assert calls(transport) == [("GET", PROJECT_ITEM)]
    assert result["failed"] and result["changed"] is False
    assert result["msg"].startswith("Policy 'critical-cves' of project 'pay' does not exist.")
    assert "never creates one" in result["msg"]


@pytest.mark.parametrize("raw,options,words", [
    (dict(POLICY, name="critical-cve"), {}, "the policy of another name ('critical-cve')"),
    (dict(POLICY, project_key="other"), dict(project_key="pay"), "a policy of project 'other', not of project 'pay'"),
    (POLICY, dict(project_key="pay"), "a policy of no project, not of project 'pay'"),
    (dict(POLICY, project_key="pay"), {}, "a policy of project 'pay', not of no project"),
])
def test_an_answer_about_another_policy_fails_without_a_put(raw, options, words):
    result, transport = run([answer(200, raw)], enabled=True, **options)
    assert len(transport.sent) == 1 and transport.count("PUT") == 0
    assert result["failed"] and result["changed"] is False
    assert words in result["msg"] and "Nothing was changed." in result["msg"]


def test_a_global_policy_with_an_empty_project_key_is_global():
    result, transport = run([answer(200, dict(POLICY, project_key=""))], enabled=False)
    assert not result.get("failed") and result["changed"] is False


# -- permissions and Xray's text ------------------------------------------------------------------------------

def test_a_403_on_the_get_names_read_policies():
    result, transport = run([answer(403, {"error": "Forbidden"})], enabled=True)
    assert calls(transport) == [("GET", ITEM)]
    assert result["failed"] and result["changed"] is False and result["http_status"] == 403
    assert "the Read Policies permission" in result["msg"] and "Xray admin" not in result["msg"]


@pytest.mark.parametrize("project_key,scope", [(None, ""), ("pay", " in project 'pay'")])
def test_a_403_on_the_put_names_manage_policies(project_key, scope):
    raw = dict(POLICY, project_key=project_key) if project_key else POLICY
    result, transport = run([answer(200, raw), answer(403, {"error": "Forbidden"})], enabled=True,
                            project_key=project_key)
    assert [method for method, _path in calls(transport)] == ["GET", "PUT"]
    assert result["failed"] and result["changed"] is False and result["http_status"] == 403
    assert result["msg"].endswith("The access token or user needs the Manage Policies permission%s." % scope)
    assert "rules" not in result


def test_a_400_fails_with_xrays_own_text():
    result, transport = run([answer(200, POLICY), answer(400, {"error": "rule 'no-actions': no Jira integration"})],
                            enabled=True)
    assert result["failed"] and result["changed"] is False and result["http_status"] == 400
    assert "rule 'no-actions': no Jira integration" in result["msg"]


# -- answers not understood -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rules_value,words", [
    ("block-critical", "rules that are no list"),
    ([{"priority": 1}], "a rule without a name text"),
    (["block-critical"], "a rule without a name text"),
    ([{"name": "a"}, {"name": "a"}], "two rules named 'a'"),
    ([{"name": "a", "actions": []}], "actions of rule 'a' that are no object"),
    ([{"name": "a", "actions": {"create_ticket_enabled": "true"}}],
     "create_ticket_enabled of rule 'a' that is no boolean"),
    ([{"name": "a", "actions": {"create_ticket_enabled": 1}}], "create_ticket_enabled of rule 'a' that is no boolean"),
])
def test_rules_xray_would_not_send_fail_before_any_put(rules_value, words):
    result, transport = run([answer(200, dict(POLICY, rules=rules_value))], enabled=False)
    assert len(transport.sent) == 1 and transport.count("PUT") == 0
    assert result["failed"] and result["changed"] is False and words in result["msg"]


def test_a_200_with_html_fails_without_a_put():
    result, transport = run([answer(200, "<html>SSO</html>", content_type="text/html")], enabled=True)
    assert len(transport.sent) == 1 and result["failed"] and result["changed"] is False
    assert "a proxy, WAF or SSO page" in result["msg"]


# -- proving the PUT ------------------------------------------------------------------------------------------

def test_a_reread_that_does_not_keep_the_action_fails_naming_the_version():
    result, transport = run([answer(200, POLICY), WRITTEN, answer(200, POLICY),
                             answer(200, {"xray_version": "3.60.2"})], enabled=True, rules=["block-critical"])
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM), ("GET", VERSION)]
    assert result["failed"] and result["changed"] is False
    assert result["msg"].startswith("Xray 3.60.2 answered the PUT of policy 'critical-cves' with success, but reading "
                                    "it back shows that it did not keep create_ticket_enabled of rule "
                                    "'block-critical' (create_ticket_enabled of rule 'block-critical' reads false).")
    assert result["rules"] == rules()


def test_a_reread_with_another_change_warns_about_someone_else():
    state = {}

    def put(method, url, body):
        state["put"] = json.loads(body.decode("utf-8"))
        return WRITTEN

    def reread(method, url, body):
        kept = stored(state["put"], POLICY)
        kept["rules"][1]["priority"] = 9
        return answer(200, kept)

    result, transport = run([answer(200, POLICY), put, reread], enabled=True, rules=["block-critical"])
    assert len(transport.sent) == 3 and result["changed"] is True and not result.get("failed")
    assert "someone else" in warnings_of(result)


def test_a_rule_the_task_left_alone_turned_on_meanwhile_is_a_warning_and_returned_as_read():
    state = {}

    def put(method, url, body):
        state["put"] = json.loads(body.decode("utf-8"))
        return WRITTEN

    def reread(method, url, body):
        return answer(200, with_tickets(stored(state["put"], POLICY), {"warn-high": True}))

    result, transport = run([answer(200, POLICY), put, reread], enabled=True, rules=["block-critical"])
    assert result["changed"] is True and not result.get("failed")
    assert "create_ticket_enabled of rule 'warn-high'" in warnings_of(result) and "someone else" in warnings_of(result)
    assert result["rules"] == rules("block-critical", "warn-high")


def test_a_put_that_timed_out_is_proven_by_a_reread():
    done = with_tickets(POLICY, {"block-critical": True})
    result, transport = run([answer(200, POLICY), failure(TIMEOUT), answer(200, done)], enabled=True,
                            rules=["block-critical"])
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and "took effect" in warnings_of(result)


def test_a_put_that_timed_out_and_shows_nothing_is_unchanged():
    result, transport = run([answer(200, POLICY), failure(TIMEOUT), answer(200, POLICY)], enabled=True,
                            rules=["block-critical"])
    assert len(transport.sent) == 3 and result["failed"] and result["changed"] is False
    assert "It was not sent again" in result["msg"]


# -- what an independent hostile server found (issue 17 review) --------------------------------------------------

def test_a_put_answered_500_after_xray_stored_it_is_proven_by_one_read():
    state = {}

    def put(method, url, body):
        state["put"] = json.loads(body.decode("utf-8"))
        return answer(500, {"error": "Internal error"})

    result, transport = run([answer(200, POLICY), put,
                             lambda method, url, body: answer(200, stored(state["put"], POLICY))], enabled=True)
    assert calls(transport) == [("GET", ITEM), ("PUT", ITEM), ("GET", ITEM)]
    assert result["changed"] is True and not result.get("failed")
    assert "Reading the policy back shows that the PUT took effect" in warnings_of(result)


def test_a_rule_gone_when_read_back_is_someone_elses_change_not_the_xray_version():
    gone = copy.deepcopy(POLICY)
    gone["rules"] = [rule for rule in gone["rules"] if rule["name"] != "warn-high"]
    result, transport = run([answer(200, POLICY), WRITTEN, answer(200, gone)], enabled=True, rules=["warn-high"])
    assert len(transport.sent) == 3 and result["failed"] and result["changed"] is False
    assert "reads back without create_ticket_enabled of rule 'warn-high': someone else changed it" in result["msg"]
    assert "no Jira ticketing" not in result["msg"]


def test_a_rule_gone_when_read_back_while_another_was_written_reports_the_change():
    both = copy.deepcopy(POLICY)
    for rule in both["rules"]:
        rule.setdefault("actions", {})
        if isinstance(rule["actions"], dict):
            rule["actions"]["create_ticket_enabled"] = True
    both["rules"] = [rule for rule in both["rules"] if rule["name"] != "warn-high"]
    result, transport = run([answer(200, POLICY), WRITTEN, answer(200, both)], enabled=True)
    assert len(transport.sent) == 3 and result["failed"] and result["changed"] is True
    assert "reads back without create_ticket_enabled of rule 'warn-high'" in result["msg"]
