# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Client for the JFrog Xray REST API: what an answer means, and what to do about it.

Private to this collection (leading underscore): no compatibility promise.

Every answer is untrusted input. The policy lives here, in one place:
- a read is retried (429, 502, 503, 504, no connection, no answer) at most
  `retries` times, so a request makes at most 1 + retries attempts;
- a write counts only on a documented success (2xx with an empty or JSON
  object body), or when one re-read proves it took effect (write());
- a write is sent again only when the earlier attempt certainly did not reach
  Xray, or certainly ended and a re-read shows it did not take effect; after
  a timeout or a 504 it may still be running, and is never sent again;
- every failure leaves as XrayError, whose message is written for the person
  running the playbook and has every secret masked in every encoding.
The network is behind a transport (_http_transport) that tests replace.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import email.utils
import json
import random
import re
import time

from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.frogops.xray.plugins.module_utils import _http_transport
from ansible_collections.frogops.xray.plugins.module_utils._redaction import Redactor

API_V1 = "/xray/api/v1"
API_V2 = "/xray/api/v2"  # watches and policies
# Paths users paste after the platform's base URL, and what they mean: the same platform.
_PLATFORM_SUFFIXES = (API_V1, API_V2, "/xray", "/artifactory", "/ui")
EXCERPT_LENGTH = 200
# "Try again later": the server said so, or a gateway could not get an answer.
RETRY_STATUSES = frozenset((429, 502, 503, 504))
# After these Xray certainly did not act on the request.
NOT_APPLIED_STATUSES = frozenset((429, 503))
# After these the request's processing ended; whether it took effect, a re-read tells.
ENDED_STATUSES = frozenset((502,))
# Longest single wait, whatever Retry-After or the backoff asks for.
MAX_RETRY_WAIT = 30.0
# Longest timeout accepted (the socket layer overflows not far above 2**33 seconds).
MAX_TIMEOUT = 1000000
_USERINFO_RE = re.compile(r"(?<=//)[^/@\s]+@")
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")
_NOT_JSON = object()


class XrayError(Exception):
    """Any failure talking to Xray. The message is for the person running the playbook.

    status: HTTP status, or None when no HTTP answer arrived.
    error_text: the server's own error text (masked), when it gave one.
    xray_not_found: a 404 in the shape of Xray's own "not found" answer.
    request_sent: for a failed write, whether any attempt of it may have reached the server (an
    answer came, or it was lost or late); False when the transport proves that none left this
    machine (no connection, the TLS handshake or the proxy failed, the request could not be made).
    """

    def __init__(self, message, status=None, error_text=None, xray_not_found=False, request_sent=True):
        super(XrayError, self).__init__(message)
        self.message = message
        self.status = status
        self.error_text = error_text
        self.xray_not_found = xray_not_found
        self.request_sent = request_sent

    def http_status_result(self):
        """The http_status return value: only when Xray (or whatever answered at url) answered."""
        return {} if self.status is None else {"http_status": self.status}


class Reply:
    """An HTTP answer, understood as far as it can be.

    data: the parsed JSON value when the body is JSON, else None.
    is_json / is_empty: what the body is; excerpt: a short, masked view of it.
    """

    def __init__(self, status, headers, data, is_json, is_empty, complete, excerpt):
        self.status = status
        self.headers = headers
        self.data = data
        self.is_json = is_json
        self.is_empty = is_empty
        self.complete = complete
        self.excerpt = excerpt

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    @property
    def is_object(self):
        return self.is_json and isinstance(self.data, dict)

    @property
    def documented_success(self):
        """2xx with an empty or JSON object body: how Xray says a write was done."""
        if not (200 <= self.status < 300 and self.complete):
            return False
        # A JSON object that reports an error (a WAF's {"errors": [...]}) is no success, whatever the status.
        return self.is_empty or (self.is_object and "error" not in self.data and "errors" not in self.data)

    @property
    def error_text(self):
        """The server's error text in Xray's ({"error"}) or Artifactory's ({"errors": [...]}) shape."""
        if not self.is_object:
            return None
        if isinstance(self.data.get("error"), str):
            return self.data["error"]
        errors = self.data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = errors[0].get("message")
            if isinstance(message, str):
                return message
        return None

    @property
    def xray_not_found(self):
        """A 404 in Xray's own shape, {"error": "..."}: not Artifactory's {"errors": [...]}, not a proxy's page."""
        # Frameworks answer {"error": "Not Found", "status": 404, "path": ..., "timestamp": ...} (Spring Boot):
        # not Xray's word, which has no such fields.
        return self.status == 404 and self.is_object and isinstance(self.data.get("error"), str) \
            and not set(self.data) & {"errors", "status", "path", "timestamp"}


