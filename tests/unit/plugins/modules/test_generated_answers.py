# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generated servers: hypothesis draws what "Xray" answers to each request of a module run, as the
request arrives, and every run must keep the modules' promises whatever came back.

A run is one call of jira_integration's or jira_integration_info's main() in-process, with
RequestsTransport replaced by a transport that asks the generated server for each answer: an HTTP
answer of any status, content type and body (Xray's, Artifactory's, a proxy's, broken ones, ones
that echo the secrets in any encoding) or a TransportFailure of any kind. The task options are
drawn too. What must hold for every run (see check_run):

(a) the module ends through exit_json/fail_json with one JSON document, never another exception;
    a failure has a one-line msg, and no msg shows a Python None;
(b) changed is true only after a proven write (a documented success, or a re-read that shows it)
    or in check mode, and always after a write Xray acknowledged;
(c) no secret shows in the output, in any encoding;
(d) a write is sent again only when the attempt before certainly did not reach Xray, or certainly
    ended and a re-read shows it did not take effect; at most 1 + retries writes;
(e) check mode and the info module send no write;
(f) the number of requests is bounded, and a GET is repeated only after an answer worth a retry;
and the decisions follow Xray's answers: the write sent (if any) is the one the initial read calls
for, with the body it calls for, and a run succeeds only when Xray's word decided it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import contextlib
import html
import io
import json
import math
import re
import time
import unicodedata

from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

from hypothesis import HealthCheck, event, example, given, note, settings, strategies as st

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.frogops.xray.plugins.module_utils import _connection, _xray_client
from ansible_collections.frogops.xray.plugins.module_utils._http_transport import (
    CONNECT,
    DROPPED,
    INVALID,
    PROXY,
    TIMEOUT,
    TLS,
    UNREADABLE,
    RawAnswer,
    TransportFailure,
)
from ansible_collections.frogops.xray.plugins.modules import jira_integration, jira_integration_info
from ansible_collections.frogops.xray.tests.unit.plugins.module_args import module_args

BASE = "https://xray.test"
MODULES = {"jira_integration": jira_integration, "jira_integration_info": jira_integration_info}

STATUSES = (200, 201, 202, 204, 301, 302, 307, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504)
CONTENT_TYPES = ("application/json", "application/json; charset=utf-8", "text/html", "text/plain", None,
                 "application/xml")
UNUSABLE_CHARSETS = ("text/html; charset=idna", "text/plain; charset=undefined", "application/json; charset=idna")
NEVER_JSON = ("html", "text", "empty", "whitespace")
FAILURE_KINDS = (CONNECT, TLS, PROXY, INVALID, DROPPED, TIMEOUT, UNREADABLE)
ECHO_FORMS = ("raw", "json", "html", "percent", "repr", "base64")
WRITES = ("POST", "PUT", "DELETE")
# What an answer says about a request, by the client's documented policy.
NOT_REACHED_KINDS = (CONNECT, PROXY)
NOT_APPLIED_STATUSES = (429, 503)
ENDED_STATUSES = (502,)
GET_RETRY_KINDS = (CONNECT, PROXY, DROPPED, TIMEOUT, UNREADABLE)
GET_RETRY_STATUSES = (429, 502, 503, 504)
MAX_WAIT = 30.0
# The most requests a run may send, in units of 1 + retries (the attempts one request may take). Each read is
# one GET plus, on a 404 that is not Xray's, one GET of the version: 2. jira_integration: the details (2), the
# health first with update_password=on_unhealthy (2), the write (1: resends come out of the same attempts), a
# re-read after each of at most two unclear outcomes (2 x 2), the status check before a write that the health
# check follows (2), the health after the write (2): 13. The info module: the details (2) and the health (2): 4.
BUDGETS = {"jira_integration": 13, "jira_integration_info": 4}
REQUEST_LIMIT = 200

STRING_FIELDS = ("auth_type", "username", "installation_type", "jira_server_url")
COMPARED_FIELDS = STRING_FIELDS + ("skip_proxy",)
CREATE_REQUIRED = ("username", "password", "installation_type", "jira_server_url")
JIRA_URLS = ("https://acme.atlassian.net", "HTTPS://ACME.atlassian.net/", "https://jira.acme.example/jira")
DEFAULTS = dict(auth_type="basic", username="bot@acme.example", installation_type="cloud",
                jira_server_url="https://acme.atlassian.net")
NAMES = ("jira-1", "Jira Cloud/EU", u"\u00fcn\u00ef \u540d")
MINIMUM_API_VERSION = (3, 129)
# Nothing generated spells the word None: a "None" in a message can only be the module's own leak.
PASSWORD_CHARS = u" \"'\\<>&%+/=:;@#?!{}[]$*~`\n\t\u00e9\u00fc\u20ac\U0001f600abcxyz0123456789"
TOKEN_CHARS = "".join(chr(code) for code in range(0x21, 0x7f) if chr(code) != "N")
FILLERS = ("Bad Request", "Integration not found", "Internal Server Error", "We were not able to connect to your Jira",
           "unauthorized", "Service Unavailable", "", "Jira answered:\nHTTP 401\r\nUnauthorized", "\tindented\x1b[31m red")
VERSIONS = ("3.140.0", "3.129", "3.128.9", "3.136.0-rc1", "3.200.0\nbuild 7", "v3.140", "", "banana", "3", 3140,
            None, "99999999999999999999.1")
DOCUMENTED_STATUSES = ("HEALTHY_INTEGRATION", "FAULTY_CONFIGURATION", "INTEGRATION_NOT_FOUND", "INTERNAL_SERVER_ERROR")
STATUS_NAMES = DOCUMENTED_STATUSES + ("DEGRADED", " ", u"HEALTHY_INTEGRATION\u200b", " HEALTHY_INTEGRATION", 7, None)
# The transport failures that prove the request never left this machine.
NOT_SENT_KINDS = (CONNECT, TLS, PROXY, INVALID)
SHAPES = ("details", "xray_error", "artifactory_errors", "info", "version", "status", "html", "empty", "whitespace",
          "list", "deep", "nan", "bignum", "text")
PREFERRED_SHAPES = {
    "details": ("details",) * 6 + ("xray_error",) * 3 + ("artifactory_errors",),
    "version": ("version",) * 4,
    "status": ("status",) * 4 + ("xray_error",),
    "write": ("empty",) * 3 + ("details", "xray_error", "info"),
}
PREFERRED_STATUSES = {
    "details": (200,) * 6 + (404,) * 4,
    "version": (200,) * 4,
    "status": (200,) * 4 + (404, 500),
    "write": (200, 201, 204) * 2,
}


