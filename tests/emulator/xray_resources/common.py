# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the emulator's core and its handler files share: answers, small checks, routes, roles, stores.

A handler file describes one resource with RESOURCE = Resource(...):
- routes: Route(pattern, methods, floor, permissions) tuples; pattern is a tuple of path segments
  with NAME for the one segment that carries a (percent-decoded once) name; methods maps an HTTP
  method to handler(state, req, name) -> Response; floor is the lowest Xray version (a tuple) that
  serves the route (below it: a plain-text 404), or None; permissions maps a method to the roles of
  which any one suffices (ANY_ROLE: any role at all); a method not named there needs an admin;
- control_routes: {key: {method: handler(state, payload) -> Response}} served under /_emulator/key;
  a handler raises ValueError for a 400;
- config: {key: (default, check, hint)}: behaviour switches read with state.config.get(key);
- make_state: () -> {attribute: object with clear()}: set on the shared state, cleared on reset;
- methods: a mixin class of XrayEmulator's Python methods for the resource (self.state is the state).
The request a handler gets has method, raw_path, path, query (dict), headers, body (bytes), json and
json_ok (whether the body parsed as JSON).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import copy
import json
import re
import threading
import time

MSG_MALFORMED = "Malformed JSON body"
MSG_NOT_OBJECT = "Request body must be a JSON object"

# Roles a non-admin token can hold (Xray's permission names); routes name the ones they need.
READ_WATCHES = "Read Watches"
MANAGE_WATCHES = "Manage Watches"
READ_POLICIES = "Read Policies"
MANAGE_POLICIES = "Manage Policies"
ANY_ROLE = "*"  # in a route's permissions: any role at all will do (for what every user may read)


# --------------------------------------------------------------------------- responses

# trickle: None, or {"chunk": bytes, "interval": seconds}: the body is written in chunks with a sleep between them.
Response = collections.namedtuple("Response", "status body content_type headers trickle", defaults=(None,))


def json_response(status, payload, headers=None):
    return Response(status, json.dumps(payload).encode("utf-8"), "application/json", dict(headers or {}))


def error(status, message, headers=None):
    return json_response(status, {"error": message}, headers)


def page_not_found():
    # What an Xray without the ticketing API answers: Go's router text, not the API's JSON.
    return Response(404, b"404 page not found", "text/plain; charset=utf-8", {})


def with_headers(response, headers):
    if not headers:
        return response
    merged = dict(response.headers)
    merged.update(headers)
    return response._replace(headers=merged)


# --------------------------------------------------------------------------- small checks

def parse_version(text):
    """Return '3.131.11' as (3, 131, 11); None when the text does not start with a dotted number."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", str(text))
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def is_text(value):
    return isinstance(value, str) and value != ""


def is_bool(value):
    return isinstance(value, bool)


def parse_json(raw):
    """Return (value, ok); bytes that are not UTF-8 JSON give (None, False)."""
    try:
        return json.loads(raw.decode("utf-8")), True
    except (UnicodeDecodeError, ValueError):
        return None, False


def json_object_body(req):
    """Return (object, None) or (None, the 400 response)."""
    if not req.json_ok:
        return None, error(400, MSG_MALFORMED)
    if not isinstance(req.json, dict):
        return None, error(400, MSG_NOT_OBJECT)
    return req.json, None


def require_object(payload):
    """A control-API payload that must be a JSON object; raise ValueError (a 400) otherwise."""
    if not isinstance(payload, dict):
        raise ValueError(MSG_NOT_OBJECT)
    return payload


def timestamp(when=None):
    """Xray's time format with milliseconds, UTC: 2024-05-01T10:20:30.456Z."""
    when = time.time() if when is None else when
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)), int(when * 1000) % 1000)


# --------------------------------------------------------------------------- resources

NAME = "{name}"  # placeholder for the one path segment that carries a name
Route = collections.namedtuple("Route", "pattern methods floor permissions", defaults=(None,))
Resource = collections.namedtuple("Resource", "name routes control_routes config make_state methods")


def project_scope(req):
    """The project a request addresses (?projectKey=K), or None for the global scope (absent or empty)."""
    return req.query.get("projectKey") or None


