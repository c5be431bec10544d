# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jira integrations (/xray/api/v1/ticketing/jira-integrations), their status check, and /system/version.

Xray's API of 3.129+ (the status check: 3.136+): create, partial update, delete, details without the
password; the Jira each integration connects to (one accepted password per Jira URL) and the health
the status check reports. Control API: /_emulator/integrations, /_emulator/health, /_emulator/jira.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from .common import (ANY_ROLE, NAME, Resource, Route, error, is_bool, is_text, json_object_body, json_response,
                     require_object)

CRUD_FLOOR = (3, 129)
STATUS_FLOOR = (3, 136)

MSG_CREATED = "Integration has been successfully created"
MSG_UPDATED = "Integration has been successfully updated"
MSG_DELETED = "Integration has been successfully deleted"
MSG_NO_INTEGRATION = "No integration found with the given connection name"
MSG_DETAILS_NOT_FOUND = "Integration not found"
MSG_CONNECT_FAILED = ("We were not able to connect to your Jira based on the credentials you provided, "
                      "please check all the values and try again.")

HEALTH_REASONS = {
    "HEALTHY_INTEGRATION": "Integration is healthy and operational.",
    "FAULTY_CONFIGURATION": "The system is unable to connect to Jira.",
    "INTEGRATION_NOT_FOUND": "Integration not found",
    "INTERNAL_SERVER_ERROR": "Internal server error",
}
HEALTHY = "HEALTHY_INTEGRATION"

RECORD_FIELDS = ("connection_name", "auth_type", "username", "password", "installation_type", "jira_server_url", "skip_proxy")
SEED_DEFAULTS = {"auth_type": "basic", "username": "", "password": "", "installation_type": "cloud",
                 "jira_server_url": "", "skip_proxy": False}


# --------------------------------------------------------------------------- small checks

def is_http_url(value):
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def normalize_url(url):
    """A Jira URL as the module compares it: scheme and host case and a trailing slash don't count."""
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # not a URL at all: compared as text
        return text
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, parts.fragment))


def is_jira_account(url, password):
    """A Jira URL (scheme and host in any case) and the password it accepts: non-empty text, or None for any."""
    return isinstance(url, str) and is_http_url(normalize_url(url)) and (password is None or is_text(password))


# --------------------------------------------------------------------------- field validation

FIELD_RULES = (
    ("connection_name", is_text, "must be a non-empty string"),
    ("auth_type", lambda value: value == "basic", "must be 'basic', the only value the API accepts"),
    ("username", is_text, "must be a non-empty string"),
    ("password", is_text, "must be a non-empty string"),
    ("installation_type", lambda value: value in ("cloud", "server"), "must be 'cloud' or 'server'"),
    ("jira_server_url", is_http_url, "must be an http or https URL"),
    ("skip_proxy", is_bool, "must be a boolean"),
)
CREATE_MANDATORY = frozenset(RECORD_FIELDS) - {"skip_proxy"}


def validate_fields(body, mandatory):
    """Return an error message naming the first bad field, or None."""
    for field, check, hint in FIELD_RULES:
        if field not in body:
            if field in mandatory:
                return "Missing mandatory field: %s" % field
            continue
        if not check(body[field]):
            return "Invalid value for field %s: %s" % (field, hint)
    return None


def pick_record_fields(body):
    return dict((field, body[field]) for field in RECORD_FIELDS if field in body)


def update_changes(body, name):
    """Return (changes, None) for a valid update body, or (None, message)."""
    body = dict(body)
    if "authType" in body:
        alias = body.pop("authType")
        if "auth_type" in body and body["auth_type"] != alias:
            return None, "Fields auth_type and authType disagree"
        body["auth_type"] = alias
    message = validate_fields(body, ("connection_name",))
    if message:
        return None, message
    if body["connection_name"] != name:
        return None, "Field connection_name must equal the connection name in the URL path"
    changes = pick_record_fields(body)
    del changes["connection_name"]
    return changes, None


# --------------------------------------------------------------------------- state

