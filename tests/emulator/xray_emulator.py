# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test emulator of the JFrog Xray REST API: Jira integrations (v1), watches and policies (v2).

Standard library only.  Run it as a program (``--help``) or in-process through ``XrayEmulator``.
This file is the server core: HTTP(S) and mutual TLS, authentication and roles, the request log,
fault rules, the control API under ``/_emulator/``, the version switch and the command line. The
resources are described in xray_resources/ (one handler file each); the core routes to them by path
and knows none of their fields. See tests/emulator/README.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import base64
import binascii
import collections
import copy
import json
import os
import re
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from urllib.parse import parse_qsl, unquote

# The handler files are a package beside this file: relative to it when this file is imported as part of
# the collection (ansible_collections.frogops.xray.tests.emulator), else from this file's folder
# (run as a program, or imported with tests/emulator on sys.path).
if __package__:
    from .xray_resources import common, jira_integrations, policies, watches
else:
    from xray_resources import common, jira_integrations, policies, watches

# The resources this emulator serves, in routing order.
RESOURCES = (jira_integrations.RESOURCE, watches.RESOURCE, policies.RESOURCE)

DEFAULT_XRAY_VERSION = "3.140.0"
DEFAULT_ADMIN_TOKENS = ("emulator-admin-token",)
DEFAULT_READER_TOKENS = ("emulator-reader-token",)
DEFAULT_USERS = {
    "admin": ("emulator-admin-password", True),
    "reader": ("emulator-reader-password", False),
}
# Non-admin tokens with roles: what each may do is named by the routes (xray_resources/).
WATCH_READER_ROLES = (common.READ_WATCHES, common.READ_POLICIES)
WATCH_MANAGER_ROLES = (common.READ_WATCHES, common.MANAGE_WATCHES, common.READ_POLICIES, common.MANAGE_POLICIES)
DEFAULT_ROLE_TOKENS = {
    "emulator-watch-reader-token": WATCH_READER_ROLES,
    "emulator-watch-manager-token": WATCH_MANAGER_ROLES,
}

MAX_BODY = 1024 * 1024
# Long enough for one Ansible task to reuse its connection, short enough to reap abandoned ones.
IDLE_TIMEOUT = 120.0
CONTROL_PREFIX = "/_emulator/"

# Shared helpers, still importable from this module as before the split.
Response = common.Response
json_response = common.json_response
error = common.error
page_not_found = common.page_not_found
with_headers = common.with_headers
parse_version = common.parse_version
is_text = common.is_text
is_bool = common.is_bool
parse_json = common.parse_json
json_object_body = common.json_object_body
MSG_MALFORMED = common.MSG_MALFORMED
NAME = common.NAME
Route = common.Route
# The Jira-integration names callers use (tests/e2e: details_view).
details_view = jira_integrations.details_view
seed_record = jira_integrations.seed_record
normalize_url = jira_integrations.normalize_url
HEALTH_REASONS = jira_integrations.HEALTH_REASONS


# --------------------------------------------------------------------------- state

class LockedList:
    """An append-only list that threads can share; maxlen bounds it (None: unbounded)."""

    def __init__(self, maxlen=None):
        self._lock = threading.Lock()
        self._items = collections.deque(maxlen=maxlen)

    def append(self, item):
        with self._lock:
            self._items.append(item)

    def snapshot(self):
        with self._lock:
            return copy.deepcopy(list(self._items))

    def clear(self):
        with self._lock:
            self._items.clear()


def _config_specs():
    """{key: (default, check, hint)}: the core's xray_version, then each resource's switches."""
    specs = collections.OrderedDict()
    specs["xray_version"] = (DEFAULT_XRAY_VERSION,
                             lambda value: isinstance(value, str) and parse_version(value) is not None,
                             "a dotted version string such as 3.140.0")
    for resource in RESOURCES:
        for key, spec in resource.config.items():
            if key in specs and specs[key][0] != spec[0]:
                raise AssertionError("config key %s: resources disagree on its default" % key)
            specs.setdefault(key, spec)
    return specs


CONFIG_SPECS = _config_specs()


