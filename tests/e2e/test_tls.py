# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS: certificate checks, ca_path versus REQUESTS_CA_BUNDLE, and mutual TLS.

The emulator serves HTTPS with a certificate of a CA made at test time (trustme). One
ansible-playbook run; the environment of each task is set with the task keyword ``environment``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

import e2e_support as e2e

NAME = "jira-tls"


@pytest.fixture
def https_emulators(tls_files):
    plain = e2e.XrayEmulator(host="127.0.0.1", certfile=tls_files.server_cert, keyfile=tls_files.server_key)
    mutual = e2e.XrayEmulator(host="127.0.0.1", certfile=tls_files.server_cert, keyfile=tls_files.server_key,
                              client_ca=tls_files.client_ca_pem)
    with plain, mutual:
        for server in (plain, mutual):
            server.seed(e2e.seed_record(NAME))
        yield plain, mutual


def _cases(tls, https_url, mtls_url):
    """name -> (url, extra options, task environment, expected to pass)."""
    return [
        ("default trust fails", https_url, {}, {}, False),
        ("ca_path passes", https_url, {"ca_path": tls.ca_pem}, {}, True),
        ("validate_certs false passes", https_url, {"validate_certs": False}, {}, True),
        ("env bundle alone passes", https_url, {}, {"REQUESTS_CA_BUNDLE": tls.ca_pem}, True),
        ("env bundle does not override ca_path", https_url, {"ca_path": tls.other_ca_pem},
         {"REQUESTS_CA_BUNDLE": tls.ca_pem, "CURL_CA_BUNDLE": tls.ca_pem}, False),
        ("ca_path wins over unrelated env bundle", https_url, {"ca_path": tls.ca_pem},
         {"REQUESTS_CA_BUNDLE": tls.other_ca_pem, "CURL_CA_BUNDLE": tls.other_ca_pem}, True),
        ("wrong ca_path fails", https_url, {"ca_path": tls.other_ca_pem}, {}, False),
        ("mtls without client cert fails", mtls_url, {"ca_path": tls.ca_pem, "retries": 1}, {}, False),
        ("mtls with client cert and key passes", mtls_url,
         {"ca_path": tls.ca_pem, "client_cert": tls.client_cert, "client_key": tls.client_key}, {}, True),
        ("mtls with combined pem passes", mtls_url, {"ca_path": tls.ca_pem, "client_cert": tls.client_combined}, {},
         True),
        ("mtls with a certificate of another CA fails", mtls_url,
         {"ca_path": tls.ca_pem, "client_cert": tls.ca_pem, "client_key": tls.server_key, "retries": 1}, {}, False),
    ]


def test_tls_verification_and_mutual_tls(https_emulators, tls_files, workdir):
    plain, mutual = https_emulators
    cases = _cases(tls_files, plain.url, mutual.url)
    tasks = []
    for name, url, options, environment, _passes in cases:
        args = dict({"url": url, "access_token": e2e.ADMIN_TOKEN, "retry_backoff": 0.01, "timeout": 10,
                     "connection_name": NAME}, **options)
        tasks.append({"name": name, "frogops.xray.jira_integration_info": args, "environment": environment,
                      "ignore_errors": True})
    run = e2e.run_playbook(workdir, [{"name": "tls", "hosts": "localhost", "gather_facts": False, "tasks": tasks}])

    problems = []
    for name, url, options, _environment, passes in cases:
        event = run.result(name)
        result = event["result"]
        e2e.assert_no_traceback(result)
        if passes:
            if event["status"] != "ok" or result.get("exists") is not True:
                problems.append("%s: expected success, got %s" % (name, result.get("msg", result)))
            continue
        if event["status"] != "failed" or result.get("changed") is not False:
            problems.append("%s: expected a failure, got %s: %s" % (name, event["status"], result))
            continue
        message = result["msg"]
        if "mtls" in name:
            # The handshake fails on the client certificate: say so, and do not blame the server's certificate.
            if "TLS" not in message or "client_cert" not in message or "ca_path" in message:
                problems.append("%s: message should point at the client certificate: %s" % (name, message))
        else:
            # The cause itself is shown (not cut off by urllib3's wrapping), with the way out.
            if "certificate verify failed" not in message or "ca_path" not in message:
                problems.append("%s: message should explain the certificate problem: %s" % (name, message))
        # A TLS failure does not go away by asking again: no retries.
        if result.get("warnings"):
            problems.append("%s: a TLS failure was retried: %s" % (name, result["warnings"]))
        if "Max retries exceeded" in message:
            problems.append("%s: urllib3's wrapping hides the cause: %s" % (name, message))
    assert not problems, "\n".join(problems) + "\n" + run.describe()

    # Only the passing tasks' requests reached the API (a failed handshake never becomes a request).
    assert len(plain.requests) == sum(1 for c in cases if c[4] and c[1] == plain.url)
    assert len(mutual.requests) == sum(1 for c in cases if c[4] and c[1] == mutual.url)