# -- secrets and how a server echoes them --------------------------------------

def echo(secret, form):
    """secret as a server might echo it."""
    if form == "json":
        return json.dumps(secret)[1:-1]
    if form == "html":
        return html.escape(secret)
    if form == "percent":
        return quote(secret, safe="")
    if form == "repr":
        return repr(secret)
    if form == "base64":
        return base64.b64encode(secret.encode("utf-8")).decode("ascii")
    return secret


def secret_forms(secret):
    """Every form in which a secret must not be shown."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        base64.b64encode(secret.encode("utf-8")).decode("ascii"),
    }


def collapse(text):
    return " ".join(text.split())


# -- the task ----------------------------------------------------------------------

class Task:
    """The module, its arguments, and the secrets among them (plus the basic auth value)."""

    def __init__(self, module, args, secrets):
        self.module = module
        self.args = args
        self.secrets = [secret for secret in secrets if secret]

    def __repr__(self):
        return "Task(%r, %r)" % (self.module, self.args)

    @property
    def name(self):
        return self.args["connection_name"]

    @property
    def retries(self):
        return self.args["retries"]

    @property
    def check_mode(self):
        return self.args["_ansible_check_mode"]

    @property
    def state(self):
        return self.args.get("state", "present")

    @property
    def update_password(self):
        return self.args.get("update_password", "on_create")


def make_task(module, token=None, user=None, user_password=None, check_mode=False, diff=False, **options):
    args = dict(url=BASE, retries=3, retry_backoff=1.0, timeout=30.0)
    secrets = []
    if token is not None:
        args["access_token"] = token
        secrets.append(token)
    else:
        args.update(url_username=user, url_password=user_password)
        secrets += [user_password, base64.b64encode(("%s:%s" % (user, user_password)).encode("utf-8")).decode("ascii")]
    args.update((key, value) for key, value in options.items() if value is not None)
    args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
    if module == "jira_integration":
        secrets.append(args.get("password"))
        if args.get("password") and args.get("username"):
            # The basic-auth header Xray sends to Jira with these credentials, which its answers may echo.
            secrets.append(base64.b64encode(("%s:%s" % (args["username"], args["password"])).encode("utf-8")).decode("ascii"))
    return Task(module, args, secrets)


@st.composite
def optional(draw, strategy, weight=3):
    """None (not set) once in 1 + weight."""
    return draw(strategy) if draw(st.sampled_from((True,) * weight + (False,))) else None


@st.composite
def tasks(draw):
    module = draw(st.sampled_from(("jira_integration", "jira_integration", "jira_integration_info")))
    options = dict(
        connection_name=draw(st.sampled_from(NAMES)),
        retries=draw(st.integers(0, 3)),
        retry_backoff=draw(st.sampled_from((1.0, 0.0, 0.5))),
        timeout=draw(st.sampled_from((30.0, 0.5))),
        check_mode=draw(st.sampled_from((False, False, False, False, True))),
    )
    if draw(st.booleans()):
        options["token"] = "Tok" + draw(st.text(TOKEN_CHARS, min_size=6, max_size=16))
    else:
        options["user"] = draw(st.sampled_from(("admin", "ci-bot", u"\u00e4dmin")))
        options["user_password"] = "Upw" + draw(st.text(PASSWORD_CHARS, min_size=5, max_size=12))
    if module == "jira_integration_info":
        options["include_status"] = draw(st.booleans())
        return make_task(module, **options)
    options.update(
        diff=draw(st.booleans()),
        state=draw(st.sampled_from(("present", "present", "absent"))),
        password=draw(optional(st.text(PASSWORD_CHARS, min_size=5, max_size=12).map(lambda tail: "Jpw" + tail), 10)),
        auth_type=draw(st.sampled_from((None, None, None, "basic", "basic", "oauth1", "oauth2"))),
        username=draw(optional(st.sampled_from((DEFAULTS["username"], "other@acme.example")), 10)),
        installation_type=draw(optional(st.sampled_from(("cloud", "server")), 10)),
        jira_server_url=draw(optional(st.sampled_from(JIRA_URLS), 10)),
        skip_proxy=draw(optional(st.booleans())),
        update_password=draw(st.sampled_from(("on_create", "always", "on_unhealthy"))),
        verify_health=draw(st.booleans()),
    )
    return make_task(module, **options)


# -- what the server answers, and what that means ---------------------------------

_NOT_JSON = object()


def _reject_constant(_name):
    raise ValueError("NaN and Infinity are not JSON")


def version_tuple(version):
    match = re.match(r"(\d+)\.(\d+)", version) if isinstance(version, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else ()


def fold(name):
    return unicodedata.normalize("NFC", name).casefold()


class Canned:
    """One generated outcome (a RawAnswer, or a TransportFailure to raise) and, independently of the
    client's code, what it means by the documented rules: JSON only where the content type says so
    (or says nothing, or text/plain); NaN, overflowing numbers and deep nesting are not JSON."""

    def __init__(self, outcome):
        self.outcome = outcome
        self.failure = outcome.kind if isinstance(outcome, TransportFailure) else None
        self.status = None if self.failure else outcome.status
        self.data = _NOT_JSON
        self.empty = False
        if self.failure:
            return
        text = outcome.body.decode("utf-8-sig", errors="replace")
        content_type = outcome.headers.get("content-type", "").lower()
        self.empty = not text.strip()
        if not self.empty and ("json" in content_type or content_type.split(";")[0].strip() in ("", "text/plain")):
            try:
                self.data = json.loads(text, parse_constant=_reject_constant)
            except (ValueError, RecursionError):
                pass

    def __repr__(self):
        if self.failure:
            return "fail(%r, %r)" % (self.failure, self.outcome.detail)
        body = self.outcome.body
        shown = body if len(body) <= 300 else body[:300] + b"...(%d bytes)" % len(body)
        return "reply(%d, %r, headers=%r, complete=%r)" % (self.status, shown, self.outcome.headers, self.outcome.complete)

    @property
    def complete(self):
        return self.failure is None and self.outcome.complete

    @property
    def obj(self):
        return self.data if isinstance(self.data, dict) else None

    @property
    def documented_success(self):
        # A JSON object reporting an error ({"errors": [...]} from a WAF) is no success, whatever the status.
        return self.status is not None and 200 <= self.status < 300 and self.complete and (
            self.empty or (self.obj is not None and "error" not in self.obj and "errors" not in self.obj))

    @property
    def xray_404(self):
        """Xray's own "not found": {"error": "..."}, not Artifactory's {"errors": [...]} nor a framework's
        {"error", "status", "path", "timestamp"}."""
        return self.status == 404 and self.obj is not None and isinstance(self.obj.get("error"), str) \
            and not set(self.obj) & {"errors", "status", "path", "timestamp"}

    @property
    def version_ok(self):
        """An Xray with the Jira integration API."""
        return self.status == 200 and self.complete and self.obj is not None \
            and version_tuple(self.obj.get("xray_version")) >= MINIMUM_API_VERSION

    @property
    def get_retryable(self):
        # An interim 1xx and a body cut short (the connection lost in it) are asked again too.
        return self.failure in GET_RETRY_KINDS or self.status in GET_RETRY_STATUSES or (
            self.status is not None and (self.status < 200 or not self.complete))

    def details_for(self, name):
        """The details object when this is a valid details answer for the integration, else None."""
        body = self.obj
        if self.status != 200 or not self.complete or body is None:
            return None
        spelled = body.get("connection_name")
        if spelled is None:
            spelled = body.get("integrationName")
        if not isinstance(spelled, str) or fold(spelled) != fold(name):
            return None
        if any(not isinstance(body.get(field), (str, type(None))) for field in STRING_FIELDS):
            return None
        if not isinstance(body.get("skip_proxy"), (bool, type(None))):
            return None
        return dict(body, connection_name=spelled)


def reply(status, body=b"", content_type="application/json", headers=None, complete=True):
    """A scripted answer; a dict or list body is sent as JSON, text as UTF-8, bytes as they are."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
    elif isinstance(body, str):
        body = body.encode("utf-8")
    all_headers = {} if content_type is None else {"Content-Type": content_type}
    all_headers.update(headers or {})
    return Canned(RawAnswer(status, all_headers, body, complete, None if complete else "the body was cut short"))