class Config:
    """The behaviour switches; reset() returns to what the emulator was started with."""

    def __init__(self, xray_version):
        self._lock = threading.Lock()
        self._defaults = dict((key, spec[0]) for key, spec in CONFIG_SPECS.items())
        self._defaults["xray_version"] = xray_version
        self._values = dict(self._defaults)

    def get(self, key):
        with self._lock:
            return self._values[key]

    def snapshot(self):
        with self._lock:
            return dict(self._values)

    def update(self, changes):
        """Apply changes all or nothing; raise ValueError naming the first bad key."""
        for key, value in changes.items():
            if key not in CONFIG_SPECS:
                raise ValueError("Unknown config key: %s" % key)
            _default, check, hint = CONFIG_SPECS[key]
            if not check(value):
                raise ValueError("Config key %s must be %s" % (key, hint))
        with self._lock:
            self._values.update(changes)
            return dict(self._values)

    def reset(self):
        with self._lock:
            self._values = dict(self._defaults)


# --------------------------------------------------------------------------- faults

def _valid_regex(value):
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _is_header_map(value):
    return isinstance(value, dict) and all(isinstance(key, str) and isinstance(item, (str, int, float))
                                           for key, item in value.items())


def _is_trickle(value):
    return isinstance(value, dict) and set(value) == {"chunk", "interval"} and _is_int(value["chunk"]) \
        and value["chunk"] > 0 and _is_number(value["interval"])


FAULT_CHECKS = {
    "method": (is_text, "a method name"),
    "path_regex": (_valid_regex, "a valid regular expression"),
    "times": (_is_int, "an integer (negative: forever)"),
    "status": (lambda value: _is_int(value) and 100 <= value <= 599, "an HTTP status code"),
    "body": (lambda value: isinstance(value, str), "a string"),
    "content_type": (is_text, "a string"),
    "headers": (_is_header_map, "an object of header names to values"),
    "delay": (_is_number, "a number of seconds"),
    "drop": (is_bool, "a boolean"),
    "apply_then_continue": (is_bool, "a boolean"),
    "trickle": (_is_trickle, 'an object {"chunk": bytes (an integer above 0), "interval": seconds (a number)}'),
}


def normalize_fault(rule):
    """Return a checked copy of a fault rule with defaults filled in; raise ValueError."""
    if not isinstance(rule, dict):
        raise ValueError("A fault rule must be a JSON object")
    for key, value in rule.items():
        if key not in FAULT_CHECKS:
            raise ValueError("Unknown fault key: %s" % key)
        check, hint = FAULT_CHECKS[key]
        if not check(value):
            raise ValueError("Fault key %s must be %s" % (key, hint))
    fault = dict(rule)
    fault.setdefault("times", 1)
    fault.setdefault("content_type", "application/json")
    if "method" in fault:
        fault["method"] = fault["method"].upper()
    if "headers" in fault:
        fault["headers"] = dict((key, str(value)) for key, value in fault["headers"].items())
    return fault


def fault_matches(fault, method, raw_path):
    if "method" in fault and fault["method"] != method:
        return False
    return "path_regex" not in fault or re.search(fault["path_regex"], raw_path) is not None


class FaultQueue:
    """Rules tried in order; the first match is used up one time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def add(self, rules):
        checked = [normalize_fault(rule) for rule in rules]
        with self._lock:
            self._rules.extend(checked)

    def take(self, method, raw_path):
        with self._lock:
            for index, fault in enumerate(self._rules):
                if fault_matches(fault, method, raw_path):
                    return self._use(index, fault)
        return None

    def _use(self, index, fault):
        if fault["times"] > 0:
            fault["times"] -= 1
            if fault["times"] == 0:
                del self._rules[index]
        return copy.deepcopy(fault)

    def snapshot(self):
        with self._lock:
            return copy.deepcopy(self._rules)

    def clear(self):
        with self._lock:
            del self._rules[:]


def fault_response(fault):
    if "body" in fault:
        body = fault["body"].encode("utf-8")
    elif fault["content_type"].startswith("application/json"):
        body = json.dumps({"error": "Emulated fault"}).encode("utf-8")
    else:
        body = b""
    return Response(fault["status"], body, fault["content_type"], dict(fault.get("headers", {})))


# --------------------------------------------------------------------------- authentication

BAD_TOKEN = {"error": "Found invalid token"}
BAD_CREDENTIALS = {"errors": [{"status": 401, "message": "Bad credentials"}]}


def known_roles():
    """The roles the resources' routes name: what a role token may hold."""
    roles = set()
    for resource in RESOURCES:
        for route in resource.routes:
            for needed in (route.permissions or {}).values():
                roles.update(role for role in needed if role != common.ANY_ROLE)
    return roles


