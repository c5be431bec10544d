# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options of every frogops.xray module
    # (plugins/module_utils/_connection.py holds their argument spec).
    DOCUMENTATION = r'''
options:
  url:
    description:
      - Base URL of the JFrog Platform, for example V(https://acme.jfrog.io).
      - V(https://acme.jfrog.io/xray), V(https://acme.jfrog.io/xray/api/v1), V(https://acme.jfrog.io/xray/api/v2),
        V(https://acme.jfrog.io/artifactory) and V(https://acme.jfrog.io/ui) work too; these suffixes name the same
        platform and are dropped.
      - If not set, the value of the E(JFROG_URL) environment variable is used.
    type: str
    required: true
  access_token:
    description:
      - JFrog access token, sent as a C(Bearer) token in the C(Authorization) header. The Jira integration modules
        need a user with the Xray admin role; the watch and policy modules need the permissions their docs name
        (C(Manage Watches), C(Manage Policies)).
      - If not set, the value of the E(JFROG_ACCESS_TOKEN) environment variable is used.
      - Either O(access_token) or O(url_username) and O(url_password) is needed. When both are set,
        O(access_token) is used.
      - Set but empty or only whitespace (for example E(JFROG_ACCESS_TOKEN=) in the environment), it fails the task
        before any request, naming the option and its variable. The same holds for O(url_username) and O(url_password).
    type: str
  url_username:
    description:
      - JFrog user name for HTTP basic authentication, an alternative to O(access_token).
      - If not set, the value of the E(JFROG_USERNAME) environment variable is used.
    type: str
  url_password:
    description:
      - Password of O(url_username).
      - If not set, the value of the E(JFROG_PASSWORD) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the JFrog Platform's TLS certificate.
      - Set to V(false) only for testing; prefer O(ca_path) for a private CA.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificate(s) that signed the JFrog Platform's certificate.
      - When set, it is the only trust used, whatever E(REQUESTS_CA_BUNDLE) says.
      - When not set (and O(validate_certs=true)), the default trust of C(requests) is used, that is
        the file in E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) when set, as execution environments
        do for the system store, otherwise the C(certifi) bundle.
    type: path
  client_cert:
    description:
      - PEM file with the client certificate for mutual TLS (and its key, unless O(client_key) is set).
    type: path
  client_key:
    description:
      - PEM file with the private key of O(client_cert), unencrypted.
    type: path
  use_proxy:
    description:
      - Use the proxy named by E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) for the calls to JFrog.
      - Not to be confused with C(skip_proxy), which is Xray's own setting for its calls to Jira.
    type: bool
    default: true
  timeout:
    description:
      - Deadline in seconds for each request as a whole (connecting, the answer's headers and its body),
        not for each network read, so a server that answers slowly byte by byte cannot hold a task longer.
    type: float
    default: 30
  retries:
    description:
      - How many times a request may be repeated, so each request is sent at most 1 + O(retries) times.
      - A read (GET) is repeated after HTTP 429, 502, 503 or 504, a timeout or a lost connection.
      - A write (POST, PUT, DELETE) is repeated only when Xray certainly did not receive it (no connection,
        HTTP 429 or 503); or, once, when its processing certainly ended (HTTP 502 or a dropped connection)
        and reading it back shows it did not take effect. After a timeout or HTTP 504 the
        write may still be running in Xray, so it is read back once and never sent again.
      - Waits grow exponentially from O(retry_backoff) with random jitter; a C(Retry-After) header is
        honoured up to 30 seconds. Every retry is reported as a warning.
      - V(0) disables retries; at most V(100).
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds of the first wait between retries; each further wait may be twice as long.
    type: float
    default: 1.0
requirements:
  - python >= 3.9 (on the host that runs the module). It is the oldest Python with which every supported
    ansible-core (2.16 to 2.21) can run a module; on an older one the task fails with a message naming the
    interpreter found, before any request. Set C(ansible_python_interpreter) to a newer one.
  - requests >= 2.25.0 (on the host that runs the module)
notes:
  - All requests of one task share one HTTP(S) connection.
'''