def fail(kind, detail="scripted"):
    return Canned(TransportFailure(kind, detail))


@st.composite
def echoes(draw, task):
    return echo(draw(st.sampled_from(task.secrets)), draw(st.sampled_from(ECHO_FORMS)))


@st.composite
def server_texts(draw, task):
    text = draw(st.sampled_from(FILLERS))
    if task.secrets and draw(st.booleans()):
        where = draw(st.sampled_from(("after", "before", "alone")))
        secret = draw(echoes(task))
        text = {"after": "%s: %s" % (text, secret), "before": "%s %s" % (secret, text), "alone": secret}[where]
    return text


@st.composite
def field_values(draw, task, field, plausible):
    odd = ("wrong",) if not plausible else ()
    form = draw(st.sampled_from(("task",) * 5 + ("equivalent", "other", "other", "missing", "null", "echo") + odd))
    wanted = task.args.get(field) or DEFAULTS[field]
    if form == "missing":
        return _NOT_JSON
    if form == "null":
        return None
    if form == "wrong":
        return draw(st.sampled_from((5, ["x"], {"a": 1}, True)))
    if form == "echo" and task.secrets:
        return draw(echoes(task)) if field != "jira_server_url" else "https://jira.acme.example/?t=" + draw(echoes(task))
    if form == "equivalent":
        return "HTTPS://ACME.atlassian.net/" if field == "jira_server_url" else wanted.upper() if field != "username" \
            else wanted
    if form == "other":
        return draw(st.sampled_from({"auth_type": ("oauth1", "oauth2", "basic", "OAuth 2.0\n(3LO)"), "username": ("someone@acme.example",),
                                     "installation_type": ("server", "cloud"),
                                     "jira_server_url": ("https://jira.other.example", "http://[x")}[field]))
    return wanted


@st.composite
def status_names(draw, task):
    """The integration_name of a status answer: mostly the one asked about (in any case), sometimes another one
    (a cache that ignores the query string), none, or not a text."""
    form = draw(st.sampled_from(("same",) * 6 + ("upper", "other", "other-case", "missing", "null", "number")))
    return {"same": task.name, "upper": task.name.upper(), "other": "other", "other-case": "Other-" + task.name,
            "missing": _NOT_JSON, "null": None, "number": 7}[form]


@st.composite
def details_objects(draw, task, plausible=False):
    """A details object for the task's integration: in a plausible one, every field has the right type."""
    name = task.name
    odd = () if plausible else ("other", "missing", "null", "number")
    form = draw(st.sampled_from(("same",) * 4 + ("upper", "swapcase", "integrationName") + odd))
    spelled = {"same": name, "upper": name.upper(), "swapcase": name.swapcase(), "integrationName": name.swapcase(),
               "other": "other-" + name, "null": None, "number": 7}
    body = {}
    if form != "missing":
        body["integrationName" if form == "integrationName" else "connection_name"] = spelled[form]
    for field in STRING_FIELDS:
        value = draw(field_values(task, field, plausible))
        if value is not _NOT_JSON:
            body[field] = value
    skip_proxy = draw(st.sampled_from(("task", "task", True, False, "missing", None) + (() if plausible else ("false", 0))))
    if skip_proxy == "task":
        skip_proxy = bool(task.args.get("skip_proxy"))
    if skip_proxy != "missing":
        body["skip_proxy"] = skip_proxy
    if task.secrets and draw(st.sampled_from((False, False, False, True))):
        body["password"] = draw(echoes(task))  # Xray never returns it; a broken one might
    return body


