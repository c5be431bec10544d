# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""use_proxy: HTTP(S)_PROXY from the environment is used with use_proxy=true and ignored with false.

A logging forward proxy on loopback proves which requests went through it. NO_PROXY is set to an
unrelated name, so 127.0.0.1 is not bypassed by requests' own rules; one task sets NO_PROXY to
127.0.0.1 to show that it is honoured too.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket

import pytest

import e2e_support as e2e

NAME = "jira-proxy"


@pytest.fixture
def proxy():
    with e2e.ForwardProxy(host="127.0.0.1") as server:
        yield server


def _closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_use_proxy(emulator, tls_files, proxy, workdir):
    https = e2e.XrayEmulator(host="127.0.0.1", certfile=tls_files.server_cert, keyfile=tls_files.server_key)
    with https:
        for server in (emulator, https):
            server.seed(e2e.seed_record(NAME))
        dead_proxy = "http://127.0.0.1:%d" % _closed_port()
        through = {"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "http_proxy": proxy.url,
                   "https_proxy": proxy.url, "NO_PROXY": "proxy-bypass.invalid", "no_proxy": "proxy-bypass.invalid"}
        dead = dict((key, dead_proxy if "proxy" in key.lower() and "no_" not in key.lower() else value)
                    for key, value in through.items())
        bypass = dict(through, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        # name -> (url, use_proxy, environment, goes through the proxy, passes)
        cases = [
            ("http with proxy", emulator.url, True, through, True, True),
            ("http without proxy", emulator.url, False, through, False, True),
            ("https with proxy", https.url, True, through, True, True),
            ("https without proxy", https.url, False, through, False, True),
            ("https with NO_PROXY match", https.url, True, bypass, False, True),
            ("dead proxy used", https.url, True, dead, False, False),
            ("dead proxy ignored", https.url, False, dead, False, True),
        ]
        tasks = [{"name": name, "environment": environment, "ignore_errors": True,
                  "frogops.xray.jira_integration_info": {
                      "url": url, "use_proxy": use_proxy, "access_token": e2e.ADMIN_TOKEN, "connection_name": NAME,
                      "ca_path": tls_files.ca_pem, "retries": 1, "retry_backoff": 0.01, "timeout": 10}}
                 for name, url, use_proxy, environment, _through, _passes in cases]
        run = e2e.run_playbook(workdir, [{"name": "proxy", "hosts": "localhost", "gather_facts": False,
                                          "tasks": tasks}])
        proxy_log = proxy.requests
        https_log = https.requests
        https_url = https.url

    http_port = emulator.url.rsplit(":", 1)[1]
    https_port = https_url.rsplit(":", 1)[1]
    for name, url, use_proxy, _environment, via_proxy, passes in cases:
        event = run.result(name)
        result = event["result"]
        e2e.assert_no_traceback(result)
        assert event["status"] == ("ok" if passes else "failed"), (name, result)
        if passes:
            assert result["exists"] is True, (name, result)
        else:
            assert "Proxy error" in result["msg"] and "use_proxy=false" in result["msg"], (name, result["msg"])
        seen = [entry for entry in proxy_log if event["start"] <= entry["time"] <= event["time"]]
        if via_proxy and url == emulator.url:
            assert [(e["method"], e["target"]) for e in seen] == [
                ("GET", "%s/xray/api/v1/ticketing/jira-integrations/%s/details" % (emulator.url, NAME))], name
        elif via_proxy:
            assert [(e["method"], e["target"], e["status"]) for e in seen] == [
                ("CONNECT", "127.0.0.1:%s" % https_port, 200)], name
        else:
            assert seen == [], (name, seen)
    # Every proxied request is accounted for by the tasks above.
    assert len(proxy_log) == 2
    assert all(entry["target"].endswith(":" + https_port) or http_port in entry["target"] for entry in proxy_log)
    # Requests that bypassed the proxy still reached the emulator directly.
    assert len(emulator.requests) == 2
    assert len(https_log) == 4
