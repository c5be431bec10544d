# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Jira ticketing of an Xray watch (v2): which profile its violations open tickets with, and how.

Private to this collection (leading underscore): no compatibility promise.

The managed view is named like the module options. Xray's defaults are no drift: a missing (or
null) bool is false, a missing profile is "", a missing include is []; include is a set.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
from ansible_collections.frogops.xray.plugins.module_utils._full_replace import FullReplaceObject, Unexpected, without_paths
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import Subject

VERSION_KEYS = ("build", "package", "release_bundle")
# Option name -> JSON path in the watch.
PATHS = {
    "enabled": ("create_ticket_enabled",),
    "profile": ("ticket_profile",),
    "profiles_by_impact_path": ("ticket_generation", "impact_path_profiles_mapping", "include"),
    "duplicate_tickets_by_version": ("ticket_generation", "create_duplicate_tickets", "by_version"),
    "tickets_for_ignored_violations": ("ticket_generation", "create_tickets_for_ignored_violation"),
}
TICKETING_KEYS = ("create_ticket_enabled", "ticket_profile", "ticket_generation")
READ_ONLY = (("general_data", "id"), ("general_data", "project_key"))


def _at(raw, path, kinds, default):
    """The value at path: default when it or a holder is missing or null, else one of kinds, else Unexpected."""
    value = raw
    for depth, key in enumerate(path):
        if value is None:
            return default
        if not isinstance(value, dict):
            raise Unexpected("%s that is no object" % ".".join(path[:depth]))
        value = value.get(key)
    if value is None:
        return default
    if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
        raise Unexpected("%s of the wrong type" % ".".join(path))
    return value


def _pairs(items, where):
    """Impact-path routes as a sorted list of unique {pattern, profile}: a set, whatever the order read."""
    pairs = set()
    for item in items:
        route = item if isinstance(item, dict) else {}
        if not (isinstance(route.get("pattern"), str) and isinstance(route.get("profile"), str)):
            raise Unexpected("%s holding an item without a pattern and profile text" % where)
        pairs.add((item["pattern"], item["profile"]))
    return [dict(pattern=pattern, profile=profile) for pattern, profile in sorted(pairs)]


def ticketing_view(raw):
    """The managed view of a watch, or raise Unexpected."""
    include = _at(raw, PATHS["profiles_by_impact_path"], (list,), [])
    _at(raw, PATHS["duplicate_tickets_by_version"], (dict,), {})  # an object, or missing
    return dict(
        enabled=_at(raw, PATHS["enabled"], (bool,), False),
        profile=_at(raw, PATHS["profile"], (str,), ""),
        profiles_by_impact_path=_pairs(include, ".".join(PATHS["profiles_by_impact_path"])),
        duplicate_tickets_by_version=dict(
            (key, _at(raw, PATHS["duplicate_tickets_by_version"] + (key,), (bool,), False)) for key in VERSION_KEYS),
        tickets_for_ignored_violations=_at(raw, PATHS["tickets_for_ignored_violations"], (bool,), False),
    )


def _put(body, path, value):
    """Set body[path] = value, making holders that are missing or null."""
    holder = body
    for key in path[:-1]:
        if not isinstance(holder.get(key), dict):
            holder[key] = {}
        holder = holder[key]
    holder[path[-1]] = value