def check_role_tokens(role_tokens):
    """{token: frozenset of roles}; raise ValueError naming an unknown role."""
    roles = known_roles()
    checked = {}
    for token, held in role_tokens.items():
        if not is_text(token) or isinstance(held, str):
            raise ValueError("role tokens map a token to a list of roles")
        unknown = sorted(set(held) - roles)
        if unknown:
            raise ValueError("unknown role %r (known: %s)" % (unknown[0], ", ".join(sorted(roles))))
        checked[token] = frozenset(held)
    return checked


class Credentials:
    """Who may call the API: bearer tokens and basic users, each admin or not, and tokens with roles.

    An admin may do everything. A non-admin may use a route method only when the route names a role
    it holds (common.ANY_ROLE: any role); the reader tokens and non-admin users hold none.
    """

    def __init__(self, admin_tokens=None, reader_tokens=None, users=None, role_tokens=None):
        self.admin_tokens = frozenset(DEFAULT_ADMIN_TOKENS if admin_tokens is None else admin_tokens)
        self.reader_tokens = frozenset(DEFAULT_READER_TOKENS if reader_tokens is None else reader_tokens)
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.role_tokens = check_role_tokens(DEFAULT_ROLE_TOKENS if role_tokens is None else role_tokens)

    def check(self, header, needed=None):
        """Return None when the caller may go on, else the 401/403 response to send.

        needed: the roles of which any one suffices (None or empty: only an admin may).
        """
        scheme, _sep, value = (header or "").strip().partition(" ")
        if scheme.lower() == "basic":
            identity = self._basic_identity(value.strip())
            if identity is None:
                return json_response(401, BAD_CREDENTIALS)
        else:
            identity = self._token_identity(value.strip() if scheme.lower() == "bearer" else None)
            if identity is None:
                return json_response(401, BAD_TOKEN)
        is_admin, roles = identity
        if is_admin:
            return None
        needed = tuple(needed or ())
        if roles and (common.ANY_ROLE in needed or roles.intersection(needed)):
            return None
        named = [role for role in needed if role != common.ANY_ROLE]
        if named:
            return error(403, "Missing permission: %s" % named[0])
        return error(403, "Permission denied")

    def _token_identity(self, token):
        """(is admin, roles) of a bearer token, or None for an unknown one."""
        if token in self.admin_tokens:
            return True, frozenset()
        if token in self.role_tokens:
            return False, self.role_tokens[token]
        if token in self.reader_tokens:
            return False, frozenset()
        return None

    def _basic_identity(self, value):
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        user, _sep, password = decoded.partition(":")
        entry = self.users.get(user)
        if entry is None or entry[0] != password:
            return None
        return bool(entry[1]), frozenset()


class EmulatorState:
    """Everything the handlers share: the log, faults, config, credentials and each resource's state.

    Each resource's make_state() names its attributes (jira_integrations: store, jira; watches:
    watches, jira_profiles; policies: policies); reset() clears them.
    """

    def __init__(self, xray_version, credentials):
        self._resource_state = []
        for resource in RESOURCES:
            for attribute, value in resource.make_state().items():
                if hasattr(self, attribute):
                    raise AssertionError("two resources name the state attribute %s" % attribute)
                setattr(self, attribute, value)
                self._resource_state.append(value)
        self.log = LockedList()
        self.faults = FaultQueue()
        self.config = Config(xray_version)
        self.credentials = credentials
        self.errors = LockedList(maxlen=200)

    def reset(self):
        for value in self._resource_state:
            value.clear()
        self.log.clear()
        self.faults.clear()
        self.config.reset()


# --------------------------------------------------------------------------- API requests

class ApiRequest:
    """One request as received: the raw path is kept as sent, never normalised."""

    def __init__(self, method, raw_path, headers, body, client):
        self.method = method
        self.raw_path = raw_path
        self.path, _sep, query_string = raw_path.partition("?")
        self.query = dict(parse_qsl(query_string, keep_blank_values=True))
        self.headers = headers
        self.body = body
        self.json, self.json_ok = parse_json(body) if body else (None, False)
        self.client = list(client[:2])
        self.time = time.time()

    def log_entry(self, status):
        return {"method": self.method, "path": self.raw_path, "query": self.query,
                "headers": dict(self.headers.items()), "body": self.body.decode("utf-8", "replace"),
                "json": self.json, "client": self.client, "status": status, "time": self.time}