class IntegrationStore:
    """Integrations by name, password included, plus the health the status endpoint reports."""

    def __init__(self):
        self._lock = threading.Lock()
        self._records = {}
        self._health = {}

    def create(self, record):
        with self._lock:
            if record["connection_name"] in self._records:
                return False
            self._records[record["connection_name"]] = dict(record)
            return True

    def seed(self, record):
        with self._lock:
            self._records[record["connection_name"]] = dict(record)

    def update(self, name, changes):
        with self._lock:
            if name not in self._records:
                return False
            self._records[name].update(changes)
            return True

    def delete(self, name):
        with self._lock:
            return self._records.pop(name, None) is not None

    def get(self, name):
        with self._lock:
            record = self._records.get(name)
            return dict(record) if record is not None else None

    def snapshot(self):
        with self._lock:
            return copy.deepcopy(self._records)

    def set_health(self, name, status, reason=None):
        if reason is None:
            reason = HEALTH_REASONS.get(status, "")
        with self._lock:
            self._health[name] = {"status": status, "reason": reason}

    def health(self, name):
        with self._lock:
            entry = self._health.get(name)
        if entry is None:
            return HEALTHY, HEALTH_REASONS[HEALTHY]
        return entry["status"], entry["reason"]

    def explicit_health(self, name):
        """(status, reason) set through the control API for name, else None."""
        with self._lock:
            entry = self._health.get(name)
        return None if entry is None else (entry["status"], entry["reason"])

    def health_snapshot(self):
        with self._lock:
            return copy.deepcopy(self._health)

    def clear(self):
        with self._lock:
            self._records.clear()
            self._health.clear()


