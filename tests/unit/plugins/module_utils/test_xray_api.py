# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Xray itself, whatever the resource (_xray_api), and the API roots of the client (_xray_client):

- a version is read at /xray/api/v1/system/version, and compared as numbers;
- a 404 means "absent" only on Xray's word, or where Xray's version says it has the API; otherwise a
  verdict on the URL or the version, never "absent";
- a 404 on a write to what was read a moment ago: removed meanwhile;
- whatever root a user pastes (/xray/api/v1, /xray/api/v2, with or without "/"), the same platform, and
  requests go to the root each resource asks for.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.frogops.xray.plugins.module_utils import _xray_api as xray_api
from ansible_collections.frogops.xray.plugins.module_utils import _xray_client as xc
from ansible_collections.frogops.xray.plugins.module_utils._http_transport import CONNECT
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import (
    BASE,
    ScriptedTransport,
    answer,
    failure,
    make_client,
)

VERSION = "/xray/api/v1/system/version"
WATCH = "/xray/api/v2/watches/vuln-prod"


def client_for(*script, **kwargs):
    transport = ScriptedTransport(script)
    kwargs.setdefault("retries", 0)
    return make_client(transport, **kwargs), transport


# -- versions ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version,numbers", [
    ("3.131.11", (3, 131, 11)), ("2.4", (2, 4)), ("3.136.0-rc1", (3, 136, 0)),
    # Text after a number ends the version: an rc never ranks above its release.
    ("3.200.0\nbuild 7", (3, 200, 0)), ("3.140.2-rc", (3, 140, 2)),
    ("v3.140", ()), ("", ()), ("banana", ()), ("3", (3,)), ("3.x.1", (3,)), (3140, (3140,)),
    ("1" * 30 + ".2", (int("1" * 12), 2)),
])
def test_version_tuple(version, numbers):
    assert xray_api.version_tuple(version) == numbers


@pytest.mark.parametrize("version,minimum,expected", [
    ("2.4", "2.4", True), ("2.4.0", "2.4", True), ("2.10", "2.4", True), ("2.3.99", "2.4", False),
    ("10.0", "9.9", True), (None, "2.4", False), ("", "2.4", False), ("3.21.2", "3.21.2", True),
    ("3.21.1", "3.21.2", False),
])
def test_at_least_compares_numbers_not_text(version, minimum, expected):
    assert xray_api.at_least(version, minimum) is expected


def test_the_version_is_read_under_v1_whatever_root_the_resource_uses():
    client, transport = client_for(answer(200, {"xray_version": "3.131.11", "xray_revision": "abc"}))
    assert xray_api.xray_version(client) == "3.131.11"
    assert transport.calls == [("GET", VERSION)]


@pytest.mark.parametrize("reply", [
    answer(200, {"xray_version": 3}), answer(200, {"xray_version": "banana"}), answer(200, {}),
    answer(404, {"error": "nope"}), answer(200, "<html/>", content_type="text/html"), answer(500, {"error": "x"}),
    failure(CONNECT, "refused"),
], ids=["number", "no-digits", "missing", "404", "html", "500", "no-connection"])
def test_a_version_that_cannot_be_read_is_none(reply):
    client, transport = client_for(reply)
    assert xray_api.xray_version(client) is None
    assert transport.calls == [("GET", VERSION)]


def test_is_unicode():
    assert xray_api.is_unicode(u"\U0001f600 \u540d")
    assert not xray_api.is_unicode(u"lone \ud800")


# -- absent only on Xray's word -------------------------------------------------------------------------------

def read(client, query=None):
    return xray_api.read_or_absent(client, ("watches", "vuln-prod"), "2.4", "the watch API (/xray/api/v2/watches)",
                                   root=xc.API_V2, query=query)


def test_a_200_object_is_the_reply():
    client, transport = client_for(answer(200, {"general_data": {"name": "vuln-prod"}}))
    reply = read(client, query={"projectKey": "pay"})
    assert reply.status == 200 and reply.data == {"general_data": {"name": "vuln-prod"}}
    assert transport.calls == [("GET", WATCH + "?projectKey=pay")]


def test_xrays_own_404_is_absent_with_one_request():
    client, transport = client_for(answer(404, {"error": "Watch not found"}))
    assert read(client) is None
    assert transport.calls == [("GET", WATCH)]


@pytest.mark.parametrize("not_xrays", [
    answer(404, "404 page not found", content_type="text/plain"),
    answer(404, {"errors": [{"status": 404, "message": "Not Found"}]}),
    answer(404, {"error": "Not Found", "status": 404, "path": "/xray/api/v2/watches/vuln-prod", "timestamp": 1}),
    answer(404, "<html>Not Found</html>", content_type="text/html"),
], ids=["text", "artifactory", "spring", "html"])
def test_another_404_is_absent_only_where_xray_has_the_api(not_xrays):
    client, transport = client_for(not_xrays, answer(200, {"xray_version": "3.100.0"}))
    assert read(client) is None
    assert transport.calls == [("GET", WATCH), ("GET", VERSION)]


def test_another_404_on_an_xray_too_old_names_the_version_and_the_minimum():
    client, transport = client_for(answer(404, "404 page not found", content_type="text/plain"),
                                   answer(200, {"xray_version": "2.3.1"}))
    with pytest.raises(xc.XrayError) as caught:
        read(client)
    assert caught.value.status == 404
    assert caught.value.message == ("Xray 2.3.1 does not provide the watch API (/xray/api/v2/watches): it needs Xray "
                                    "2.4 or later. Upgrade Xray, or check that url points at the JFrog Platform.")