@st.composite
def bodies(draw, shape, status, task):
    """Body text (or bytes) of a shape."""
    if shape == "details":
        return json.dumps(draw(details_objects(task)), ensure_ascii=False)
    if shape == "xray_error":
        return json.dumps({"error": draw(server_texts(task))}, ensure_ascii=False)
    if shape == "artifactory_errors":
        body = {"errors": [{"status": status, "message": draw(server_texts(task))}]}
        if draw(st.booleans()):
            body["error"] = draw(server_texts(task))  # both shapes at once: not Xray's own
        return json.dumps(body, ensure_ascii=False)
    if shape == "info":
        return json.dumps({"info": draw(server_texts(task))}, ensure_ascii=False)
    if shape == "version":
        return json.dumps({"xray_version": draw(st.sampled_from(VERSIONS)), "xray_revision": "abc123"})
    if shape == "status":
        body = {"status": draw(st.sampled_from(STATUS_NAMES)), "reason": draw(optional(server_texts(task))),
                "time": "2024-01-01T12:00:00Z"}
        named = draw(status_names(task))
        if named is not _NOT_JSON:
            body["integration_name"] = named
        return json.dumps(body, ensure_ascii=False)
    if shape == "html":
        return "<!DOCTYPE html><html><body><h1>%d</h1><p>%s</p></body></html>" % (status, draw(server_texts(task)))
    if shape == "list":
        return json.dumps([{"error": draw(server_texts(task))}, 1], ensure_ascii=False)
    if shape == "deep":
        depth = draw(st.sampled_from((3, 1000, 200000)))
        return "[" * depth + "]" * depth if draw(st.booleans()) else '{"error":' * min(depth, 1000) + '"x"' + "}" * min(
            depth, 1000)
    if shape == "nan":
        return draw(st.sampled_from(('{"error": NaN}', "NaN", '{"xray_version": Infinity}', "[-Infinity]")))
    if shape == "bignum":
        return draw(st.sampled_from(('{"error": 1' + "0" * 5000 + "}", '{"status": 1e5000}', "1" + "0" * 5000)))
    if shape == "text":
        return draw(server_texts(task))
    return {"empty": "", "whitespace": " \r\n\t "}[shape]


@st.composite
def headers(draw, task):
    found = {}
    if draw(st.booleans()):
        location = draw(st.sampled_from(("https://xray.test/ui/login?next=%2F", "http://xray.test/xray/api/v1/",
                                         "https://sso.acme.example/saml", "/relative", "", "http://[x/login")))
        if task.secrets and draw(st.booleans()):
            location += "?t=" + draw(echoes(task))
        found["Location"] = location
    if draw(st.booleans()):
        found["Retry-After"] = draw(st.sampled_from(("0", "2", "9" * 400, "Wed, 21 Oct 2099 07:28:00 GMT",
                                                     "Thu, 01 Jan 1970 00:00:00 GMT", "-5", "soon", "1e9999", "",
                                                     u"\u00b2", u"\u0663")))
    if task.secrets and draw(st.booleans()):
        found["X-Echo"] = draw(echoes(task))
    return found


@st.composite
def xray_answers(draw, kind, task):
    """What Xray (or the platform in front of it) plausibly answers: the documented shapes, transient errors."""
    transient = draw(st.sampled_from((None,) * 8 + (429, 502, 503, 504)))
    if transient:
        retry_after = draw(st.sampled_from(((), ("0",), ("3",), ("9" * 40,))))
        return reply(transient, {"error": draw(server_texts(task))}, headers=dict(("Retry-After", value) for value in retry_after))
    if kind == "details":
        if draw(st.booleans()):
            return reply(200, draw(details_objects(task, plausible=True)))
        return reply(404, {"error": "Integration %s not found" % draw(st.sampled_from(("x", task.name)))})
    if kind == "version":
        return reply(200, {"xray_version": draw(st.sampled_from(("3.140.0",) * 4 + VERSIONS)), "xray_revision": "abc"})
    if kind == "status":
        status = draw(st.sampled_from(("HEALTHY_INTEGRATION",) * 3 + ("FAULTY_CONFIGURATION",) * 2 + STATUS_NAMES))
        body = {"status": status, "reason": draw(optional(server_texts(task))), "time": "2024-01-01T12:00:00Z"}
        named = draw(status_names(task))
        if named is not _NOT_JSON:
            body["integration_name"] = named
        # Xray documents 404 and 500 for this endpoint, with the same body.
        return reply(draw(st.sampled_from((200, 200, 200, 404, 500))), body)
    status = draw(st.sampled_from((200, 201, 204) * 3 + (400, 409, 500)))
    if status < 300:
        body = draw(st.sampled_from(("", {}, {"info": "Integration was created"}, "details")))
        if body == "details":
            body = draw(details_objects(task, plausible=True))
        return reply(status, body, "application/json" if body else draw(st.sampled_from(CONTENT_TYPES)))
    return reply(status, {"error": draw(server_texts(task))})


