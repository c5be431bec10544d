# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the JFrog Xray REST API: one requests.Session per task.

Private to this collection (leading underscore): no compatibility promise.
Every failure leaves this module as one exception type, XrayError, whose
message is written for the person running the playbook.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import email.utils
import json
import os
import random
import re
import time
import traceback

from urllib.parse import quote, urlsplit, urlunsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.auth import AuthBase, HTTPBasicAuth
    HAS_REQUESTS = True
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    AuthBase = object
    HTTPBasicAuth = None

API_ROOT = "/xray/api/v1"
EXCERPT_LENGTH = 200
# Statuses that say "try again later".
RETRY_STATUSES = frozenset((429, 502, 503, 504))
# Of those, the ones after which Xray certainly did not act on the request:
# a 502 or 504 comes from a proxy that may have passed it on before giving up.
NOT_APPLIED_STATUSES = frozenset((429, 503))
# Longest single wait, whatever Retry-After or the backoff asks for.
MAX_RETRY_WAIT = 30.0
# Longest timeout accepted (the socket layer overflows not far above 2**33 seconds).
MAX_TIMEOUT = 1000000
_USERINFO_RE = re.compile(r"(?<=//)[^/@\s]+@")
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")


class XrayError(Exception):
    """Any failure talking to Xray.

    status: HTTP status, or None when no HTTP answer arrived.
    error_text: the server's own error text, when it gave one.
    maybe_applied: a write request may have reached Xray although no answer
    came back (lost connection, 502/504 from a proxy, read timeout).
    """

    def __init__(self, message, status=None, error_text=None, method=None, url=None,
                 maybe_applied=False, api_missing=False):
        super(XrayError, self).__init__(message)
        self.message = message
        self.status = status
        self.error_text = error_text
        self.method = method
        self.url = url
        self.maybe_applied = maybe_applied
        self.api_missing = api_missing


class BearerAuth(AuthBase):
    """Authorization: Bearer <token>.

    An auth object (rather than a plain header) also stops requests from
    replacing our credentials with ones from ~/.netrc.
    """

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer %s" % self.token
        return request


class XrayResponse:
    """What the API answered: status, parsed JSON (or None) and a safe excerpt."""

    def __init__(self, status, body, is_json, excerpt, headers):
        self.status = status
        self.body = body
        self.is_json = is_json
        self.excerpt = excerpt
        self.headers = headers
        self.maybe_applied = False

    @property
    def error_text(self):
        """The server's error message in either documented shape, else None."""
        body = self.body
        if isinstance(body, dict):
            if isinstance(body.get("error"), str):
                return body["error"]
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                message = errors[0].get("message")
                if isinstance(message, str):
                    return message
        return None


def api_base_url(url):
    """Return the Xray API root for a JFrog Platform URL.

    Accepts https://host, https://host/, https://host/xray and
    https://host/xray/api/v1, so users can paste whichever they have.
    """
    if not isinstance(url, str) or not url.strip():
        raise XrayError("url is required: the JFrog Platform base URL, for example https://acme.jfrog.io")
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
    for suffix in (API_ROOT, "/xray"):
        if path.endswith(suffix):
            path = path[:-len(suffix)]
            break
    return urlunsplit((parts.scheme.lower(), parts.netloc, path + API_ROOT, "", ""))


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
    """Hide user:password@ in URLs quoted by urllib3 (proxy URLs may carry them)."""
    return _USERINFO_RE.sub("***@", text)


def _secret_forms(secret):
    """A secret as a body may carry it: as is, and JSON-escaped (non-ASCII as \\uXXXX or not), longest first."""
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return sorted(forms, key=len, reverse=True)


def excerpt(text, secrets=()):
    """A short, single-line, secret-free piece of a response body for messages.

    Secrets are masked before and after whitespace is collapsed (a secret may hold
    whitespace), in raw and JSON-escaped form (a JSON body without an "error" field
    is shown as raw text).
    """
    text = text or ""
    for attempt in range(2):
        for secret in secrets:
            if secret:
                for form in _secret_forms(secret):
                    text = text.replace(form, "********")
        if attempt == 0:
            text = " ".join(text.split())
    if len(text) > EXCERPT_LENGTH:
        text = text[:EXCERPT_LENGTH] + "..."
    return text


