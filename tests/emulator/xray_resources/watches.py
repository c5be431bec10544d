# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Watches v2 (/xray/api/v2/watches/{name}, optional ?projectKey=K) and the Jira profile names they use.

GET and PUT only (this emulator never creates or deletes a watch through the API: seed them).
Watches are stored per (project key or None, name). PUT is a full replace: the body becomes the
watch; the name in the path wins; the read-only general_data.id and general_data.project_key are
kept from the stored watch, and a body that carries either is refused (400). Every other key,
known or not, nested or not, is stored and returned as sent. The ticketing fields are checked
(types; profile names must be declared through /_emulator/jira-profiles). GET fills in Xray's
defaults for missing ticketing fields (not for a watch seeded with exact: true). With the config
switch drop_ticketing_fields (an older Xray) PUT stores no ticketing field, unchecked, and GET
returns none.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import threading

from .common import (MANAGE_WATCHES, NAME, READ_WATCHES, Resource, Route, ScopedStore, is_bool, is_text,
                     json_response, require_object, scoped_object_api, scoped_object_controls, seed_scope)

MSG_NOT_FOUND = "Watch not found"
MSG_UPDATED = "Watch has been successfully updated"
MSG_UNKNOWN_PROFILE = "Jira profile '%s' does not exist"
MSG_READ_ONLY = "Field %s is read-only and cannot be updated"

READ_ONLY = ("id", "project_key")  # inside general_data
TICKETING_FIELDS = ("create_ticket_enabled", "ticket_profile", "ticket_generation")
# What GET shows for a ticketing field the watch lacks (Xray's default for a watch without a profile).
TICKETING_DEFAULTS = {
    "create_ticket_enabled": False,
    "ticket_profile": "",
    "ticket_generation": {
        "create_duplicate_tickets": {"by_version": {"build": False, "package": False, "release_bundle": False}},
        "impact_path_profiles_mapping": {"include": []},
        "create_tickets_for_ignored_violation": False,
    },
}


# --------------------------------------------------------------------------- Jira profiles