@st.composite
def hostile_answers(draw, kind, task):
    """Anything at all: any status, content type, shape, encoding; cut short; echoing secrets."""
    status = draw(st.sampled_from(PREFERRED_STATUSES[kind] + STATUSES + ("any",)))
    if status == "any":
        status = draw(st.integers(100, 999))
    shape = draw(st.sampled_from(PREFERRED_SHAPES[kind] + SHAPES))
    content_type = draw(st.sampled_from(("application/json",) * 4 + CONTENT_TYPES))
    if shape in NEVER_JSON and draw(st.sampled_from((False,) * 3 + (True,))):
        # A charset Python knows but cannot decode bytes with; the body is no JSON in any charset.
        content_type = draw(st.sampled_from(UNUSABLE_CHARSETS))
    text = draw(bodies(shape, status, task))
    encoding = draw(st.sampled_from(("utf-8",) * 5 + ("bom", "latin-1", "junk")))
    body = text.encode("latin-1", errors="replace") if encoding == "latin-1" else text.encode("utf-8")
    body = {"bom": b"\xef\xbb\xbf" + body, "junk": b"\xff\xfe\x00" + body}.get(encoding, body)
    complete = draw(st.sampled_from((True,) * 7 + (False,)))
    if not complete:
        body = body[:len(body) // 2]
    return reply(status, body, content_type, draw(headers(task)), complete)


@st.composite
def failures(draw, task):
    detail = draw(server_texts(task))
    if draw(st.booleans()):
        detail = "Cannot connect to proxy http://admin:%s@proxy.acme.example:3128: %s" % (
            quote(draw(st.sampled_from(task.secrets or ["x"])), safe=""), detail)
    return fail(draw(st.sampled_from(FAILURE_KINDS)), detail)


@st.composite
def outcomes(draw, kind, task):
    """What the server answers to one request of a kind: details, version, status or write."""
    mode = draw(st.sampled_from(("xray",) * 7 + ("hostile",) * 2 + ("failure",)))
    if mode == "failure":
        return draw(failures(task))
    return draw((xray_answers if mode == "xray" else hostile_answers)(kind, task))


class DataServer:
    """Draws each answer when its request arrives."""

    def __init__(self, data, task):
        self.data = data
        self.task = task

    def answer(self, number, kind, method):
        return self.data.draw(outcomes("write" if method in WRITES else kind, self.task),
                              label="answer %d, to %s (%s)" % (number, method, kind))


class ScriptedServer:
    """Answers from a list; an unscripted request gets a plain 500."""

    def __init__(self, *answers):
        self.answers = answers

    def __repr__(self):
        return "ScriptedServer%r" % (self.answers,)

    def start(self):
        return _Script(list(self.answers))


class _Script:
    def __init__(self, answers):
        self.answers = answers

    def answer(self, number, kind, method):  # pylint: disable=unused-argument
        return self.answers.pop(0) if self.answers else reply(500, "unscripted request", "text/plain")


# -- one run ---------------------------------------------------------------------------

def request_kind(method, url):
    path = urlsplit(url).path
    if path.endswith("/system/version"):
        return "version"
    if "/ticketing/integrations/status/check" in path:
        return "status"
    if path.endswith("/details"):
        return "details"
    return method.lower()


class Exchange:
    """One request and what the server made of it."""

    def __init__(self, method, url, body, canned):
        self.method = method
        self.url = url
        self.kind = request_kind(method, url)
        self.payload = json.loads(body.decode("utf-8")) if body else None
        self.canned = canned

    def __repr__(self):
        return "%s %s %r -> %r" % (self.method, self.kind, self.payload, self.canned)


class GeneratedTransport:
    def __init__(self, server):
        self.server = server
        self.log = []
        self.closed = False

    def send(self, method, url, headers, body, timeout):  # pylint: disable=unused-argument
        if len(self.log) >= REQUEST_LIMIT:
            raise AssertionError("more than %d requests: %r" % (REQUEST_LIMIT, self.log[-5:]))
        canned = self.server.answer(len(self.log) + 1, request_kind(method, url), method)
        self.log.append(Exchange(method, url, body, canned))
        if canned.failure:
            raise canned.outcome
        return canned.outcome

    def close(self):
        self.closed = True


@contextlib.contextmanager
def replaced(owner, name, value):
    saved = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


class Run:
    def __init__(self, task, log, sleeps, stdout):
        self.task = task
        self.log = log
        self.sleeps = sleeps
        self.stdout = stdout
        self.result = None

    @property
    def writes(self):
        return [index for index, exchange in enumerate(self.log) if exchange.method in WRITES]


class RecordingClock:
    """The time module as the client sees it, with sleep recording the wait instead of waiting."""

    def __init__(self):
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


def run_module(task, server):
    transport = GeneratedTransport(server)
    clock = RecordingClock()
    out = io.StringIO()
    # ansible-core keeps warnings in a module-level collection that outlives AnsibleModule: a run must
    # print its own warnings only.
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    ansible_warnings._global_deprecations.clear()  # pylint: disable=protected-access
    with replaced(_connection, "RequestsTransport", lambda **kwargs: transport), replaced(_xray_client, "time", clock), \
            module_args(task.args), contextlib.redirect_stdout(out):
        try:
            MODULES[task.module].main()
        except SystemExit:
            pass
        else:
            raise AssertionError("main() returned without exit_json or fail_json")
    return Run(task, transport.log, clock.sleeps, out.getvalue())


# -- the oracle: what Xray's answers decide ----------------------------------------------

def normalized(field, value):
    if field in ("auth_type", "installation_type"):
        return value.strip().lower()
    if field == "jira_server_url":
        try:
            parts = urlsplit(value.strip())
        except ValueError:
            return value.strip()
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query,
                           parts.fragment))
    return value


def expected_changes(task, current):
    """The fields the task sets that differ from what Xray reported (a field it did not report is unknown)."""
    changes = {}
    for field in COMPARED_FIELDS:
        wanted = task.args.get(field)
        have = current.get(field)
        if field == "skip_proxy" and have is None:
            have = False  # the documented default
        if wanted is None or have is None:
            continue
        if normalized(field, wanted) != normalized(field, have):
            changes[field] = wanted
    return changes


def initial_read(run):
    """("present", details), ("absent", None) or ("unknown", None): what the first read established."""
    log = run.log
    end = 0
    while end < len(log) and log[end].kind == "details":
        end += 1
    if not end:
        return "unknown", None, 0
    last = log[end - 1].canned
    current = last.details_for(run.task.name)
    if current is not None:
        return "present", current, end
    if last.status == 404 and last.xray_404:
        return "absent", None, end
    if last.status == 404:
        versions = end
        while versions < len(log) and log[versions].kind == "version":
            versions += 1
        if versions > end and log[versions - 1].canned.version_ok:
            return "absent", None, versions
        return "unknown", None, versions
    return "unknown", None, end


def health_read(run, start):
    """(health, end): the health check read from log[start] on (None when it failed), and where it ended.

    By the documented rules: a documented status is understood in a 200, 404 or 500 (Xray documents all three
    for this endpoint), an unknown status text only in a 200, and HEALTHY_INTEGRATION only in a 200 (in an error
    it contradicts itself); a blank status is none; and only an answer that names the integration asked about
    counts. A 404 of another shape is followed by a read of the version, for the verdict.
    """
    log = run.log
    end = start
    while end < len(log) and log[end].kind == "status":
        end += 1
    if end == start:
        return None, start
    last = log[end - 1].canned
    body = last.obj if last.complete and last.obj is not None else {}
    if last.status not in (200, 404, 500) or (last.status == 200 and not body):
        return None, end
    if last.status != 200 and body.get("status") not in DOCUMENTED_STATUSES:
        if last.status == 404:
            while end < len(log) and log[end].kind == "version":
                end += 1
        return None, end
    if not isinstance(body.get("status"), str) or not body["status"].strip() or not body["status"].isprintable() \
            or collapse(body["status"]) != body["status"] or any(
            not isinstance(body.get(key), (str, type(None))) for key in ("reason", "time")):
        return None, end
    if last.status != 200 and body["status"] == "HEALTHY_INTEGRATION":
        return None, end
    named = body.get("integration_name")
    if not isinstance(named, str) or fold(named) != fold(run.task.name):
        return None, end
    return body, end


def reads_health_after(task, action, send_password):
    """Whether a write is followed by a health check: verify_health, or a password sent by on_unhealthy."""
    return action in ("create", "update") and (task.args.get("verify_health") or (
        task.update_password == "on_unhealthy" and send_password))


def password_plan(task, changes, health):
    """Whether an update sends the password, or "fail"."""
    if task.args.get("password") is None or task.update_password == "on_create":
        return False
    if task.update_password == "always" or "username" in changes:
        return True
    if health is None:
        return "fail"
    if health["status"] == "INTEGRATION_NOT_FOUND":
        return "fail"
    return health["status"] == "FAULTY_CONFIGURATION"