# --------------------------------------------------------------------------- routing

ROUTES = tuple(route for resource in RESOURCES for route in resource.routes)


def _match(pattern, segments):
    """Return (True, decoded name or None) when the raw segments fit the pattern."""
    if len(pattern) != len(segments):
        return False, None
    name = None
    for expected, segment in zip(pattern, segments):
        if expected == NAME:
            if not segment:
                return False, None
            # Decoded exactly once: '%252F' stays '%2F', '%2F' becomes '/' inside the one segment.
            name = unquote(segment, encoding="utf-8")
        elif expected != segment:
            return False, None
    return True, name


def match_route(path):
    segments = path.split("/")[1:]
    for route in ROUTES:
        matched, name = _match(route.pattern, segments)
        if matched:
            return route, name
    return None, None


def process_api(state, req):
    route, name = match_route(req.path)
    if route is None:
        return error(404, "Not found")
    if route.floor and parse_version(state.config.get("xray_version")) < route.floor:
        return page_not_found()
    handler = route.methods.get(req.method)
    if handler is None:
        return error(405, "Method not allowed", {"Allow": ", ".join(sorted(route.methods))})
    denied = state.credentials.check(req.headers.get("Authorization"), (route.permissions or {}).get(req.method))
    if denied is not None:
        return denied
    return handler(state, req, name)


def answer_api(state, req):
    """Return the response to send, or None to drop the connection unanswered."""
    fault = state.faults.take(req.method, req.raw_path)
    if fault is None:
        return process_api(state, req)
    if fault.get("delay"):
        time.sleep(fault["delay"])
    if fault.get("apply_then_continue") and (fault.get("drop") or "status" in fault):
        # The change lands, only the answer is lost or replaced.
        process_api(state, req)
    if fault.get("drop"):
        return None
    if "status" in fault:
        response = fault_response(fault)
    else:
        response = with_headers(process_api(state, req), fault.get("headers"))
    # A slow server: the whole answer (Content-Length included) is decided now, only its body comes slowly.
    return response._replace(trickle=fault.get("trickle"))


# --------------------------------------------------------------------------- control plane

def ctl_get_requests(state, _payload):
    return json_response(200, {"requests": state.log.snapshot()})


def ctl_clear_requests(state, _payload):
    state.log.clear()
    return json_response(200, {"requests": []})


def ctl_reset(state, _payload):
    state.reset()
    return json_response(200, {"info": "Emulator reset"})


def ctl_get_config(state, _payload):
    return json_response(200, state.config.snapshot())


def ctl_patch_config(state, payload):
    return json_response(200, state.config.update(common.require_object(payload)))


def ctl_get_faults(state, _payload):
    return json_response(200, {"faults": state.faults.snapshot()})


def ctl_add_faults(state, payload):
    payload = common.require_object(payload)
    state.faults.add(payload["faults"] if "faults" in payload and isinstance(payload["faults"], list) else [payload])
    return ctl_get_faults(state, payload)


def ctl_clear_faults(state, payload):
    state.faults.clear()
    return ctl_get_faults(state, payload)


def ctl_get_errors(state, _payload):
    return json_response(200, {"errors": state.errors.snapshot()})


def _control_routes():
    routes = {
        "requests": {"GET": ctl_get_requests, "DELETE": ctl_clear_requests},
        "reset": {"POST": ctl_reset},
        "config": {"GET": ctl_get_config, "PATCH": ctl_patch_config},
        "faults": {"GET": ctl_get_faults, "POST": ctl_add_faults, "DELETE": ctl_clear_faults},
        "errors": {"GET": ctl_get_errors},
    }
    for resource in RESOURCES:
        for key, methods in resource.control_routes.items():
            if key in routes:
                raise AssertionError("two control routes named %s" % key)
            routes[key] = methods
    return routes


CONTROL_ROUTES = _control_routes()


def control_response(state, method, raw_path, body):
    key = raw_path.partition("?")[0][len(CONTROL_PREFIX):].strip("/")
    methods = CONTROL_ROUTES.get(key)
    if methods is None:
        return error(404, "Not found")
    handler = methods.get(method)
    if handler is None:
        return error(405, "Method not allowed", {"Allow": ", ".join(sorted(methods))})
    payload, ok = parse_json(body) if body else ({}, True)
    if not ok:
        return error(400, MSG_MALFORMED)
    try:
        return handler(state, payload)
    except ValueError as exc:
        return error(400, str(exc))