def sentence(text):
    """text ending as a sentence, so that the next one can follow it."""
    return text if text.endswith((".", "!", "?", "...")) else text + "."


def parse_json(text):
    """The JSON value of text, or _NOT_JSON. Whatever the text: never raises.

    NaN and Infinity are not JSON; deep nesting and numbers beyond what
    Python converts are not understood rather than fatal; nor is an object
    that gives one key twice.
    """
    def reject_constant(_name):
        raise ValueError("not JSON")

    def reject_duplicate_keys(pairs):
        # {"status": "FAULTY_CONFIGURATION", "status": "HEALTHY_INTEGRATION"}: which one is meant is anyone's guess.
        obj = dict(pairs)
        if len(obj) != len(pairs):
            raise ValueError("duplicate keys")
        return obj
    try:
        return json.loads(text, parse_constant=reject_constant, object_pairs_hook=reject_duplicate_keys)
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return _NOT_JSON


def decode_body(raw, errors="replace"):
    """Text of a body: its declared charset when Python knows it, else UTF-8; a BOM is dropped.

    errors="strict" raises UnicodeError on bytes that are not text in that charset.
    """
    charset = "utf-8-sig"
    match = re.search(r"charset=[\"']?([\w.:-]+)", raw.headers.get("content-type", ""), re.IGNORECASE)
    if match and match.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        charset = match.group(1)
    try:
        return raw.body.decode(charset, errors=errors)
    except LookupError:  # a charset Python does not know
        return raw.body.decode("utf-8-sig", errors=errors)
    except UnicodeError:  # bytes that are not text, or a codec that is no text charset (idna)
        if errors == "strict":
            raise
        return raw.body.decode("utf-8-sig", errors=errors)


def api_base_url(url):
    """The Xray API v1 root for a JFrog Platform URL (see platform_url)."""
    return platform_url(url) + API_V1


def platform_url(url):
    """Return the JFrog Platform base URL for what a user pasted.

    Accepts https://host, https://host/xray, https://host/xray/api/v1,
    https://host/xray/api/v2, https://host/artifactory and https://host/ui
    (with or without a trailing slash), so users can paste whichever they have.
    """
    if not isinstance(url, str) or not url.strip():
        raise XrayError("url is set but empty (by the task, or by JFROG_URL in the environment): give the JFrog "
                        "Platform base URL, for example https://acme.jfrog.io")
    invalid = XrayError("url must be an http(s) URL such as https://acme.jfrog.io, got %r" % redact_userinfo(url))
    try:
        parts = urlsplit(url.strip())
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a port out of range
    except ValueError:
        raise invalid
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise invalid
    if parts.username is not None or parts.password is not None:
        # It would be echoed in every message and warning that names a URL.
        raise XrayError("url must not contain credentials; use access_token, or url_username and url_password.")
    path = parts.path.rstrip("/")
    for suffix in _PLATFORM_SUFFIXES:
        if path.lower().endswith(suffix):
            path = path[:-len(suffix)]
            break
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))