def expected_action(task, state, current, health):
    """create, update, delete, None (nothing to do) or fail (the task cannot be done) - decided before any write."""
    if task.state == "absent":
        return "delete" if state == "present" else None
    if state == "absent":
        if task.args.get("auth_type") not in (None, "basic"):
            return "fail"
        if any(task.args.get(field) in (None, "") for field in CREATE_REQUIRED):
            return "fail"
        return "create"
    if task.update_password == "on_unhealthy" and health is None:
        return "fail"  # the health check it decides on could not be read
    changes = expected_changes(task, current)
    send_password = password_plan(task, changes, health)
    if send_password == "fail":
        return "fail"
    if changes.get("auth_type", "basic") != "basic" or ("auth_type" in changes and not send_password):
        return "fail"
    return "update" if changes or send_password else None


def reread_window(log, index):
    """The exchanges after the write at index, up to the next write."""
    window = []
    for exchange in log[index + 1:]:
        if exchange.method in WRITES:
            break
        window.append(exchange)
    return window


def shows_absent(window):
    """A re-read in window that Xray's word makes "absent"."""
    for position, exchange in enumerate(window):
        if exchange.kind != "details" or exchange.canned.status != 404:
            continue
        if exchange.canned.xray_404:
            return True
        later = [e for e in window[position + 1:] if e.kind == "version"]
        if later and later[-1].canned.version_ok:
            return True
    return False


def shows_present(window, name):
    return any(e.kind == "details" and e.canned.details_for(name) is not None for e in window)


def write_proven(run, index):
    """The write at index is proven by its answer or by the re-read after it."""
    exchange = run.log[index]
    if exchange.canned.documented_success:
        return True
    window = reread_window(run.log, index)
    if exchange.method == "DELETE":
        return shows_absent(window)
    return shows_present(window, run.task.name)


# -- the invariants --------------------------------------------------------------------

def warning_text(item):
    """A warning as text: ansible-core 2.19+ prints {"event": {"msg": ...}}, earlier ones the text."""
    return item["event"]["msg"] if isinstance(item, dict) else item


def check_exit(run):
    """(a) one JSON document; a failure has a one-line msg; no message shows a Python None."""
    result = json.loads(run.stdout)
    assert isinstance(result, dict), run.stdout
    assert isinstance(result.get("changed"), bool), result
    msg = result.get("msg")
    if result.get("failed"):
        assert isinstance(msg, str) and msg.strip(), result
    texts = ([msg] if msg is not None else []) + [warning_text(item) for item in result.get("warnings", [])]
    for text in texts:
        assert isinstance(text, str), result
        assert not re.search(r"\bNone\b", text), "None leaked into %r" % text
    if msg is not None:
        assert not any(unicodedata.category(char) == "Cc" for char in msg), "msg is not one line of text: %r" % msg
    return result


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def check_secrets(run):
    """(c) no secret in the output: not in any encoded form, and not after decoding it either."""
    out = run.stdout
    views = {out, html.unescape(out), unquote(out), unquote_plus(out)}
    for text in strings_in(run.result):
        views |= {text, html.unescape(text), unquote(text), unquote_plus(text)}
    views |= {collapse(view) for view in views}
    for secret in run.task.secrets:
        for form in secret_forms(secret) | {collapse(secret)}:
            for view in views:
                assert form not in view, "secret %r shows as %r in %r" % (secret, form, view[:2000])


def check_requests(run):
    """(d), (e), (f): writes only when allowed and resent only when safe; bounded requests and retries."""
    task, log, writes = run.task, run.log, run.writes
    attempts = 1 + task.retries
    if task.check_mode or task.module == "jira_integration_info":
        assert not writes, "a write in check mode or from the info module"
    assert len(writes) <= attempts, "%d writes with retries=%d" % (len(writes), task.retries)
    assert len({log[index].method for index in writes}) <= 1, "writes of different kinds"
    resent_after_end = 0
    pauses = 0
    for previous, current in zip(writes, writes[1:]):
        outcome = log[previous].canned
        between = log[previous + 1:current]
        if outcome.failure in NOT_REACHED_KINDS or outcome.status in NOT_APPLIED_STATUSES:
            assert not between, "resent after a re-read it did not need"
            pauses += 1
            continue
        assert outcome.failure == DROPPED or outcome.status in ENDED_STATUSES, (
            "%s sent again after %r: only an attempt that certainly did not reach Xray, or certainly ended, may be "
            "sent again" % (log[current].method, outcome))
        method = log[previous].method
        if method == "POST":
            assert shows_absent(between), "POST resent without a re-read that shows it absent"
        elif method == "DELETE":
            assert shows_present(between, task.name), "DELETE resent without a re-read that shows it there"
        else:
            assert any(e.kind == "details" and e.canned.status in (200, 404) for e in between), "PUT resent blind"
        resent_after_end += 1
        pauses += 1
    assert resent_after_end <= 1, "resent more than once after an ended attempt"
    assert len(log) <= BUDGETS[task.module] * attempts, "%d requests with retries=%d" % (len(log), task.retries)
    start = 0
    while start < len(log):
        end = start + 1
        if log[start].method == "GET":
            while end < len(log) and log[end].method == "GET" and log[end].url == log[start].url:
                end += 1
            same = log[start:end]
            assert len(same) <= attempts, "GET %s sent %d times with retries=%d" % (log[start].kind, len(same), task.retries)
            assert all(e.canned.get_retryable for e in same[:-1]), "GET repeated after an answer not worth a retry"
            assert not same[-1].canned.get_retryable or len(same) == attempts, "gave up a GET with retries left"
            pauses += len(same) - 1
        start = end
    assert len(run.sleeps) == pauses, "waited %d times for %d retries" % (len(run.sleeps), pauses)
    for seconds in run.sleeps:
        assert isinstance(seconds, float) and math.isfinite(seconds) and 0 <= seconds <= MAX_WAIT, seconds


def check_changed(run, result):
    """(b) changed only after a proven write or in check mode; always after a write Xray acknowledged."""
    task, writes = run.task, run.writes
    if task.module == "jira_integration_info":
        assert result["changed"] is False
        return
    if result["changed"] and not task.check_mode:
        assert any(write_proven(run, index) for index in writes), "changed without a proven write"
    if any(run.log[index].canned.documented_success for index in writes):
        assert result["changed"] is True, "a write Xray acknowledged is reported as no change"
    if not writes and not task.check_mode:
        assert result["changed"] is False, "changed without any write"