# --------------------------------------------------------------------------- HTTP plumbing

class BodyError(Exception):
    """The request body cannot be framed; answer with this status and close."""

    def __init__(self, status, message):
        super(BodyError, self).__init__(message)
        self.status = status


class ClientGone(Exception):
    """The client closed the connection before sending its whole request."""


def _read_exact(rfile, length):
    data = rfile.read(length)
    if len(data) < length:
        raise ClientGone()
    return data


def _read_chunked(rfile):
    chunks, total = [], 0
    while True:
        line = rfile.readline(1024)
        if not line:
            raise ClientGone()
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise BodyError(400, "Invalid chunked encoding") from exc
        if size == 0:
            break
        total += size
        if total > MAX_BODY:
            raise BodyError(413, "Request body too large")
        chunks.append(_read_exact(rfile, size))
        _read_exact(rfile, 2)
    while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
        pass  # trailers carry nothing the emulator uses
    return b"".join(chunks)


def read_body(rfile, headers):
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(rfile)
    raw_length = headers.get("Content-Length")
    if raw_length is None:
        return b""
    if not re.match(r"^\s*\d+\s*$", raw_length):
        raise BodyError(400, "Invalid Content-Length")
    length = int(raw_length)
    if length > MAX_BODY:
        raise BodyError(413, "Request body too large")
    return _read_exact(rfile, length)


class XrayRequestHandler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; without TCP_NODELAY each answer waits ~40 ms
    # for the client's delayed ACK, which would distort timings measured against the emulator.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server_version = "XrayEmulator/1.0"
    # Garbage request lines still get a status line, not an HTTP/0.9 bare body.
    default_request_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT

    def setup(self):
        super(XrayRequestHandler, self).setup()
        self.server.track(self.connection)

    def finish(self):
        try:
            super(XrayRequestHandler, self).finish()
        finally:
            self.server.untrack(self.connection)

    def handle(self):
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                # Failed handshakes are expected in TLS tests; note them instead of a traceback.
                self.server.note_error(self.client_address, exc)
                return
        super(XrayRequestHandler, self).handle()

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write("%s - - [%s] %s\n" % (self.address_string(), self.log_date_time_string(), format % args))

    def send_error(self, code, message=None, explain=None):
        # http.server's own errors (bad request line, unknown method, huge headers) in the API's JSON shape.
        self.close_connection = True
        self._send(error(code, message or self.responses.get(code, ("Error",))[0]))

    def _dispatch(self):
        is_control = self.path.startswith(CONTROL_PREFIX)
        try:
            body = read_body(self.rfile, self.headers)
        except BodyError as exc:
            self.close_connection = True
            self._answer_unframed(exc, is_control)
            return
        except (ClientGone, OSError):
            self.close_connection = True
            return
        if is_control:
            self._send(control_response(self.server.state, self.command, self.path, body))
            return
        self._serve_api(ApiRequest(self.command, self.path, self.headers, body, self.client_address))

    def _answer_unframed(self, exc, is_control):
        response = error(exc.status, str(exc))
        if not is_control:
            req = ApiRequest(self.command, self.path, self.headers, b"", self.client_address)
            self.server.state.log.append(req.log_entry(response.status))
        self._send(response)

    def _serve_api(self, req):
        response = answer_api(self.server.state, req)
        # Logged before answering so a client that reads the log right after its response sees its entry.
        self.server.state.log.append(req.log_entry("dropped" if response is None else response.status))
        if response is None:
            self._drop()
        else:
            self._send(response)

    def _send(self, response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if not response.trickle:
            self.wfile.write(response.body)
            return
        self._trickle(response.body, response.trickle["chunk"], response.trickle["interval"])

    def _trickle(self, body, chunk, interval):
        """Write body chunk bytes at a time, sleeping interval seconds between chunks (wfile is unbuffered)."""
        for start in range(0, len(body), chunk):
            if start:
                time.sleep(interval)
            try:
                self.wfile.write(body[start:start + chunk])
            except OSError:
                # The client gave up waiting (the point of a trickle): stop writing, close the connection.
                self.close_connection = True
                return

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone: the client sees the same thing


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address, state, ssl_context=None, verbose=False):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state = state
        self.ssl_context = ssl_context
        self.verbose = verbose
        self._connections = set()
        self._connections_lock = threading.Lock()
        super(EmulatorHTTPServer, self).__init__(address, XrayRequestHandler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on an offline machine.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, address = super(EmulatorHTTPServer, self).get_request()
        if self.ssl_context is None:
            return sock, address
        try:
            # The handshake runs later in the connection's own thread, so a silent client cannot block accept().
            return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address
        except (ssl.SSLError, OSError):
            sock.close()
            raise

    def note_error(self, client_address, exc):
        self.state.errors.append({"client": list(client_address[:2]), "error": "%s: %s" % (type(exc).__name__, exc),
                                  "time": time.time()})
        if self.verbose:
            sys.stderr.write("%s: %s\n" % (client_address, exc))

    def handle_error(self, request, client_address):
        # Vanishing clients are part of the tests: record the error, keep stderr quiet.
        exc = sys.exc_info()[1]
        self.note_error(client_address, exc)
        if self.verbose:
            sys.stderr.write(traceback.format_exc())

    def track(self, connection):
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection):
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self):
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed by the client meanwhile