class ScopedStore:
    """Objects by (project key or None, name), deep-copied in and out; each with an `exact` flag.

    The flag says the object was seeded to be returned exactly as stored (no defaults filled in).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._items = {}

    def put(self, scope, name, obj, exact=False):
        with self._lock:
            self._items[(scope, name)] = (copy.deepcopy(obj), bool(exact))

    def replace(self, scope, name, obj):
        """Store obj in place of an existing object (no longer exact); False when there is none."""
        with self._lock:
            if (scope, name) not in self._items:
                return False
            self._items[(scope, name)] = (copy.deepcopy(obj), False)
            return True

    def get(self, scope, name):
        """(a copy of the object, exact) or None."""
        with self._lock:
            item = self._items.get((scope, name))
            return None if item is None else (copy.deepcopy(item[0]), item[1])

    def snapshot(self):
        """{(scope, name): object}."""
        with self._lock:
            return dict((key, copy.deepcopy(item[0])) for key, item in self._items.items())

    def entries(self):
        """[{"project_key", "name", "exact", "object"}], global scope first, then by project key and name."""
        with self._lock:
            items = sorted(self._items.items(), key=lambda pair: (pair[0][0] is not None, pair[0][0] or "", pair[0][1]))
            return [{"project_key": scope, "name": name, "exact": exact, "object": copy.deepcopy(obj)}
                    for (scope, name), (obj, exact) in items]

    def clear(self):
        with self._lock:
            self._items.clear()


def seed_scope(own_project_key, project_key):
    """The scope of a seeded object: project_key, else the object's own project key; raise ValueError on a mismatch."""
    if project_key is not None and not is_text(project_key):
        raise ValueError("project_key must be a non-empty string, or null for the global scope")
    inner = own_project_key if is_text(own_project_key) else None
    if project_key is not None and inner is not None and inner != project_key:
        raise ValueError("project_key %r and the object's own project key %r disagree" % (project_key, inner))
    return project_key or inner


# --------------------------------------------------------------------------- objects kept per scope (v2)

def scoped_object_api(plural, not_found, updated, view, replacement):
    """{"GET": ..., "PUT": ...} handlers of one object kept per project scope, written by full replace.

    plural: the state's ScopedStore attribute ("watches", "policies"); not_found / updated: Xray's texts;
    view(state, stored, exact): what GET returns; replacement(state, body, stored, name): (the object to
    store, None), or (None, the text of a 400).
    """
    def api_get(state, req, name):
        found = getattr(state, plural).get(project_scope(req), name)
        if found is None:
            return error(404, not_found)
        return json_response(200, view(state, *found))

    def api_put(state, req, name):
        body, problem = json_object_body(req)
        if problem:
            return problem
        scope = project_scope(req)
        store = getattr(state, plural)
        found = store.get(scope, name)
        if found is None:
            return error(404, not_found)
        stored, message = replacement(state, body, found[0], name)
        if message:
            return error(400, message)
        if not store.replace(scope, name, stored):
            return error(404, not_found)  # reset meanwhile
        return json_response(200, {"info": updated})

    return {"GET": api_get, "PUT": api_put}


def scoped_object_controls(key, plural, seed):
    """{"GET": list, "POST": seed} of the control API for objects kept per scope.

    key: the object's name in the control API's JSON ("watch"); seed(state, obj, project_key, exact)
    -> (scope, stored object).
    """
    def ctl_list(state, _payload):
        return json_response(200, {plural: [
            {"project_key": entry["project_key"], "name": entry["name"], "exact": entry["exact"], key: entry["object"]}
            for entry in getattr(state, plural).entries()]})

    def ctl_seed(state, payload):
        payload = require_object(payload)
        unknown = set(payload) - {key, "project_key", "exact"}
        if unknown or key not in payload:
            raise ValueError("Expected {\"%s\": a %s object, \"project_key\": optional string, \"exact\": optional "
                             "bool}" % (key, key))
        scope, stored = seed(state, payload[key], payload.get("project_key"), payload.get("exact", False))
        return json_response(200, {"project_key": scope, key: stored})

    return {"GET": ctl_list, "POST": ctl_seed}