def encode_segment(segment):
    """Percent-encode one path segment, so any name stays one segment.

    quote() leaves "." alone, and a segment made only of dots would be
    collapsed as "." or ".." by URL normalisation on the way; encode those too.
    """
    encoded = quote(segment, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def redact_userinfo(text):
    """Hide user:password@ in URLs (proxy URLs in error texts may carry them)."""
    return _USERINFO_RE.sub("***@", text)


def retry_after_seconds(value):
    """Seconds asked by a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to Python, but no number
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    try:
        return max(0.0, when.timestamp() - time.time())
    except (OverflowError, ValueError, OSError):
        return None


def auth_header(access_token=None, username=None, password=None):
    """The Authorization header value: Bearer token, else HTTP basic in UTF-8, else None."""
    if access_token:
        # An HTTP header holds no more: anything else would fail deep in http.client (with a
        # traceback, or a message that quotes the token).
        if not _TOKEN_RE.fullmatch(access_token):
            raise XrayError("access_token can only hold printable ASCII characters without spaces (a trailing "
                            "newline from a file?); it was not sent.")
        return "Bearer %s" % access_token
    if username is not None:
        pair = ("%s:%s" % (username, password or "")).encode("utf-8")
        return "Basic %s" % base64.b64encode(pair).decode("ascii")
    return None


class Subject:
    """What requests are about, for the client's messages: a resource tells it, the client knows no resource.

    noun: what a re-read reads back ("integration", "watch").
    unreadable: why a re-read cannot always tell (for the message), or None.
    roles: the permission a 403 asks for, as a phrase ("the Manage Watches permission"); None: Xray admin.
    """

    def __init__(self, noun, unreadable=None, roles=None):
        self.noun = noun
        self.unreadable = unreadable
        self.roles = roles


ANYTHING = Subject("resource")


class XrayClient:
    """Talks to one Xray through one transport, with the retry and write policy of this module."""

    def __init__(self, url, transport, auth=None, secrets=(), timeout=30.0, retries=3, retry_backoff=1.0,
                 warn=None, user_agent="frogops.xray", sleep=None):
        self.platform_url = platform_url(url)
        self.base_url = self.platform_url + API_V1  # the root of messages about the URL (and of v1 requests)
        # NaN, infinity or more than the socket layer takes would end in a traceback at the first request.
        if not 0 < timeout <= MAX_TIMEOUT:
            raise XrayError("timeout must be a number of seconds above 0 and at most %d, got %s" % (
                MAX_TIMEOUT, timeout))
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.retry_backoff = max(0.0, float(retry_backoff))
        self.redact = Redactor(tuple(secrets) + ((auth.split(" ", 1)[1],) if auth else ()))
        self._warn = warn or (lambda message: None)
        self._transport = transport
        self._sleep = sleep  # None: time.sleep, looked up when used
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        if auth:
            self._headers["Authorization"] = auth

    def add_secret(self, value):
        """Register another value (e.g. the Jira password) to keep out of messages."""
        self.redact.add(value)

    def warn(self, message):
        self._warn(self.redact(message))

    def error(self, message, **kwargs):
        """An XrayError whose message is masked."""
        return XrayError(self.redact(message), **kwargs)

    def url_for(self, segments, query=None, root=API_V1):
        """URL for path segments under an API root; each segment is percent-encoded on its own."""
        url = self.platform_url + root + "/" + "/".join(encode_segment(str(s)) for s in segments)
        if query:
            url += "?" + "&".join("%s=%s" % (quote(k, safe=""), quote(str(v), safe="")) for k, v in query.items())
        return url

    def close(self):
        self._transport.close()

    # -- reads ------------------------------------------------------------

    def get(self, segments, query=None, accept=(200,), root=API_V1, subject=ANYTHING):
        """GET with retries; a Reply whose status is in accept, else XrayError.

        A 200 must be a JSON object: anything else (an SSO page, a WAF's
        answer) is not understood and fails here, so callers never see it.
        """
        url = self.url_for(segments, query, root)
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = self._attempt("GET", url, None)
            except _http_transport.TransportFailure as failure:
                error = self._failure_error("GET", url, failure)
                if failure.kind in (_http_transport.TLS, _http_transport.INVALID) or attempt > self.retries:
                    raise error
                self._pause(attempt, "GET", url, error.message, None)
                continue
            # Retried: "later", an interim 1xx, or an answer cut short (the connection was lost in its body).
            if (reply.status in RETRY_STATUSES or reply.status < 200 or not reply.complete) and attempt <= self.retries:
                self._pause(attempt, "GET", url, "HTTP %d" % reply.status, reply.headers.get("retry-after"))
                continue
            if reply.status in accept and (reply.status != 200 or (reply.complete and reply.is_object)):
                return reply
            raise self.status_error("GET", url, reply, subject)

    # -- writes -----------------------------------------------------------

    def write(self, method, segments, body, took_effect, pending_hint="", query=None, root=API_V1, subject=ANYTHING):
        """Send a write (POST, PUT, DELETE) under the write contract; return "answered" or "re-read".

        took_effect() re-reads and returns True (the write is in effect), False
        (it is not) or None (a re-read cannot tell). It is called at most once
        per unclear outcome. "re-read" means the answer was not understood or
        lost but the re-read proved the write; a warning says so. Anything
        else raises XrayError: the write did not happen, or may not have.
        pending_hint is added when the write may still be running in Xray. subject names what is
        written, in the messages.
        """
        url = self.url_for(segments, query, root)
        attempt = 0
        resent_after_end = False
        sent = False  # whether any attempt so far may have reached the server
        while True:
            attempt += 1
            try:
                reply = self._attempt(method, url, body)
            except _http_transport.TransportFailure as failure:
                reply = None
                error = self._failure_error(method, url, failure)
                if not failure.sent:
                    if failure.kind in (_http_transport.TLS, _http_transport.INVALID) or attempt > self.retries:
                        error.request_sent = sent
                        raise error
                    self._pause(attempt, method, url, error.message, None)
                    continue
                sent = True
                # Only a dropped connection certainly ended; an answer that could not be read may come from an
                # Xray still at work (a proxy's page, a broken header), like a timeout.
                outcome = "ended" if failure.kind == _http_transport.DROPPED else "pending"
            else:
                sent = True
                if reply.documented_success:
                    return "answered"
                if reply.status in NOT_APPLIED_STATUSES:
                    if attempt > self.retries:
                        raise self.status_error(method, url, reply, subject)
                    self._pause(attempt, method, url, "HTTP %d" % reply.status, reply.headers.get("retry-after"))
                    continue
                error = self.status_error(method, url, reply, subject)
                if reply.status < 400:  # 1xx (an interim answer as the last one), 2xx or 3xx not understood
                    outcome = "unclear"
                elif reply.status in ENDED_STATUSES:
                    outcome = "ended"
                elif reply.status == 504:
                    outcome = "pending"
                else:
                    raise error  # Xray's (or a gateway's) own word that it did not do it

            verdict = self._reread(error, took_effect)
            if verdict:
                self.warn("%s Reading the %s back shows that the %s took effect." % (
                    error.message, subject.noun, method))
                return "re-read"
            if outcome == "ended" and verdict is False and not resent_after_end and attempt <= self.retries:
                resent_after_end = True
                reason = "HTTP %d" % reply.status if reply is not None else "a lost connection"
                self._pause(attempt, method, url, reason + " (reading back showed it did not take effect)", None)
                continue
            raise self._unconfirmed(error, outcome, verdict, pending_hint, subject)

    def _reread(self, error, took_effect):
        try:
            return took_effect()
        except XrayError as reread_error:
            raise self.error("%s Reading back to learn whether it took effect failed too: %s Run the task again: "
                             "it reads first, so it converges either way." % (error.message, reread_error.message),
                             status=error.status)

    def _unconfirmed(self, error, outcome, verdict, pending_hint, subject):
        if verdict is None:
            what = "Whether it took effect cannot be read back%s." % (
                " (%s)" % subject.unreadable if subject.unreadable else "")
        else:
            what = "Reading back shows that it has not taken effect%s." % (" (yet)" if outcome == "pending" else "")
        message = "%s %s" % (error.message, what)
        if outcome == "pending":
            message += (" It was not sent again: Xray may still be working on it. %s Run the task again later: it "
                        "reads first, so it converges." % pending_hint).replace("  ", " ")
        elif outcome == "ended" and verdict is False:
            message += " Nothing was changed; run the task again."
        elif outcome == "ended":  # a re-read that cannot tell is no proof that nothing changed
            message += " Run the task again: it reads first, so it converges."
        return self.error(message, status=error.status, error_text=error.error_text)

    # -- one attempt ------------------------------------------------------

    def _attempt(self, method, url, body):
        headers = dict(self._headers)
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        raw = self._transport.send(method, url, headers, data, self.timeout)
        return self._understand(raw)

    def _understand(self, raw):
        text = decode_body(raw)
        content_type = raw.headers.get("content-type", "").lower()
        data = _NOT_JSON
        # JSON only where the server says so (or says nothing, or plain text): an HTML page is never data.
        if text.strip() and ("json" in content_type or content_type.split(";")[0].strip() in ("", "text/plain")):
            try:
                # Bytes that are not text are not data either: replaced, they would change the values read.
                data = parse_json(decode_body(raw, errors="strict"))
            except UnicodeError:
                data = _NOT_JSON
        is_json = data is not _NOT_JSON
        return Reply(raw.status, raw.headers, data if is_json else None, is_json, not text.strip(),
                     raw.complete, self.redact.excerpt(text, EXCERPT_LENGTH))

    def _pause(self, attempt, method, url, reason, retry_after):
        backoff = min(self.retry_backoff * (2 ** min(attempt - 1, 16)), MAX_RETRY_WAIT)  # no float overflow
        wait = random.uniform(0, backoff) if backoff else 0.0  # full jitter
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            wait = max(wait, asked)
        wait = min(wait, MAX_RETRY_WAIT)
        self.warn("Retrying %s %s after %s (retry %d of %d, waiting %.1fs)" % (
            method, url, reason, attempt, self.retries, wait))
        (self._sleep or time.sleep)(wait)

    # -- messages ---------------------------------------------------------

    def _failure_error(self, method, url, failure):
        detail = self.redact.excerpt(redact_userinfo(failure.detail), EXCERPT_LENGTH)
        kind = failure.kind
        if kind == _http_transport.TLS and "certificate verify failed" in detail.lower():
            message = ("TLS error talking to %s: %s The server's certificate could not be verified: set ca_path to "
                       "the CA bundle that signed it (or validate_certs=false, only for testing)." % (url, sentence(detail)))
        elif kind == _http_transport.TLS:
            # Not the server's certificate: the handshake itself failed (no or wrong client certificate, a key
            # that does not match it, not TLS on that port).
            message = ("TLS error talking to %s: %s The TLS handshake failed: if the server requires a client "
                       "certificate (mutual TLS), set client_cert (and client_key) to one it trusts; check that url "
                       "names an HTTPS port." % (url, sentence(detail)))
        elif kind == _http_transport.PROXY:
            message = "Proxy error on %s %s: %s Check HTTPS_PROXY/NO_PROXY or set use_proxy=false." % (
                method, url, sentence(detail))
        elif kind == _http_transport.CONNECT:
            message = "Could not connect to %s (%s %s): %s" % (self.base_url, method, url, sentence(detail))
        elif kind == _http_transport.TIMEOUT:
            message = ("No complete answer to %s %s came within %s seconds (the timeout option)." % (
                method, url, self.timeout))
        elif kind == _http_transport.UNREADABLE:
            message = "The answer to %s %s could not be read: %s" % (method, url, sentence(detail))
        elif kind == _http_transport.DROPPED:
            message = "The connection was lost before a complete answer to %s %s arrived: %s" % (
                method, url, sentence(detail))
        else:
            message = "Request %s %s could not be made: %s" % (method, url, sentence(detail))
        return self.error(message)

    def status_error(self, method, url, reply, subject=ANYTHING):
        server_text = reply.error_text
        shown = self.redact.excerpt(server_text, EXCERPT_LENGTH) if server_text is not None else reply.excerpt
        status = reply.status
        if status == 401:
            message = ("Authentication to JFrog failed (HTTP 401 on %s %s): %s Check access_token, or "
                       "url_username and url_password." % (method, url, sentence(shown or "no details")))
        elif status == 403 and subject.roles:
            message = ("Permission denied (HTTP 403 on %s %s): %s The access token or user needs %s." % (
                method, url, sentence(shown or "no details"), subject.roles))
        elif status == 403:
            message = ("Xray admin permission is required (HTTP 403 on %s %s): %s Use an access token or "
                       "user with the Xray admin role." % (method, url, sentence(shown or "no details")))
        elif status < 400 or (server_text is None and not reply.xray_not_found):
            message = self._not_understood(method, url, reply)
        else:
            message = "Xray answered HTTP %d on %s %s: %s" % (status, method, url, sentence(shown or "empty body"))
        return self.error(message, status=status, error_text=shown if server_text is not None else None,
                          xray_not_found=reply.xray_not_found)

    def _not_understood(self, method, url, reply):
        """What came back, for an answer that is not the API's, and what it probably is."""
        content_type = self.redact.excerpt(reply.content_type, 60) or "no content type"
        what = "HTTP %d (%s)" % (reply.status, content_type)
        if 300 <= reply.status < 400:
            location = reply.headers.get("location", "")
            shown = self.redact.excerpt(redact_userinfo(location), EXCERPT_LENGTH)
            try:
                target = urlsplit(location) if location else None
            except ValueError:  # not a URL (e.g. "http://[x"): shown, but no guess from it
                target = None
            if target and target.scheme == "https" and url.startswith("http://") and \
                    target.netloc.lower() == urlsplit(url).netloc.lower():
                guess = "an http-to-https redirect: use https:// in url"
            elif target and re.search(r"log.?in|sso|saml|auth|oidc", location, re.IGNORECASE):
                guess = "a redirect to a login page (SSO): the request did not reach Xray"
            else:
                guess = "a redirect: url probably does not point at the JFrog Platform itself"
            return "Unexpected answer to %s %s: %s redirecting to %s, probably %s." % (
                method, url, what, shown or "nowhere (no Location)", guess)
        if "html" in reply.content_type.lower() or reply.excerpt.lstrip().startswith("<"):
            guess = "a proxy, WAF or SSO page, not Xray"
        elif not reply.complete:
            guess = "an answer cut short"
        elif reply.status == 404:
            guess = "not Xray's answer: url probably does not point at the JFrog Platform"
        else:
            guess = "not the documented JSON"
        return "Unexpected answer to %s %s: %s: %s Probably %s." % (
            method, url, what, sentence(reply.excerpt or "empty body"), guess)