def check_decisions(run, result):
    """The initial read decides: only Xray's word lets a run succeed, and it picks the write and its body."""
    task, log, writes = run.task, run.log, run.writes
    state, current, read_end = initial_read(run)
    failed = bool(result.get("failed"))
    if state == "unknown":
        assert failed and not writes, "the first read did not establish anything, yet the run went on"
        return
    if task.module == "jira_integration_info":
        health = None
        if state == "present" and task.args.get("include_status"):
            health, read_end = health_read(run, read_end)
            if health is None:
                assert failed, "the health could not be read for that name, yet the info module succeeded"
        if not failed:
            assert result["exists"] is (state == "present")
            assert result["integration"].get("connection_name") == (current or {}).get("connection_name")
            assert (result.get("status") or {}).get("status") == (health or {}).get("status")
        return
    health = None
    health_first = task.update_password == "on_unhealthy" and task.state == "present" and state == "present"
    if health_first:
        health, read_end = health_read(run, read_end)
    action = expected_action(task, state, current, health)
    changes = expected_changes(task, current) if action == "update" else {}
    send_password = action == "create" or (action == "update" and password_plan(task, changes, health) is True)
    if not health_first and reads_health_after(task, action, send_password):
        # The status check before the write: without it (an Xray below 3.136), the task fails before any write.
        probe, read_end = health_read(run, read_end)
        if probe is None:
            action = "fail"
    if action in (None, "fail"):
        assert failed is (action == "fail") and not writes and result["changed"] is False, "expected %s" % action
        assert len(log) == read_end, "requests after a read that left nothing to do"
        assert result.get("password_sent") is False, "password_sent without a write"
        return
    if task.check_mode:
        assert not failed and result["changed"] is True and len(log) == read_end
        assert result.get("password_sent") is send_password, "check mode: password_sent is whether it would be sent"
        return
    assert writes, "nothing sent for %s" % action
    if not failed:
        assert result["changed"] is True
    expected_method = {"create": "POST", "update": "PUT", "delete": "DELETE"}[action]
    for index in writes:
        assert log[index].method == expected_method, "%s sent for %s" % (log[index].method, action)
        check_payload(task, current, health, action, log[index].payload)
    # password_sent: whether a request carrying the password left this machine, as the transport saw it.
    left = [index for index in writes if "password" in (log[index].payload or {})
            and log[index].canned.failure not in NOT_SENT_KINDS]
    assert result.get("password_sent") is bool(left), "password_sent %r, but %d request(s) carrying it left" % (
        result.get("password_sent"), len(left))


def check_payload(task, current, health, action, payload):
    if action == "delete":
        assert payload is None
        return
    if action == "create":
        assert payload["connection_name"] == task.name and payload["password"] == task.args["password"]
        assert payload["auth_type"] == "basic"
        for field in COMPARED_FIELDS:
            if task.args.get(field) is not None:
                assert payload[field] == task.args[field], field
        return
    changes = expected_changes(task, current)
    expected = dict(changes, connection_name=current["connection_name"])
    if password_plan(task, changes, health):
        expected["password"] = task.args["password"]
    assert payload == expected, "PUT %r, expected %r" % (payload, expected)


def check_health(run, result):
    """Nothing is reported healthy that was not read as healthy for that integration."""
    if (result.get("status") or {}).get("status") != "HEALTHY_INTEGRATION":
        return
    healthy = []
    for position, exchange in enumerate(run.log):
        if exchange.kind == "status":
            health, _end = health_read(run, position)
            healthy.append(health is not None and health["status"] == "HEALTHY_INTEGRATION")
    assert any(healthy), "reported healthy, but no status answer said so about %r" % run.task.name


def check_run(run):
    note("requests: %r" % (run.log,))
    note("output: %s" % run.stdout.strip()[:3000])
    run.result = check_exit(run)
    check_secrets(run)
    check_requests(run)
    check_changed(run, run.result)
    check_decisions(run, run.result)
    check_health(run, run.result)
    outcome = "failed" if run.result.get("failed") else "changed" if run.result["changed"] else "ok"
    event("%s: %s, %s, %d write(s)" % (run.task.module, initial_read(run)[0], outcome, len(run.writes)))


# -- the property and the defects of 0.1.0 ------------------------------------------------

PASSWORD = u"Jpw<&>\"' %2F\\\u00e9\u20ac"
TOKEN = "Tok-example-4711"
SPEC = dict(connection_name="jira-1", username=DEFAULTS["username"], password=PASSWORD, installation_type="cloud",
            jira_server_url=DEFAULTS["jira_server_url"], retries=3)
STORED = dict(connection_name="jira-1", auth_type="basic", username=DEFAULTS["username"], installation_type="cloud",
              jira_server_url=DEFAULTS["jira_server_url"], skip_proxy=False)
NOT_FOUND = reply(404, {"error": "Integration not found"})
HEALTH = dict(status="HEALTHY_INTEGRATION", reason="Integration is healthy", time="2024-01-01T12:00:00Z",
              integration_name="jira-1")
MULTILINE = "Jira answered:\nHTTP 401 Unauthorized"
ARTIFACTORY_404 = reply(404, {"errors": [{"status": 404, "message": "Not Found"}]})


def spec_task(**options):
    return make_task("jira_integration", token=TOKEN, **dict(SPEC, **options))


