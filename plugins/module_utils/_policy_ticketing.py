# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The "create Jira ticket" action of an Xray policy's rules (v2): rules[].actions.create_ticket_enabled.

Private to this collection (leading underscore): no compatibility promise.

The managed view maps each rule's name, in the policy's order, to its create_ticket_enabled; a
rule whose actions lack it (or hold null) counts as false.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
from ansible_collections.frogops.xray.plugins.module_utils._full_replace import FullReplaceObject, Unexpected, without_paths
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import Subject

READ_ONLY = (("author",), ("created",), ("modified",), ("watches",), ("project_key",))
ACTION = "create_ticket_enabled"


def _rules(raw):
    """The policy's rules: a list of objects, each with a name text unique in the policy, or Unexpected."""
    rules = raw.get("rules")
    if not isinstance(rules, list):
        # Xray's policies always have rules: missing or null is no policy as documented.
        raise Unexpected("no rules list" if rules is None else "rules that are no list")
    names = set()
    for rule in rules:
        if not isinstance(rule, dict) or not isinstance(rule.get("name"), str):
            raise Unexpected("a rule without a name text")
        if rule["name"] in names:
            raise Unexpected("two rules named %r" % rule["name"])
        names.add(rule["name"])
        actions = rule.get("actions")
        if actions is not None and not isinstance(actions, dict):
            raise Unexpected("actions of rule %r that are no object" % rule["name"])
        if actions is not None and not isinstance(actions.get(ACTION), (bool, type(None))):
            raise Unexpected("%s of rule %r that is no boolean" % (ACTION, rule["name"]))
    return rules


def rules_view(raw):
    """{rule name: create_ticket_enabled}, in the policy's order."""
    view = {}
    for rule in _rules(raw):
        view[rule["name"]] = bool((rule.get("actions") or {}).get(ACTION))
    return view


class PolicyTicketing(FullReplaceObject):
    noun = "Policy"
    name_option = "policy"
    collection = ("policies",)
    read_only = READ_ONLY

    def __init__(self, module):
        super(PolicyTicketing, self).__init__(module)
        scope = " in project %r" % self.project_key if self.project_key else ""
        self.read_subject = Subject("policy", roles="the Read Policies permission%s" % scope)
        self.write_subject = Subject("policy", roles="the Manage Policies permission%s" % scope)

    def check(self):
        refusal = super(PolicyTicketing, self).check()
        if refusal is None and self.params["rules"] is not None:
            if not self.params["rules"]:
                return ensure.Refusal("rules is set but empty: name the rules, or leave rules out for every rule of "
                                      "the policy.")
            if any(not name.strip() for name in self.params["rules"]):
                return ensure.Refusal("rules holds an empty name: give each rule's name as the policy has it.")
        return refusal

    def identify(self, raw):
        if not isinstance(raw.get("name"), str):
            raise Unexpected("no name text in the object")
        project_key = raw.get("project_key")
        if project_key is not None and not isinstance(project_key, str):
            raise Unexpected("project_key of the wrong type")
        return raw["name"], project_key

    def view(self, raw):
        return rules_view(raw)

    def desired(self, before):
        asked = self.params["rules"]
        if not before and self.params["enabled"]:
            raise ensure.Refusal("%s has no rules, so none can open a Jira ticket: add a rule to it first." % (
                self.where()))
        unknown = [name for name in asked or () if name not in before]
        if unknown:
            raise ensure.Refusal("%s has no rule named %s; its rules are: %s." % (
                self.where(), ", ".join(repr(name) for name in unknown),
                ", ".join(repr(name) for name in before) or "none"))
        names = set(asked) if asked is not None else set(before)
        return dict((name, self.params["enabled"] if name in names else value) for name, value in before.items())

    def apply(self, body, after):
        for rule in body.get("rules") or ():
            if bool((rule.get("actions") or {}).get(ACTION)) != after[rule["name"]]:
                if not isinstance(rule.get("actions"), dict):
                    rule["actions"] = {}
                rule["actions"][ACTION] = after[rule["name"]]

    def unmanaged(self, raw):
        rest = without_paths(raw, READ_ONLY)
        for rule in rest.get("rules") or ():
            if isinstance(rule, dict) and isinstance(rule.get("actions"), dict):
                rule["actions"].pop(ACTION, None)
        return rest

    def returns_of(self, view):
        return dict(rules=[dict(name=name, create_ticket_enabled=value) for name, value in view.items()])

    def field_words(self, name):
        return "%s of rule %r" % (ACTION, name)

    def changes_in_words(self, changed_names):
        return "%s=%s on rule%s %s" % (
            ACTION, str(self.params["enabled"]).lower(), "s" if len(changed_names) > 1 else "",
            ", ".join(repr(name) for name in changed_names))