def test_another_404_without_a_version_is_a_verdict_on_the_url():
    client, transport = client_for(answer(404, "404 page not found", content_type="text/plain"),
                                   answer(404, "404 page not found", content_type="text/plain"))
    with pytest.raises(xc.XrayError) as caught:
        read(client)
    # The URL that answered: the v2 root of the request, not the v1 root of the integration API.
    assert caught.value.message.startswith("%s/xray/api/v2 answered 404 where the watch API" % BASE)
    assert "no Xray version could be read there" in caught.value.message
    assert transport.calls == [("GET", WATCH), ("GET", VERSION)]


def test_the_verdict_for_a_proxy_that_rewrites_paths():
    client, transport = client_for()
    error = xray_api.api_missing_error(client, "3.100.0", "2.4", "the watch API")
    assert error.status == 404 and "although Xray 3.100.0 runs there" in error.message
    assert "proxy that rewrites paths" in error.message


def test_other_statuses_are_no_verdict_on_absence():
    client, transport = client_for(answer(500, {"error": "database down"}))
    with pytest.raises(xc.XrayError) as caught:
        read(client)
    assert caught.value.status == 500 and "database down" in caught.value.message
    assert transport.calls == [("GET", WATCH)]


# -- removed meanwhile --------------------------------------------------------------------------------------------

def test_xrays_404_on_a_write_says_removed_meanwhile():
    error = xc.XrayError("Xray answered HTTP 404 on PUT ...", status=404, error_text="Watch not found",
                         xray_not_found=True)
    assert xray_api.removed_meanwhile(error, "Watch %r" % "vuln-prod") is error
    assert error.message == ("Watch 'vuln-prod' was found a moment ago but Xray now answers 404 (Watch not found): it "
                             "was removed meanwhile, by someone else. Run the task again.")


def test_another_error_on_a_write_is_left_as_it_is():
    error = xc.XrayError("Xray answered HTTP 404 on PUT ...: Not Found.", status=404)
    assert xray_api.removed_meanwhile(error, "Watch %r" % "vuln-prod").message == \
        "Xray answered HTTP 404 on PUT ...: Not Found."


# -- API roots ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pasted", [
    "https://acme.jfrog.io/xray/api/v2", "https://acme.jfrog.io/xray/api/v2/", "https://acme.jfrog.io/xray/api/v1",
    "https://acme.jfrog.io/xray/api/v1/", "HTTPS://acme.jfrog.io/XRAY/API/V2", " https://acme.jfrog.io/xray/api/v2 ",
])
def test_a_pasted_v2_root_is_the_same_platform_as_v1(pasted):
    assert xc.platform_url(pasted) == "https://acme.jfrog.io"
    assert xc.api_base_url(pasted) == "https://acme.jfrog.io/xray/api/v1"
    client = xc.XrayClient(pasted, ScriptedTransport())
    assert client.url_for(("watches", "vuln-prod"), root=xc.API_V2) == \
        "https://acme.jfrog.io/xray/api/v2/watches/vuln-prod"
    assert client.url_for(("system", "version")) == "https://acme.jfrog.io/xray/api/v1/system/version"
    assert client.base_url == "https://acme.jfrog.io/xray/api/v1"


def test_a_pasted_v2_root_keeps_a_context_path():
    assert xc.platform_url("https://tools.acme.example/jfrog/xray/api/v2/") == "https://tools.acme.example/jfrog"


def test_url_for_encodes_each_segment_and_the_query():
    client = xc.XrayClient(BASE, ScriptedTransport())
    assert client.url_for(("policies", u"a/b ?\u00e9"), {"projectKey": "p&q=1"}, xc.API_V2) == (
        BASE + "/xray/api/v2/policies/a%2Fb%20%3F%C3%A9?projectKey=p%26q%3D1")
    assert client.url_for(("watches", "..")) == BASE + "/xray/api/v1/watches/%2E%2E"


def test_get_and_write_go_to_the_root_asked_for():
    client, transport = client_for(answer(200, {"general_data": {}}), answer(200, {"info": "ok"}))
    client.get(("watches", "w"), query={"projectKey": "pay"}, root=xc.API_V2)
    assert client.write("PUT", ("watches", "w"), {"a": 1}, lambda: None, query={"projectKey": "pay"},
                        root=xc.API_V2) == "answered"
    assert transport.calls == [("GET", "/xray/api/v2/watches/w?projectKey=pay"),
                               ("PUT", "/xray/api/v2/watches/w?projectKey=pay")]
    assert transport.sent[1].json == {"a": 1}


def test_a_403_names_the_subjects_roles_else_xray_admin():
    subject = xc.Subject("watch", roles="the Manage Watches permission")
    client, transport = client_for(answer(403, {"error": "Forbidden"}), answer(403, {"error": "Forbidden"}))
    with pytest.raises(xc.XrayError) as caught:
        client.get(("watches", "w"), root=xc.API_V2, subject=subject)
    assert caught.value.message.endswith("The access token or user needs the Manage Watches permission.")
    with pytest.raises(xc.XrayError) as caught:
        client.get(("watches", "w"), root=xc.API_V2)
    assert caught.value.message.startswith("Xray admin permission is required (HTTP 403")


def test_a_reread_warning_names_the_subjects_noun():
    warnings = []
    client, transport = client_for(answer(502, "<html>Bad Gateway</html>", content_type="text/html"),
                                   warnings=warnings)
    assert client.write("PUT", ("watches", "w"), {}, lambda: True, root=xc.API_V2,
                        subject=xc.Subject("watch")) == "re-read"
    assert len(warnings) == 1 and "Reading the watch back shows that the PUT took effect." in warnings[0]
