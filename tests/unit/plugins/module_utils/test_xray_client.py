# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""URL building, TLS settings and message hygiene of the HTTP client, without HTTP."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.frogops.xray.plugins.module_utils import _xray_client as xc
from ansible_collections.frogops.xray.plugins.module_utils._http_transport import tls_verify_setting
from ansible_collections.frogops.xray.plugins.module_utils._redaction import Redactor


@pytest.mark.parametrize("url", [
    "https://acme.jfrog.io", "https://acme.jfrog.io/", "https://acme.jfrog.io/xray", "https://acme.jfrog.io/xray/",
    "HTTPS://acme.jfrog.io/xray/api/v1", " https://acme.jfrog.io ", "https://acme.jfrog.io/artifactory",
    "https://acme.jfrog.io/artifactory/", "https://acme.jfrog.io/ui/", "https://acme.jfrog.io/Artifactory",
])
def test_api_base_url_accepts_the_usual_spellings(url):
    assert xc.api_base_url(url) == "https://acme.jfrog.io/xray/api/v1"


def test_api_base_url_keeps_a_context_path():
    assert xc.api_base_url("https://tools.acme.example/jfrog/") == "https://tools.acme.example/jfrog/xray/api/v1"


@pytest.mark.parametrize("url", ["acme.jfrog.io", "ftp://acme.jfrog.io", "https://", "", None])
def test_api_base_url_rejects_what_is_not_http(url):
    with pytest.raises(xc.XrayError):
        xc.api_base_url(url)


def test_api_base_url_error_hides_credentials():
    with pytest.raises(xc.XrayError) as caught:
        xc.api_base_url("ftp://user:hunter2@acme.jfrog.io")
    assert "hunter2" not in caught.value.message


@pytest.mark.parametrize("name,encoded", [
    ("plain", "plain"), ("a/b", "a%2Fb"), ("q?x#y", "q%3Fx%23y"), ("100%", "100%25"), ("with space", "with%20space"),
    ("..", "%2E%2E"), (".", "%2E"), ("a..b", "a..b"), ("jöra", "j%C3%B6ra"),
])
def test_encode_segment_keeps_a_name_one_segment(name, encoded):
    assert xc.encode_segment(name) == encoded


def test_tls_setting_follows_the_task_not_the_environment(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/env/bundle.pem")
    assert tls_verify_setting(False, "/task/ca.pem") is False
    assert tls_verify_setting(True, "/task/ca.pem") == "/task/ca.pem"
    assert tls_verify_setting(True, None) == "/env/bundle.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert tls_verify_setting(True, None) is True


def test_retry_after_seconds():
    assert xc.retry_after_seconds("3") == 3.0
    assert xc.retry_after_seconds(None) is None
    assert xc.retry_after_seconds("soon") is None
    assert xc.retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_excerpt_is_short_single_line_and_secret_free():
    text = "<html>\n  <body>the password is hunter2</body>\n</html>" + "x" * 500
    shown = Redactor(("hunter2",)).excerpt(text, xc.EXCERPT_LENGTH)
    assert "hunter2" not in shown
    assert "\n" not in shown
    assert len(shown) <= xc.EXCERPT_LENGTH + 3


def test_redact_userinfo():
    assert xc.redact_userinfo("via http://bob:pw@proxy:3128 failed") == "via http://***@proxy:3128 failed"