class WatchTicketing(FullReplaceObject):
    noun = "Watch"
    name_option = "watch"
    collection = ("watches",)
    read_only = READ_ONLY

    def __init__(self, module):
        super(WatchTicketing, self).__init__(module)
        roles = "the Manage Watches permission"
        if self.project_key:
            roles += " (for a project's watch, a Project Admin role with Manage Security Assets in project %r)" % (
                self.project_key)
        # No source names a read-only role for watches; Xray's own text (shown too) names what it asks for.
        self.read_subject = self.write_subject = Subject("watch", roles=roles)

    def check(self):
        refusal = super(WatchTicketing, self).check()
        profile = self.params["profile"]
        if refusal is None and profile and not profile.strip():
            refusal = ensure.Refusal('profile is blank: give the Jira profile\'s name, or "" to clear it.')
        if refusal is None:
            refusal = self.check_routes() or self.check_by_version()
        return refusal

    def check_routes(self):
        """Each route a dict of exactly pattern and profile, both non-blank texts."""
        for index, route in enumerate(self.params["profiles_by_impact_path"] or ()):
            unknown = sorted(set(route) - {"pattern", "profile"})
            if unknown:
                return ensure.Refusal("profiles_by_impact_path[%d] has %s: a route has only pattern and profile." % (
                    index, ", ".join(repr(key) for key in unknown)))
            for key in ("pattern", "profile"):
                value = route.get(key)
                if not isinstance(value, str) or not value.strip():
                    problem = "is missing" if value is None else "is empty" if isinstance(value, str) else \
                        "must be a text"
                    return ensure.Refusal("profiles_by_impact_path[%d].%s %s: give the %s." % (
                        index, key, problem, "impact-path pattern" if key == "pattern" else "Jira profile's name"))
        return None

    def check_by_version(self):
        """Only build, package and release_bundle, each a boolean (or null: not set); kept as booleans."""
        given = self.params["duplicate_tickets_by_version"]
        self.by_version = {}
        if given is None:
            return None
        unknown = sorted(set(given) - set(VERSION_KEYS))
        if unknown:
            return ensure.Refusal("duplicate_tickets_by_version has %s: it takes %s." % (
                ", ".join(repr(key) for key in unknown), ", ".join(VERSION_KEYS)))
        for key, value in given.items():
            if value is None:
                continue
            try:
                self.by_version[key] = boolean(value, strict=True)
            except TypeError:
                return ensure.Refusal("duplicate_tickets_by_version.%s must be a boolean (true or false)." % key)
        return None

    def identify(self, raw):
        general = raw.get("general_data")
        if not isinstance(general, dict) or not isinstance(general.get("name"), str):
            raise Unexpected("no general_data.name text in the object")
        project_key = general.get("project_key")
        if project_key is not None and not isinstance(project_key, str):
            raise Unexpected("general_data.project_key of the wrong type")
        return general["name"], project_key

    def view(self, raw):
        return ticketing_view(raw)

    def desired(self, before):
        params = self.params
        after = copy.deepcopy(before)
        for option in ("enabled", "profile", "tickets_for_ignored_violations"):
            if params[option] is not None:
                after[option] = params[option]
        if params["profiles_by_impact_path"] is not None:
            after["profiles_by_impact_path"] = _pairs(params["profiles_by_impact_path"], "profiles_by_impact_path")
        for key, value in self.by_version.items():  # only the keys the task sets (checked in check_by_version)
            after["duplicate_tickets_by_version"][key] = value
        if after["enabled"] and not after["profile"] and (params["enabled"] or params["profile"] is not None):
            raise ensure.Refusal(
                "%s would have ticket creation on without a Jira profile: set profile to the name of a Jira "
                "configuration profile (made in the Xray UI), or enabled=false." % self.where())
        return after

    def apply(self, body, after):
        before = ticketing_view(body)
        for option in ("enabled", "profile", "tickets_for_ignored_violations"):
            if after[option] != before[option]:
                _put(body, PATHS[option], after[option])
        if after["profiles_by_impact_path"] != before["profiles_by_impact_path"]:
            # Sent in the task's order (duplicates dropped): Xray keeps a list, order carries no meaning.
            routes, seen = [], set()
            for route in self.params["profiles_by_impact_path"]:
                pair = (route["pattern"], route["profile"])
                if pair not in seen:
                    seen.add(pair)
                    routes.append(dict(pattern=route["pattern"], profile=route["profile"]))
            _put(body, PATHS["profiles_by_impact_path"], routes)
        for key in VERSION_KEYS:
            if after["duplicate_tickets_by_version"][key] != before["duplicate_tickets_by_version"][key]:
                _put(body, PATHS["duplicate_tickets_by_version"] + (key,), after["duplicate_tickets_by_version"][key])

    def unmanaged(self, raw):
        rest = dict((key, value) for key, value in raw.items() if key not in TICKETING_KEYS)
        return without_paths(rest, READ_ONLY)

    def returns_of(self, view):
        return dict(ticketing=view)

    def diff_of(self, view):
        return view  # the ticketing itself, not the whole watch
