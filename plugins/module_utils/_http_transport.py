# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The transport: sends one prepared request and returns what came back, nothing more.

Private to this collection (leading underscore): no compatibility promise.

This is the seam between the client's policy (_xray_client: statuses, retries,
the write contract, messages) and the network. A transport has one method,
``send(method, url, headers, body, timeout) -> RawAnswer``, and raises
TransportFailure when no complete answer came. Unit tests replace it with a
scripted one; RequestsTransport is the real one.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import threading
import traceback

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import urllib3
    HAS_REQUESTS = True
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

# Xray's answers are a few hundred bytes; anything this large is not one of them.
MAX_BODY = 1024 * 1024
_CHUNK = 64 * 1024
# Extra time for the worker to report a connect timeout of its own before the deadline counts.
_DEADLINE_GRACE = 0.25

# Kinds of TransportFailure, by what they say about the request.
CONNECT = "connect"   # no connection was made: the request certainly did not reach the server
TLS = "tls"           # the TLS handshake failed: not sent, and the same next time
PROXY = "proxy"       # the proxy refused or failed the tunnel: not sent
INVALID = "invalid"   # the request could not be made (bad URL, header, certificate file): not sent
DROPPED = "dropped"   # sent, then the connection closed with no answer: processing ended
UNREADABLE = "unreadable"  # sent, and what came back could not be read: it may still be running
TIMEOUT = "timeout"   # sent, and no complete answer within the deadline: may still be running
NOT_SENT = frozenset((CONNECT, TLS, PROXY, INVALID))


class TransportFailure(Exception):
    """No complete HTTP answer: kind (above) and a human-readable detail.

    sent: whether the request may have reached the server; by default what the kind says. A TLS failure
    reported after the request was written (TLS 1.3 servers refuse a missing client certificate only then)
    keeps its kind, for the message, but counts as sent.
    """

    def __init__(self, kind, detail, sent=None):
        super(TransportFailure, self).__init__("%s: %s" % (kind, detail))
        self.kind = kind
        self.detail = detail
        self._sent = sent

    @property
    def sent(self):
        """Whether the request may have reached the server."""
        return self.kind not in NOT_SENT if self._sent is None else self._sent


class RawAnswer:
    """An HTTP answer as received: status, headers (a dict with lower-case names), body bytes.

    complete is False when the body was cut short (connection lost, too large);
    problem says why.
    """

    def __init__(self, status, headers=None, body=b"", complete=True, problem=None):
        self.status = status
        self.headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        self.body = body
        self.complete = complete
        self.problem = problem


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