@settings(max_examples=600, deadline=None, derandomize=True, database=None, print_blob=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(task=tasks(), data=st.data())
# A write answered 200 with an HTML page is not a success; the re-read finds nothing.
@example(task=spec_task(), data=ScriptedServer(NOT_FOUND, reply(200, "<html>Welcome</html>", "text/html"), NOT_FOUND))
# A write answered 201 with JSON, or 204 empty, is one.
@example(task=spec_task(), data=ScriptedServer(NOT_FOUND, reply(201, {"info": "Integration was created"})))
@example(task=spec_task(state="absent"), data=ScriptedServer(reply(200, STORED), reply(204, b"", None)))
# A 500 page that echoes the password HTML-escaped and as a Python repr.
@example(task=spec_task(), data=ScriptedServer(NOT_FOUND, reply(500, "<html><p>bad password %s</p><pre>%r</pre></html>" % (
    html.escape(PASSWORD), PASSWORD), "text/html")))
@example(task=make_task("jira_integration", user="admin", user_password=PASSWORD, **SPEC), data=ScriptedServer(
    NOT_FOUND, fail(PROXY, "proxy http://admin:%s@proxy:3128 refused" % quote(PASSWORD, safe="")),
    reply(500, "<p>Basic %s</p>" % base64.b64encode(("admin:" + PASSWORD).encode("utf-8")).decode("ascii"), "text/html")))
# Xray spells the name in another case: no change, and no PUT of connection_name.
@example(task=spec_task(), data=ScriptedServer(reply(200, dict(STORED, connection_name="Jira-1"))))
@example(task=spec_task(username="other@acme.example"),
         data=ScriptedServer(reply(200, dict(STORED, connection_name="Jira-1")), reply(200, b"", None)))
# Artifactory's JSON 404 is not Xray saying "absent".
@example(task=spec_task(state="absent"), data=ScriptedServer(ARTIFACTORY_404, ARTIFACTORY_404))
@example(task=spec_task(), data=ScriptedServer(ARTIFACTORY_404, reply(200, {"xray_version": "3.120.0"})))
@example(task=spec_task(state="absent"), data=ScriptedServer(reply(404, {"error": "Not Found", "errors": [{"status": 404}]}),
                                                             fail(CONNECT, "refused")))
# A POST that timed out is sent once; one that failed its TLS handshake too.
@example(task=spec_task(), data=ScriptedServer(NOT_FOUND, fail(TIMEOUT), NOT_FOUND))
@example(task=spec_task(), data=ScriptedServer(NOT_FOUND, fail(TLS, "handshake failure")))
@example(task=spec_task(), data=ScriptedServer(NOT_FOUND, reply(504, "<html>Gateway Timeout</html>", "text/html"), NOT_FOUND))
# 200,000-deep JSON.
@example(task=spec_task(), data=ScriptedServer(reply(200, "[" * 200000 + "]" * 200000)))
# Details without auth_type, or with null, and a task that says basic: nothing to do.
@example(task=spec_task(auth_type="basic"), data=ScriptedServer(reply(200, {k: v for k, v in STORED.items() if k != "auth_type"})))
@example(task=spec_task(auth_type="basic"), data=ScriptedServer(reply(200, dict(STORED, auth_type=None))))
# Found by generated runs. Server text inside msg must be one line: the version, an auth_type, a health reason.
@example(task=spec_task(), data=ScriptedServer(ARTIFACTORY_404, reply(200, {"xray_version": "3.100.0\nbuild 7"})))
@example(task=spec_task(auth_type="basic"), data=ScriptedServer(reply(200, dict(STORED, auth_type="OAuth 2.0\n(3LO)"))))
@example(task=spec_task(update_password="on_unhealthy"), data=ScriptedServer(
    reply(200, STORED), reply(200, dict(HEALTH, status="FAULTY_CONFIGURATION", reason=MULTILINE)), reply(204), reply(200, HEALTH)))
@example(task=spec_task(username="other@acme.example", verify_health=True), data=ScriptedServer(
    reply(200, STORED), reply(204), reply(200, dict(HEALTH, status="FAULTY_CONFIGURATION", reason=MULTILINE))))
# Found by generated runs. Headers are untrusted too: a charset Python cannot decode with, a Retry-After in
# non-ASCII digits, a Location that is no URL.
@example(task=spec_task(), data=ScriptedServer(reply(500, "<p>down</p>", "text/html; charset=idna")))
@example(task=spec_task(), data=ScriptedServer(reply(503, {"error": "busy"}, headers={"Retry-After": u"\u00b2"}), NOT_FOUND))
@example(task=spec_task(), data=ScriptedServer(reply(302, b"", None, headers={"Location": "http://[x/login"})))
# Issue 16. A status answer about another integration (a cache that ignores the query string), or about none: not
# understood, never a reason to send the password, never healthy.
@example(task=spec_task(update_password="on_unhealthy"), data=ScriptedServer(
    reply(200, STORED), reply(200, dict(HEALTH, integration_name="other", status="FAULTY_CONFIGURATION"))))
@example(task=make_task("jira_integration_info", token=TOKEN, connection_name="jira-1", include_status=True),
         data=ScriptedServer(reply(200, STORED), reply(200, dict(HEALTH, integration_name="other"))))
@example(task=make_task("jira_integration_info", token=TOKEN, connection_name="jira-1", include_status=True),
         data=ScriptedServer(reply(200, STORED), reply(200, {k: v for k, v in HEALTH.items() if k != "integration_name"})))
# A documented status in a 500: understood; the URL change proceeds without the password.
@example(task=spec_task(update_password="on_unhealthy", jira_server_url="https://jira.acme.example/jira"),
         data=ScriptedServer(reply(200, STORED), reply(500, dict(HEALTH, status="INTERNAL_SERVER_ERROR")), reply(200)))
# The PUT that carries the password is refused before it left (no connection, TLS): password_sent is false.
@example(task=spec_task(update_password="on_unhealthy", retries=0), data=ScriptedServer(
    reply(200, STORED), reply(200, dict(HEALTH, status="FAULTY_CONFIGURATION")), fail(CONNECT, "refused")))
@example(task=spec_task(update_password="always", retries=0), data=ScriptedServer(reply(200, STORED), fail(TLS, "handshake")))
# ... and true when it may have arrived (a timeout).
@example(task=spec_task(update_password="always", retries=0),
         data=ScriptedServer(reply(200, STORED), fail(TIMEOUT), reply(200, STORED)))
# A 400 that echoes the basic-auth header Xray sent to Jira: base64 of username:password.
@example(task=spec_task(), data=ScriptedServer(NOT_FOUND, reply(400, {"error": "Jira said 401 to Authorization: Basic %s" % (
    base64.b64encode(("%s:%s" % (DEFAULTS["username"], PASSWORD)).encode("utf-8")).decode("ascii"))})))
# An Xray without the status API: a create that verify_health or on_unhealthy follows fails before the write.
@example(task=spec_task(verify_health=True), data=ScriptedServer(
    NOT_FOUND, reply(404, "404 page not found", "text/plain"), reply(200, {"xray_version": "3.130.0"})))
@example(task=spec_task(update_password="on_unhealthy", check_mode=True), data=ScriptedServer(
    NOT_FOUND, reply(404, "404 page not found", "text/plain"), reply(200, {"xray_version": "3.130.0"})))
def test_every_generated_run_keeps_the_promises(task, data):
    server = data.start() if isinstance(data, ScriptedServer) else DataServer(data, task)
    check_run(run_module(task, server))
