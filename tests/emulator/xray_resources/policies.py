# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Policies v2 (/xray/api/v2/policies/{name}, optional ?projectKey=K).

GET and PUT only (seed policies through the control API). Policies are stored per (project key or
None, name). GET returns the stored policy: name, type, description, author, rules, created,
modified, watches, project_key and whatever else it holds. PUT is a full replace of the writable
part: the body becomes the policy, the name in the path wins, the read-only author, created,
watches and project_key are kept from the stored policy and modified is set to now; a body that
carries a read-only key (modified included) is refused (400). Checked: type (security, license or
operational_risk), rules a list of objects, each rule's actions an object and its
actions.create_ticket_enabled a boolean. With the config switch drop_ticketing_fields (an older
Xray) PUT stores no actions.create_ticket_enabled, unchecked, and GET returns none.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from .common import (MANAGE_POLICIES, NAME, READ_POLICIES, Resource, Route, ScopedStore, is_bool, is_text,
                     scoped_object_api, scoped_object_controls, seed_scope, timestamp)

MSG_NOT_FOUND = "Policy not found or not accessible in the current scope"
MSG_UPDATED = "Policy has been successfully updated"
MSG_READ_ONLY = "Field %s is read-only and cannot be updated"

KEPT = ("author", "created", "watches", "project_key")  # read-only, kept from the stored policy
READ_ONLY = KEPT + ("modified",)  # refused in a PUT body
POLICY_TYPES = ("security", "license", "operational_risk")
TICKET_ACTION = "create_ticket_enabled"  # in each rule's actions


def drop_ticket_actions(policy):
    """The policy without rules[].actions.create_ticket_enabled (a copy; anything else untouched)."""
    policy = copy.deepcopy(policy)
    rules = policy.get("rules")
    if isinstance(rules, list):
        for rule in rules:
            if isinstance(rule, dict) and isinstance(rule.get("actions"), dict):
                rule["actions"].pop(TICKET_ACTION, None)
    return policy


def check_policy(body, check_ticket_action=True):
    """The first problem with a PUT body, or None."""
    for key in READ_ONLY:
        if key in body:
            return MSG_READ_ONLY % key
    if "type" in body and body["type"] not in POLICY_TYPES:
        return "Invalid value for field type: must be one of %s" % ", ".join(POLICY_TYPES)
    if "rules" not in body:
        return None
    if not isinstance(body["rules"], list):
        return "Invalid value for field rules: must be a list"
    for index, rule in enumerate(body["rules"]):
        path = "rules[%d]" % index
        if not isinstance(rule, dict):
            return "Invalid value for field %s: must be an object" % path
        if "actions" not in rule:
            continue
        if not isinstance(rule["actions"], dict):
            return "Invalid value for field %s.actions: must be an object" % path
        if check_ticket_action and TICKET_ACTION in rule["actions"] and not is_bool(rule["actions"][TICKET_ACTION]):
            return "Invalid value for field %s.actions.%s: must be a boolean" % (path, TICKET_ACTION)
    return None


# --------------------------------------------------------------------------- API

def policy_view(policy, config):
    """What GET returns for a stored policy."""
    return drop_ticket_actions(policy) if config.get("drop_ticketing_fields") else policy


def replacement(state, body, stored, name):
    """(the policy to store, None) for a PUT body, or (None, the 400 message)."""
    drop = state.config.get("drop_ticketing_fields")
    message = check_policy(body, check_ticket_action=not drop)
    if message:
        return None, message
    policy = {"name": name}
    policy.update(drop_ticket_actions(body) if drop else copy.deepcopy(body))
    policy["name"] = name
    for key in KEPT:
        if key in stored:
            policy[key] = stored[key]
    policy["modified"] = timestamp()
    return policy, None


ROUTES = (
    Route(("xray", "api", "v2", "policies", NAME),
          scoped_object_api("policies", MSG_NOT_FOUND, MSG_UPDATED,
                            lambda state, policy, exact: policy_view(policy, state.config), replacement), None,
          {"GET": (READ_POLICIES, MANAGE_POLICIES), "PUT": (MANAGE_POLICIES,)}),
)


# --------------------------------------------------------------------------- seeding and control API

def seed_policy(state, policy, project_key=None, exact=False):
    """Store policy as if made in the UI; return (scope, the stored policy).

    name is required. The scope is project_key, else the policy's own project_key. Unless exact,
    missing keys default to type "security", description "", author "admin", rules [], created and
    modified now, watches [] and project_key the scope ("" for the global scope).
    """
    if not isinstance(policy, dict):
        raise ValueError("A policy must be a JSON object")
    if not is_text(policy.get("name")):
        raise ValueError("Field name must be a non-empty string")
    if not is_bool(exact):
        raise ValueError("exact must be a boolean")
    scope = seed_scope(policy.get("project_key"), project_key)
    policy = copy.deepcopy(policy)
    if not exact:
        now = timestamp()
        for key, default in (("type", "security"), ("description", ""), ("author", "admin"), ("rules", []),
                             ("created", now), ("modified", now), ("watches", []), ("project_key", scope or "")):
            policy.setdefault(key, default)
        if scope is not None:
            policy["project_key"] = scope
    state.policies.put(scope, policy["name"], policy, exact)
    return scope, policy


CONTROL_ROUTES = {
    "policies": scoped_object_controls("policy", "policies", seed_policy),
}

CONFIG = {
    # Shared with watches.py (same default): an older Xray drops the ticketing fields.
    "drop_ticketing_fields": (False, is_bool, "a boolean"),
}


def make_state():
    return {"policies": ScopedStore()}


# --------------------------------------------------------------------------- Python methods of XrayEmulator

class PolicyMethods:
    """XrayEmulator's methods for policies."""

    state = None  # set by XrayEmulator

    @property
    def policies(self):
        """{(project key or None, name): the stored policy, exactly as stored}."""
        return self.state.policies.snapshot()

    def seed_policy(self, policy, project_key=None, exact=False):
        """Store a policy as if made in the UI (see seed_policy above); returns the stored policy."""
        return seed_policy(self.state, policy, project_key, exact)[1]


RESOURCE = Resource("policies", ROUTES, CONTROL_ROUTES, CONFIG, make_state, PolicyMethods)