class RequestsTransport:
    """Sends over one requests.Session (one kept-alive connection), with a deadline per request.

    requests' timeout bounds each socket operation, so a server that trickles a
    byte at a time never trips it. The request therefore runs in a worker
    thread and the caller waits at most `timeout` for the whole of it (connect,
    headers, body); a worker still busy then is abandoned with its connection.
    """

    def __init__(self, verify=True, cert=None, use_proxy=True, max_body=MAX_BODY):
        self._verify = verify
        self._cert = cert
        self._use_proxy = use_proxy
        self._max_body = max_body
        self._session = self._new_session()

    def _new_session(self):
        session = requests.Session()
        # use_proxy=false: ignore HTTP(S)_PROXY/NO_PROXY from the environment.
        session.trust_env = bool(self._use_proxy)
        adapter = _TrackingAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self):
        self._session.close()

    def send(self, method, url, headers, body, timeout):
        outcome = {}
        session = self._session

        def work():
            _PHASE.sent = False
            try:
                outcome["answer"] = self._exchange(session, method, url, headers, body, timeout)
            except TransportFailure as failure:
                outcome["failure"] = failure
            except Exception as exc:  # pylint: disable=broad-except  # anything else: no traceback for the user
                # Raised anywhere from sending to reading the answer: "not sent" would need proof, so it may have been.
                outcome["failure"] = TransportFailure(UNREADABLE if getattr(_PHASE, "sent", True) else INVALID,
                                                      "%s: %s" % (type(exc).__name__, exc))

        worker = threading.Thread(target=work, name="frogops-xray-request")
        worker.daemon = True
        worker.start()
        worker.join(timeout + _DEADLINE_GRACE)
        if worker.is_alive():
            # The abandoned worker keeps its connection; later requests get a fresh one.
            self._session = self._new_session()
            raise TransportFailure(TIMEOUT, "no complete answer within %s seconds" % timeout)
        if "failure" in outcome:
            raise outcome["failure"]
        return outcome["answer"]

    def _exchange(self, session, method, url, headers, body, timeout):
        try:
            # A plain Request().prepare(), not session.prepare_request(): no credentials from ~/.netrc.
            prepared = requests.Request(method, url, headers=headers, data=body).prepare()
            # requests re-quotes URLs and turns %2E back into "." (then ".." is
            # collapsed); our URL is already fully encoded, so send it verbatim.
            prepared.url = url
            settings = session.merge_environment_settings(url, {}, True, self._verify, self._cert)
            adapter = session.get_adapter(url)
        except Exception as exc:  # pylint: disable=broad-except  # nothing was sent yet
            raise TransportFailure(INVALID, "%s: %s" % (type(exc).__name__, exc))
        settings["verify"] = self._verify  # the task's TLS choice beats REQUESTS_CA_BUNDLE
        try:
            # The adapter itself, not session.send(): that resolves a redirect's Location even when it does not
            # follow it, and fails on one that is no UTF-8, after the request was sent.
            response = adapter.send(prepared, timeout=(timeout, timeout), **settings)
        except requests.exceptions.RequestException as exc:
            raise _classify(exc)
        return self._read(response)

    def _read(self, response):
        chunks = []
        size = 0
        problem = None
        try:
            for chunk in response.iter_content(_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                if size > self._max_body:
                    problem = "the body is larger than %d bytes" % self._max_body
                    break
        except requests.exceptions.RequestException as exc:
            problem = "the body was cut short (%s)" % _detail(exc)
        if problem:
            response.close()  # the connection's state is unknown: do not reuse it
        return RawAnswer(response.status_code, response.headers, b"".join(chunks), problem is None, problem)


# Whether the request of the current attempt began to leave this machine, per worker thread: set by the
# connection when it first sends a byte of the request (not of a proxy's CONNECT), read by _classify.
_PHASE = threading.local()

if HAS_REQUESTS:
    class _SendTracking(object):
        """Mixed into urllib3's connections: marks the attempt as sent once a byte of the request may have left.

        urllib3 names failures by what the connection looked like afterwards, not by when they happened: a
        write answered by a closed connection through a proxy reads as "Unable to connect to proxy", a reset
        during the TLS handshake as "Connection aborted", an answer with two Content-Lengths as an invalid
        header. Only the phase tells whether the request (and the password it may carry) left.
        """

        def _tunnel(self, *args, **kwargs):
            # The proxy's CONNECT is sent through send() too; it carries nothing of the request.
            self._frogops_in_tunnel = True
            try:
                return super(_SendTracking, self)._tunnel(*args, **kwargs)
            finally:
                self._frogops_in_tunnel = False

        def send(self, data):
            if self.sock is None and getattr(self, "auto_open", True):
                self.connect()  # a connection failure here leaves the attempt unsent
            if not getattr(self, "_frogops_in_tunnel", False):
                _PHASE.sent = True
            return super(_SendTracking, self).send(data)

    class _TrackedHTTPConnection(_SendTracking, urllib3.connection.HTTPConnection):
        pass

    class _TrackedHTTPSConnection(_SendTracking, urllib3.connection.HTTPSConnection):
        pass

    class _TrackedHTTPPool(urllib3.HTTPConnectionPool):
        ConnectionCls = _TrackedHTTPConnection

    class _TrackedHTTPSPool(urllib3.HTTPSConnectionPool):
        """HTTPS: the TLS handshake comes before any byte of the request; a connection closed or reset during it
        is a TLS failure (not sent), not the "Connection aborted." urllib3 also says after a request was sent."""
        ConnectionCls = _TrackedHTTPSConnection

        def _validate_conn(self, conn):
            try:
                super(_TrackedHTTPSPool, self)._validate_conn(conn)
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
                raise urllib3.exceptions.SSLError("the connection was closed during the TLS handshake (%s)" % exc)

    class _TrackingAdapter(requests.adapters.HTTPAdapter):
        """requests' adapter, with the tracked pools, directly and through a proxy."""

        def init_poolmanager(self, *args, **kwargs):
            super(_TrackingAdapter, self).init_poolmanager(*args, **kwargs)
            _use_tracked_pools(self.poolmanager)

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            return _use_tracked_pools(super(_TrackingAdapter, self).proxy_manager_for(proxy, **proxy_kwargs))

    def _use_tracked_pools(manager):
        # Only in place of urllib3's own pools: a SOCKS proxy's manager has pools of its own, which must stay.
        classes = dict(manager.pool_classes_by_scheme)
        for scheme, default, tracked in (("http", urllib3.HTTPConnectionPool, _TrackedHTTPPool),
                                         ("https", urllib3.HTTPSConnectionPool, _TrackedHTTPSPool)):
            if classes.get(scheme) is default:
                classes[scheme] = tracked
        manager.pool_classes_by_scheme = classes
        return manager


def _detail(exc):
    """The cause of a requests exception without urllib3's "XConnectionPool(...): Max retries exceeded
    with url: ... (Caused by ...)" wrapping, which repeats the URL and hides the cause."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return str(reason if reason is not None else exc)


def _classify(exc):
    """A TransportFailure for a requests exception raised before a complete answer: by exception type, unless the
    request had begun to leave (see _SendTracking), which no "not sent" kind can then claim."""
    failure = _classify_by_type(exc)
    if failure.kind == TLS and getattr(_PHASE, "sent", False):
        return TransportFailure(TLS, failure.detail, sent=True)
    if failure.kind in NOT_SENT and getattr(_PHASE, "sent", False):
        # A proxy error, an invalid header, a connection failure raised after the request began to leave: what
        # came back (or its absence) could not be read, and the request may have arrived.
        return TransportFailure(UNREADABLE, failure.detail)
    return failure


def _classify_by_type(exc):
    detail = _detail(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return TransportFailure(TLS, detail)
    if isinstance(exc, requests.exceptions.ProxyError):
        return TransportFailure(PROXY, detail)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportFailure(CONNECT, "no connection within the timeout (%s)" % detail)
    if isinstance(exc, requests.exceptions.Timeout):
        return TransportFailure(TIMEOUT, detail)
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, urllib3.exceptions.NewConnectionError):  # refused, unreachable, name not found
            return TransportFailure(CONNECT, detail)
        return TransportFailure(DROPPED, detail)
    return TransportFailure(INVALID, detail)