def retry_after_seconds(value):
    """Seconds asked by a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def tls_verify_setting(validate_certs, ca_path):
    """The value given to requests' verify= on every call.

    The task decides: validate_certs=false disables checks and ca_path names
    the CA bundle, whatever REQUESTS_CA_BUNDLE says. Only with neither set do we
    keep requests' default trust (REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when set,
    as execution environments do for the system store, else certifi). We pass
    it on every call because requests otherwise lets the environment replace a
    session-level verify.
    """
    if not validate_certs:
        return False
    if ca_path:
        return ca_path
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


class XrayClient:
    """Talks to one Xray over one requests.Session (one TCP/TLS connection, kept alive)."""

    def __init__(self, url, access_token=None, username=None, password=None, validate_certs=True,
                 ca_path=None, client_cert=None, client_key=None, timeout=30.0, use_proxy=True,
                 retries=3, retry_backoff=1.0, warn=None, user_agent="frogops.xray"):
        self.base_url = api_base_url(url)
        # requests raises a bare OSError (a traceback, not a message) for these once it uses them.
        for option, path in (("ca_path", ca_path if validate_certs else None), ("client_cert", client_cert),
                             ("client_key", client_key)):
            if path and not os.path.exists(path):
                raise XrayError("%s: %s does not exist." % (option, path))
        # NaN, infinity or more than the socket layer takes would end in a traceback at the first request.
        if not 0 < timeout <= MAX_TIMEOUT:
            raise XrayError("timeout must be a number of seconds above 0 and at most %d, got %s" % (
                MAX_TIMEOUT, timeout))
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.retry_backoff = max(0.0, float(retry_backoff))
        self.warn = warn or (lambda message: None)
        self._secrets = tuple(s for s in (access_token, password) if s)
        self._verify = tls_verify_setting(validate_certs, ca_path)
        self._session = requests.Session()
        # use_proxy=false: ignore HTTP(S)_PROXY/NO_PROXY (and .netrc) from the environment.
        self._session.trust_env = bool(use_proxy)
        self._session.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        if access_token:
            # An HTTP header holds no more: anything else would fail deep in http.client (with a
            # traceback, or a message that quotes the token).
            if not _TOKEN_RE.fullmatch(access_token):
                raise XrayError("access_token can only hold printable ASCII characters without spaces (a trailing "
                                "newline from a file?); it was not sent.")
            self._session.auth = BearerAuth(access_token)
        elif username is not None:
            # As UTF-8 bytes: requests would encode text as Latin-1, and fail on any other character.
            self._session.auth = HTTPBasicAuth(username.encode("utf-8"), (password or "").encode("utf-8"))
        if client_cert:
            self._session.cert = (client_cert, client_key) if client_key else client_cert

    def add_secret(self, value):
        """Register another value (e.g. the Jira password) to keep out of messages."""
        if value:
            self._secrets = self._secrets + (value,)

    def url_for(self, *segments):
        """API URL for path segments; each segment is percent-encoded on its own."""
        return self.base_url + "/" + "/".join(encode_segment(str(s)) for s in segments)

    def close(self):
        self._session.close()

    # -- requests ---------------------------------------------------------

    def request(self, method, segments, query=None, body=None, ok_statuses=(200,)):
        """Send one API request with retries; return an XrayResponse.

        Statuses in ok_statuses are returned to the caller, which knows what a
        404 means for its endpoint. Anything else raises XrayError.
        """
        url = self.url_for(*segments)
        if query:
            url += "?" + "&".join("%s=%s" % (quote(k, safe=""), quote(str(v), safe="")) for k, v in query.items())
        maybe_applied = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, url, body)
            except requests.exceptions.RequestException as exc:
                reached = not _certainly_not_sent(exc)
                maybe_applied = maybe_applied or (reached and method != "GET")
                error = self._transport_error(method, url, exc, maybe_applied)
                if not _transient(exc) or not self._may_retry(method, attempt, reached):
                    raise error
                self._pause(attempt, method, url, error.message, None)
                continue
            result = self._to_response(response)
            if result.status in ok_statuses:
                result.maybe_applied = maybe_applied
                return result
            if result.status in RETRY_STATUSES:
                reached = result.status not in NOT_APPLIED_STATUSES
                maybe_applied = maybe_applied or (reached and method != "GET")
                if self._may_retry(method, attempt, reached):
                    self._pause(attempt, method, url, "HTTP %d" % result.status, result.headers.get("Retry-After"))
                    continue
            raise self._status_error(method, url, result, maybe_applied)

    def _send(self, method, url, body):
        request = requests.Request(method, url, json=body if body is not None else None)
        prepared = self._session.prepare_request(request)
        # requests re-quotes URLs and turns %2E back into "." (then ".." is
        # collapsed); our URL is already fully encoded, so send it verbatim.
        prepared.url = url
        settings = self._session.merge_environment_settings(url, {}, False, self._verify, None)
        settings["verify"] = self._verify
        return self._session.send(prepared, timeout=self.timeout, allow_redirects=False, **settings)

    def _to_response(self, response):
        content_type = response.headers.get("Content-Type", "")
        if "charset" not in content_type.lower():
            # requests would read text/* without a charset as Latin-1: UTF-8 bodies (JSON always is one)
            # would come out garbled, and secrets in them would escape masking.
            response.encoding = "utf-8"
        text = response.text
        body = None
        is_json = False
        if "json" in content_type.lower() and text.strip():
            try:
                body = json.loads(text)
                is_json = True
            except ValueError:
                is_json = False
        return XrayResponse(response.status_code, body, is_json, excerpt(text, self._secrets), response.headers)

    def _may_retry(self, method, attempt, reached):
        if attempt > self.retries:
            return False
        if method != "POST":
            return True
        # A create is repeated only when Xray certainly did not act on it:
        # no connection was made, or the server said "too many requests".
        return not reached

    def _pause(self, attempt, method, url, reason, retry_after):
        backoff = self.retry_backoff * (2 ** (attempt - 1))
        wait = random.uniform(0, backoff) if backoff else 0.0  # full jitter
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            wait = max(wait, asked)
        wait = min(wait, MAX_RETRY_WAIT)
        self.warn("Retrying %s %s after %s (retry %d of %d, waiting %.1fs)" % (
            method, url, reason, attempt, self.retries, wait))
        time.sleep(wait)

    # -- errors -------------------------------------------------------------

    def _transport_error(self, method, url, exc, maybe_applied):
        detail = excerpt(redact_userinfo(_exception_detail(exc)), self._secrets)
        if isinstance(exc, requests.exceptions.SSLError) and "certificate verify failed" not in detail.lower():
            # Not the server's certificate: the handshake itself failed (no or wrong client certificate, a key
            # that does not match it, not TLS on that port).
            message = ("TLS error talking to %s: %s. The TLS handshake failed: if the server requires a client "
                       "certificate (mutual TLS), set client_cert (and client_key) to one it trusts; check that url "
                       "names an HTTPS port." % (url, detail))
        elif isinstance(exc, requests.exceptions.SSLError):
            message = ("TLS error talking to %s: %s. The server's certificate could not be verified: set ca_path to "
                       "the CA bundle that signed it (or validate_certs=false, only for testing)." % (url, detail))
        elif isinstance(exc, requests.exceptions.ProxyError):
            message = "Proxy error on %s %s: %s. Check HTTPS_PROXY/NO_PROXY or set use_proxy=false." % (method, url, detail)
        elif isinstance(exc, requests.exceptions.Timeout):
            message = "%s %s timed out after %s seconds (timeout option): %s" % (method, url, self.timeout, detail)
        elif isinstance(exc, requests.exceptions.ConnectionError):
            message = "Could not connect to %s (%s %s): %s" % (self.base_url, method, url, detail)
        else:
            message = "Request %s %s failed: %s" % (method, url, detail)
        if maybe_applied:
            message += " The request may have reached Xray; its outcome is unknown."
        return XrayError(message, method=method, url=url, maybe_applied=maybe_applied)

    def _status_error(self, method, url, result, maybe_applied):
        server_text = result.error_text
        shown = excerpt(server_text, self._secrets) if server_text is not None else result.excerpt
        status = result.status
        if status == 401:
            message = ("Authentication to JFrog failed (HTTP 401 on %s %s): %s. Check access_token, or "
                       "url_username and url_password." % (method, url, shown or "no details"))
        elif status == 403:
            message = ("Xray admin permission is required (HTTP 403 on %s %s): %s. Use an access token or "
                       "user with the Xray admin role." % (method, url, shown or "no details"))
        elif status == 404 and not result.is_json:
            message = "HTTP 404 on %s %s, not an answer of the Xray API: %s" % (method, url, shown or "empty body")
        else:
            message = "Xray answered HTTP %d on %s %s: %s" % (status, method, url, shown or "empty body")
        return XrayError(message, status=status, error_text=shown if server_text is not None else None,
                         method=method, url=url, maybe_applied=maybe_applied,
                         api_missing=status == 404 and not result.is_json)


def _exception_detail(exc):
    """The cause of a requests exception without urllib3's "XConnectionPool(...): Max retries exceeded
    with url: ... (Caused by ...)" wrapping, which repeats the URL and pushes the cause out of the excerpt."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return str(reason) if reason is not None else str(exc)


def _transient(exc):
    """Worth asking again: the connection failed or timed out. Not a certificate
    problem, nor a URL or header that will be just as wrong the next time."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError))


def _certainly_not_sent(exc):
    """True when the request never reached the server: no connection was made.

    ConnectTimeout and a refused/unresolvable connection happen before any
    byte of the request is written. Everything else (read timeouts, resets,
    dropped connections) may come after Xray acted on it.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = repr(exc.args[0]) if exc.args else ""
        return "NewConnectionError" in reason or "NameResolutionError" in reason
    return False