class ProfileNames:
    """The Jira configuration profiles that exist (made in Xray's UI; no public API: declared here)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._names = set()

    def set(self, names):
        with self._lock:
            self._names = set(names)

    def __contains__(self, name):
        with self._lock:
            return name in self._names

    def snapshot(self):
        with self._lock:
            return sorted(self._names)

    def clear(self):
        with self._lock:
            self._names.clear()


def check_profile_names(names):
    """The names as a list; raise ValueError unless they are a list of non-empty strings."""
    message = "Expected {\"profiles\": [Jira profile names, non-empty strings]}"
    if isinstance(names, (str, bytes, dict)):
        raise ValueError(message)
    try:
        names = list(names)
    except TypeError:
        raise ValueError(message) from None
    if not all(is_text(name) for name in names):
        raise ValueError(message)
    return names


# --------------------------------------------------------------------------- ticketing fields

def _kind(check, hint):
    return lambda path, value: None if check(value) else "Invalid value for field %s: %s" % (path, hint)


_BOOL = _kind(is_bool, "must be a boolean")
_STRING = _kind(lambda value: isinstance(value, str), "must be a string")
_OBJECT = _kind(lambda value: isinstance(value, dict), "must be an object")
_LIST = _kind(lambda value: isinstance(value, list), "must be a list")


def _profile(profiles, value):
    return None if value in profiles else MSG_UNKNOWN_PROFILE % value


def _check_include(items, profiles):
    path = "ticket_generation.impact_path_profiles_mapping.include"
    for index, item in enumerate(items):
        item_path = "%s[%d]" % (path, index)
        message = _OBJECT(item_path, item)
        if message:
            return message
        for key in ("profile", "pattern"):
            if key not in item:
                return "Missing mandatory field: %s.%s" % (item_path, key)
            message = _STRING("%s.%s" % (item_path, key), item[key])
            if message:
                return message
        message = _profile(profiles, item["profile"])
        if message:
            return message
    return None


def _check_generation(generation, profiles):
    """The first problem with ticket_generation, or None."""
    for path, value, check in _walk(generation, "ticket_generation", (
            ("create_duplicate_tickets", _OBJECT, (
                ("by_version", _OBJECT, (("build", _BOOL, ()), ("package", _BOOL, ()), ("release_bundle", _BOOL, ()))),)),
            ("impact_path_profiles_mapping", _OBJECT, (("include", _LIST, ()),)),
            ("create_tickets_for_ignored_violation", _BOOL, ()))):
        message = check(path, value)
        if message:
            return message
        if path.endswith(".include"):
            message = _check_include(value, profiles)
            if message:
                return message
    return None


def _walk(obj, prefix, schema):
    """(path, value, check) of each key of schema present in obj, parents before children.

    A child is only reached once its parent passed (the caller stops at the first problem).
    """
    for key, check, children in schema:
        if key not in obj:
            continue
        path = "%s.%s" % (prefix, key)
        yield path, obj[key], check
        if children and isinstance(obj[key], dict):
            yield from _walk(obj[key], path, children)


def check_ticketing(body, profiles):
    """The first problem with the ticketing fields of a watch body, or None."""
    if "create_ticket_enabled" in body:
        message = _BOOL("create_ticket_enabled", body["create_ticket_enabled"])
        if message:
            return message
    if "ticket_profile" in body:
        message = _STRING("ticket_profile", body["ticket_profile"])
        if message:
            return message
        if body["ticket_profile"] != "":
            message = _profile(profiles, body["ticket_profile"])
            if message:
                return message
    if "ticket_generation" in body:
        message = _OBJECT("ticket_generation", body["ticket_generation"])
        if message:
            return message
        return _check_generation(body["ticket_generation"], profiles)
    return None


def fill_defaults(value, defaults):
    """Add each key of defaults that value lacks (deep copies), recursing where both are objects."""
    for key, default in defaults.items():
        if key not in value:
            value[key] = copy.deepcopy(default)
        elif isinstance(default, dict) and isinstance(value[key], dict):
            fill_defaults(value[key], default)
    return value


def without_ticketing(watch):
    return dict((key, value) for key, value in watch.items() if key not in TICKETING_FIELDS)


def watch_view(watch, exact, config):
    """What GET returns for a stored watch."""
    if config.get("drop_ticketing_fields"):
        return without_ticketing(watch)
    if exact:
        return watch
    return fill_defaults(watch, TICKETING_DEFAULTS)


# --------------------------------------------------------------------------- API

def replacement(state, body, stored, name):
    """Return (the watch to store, None) for a PUT body, or (None, the 400 message)."""
    general = body.get("general_data", {})
    if not isinstance(general, dict):
        return None, "Invalid value for field general_data: must be an object"
    for key in READ_ONLY:
        if key in general:
            return None, MSG_READ_ONLY % ("general_data." + key)
    if state.config.get("drop_ticketing_fields"):
        # An Xray that knows no ticketing fields neither checks nor keeps them.
        body = without_ticketing(body)
    else:
        message = check_ticketing(body, state.jira_profiles)
        if message:
            return None, message
    old = stored.get("general_data") if isinstance(stored.get("general_data"), dict) else {}
    new_general = {}
    if "id" in old:
        new_general["id"] = old["id"]
    new_general.update(general)
    new_general["name"] = name
    if "project_key" in old:
        new_general["project_key"] = old["project_key"]
    watch = copy.deepcopy(body)
    watch["general_data"] = copy.deepcopy(new_general)
    return watch, None


ROUTES = (
    Route(("xray", "api", "v2", "watches", NAME),
          scoped_object_api("watches", MSG_NOT_FOUND, MSG_UPDATED,
                            lambda state, watch, exact: watch_view(watch, exact, state.config), replacement), None,
          {"GET": (READ_WATCHES, MANAGE_WATCHES), "PUT": (MANAGE_WATCHES,)}),
)


# --------------------------------------------------------------------------- seeding and control API

def watch_id(scope, name):
    """A stable id for a seeded watch without one (27 hex digits, as Xray's look)."""
    return hashlib.sha1(("%s/%s" % (scope or "", name)).encode("utf-8")).hexdigest()[:27]


def seed_watch(state, watch, project_key=None, exact=False):
    """Store watch as if made in the UI; return (scope, the stored watch).

    general_data.name is required. The scope is project_key, else general_data.project_key. Unless
    exact, general_data gains an id (when it has none) and, in a project, its project_key.
    """
    if not isinstance(watch, dict):
        raise ValueError("A watch must be a JSON object")
    general = watch.get("general_data")
    if not isinstance(general, dict) or not is_text(general.get("name")):
        raise ValueError("Field general_data.name must be a non-empty string")
    if not is_bool(exact):
        raise ValueError("exact must be a boolean")
    scope = seed_scope(general.get("project_key"), project_key)
    watch = copy.deepcopy(watch)
    if not exact:
        general = watch["general_data"]
        if "id" not in general:
            watch["general_data"] = general = dict([("id", watch_id(scope, general["name"]))] + list(general.items()))
        if scope is not None:
            general["project_key"] = scope
    state.watches.put(scope, watch["general_data"]["name"], watch, exact)
    return scope, watch


def ctl_get_profiles(state, _payload):
    return json_response(200, {"profiles": state.jira_profiles.snapshot()})


def ctl_set_profiles(state, payload):
    payload = require_object(payload)
    if set(payload) != {"profiles"} or not isinstance(payload["profiles"], list):
        raise ValueError("Expected {\"profiles\": [Jira profile names, non-empty strings]}")
    state.jira_profiles.set(check_profile_names(payload["profiles"]))
    return ctl_get_profiles(state, payload)


CONTROL_ROUTES = {
    "watches": scoped_object_controls("watch", "watches", seed_watch),
    "jira-profiles": {"GET": ctl_get_profiles, "PUT": ctl_set_profiles},
}

CONFIG = {
    # Shared with policies.py: an older Xray drops the ticketing fields of watches and of policy rules.
    "drop_ticketing_fields": (False, is_bool, "a boolean"),
}


def make_state():
    return {"watches": ScopedStore(), "jira_profiles": ProfileNames()}


# --------------------------------------------------------------------------- Python methods of XrayEmulator

class WatchMethods:
    """XrayEmulator's methods for watches and the Jira profile names."""

    state = None  # set by XrayEmulator

    @property
    def watches(self):
        """{(project key or None, name): the stored watch, exactly as stored}."""
        return self.state.watches.snapshot()

    def seed_watch(self, watch, project_key=None, exact=False):
        """Store a watch as if made in the UI (see seed_watch above); returns the stored watch."""
        return seed_watch(self.state, watch, project_key, exact)[1]

    def set_jira_profiles(self, names):
        """The Jira profile names that exist from now on (replaces the previous ones)."""
        self.state.jira_profiles.set(check_profile_names(names))

    @property
    def jira_profiles(self):
        """The declared Jira profile names, sorted."""
        return self.state.jira_profiles.snapshot()


RESOURCE = Resource("watches", ROUTES, CONTROL_ROUTES, CONFIG, make_state, WatchMethods)