def make_ssl_context(certfile, keyfile=None, client_ca=None):
    for path in (certfile, keyfile, client_ca):
        if path and not os.path.isfile(path):
            raise ValueError("no such file: %s" % path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    return context


# --------------------------------------------------------------------------- in-process API

class BackgroundServer:
    """A socketserver server in a daemon thread: start(), url, stop(); also a context manager.

    Shared by XrayEmulator and forward_proxy.ForwardProxy; a subclass builds its server in
    _make_server() and names its URL scheme.
    """

    thread_name = "test-server"

    def __init__(self, host, port):
        self._address = (host, port)
        self._server = None
        self._thread = None

    def _make_server(self):
        raise NotImplementedError

    def _scheme(self):
        return "http"

    def start(self):
        self._server = self._make_server()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._after_close(server)
        self._thread.join(5)

    def _after_close(self, server):
        """What a subclass must still do once the server stopped accepting (e.g. drop kept-alive clients)."""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError("%s is not running" % type(self).__name__)
        host, port = self._server.server_address[:2]
        return "%s://%s:%d" % (self._scheme(), "[%s]" % host if ":" in host else host, port)


class XrayEmulator(jira_integrations.JiraIntegrationMethods, watches.WatchMethods, policies.PolicyMethods,
                   BackgroundServer):
    """The emulator in a background thread: start(), url, stop(); also a context manager.

    The resources' Python methods (seed, seed_watch, seed_policy, watches, ...) come from their
    handler files (the mixins above); the rest is the core's.
    role_tokens: {token: roles} of the non-admin tokens with roles (None: DEFAULT_ROLE_TOKENS).
    """

    thread_name = "xray-emulator"

    def __init__(self, host="127.0.0.1", port=0, certfile=None, keyfile=None, client_ca=None,
                 xray_version=DEFAULT_XRAY_VERSION, admin_tokens=None, reader_tokens=None, users=None, verbose=False,
                 role_tokens=None):
        if parse_version(xray_version) is None:
            raise ValueError("xray_version must be a dotted version such as 3.140.0")
        if client_ca and not certfile:
            raise ValueError("client_ca needs certfile: client certificates only exist over TLS")
        super(XrayEmulator, self).__init__(host, port)
        self.state = EmulatorState(xray_version, Credentials(admin_tokens, reader_tokens, users, role_tokens))
        self._ssl_context = make_ssl_context(certfile, keyfile, client_ca) if certfile else None
        self._verbose = verbose

    def _make_server(self):
        return EmulatorHTTPServer(self._address, self.state, self._ssl_context, self._verbose)

    def _scheme(self):
        return "https" if self._ssl_context else "http"

    def _after_close(self, server):
        server.close_connections()

    @property
    def requests(self):
        return self.state.log.snapshot()

    @property
    def config(self):
        return self.state.config.snapshot()

    @property
    def faults(self):
        return self.state.faults.snapshot()

    @property
    def errors(self):
        return self.state.errors.snapshot()

    def clear_requests(self):
        self.state.log.clear()

    def reset(self):
        self.state.reset()

    def set_config(self, **changes):
        return self.state.config.update(changes)

    def add_fault(self, **rule):
        self.state.faults.add([rule])

    def add_faults(self, rules):
        self.state.faults.add(rules)

    def clear_faults(self):
        self.state.faults.clear()


# --------------------------------------------------------------------------- command line

def _user_pair(text):
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD")
    return user, password


def _role_token(text):
    token, sep, roles = text.partition("=")
    held = [role.strip() for role in roles.split(",") if role.strip()]
    if not sep or not token or not held:
        raise argparse.ArgumentTypeError("expected TOKEN=ROLE[,ROLE...]")
    unknown = sorted(set(held) - known_roles())
    if unknown:
        raise argparse.ArgumentTypeError("unknown role %r (known: %s)" % (unknown[0], ", ".join(sorted(known_roles()))))
    return token, held


def build_arg_parser():
    parser = argparse.ArgumentParser(description="Emulator of the JFrog Xray REST API (Jira integrations, "
                                                 "watches, policies), for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--certfile", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--keyfile", help="private key of --certfile, if not inside it")
    parser.add_argument("--client-ca", help="require a client certificate signed by this CA (mutual TLS)")
    parser.add_argument("--xray-version", default=DEFAULT_XRAY_VERSION)
    parser.add_argument("--url-file", help="also write the URL to this file (atomically, removed at exit)")
    parser.add_argument("--admin-token", action="append", help="admin bearer token (repeatable; replaces the default)")
    parser.add_argument("--reader-token", action="append", help="non-admin bearer token (repeatable; replaces the default)")
    parser.add_argument("--watch-reader-token", action="append",
                        help="token that may read watches and policies, not write them (repeatable; with "
                             "--watch-manager-token and --role-token replaces the default role tokens)")
    parser.add_argument("--watch-manager-token", action="append",
                        help="non-admin token that may read and write watches and policies (repeatable)")
    parser.add_argument("--role-token", action="append", type=_role_token, metavar="TOKEN=ROLE[,ROLE...]",
                        help="non-admin token with these roles, e.g. 't=Read Watches,Manage Watches' (repeatable; "
                             "roles: %s)" % ", ".join(sorted(known_roles())))
    parser.add_argument("--admin-user", action="append", type=_user_pair, metavar="USER:PASSWORD",
                        help="admin basic-auth user (repeatable; with --reader-user replaces the default users)")
    parser.add_argument("--reader-user", action="append", type=_user_pair, metavar="USER:PASSWORD",
                        help="non-admin basic-auth user (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log every request and connection error to stderr")
    return parser


def users_from_args(args):
    if not args.admin_user and not args.reader_user:
        return None
    users = dict((user, (password, False)) for user, password in args.reader_user or [])
    users.update((user, (password, True)) for user, password in args.admin_user or [])
    return users


def role_tokens_from_args(args):
    if not args.watch_reader_token and not args.watch_manager_token and not args.role_token:
        return None
    role_tokens = dict((token, WATCH_READER_ROLES) for token in args.watch_reader_token or [])
    role_tokens.update((token, WATCH_MANAGER_ROLES) for token in args.watch_manager_token or [])
    role_tokens.update(args.role_token or [])
    return role_tokens


def write_url_file(path, url):
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    with os.fdopen(handle, "w") as stream:
        stream.write(url + "\n")
    # A poller never sees a half-written file: rename is atomic within one file system.
    os.replace(temp_path, path)


def serve_until_signal(program, make_server, url_file=None):
    """A test server's life as a program (this emulator, forward_proxy.py).

    make_server() builds and starts the server (an object with url and stop()).
    Prints its URL, writes it to url_file, serves until SIGINT or SIGTERM, then stops
    it and removes url_file. Returns the exit status.
    """
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    # Blocked before any thread starts, so every thread inherits the mask and sigwait() alone receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        server = make_server()
    except (OSError, ValueError, OverflowError) as exc:  # OverflowError: a port beyond 65535
        print("%s: %s" % (program, exc), file=sys.stderr)
        return 1
    print(server.url, flush=True)
    if url_file:
        write_url_file(url_file, server.url)
    try:
        signal.sigwait(stop_signals)
    finally:
        server.stop()
        if url_file and os.path.exists(url_file):
            os.remove(url_file)
    return 0


def main(argv=None):
    args = build_arg_parser().parse_args(argv)
    return serve_until_signal("xray_emulator", lambda: XrayEmulator(
        args.host, args.port, args.certfile, args.keyfile, args.client_ca, args.xray_version,
        args.admin_token, args.reader_token, users_from_args(args), args.verbose,
        role_tokens_from_args(args)).start(), args.url_file)


if __name__ == "__main__":
    sys.exit(main())
