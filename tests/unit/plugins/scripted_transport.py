# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A transport that answers from a script, for testing the client's policy without sockets.

    transport = ScriptedTransport([answer(200, {"xray_version": "3.140.0"}), failure(TIMEOUT)])
    client = make_client(transport)

Each script item is a RawAnswer, a TransportFailure (raised), or a callable
(method, url, body) -> either. What was sent is in transport.sent.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.frogops.xray.plugins.module_utils._http_transport import RawAnswer, TransportFailure
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayClient

BASE = "https://xray.test"
API = BASE + "/xray/api/v1"


class Sent:
    """One request the client handed to the transport."""

    def __init__(self, method, url, headers, body, timeout):
        self.method = method
        self.url = url
        self.headers = headers
        self.raw_body = body
        self.json = json.loads(body.decode("utf-8")) if body else None
        self.timeout = timeout

    @property
    def path(self):
        return self.url[len(BASE):]

    def __repr__(self):
        return "Sent(%s %s %r)" % (self.method, self.path, self.json)


class ScriptedTransport:
    def __init__(self, script=()):
        self.script = list(script)
        self.sent = []
        self.closed = False

    def send(self, method, url, headers, body, timeout):
        self.sent.append(Sent(method, url, headers, body, timeout))
        if not self.script:
            raise AssertionError("unscripted request: %s %s" % (method, url))
        item = self.script.pop(0)
        if callable(item):
            item = item(method, url, body)
        if isinstance(item, Exception):
            raise item
        return item

    def close(self):
        self.closed = True

    @property
    def calls(self):
        """(method, path) of every request, in order."""
        return [(sent.method, sent.path) for sent in self.sent]

    def count(self, method):
        return sum(1 for sent in self.sent if sent.method == method)


def answer(status, body=None, content_type="application/json", headers=None):
    """A RawAnswer; a dict or list body is sent as JSON, text as UTF-8, bytes as they are."""
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode("utf-8")
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = body or b""
    all_headers = {"Content-Type": content_type} if content_type else {}
    all_headers.update(headers or {})
    return RawAnswer(status, all_headers, data)


def failure(kind, detail="scripted"):
    return TransportFailure(kind, detail)


def make_client(transport, retries=3, secrets=(), auth="Bearer scripted-token", warnings=None, sleeps=None, **kwargs):
    """An XrayClient on the transport; warnings and sleeps (lists) collect what it warned and waited."""
    return XrayClient(BASE, transport, auth=auth, secrets=secrets, retries=retries, retry_backoff=0.5,
                      warn=warnings.append if warnings is not None else None,
                      sleep=sleeps.append if sleeps is not None else (lambda seconds: None), **kwargs)