class JiraAccounts:
    """The Jira instances the integrations connect to: the one password each accepts, by normalised URL.

    A URL without an accepted password accepts any (the emulator's behaviour before Jira was modelled).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._passwords = {}

    def set_password(self, url, password):
        """Accept only password at url from now on (None: accept any again)."""
        with self._lock:
            if password is None:
                self._passwords.pop(normalize_url(url), None)
            else:
                self._passwords[normalize_url(url)] = password

    def accepts(self, url, password):
        """Whether Jira at url would let Xray in with password."""
        with self._lock:
            accepted = self._passwords.get(normalize_url(url))
        return accepted is None or password == accepted

    def snapshot(self):
        with self._lock:
            return dict(self._passwords)

    def clear(self):
        with self._lock:
            self._passwords.clear()


# --------------------------------------------------------------------------- API

def api_create(state, req, _name):
    body, problem = json_object_body(req)
    if problem:
        return problem
    message = validate_fields(body, CREATE_MANDATORY)
    if message:
        return error(400, message)
    record = pick_record_fields(body)
    record.setdefault("skip_proxy", False)
    exists = error(400, "Integration with connection name %s already exists" % record["connection_name"])
    if state.store.get(record["connection_name"]) is not None:
        return exists
    if state.config.get("jira_connection_fails") or not state.jira.accepts(record["jira_server_url"], record["password"]):
        return error(400, MSG_CONNECT_FAILED)
    if not state.store.create(record):
        return exists
    return json_response(200, {"info": MSG_CREATED})


def api_update(state, req, name):
    body, problem = json_object_body(req)
    if problem:
        return problem
    changes, message = update_changes(body, name)
    if message:
        return error(400, message)
    current = state.store.get(name)
    if current is None:
        return error(404, MSG_NO_INTEGRATION)
    # Xray tests the connection with what it would store: the body's values, else the stored ones.
    resulting = dict(current, **changes)
    if state.config.get("jira_connection_fails") or not state.jira.accepts(resulting.get("jira_server_url"),
                                                                           resulting.get("password")):
        return error(400, MSG_CONNECT_FAILED)
    if not state.store.update(name, changes):
        return error(404, MSG_NO_INTEGRATION)
    return json_response(200, {"info": MSG_UPDATED})


def api_delete(state, _req, name):
    if not state.store.delete(name):
        return error(404, MSG_NO_INTEGRATION)
    return json_response(200, {"info": MSG_DELETED})


def details_view(record, config):
    view = {"auth_type": record.get("auth_type"), config["details_name_field"]: record["connection_name"],
            "jira_server_url": record.get("jira_server_url"), "username": record.get("username"),
            "installation_type": record.get("installation_type")}
    if not config["omit_skip_proxy"]:
        view["skip_proxy"] = record.get("skip_proxy", False)
    return view


def api_details(state, _req, name):
    record = state.store.get(name)
    if record is None:
        return error(404, MSG_DETAILS_NOT_FOUND)
    return json_response(200, details_view(record, state.config.snapshot()))


def status_body(name, status, reason):
    return {"status": status, "reason": reason, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "integration_name": name}


def api_status(state, req, _name):
    name = req.query.get("integrationName")
    if not name:
        return error(400, "Missing mandatory query parameter: integrationName")
    record = state.store.get(name)
    if record is None:
        return json_response(404, status_body(name, "INTEGRATION_NOT_FOUND", HEALTH_REASONS["INTEGRATION_NOT_FOUND"]))
    return json_response(200, status_body(name, *integration_health(state, record)))


def integration_health(state, record):
    """(status, reason): a health set through the control API wins; else whether Jira takes the stored password."""
    explicit = state.store.explicit_health(record["connection_name"])
    if explicit is not None:
        return explicit
    if state.jira.accepts(record.get("jira_server_url"), record.get("password")):
        return HEALTHY, HEALTH_REASONS[HEALTHY]
    return "FAULTY_CONFIGURATION", HEALTH_REASONS["FAULTY_CONFIGURATION"]


def api_version(state, _req, _name):
    return json_response(200, {"xray_version": state.config.get("xray_version"), "xray_revision": "emulator"})


# --------------------------------------------------------------------------- routes

_BASE = ("xray", "api", "v1")
_INTEGRATIONS = _BASE + ("ticketing", "jira-integrations")
ROUTES = (
    Route(_INTEGRATIONS, {"POST": api_create}, CRUD_FLOOR),
    Route(_INTEGRATIONS + (NAME,), {"PUT": api_update, "DELETE": api_delete}, CRUD_FLOOR),
    Route(_INTEGRATIONS + (NAME, "details"), {"GET": api_details}, CRUD_FLOOR),
    Route(_BASE + ("ticketing", "integrations", "status", "check"), {"GET": api_status}, STATUS_FLOOR),
    # Any user may read the version: an admin, or a token with any role (not the role-less reader).
    Route(_BASE + ("system", "version"), {"GET": api_version}, None, {"GET": (ANY_ROLE,)}),
)


# --------------------------------------------------------------------------- control API

def ctl_get_integrations(state, _payload):
    return json_response(200, {"integrations": state.store.snapshot()})


def seed_record(payload):
    if not is_text(payload.get("connection_name")):
        raise ValueError("Field connection_name must be a non-empty string")
    record = dict(SEED_DEFAULTS)
    record.update(payload)
    return record


def ctl_seed(state, payload):
    record = seed_record(require_object(payload))
    state.store.seed(record)
    return json_response(200, {"integration": record})


def ctl_get_health(state, _payload):
    return json_response(200, {"health": state.store.health_snapshot()})


def ctl_set_health(state, payload):
    payload = require_object(payload)
    name, status, reason = payload.get("integration_name"), payload.get("status"), payload.get("reason")
    if not is_text(name) or not is_text(status) or not (reason is None or isinstance(reason, str)):
        raise ValueError("Expected {\"integration_name\": str, \"status\": str, \"reason\": optional str}")
    state.store.set_health(name, status, reason)
    return json_response(200, {"health": state.store.health_snapshot()})


def ctl_get_jira(state, _payload):
    return json_response(200, {"jira": state.jira.snapshot()})


def ctl_set_jira(state, payload):
    payload = require_object(payload)
    url, password = payload.get("jira_server_url"), payload.get("password")
    if set(payload) != {"jira_server_url", "password"} or not is_jira_account(url, password):
        raise ValueError("Expected {\"jira_server_url\": an http(s) URL, \"password\": a non-empty string, or null "
                         "to accept any}")
    state.jira.set_password(url, password)
    return ctl_get_jira(state, payload)


CONTROL_ROUTES = {
    "integrations": {"GET": ctl_get_integrations, "POST": ctl_seed},
    "health": {"GET": ctl_get_health, "POST": ctl_set_health},
    "jira": {"GET": ctl_get_jira, "PUT": ctl_set_jira},
}

CONFIG = {
    "details_name_field": ("connection_name", lambda value: value in ("connection_name", "integrationName"),
                           "'connection_name' or 'integrationName'"),
    "omit_skip_proxy": (False, is_bool, "a boolean"),
    "jira_connection_fails": (False, is_bool, "a boolean"),
}


def make_state():
    return {"store": IntegrationStore(), "jira": JiraAccounts()}


# --------------------------------------------------------------------------- Python methods of XrayEmulator

class JiraIntegrationMethods:
    """XrayEmulator's methods for integrations, their health and the Jira behind them."""

    state = None  # set by XrayEmulator

    @property
    def integrations(self):
        return self.state.store.snapshot()

    def seed(self, record=None, **fields):
        record = seed_record(dict(record or {}, **fields))
        self.state.store.seed(record)
        return record

    def set_health(self, integration_name, status, reason=None):
        self.state.store.set_health(integration_name, status, reason)

    def set_jira_password(self, jira_server_url, password):
        """The one password Jira at that URL accepts from now on (None: any), as a Jira admin revoking a token."""
        if not is_jira_account(jira_server_url, password):
            raise ValueError("set_jira_password needs an http(s) URL and a non-empty password (or None)")
        self.state.jira.set_password(jira_server_url, password)

    @property
    def jira_passwords(self):
        """{normalised Jira URL: the password it accepts}."""
        return self.state.jira.snapshot()


RESOURCE = Resource("jira_integrations", ROUTES, CONTROL_ROUTES, CONFIG, make_state, JiraIntegrationMethods)
