# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny logging HTTP forward proxy on loopback, for tests of proxy handling (standard library only).

It tunnels CONNECT (https targets) and forwards absolute-URI requests (http targets), and records each
one, so a test can prove that a client did or did not go through the proxy.  Only loopback targets are
served: the proxy exists to observe local test traffic, never to reach anything else.

In-process: ``with ForwardProxy() as proxy: ... proxy.requests``.  As a program it prints its URL and
serves ``GET /_proxy/requests`` (and ``DELETE`` to clear) as plain, non-proxied requests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import http.client
import ipaddress
import json
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer

# The emulator's module, beside this file: found because this folder is on sys.path (a script's
# own folder always is; the tests put it there before importing either module).
from xray_emulator import BackgroundServer, serve_until_signal

# Headers that describe one hop only (RFC 9110 7.6.1); never passed on.
HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade"))
CONTROL_PATH = "/_proxy/requests"
UPSTREAM_TIMEOUT = 30.0
MAX_BODY = 10 * 1024 * 1024


def is_loopback(host):
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_authority(authority, default_port):
    """Return (host, port) of 'host:port' or '[v6]:port'; raise ValueError."""
    if authority.startswith("["):
        host, _sep, rest = authority[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _sep, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if not host:
        raise ValueError("no host in %r" % authority)
    return host, int(port) if port else default_port


def split_absolute_uri(uri):
    """Return (host, port, origin-form target) of 'http://host[:port]/raw/path?q', keeping the path raw."""
    if not uri.lower().startswith("http://"):
        raise ValueError("only http:// targets are forwarded (https goes through CONNECT)")
    rest = uri[len("http://"):]
    slash = rest.find("/")
    authority, target = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
    host, port = split_authority(authority.rpartition("@")[2], 80)
    return host, port, target


def relay(client, upstream, idle_timeout):
    """Copy bytes both ways until either side closes or stays idle too long."""
    sockets = [client, upstream]
    try:
        while True:
            readable, _writable, broken = select.select(sockets, [], sockets, idle_timeout)
            if broken or not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (upstream if sock is client else client).sendall(data)
    except OSError:
        return


class ProxyLog:
    """Entries {"method", "target", "client", "status", "time"}; optionally mirrored as JSON lines to a file."""

    def __init__(self, path=None):
        self._lock = threading.Lock()
        self._entries = []
        self._path = path

    def append(self, entry):
        with self._lock:
            self._entries.append(entry)
            if self._path:
                with open(self._path, "a") as stream:
                    stream.write(json.dumps(entry) + "\n")

    def snapshot(self):
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self):
        with self._lock:
            del self._entries[:]


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TestForwardProxy/1.0"
    timeout = 60.0

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write("proxy %s - %s\n" % (self.address_string(), format % args))

    def do_CONNECT(self):
        try:
            host, port = split_authority(self.path, 443)
        except ValueError as exc:
            return self._reply(400, str(exc))
        if not is_loopback(host):
            return self._reply(403, "only loopback targets are allowed")
        try:
            upstream = socket.create_connection((host, port), timeout=UPSTREAM_TIMEOUT)
        except OSError as exc:
            return self._reply(502, str(exc))
        self._record(200)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        try:
            relay(self.connection, upstream, self.timeout)
        finally:
            upstream.close()
        return None

    def do_GET(self):
        if self.path.startswith("/"):
            return self._control()
        try:
            host, port, target = split_absolute_uri(self.path)
        except ValueError as exc:
            return self._reply(400, str(exc))
        if not is_loopback(host):
            return self._reply(403, "only loopback targets are allowed")
        return self._forward(host, port, target)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _record(self, status):
        self.server.log.append({"method": self.command, "target": self.path, "client": list(self.client_address[:2]),
                                "status": status, "time": time.time()})

    def _reply(self, status, message, content_type="text/plain; charset=utf-8", headers=(), record=True):
        if record:
            self._record(status)
        body = message if isinstance(message, bytes) else message.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _control(self):
        if self.path.partition("?")[0] != CONTROL_PATH or self.command not in ("GET", "DELETE"):
            return self._reply(404, "not a proxy request; the proxy's own path: GET/DELETE %s" % CONTROL_PATH, record=False)
        if self.command == "DELETE":
            self.server.log.clear()
        body = json.dumps({"requests": self.server.log.snapshot()})
        return self._reply(200, body, "application/json", record=False)

    def _read_body(self):
        length = self.headers.get("Content-Length")
        if not length:
            return None
        if not length.strip().isdigit() or int(length) > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(int(length))

    def _forward(self, host, port, target):
        try:
            body = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            return self._reply(400, str(exc))
        upstream = http.client.HTTPConnection(host, port, timeout=UPSTREAM_TIMEOUT)
        try:
            upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    upstream.putheader(name, value)
            if body is not None:
                upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            response = upstream.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return self._reply(502, "upstream failed: %s" % exc)
        finally:
            upstream.close()
        headers = [(name, value) for name, value in response.getheaders()
                   if name.lower() not in HOP_BY_HOP and name.lower() not in ("content-length", "content-type", "server", "date")]
        return self._reply(response.status, data, response.getheader("Content-Type", "application/octet-stream"), headers)


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, log, verbose=False):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.log = log
        self.verbose = verbose
        super(ProxyServer, self).__init__(address, ProxyHandler)

    def server_bind(self):
        # Skip HTTPServer's reverse DNS lookup of the host, which can stall on an offline machine.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # Clients hanging up mid-tunnel are normal here.
        if self.verbose:
            sys.stderr.write("proxy %s: %s\n" % (client_address, sys.exc_info()[1]))


class ForwardProxy(BackgroundServer):
    """The proxy in a background thread: start(), url, requests, clear(), stop(); also a context manager."""

    thread_name = "forward-proxy"

    def __init__(self, host="127.0.0.1", port=0, log_file=None, verbose=False):
        super(ForwardProxy, self).__init__(host, port)
        self._log = ProxyLog(log_file)
        self._verbose = verbose

    def _make_server(self):
        return ProxyServer(self._address, self._log, self._verbose)

    @property
    def requests(self):
        return self._log.snapshot()

    def clear(self):
        self._log.clear()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Logging HTTP forward proxy for loopback test traffic.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--url-file", help="also write the URL to this file (atomically, removed at exit)")
    parser.add_argument("--log-file", help="append each proxied request to this file as a JSON line")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    return serve_until_signal("forward_proxy", lambda: ForwardProxy(args.host, args.port, args.log_file, args.verbose).start(),
                              args.url_file)


if __name__ == "__main__":
    sys.exit(main())
