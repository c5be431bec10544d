# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the Xray emulator and the forward proxy, over real HTTP(S) on 127.0.0.1."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import quote, urlsplit

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))


# The modules under test live beside this file, without a package: imported from here whatever
# pytest's import mode (tests/e2e/e2e_support.py reuses these module objects when loaded first).
sys.path.insert(0, HERE)
import xray_emulator  # noqa: E402  pylint: disable=wrong-import-position
import forward_proxy  # noqa: E402  pylint: disable=wrong-import-position

XrayEmulator = xray_emulator.XrayEmulator
ForwardProxy = forward_proxy.ForwardProxy

ADMIN = {"Authorization": "Bearer emulator-admin-token"}
API = "/xray/api/v1"
INTEGRATIONS = API + "/ticketing/jira-integrations"
STATUS = API + "/ticketing/integrations/status/check"
VERSION = API + "/system/version"
CONNECT_FAILED = ("We were not able to connect to your Jira based on the credentials you provided, "
                  "please check all the values and try again.")


TIMEOUT = 15  # seconds; a hung emulator fails a test instead of stalling the run


def get(url, **kwargs):
    return requests.get(url, timeout=kwargs.pop("timeout", TIMEOUT), **kwargs)


def post(url, **kwargs):
    return requests.post(url, timeout=kwargs.pop("timeout", TIMEOUT), **kwargs)


class TimeoutSession(requests.Session):
    def request(self, *args, **kwargs):  # pylint: disable=arguments-differ
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


def create_body(**overrides):
    body = {"connection_name": "jira-1", "auth_type": "basic", "username": "bot@example.com", "password": "s3cret",
            "installation_type": "cloud", "jira_server_url": "https://example.atlassian.net"}
    body.update(overrides)
    return body


def encode_name(name):
    # quote() leaves '.' alone, and clients normalise a literal '..' segment away; %2E survives.
    return quote(name, safe="").replace(".", "%2E")


def host_port(url):
    parts = urlsplit(url)
    return parts.hostname, parts.port


def raw_request(url, method, path, body=None, headers=None):
    """One request with the path sent byte for byte; returns (status, headers, body bytes)."""
    host, port = host_port(url)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=dict(ADMIN, **(headers or {})))
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def raw_socket_exchange(url, payload, close_after_send=False):
    """Send raw bytes; return everything the server answers until it closes (or b'' when we hang up)."""
    with socket.create_connection(host_port(url), timeout=10) as sock:
        sock.sendall(payload)
        if close_after_send:
            return b""
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


@pytest.fixture
def emulator():
    with XrayEmulator() as emu:
        yield emu


@pytest.fixture
def session():
    with TimeoutSession() as sess:
        sess.trust_env = False  # the machine's own proxy variables must not interfere
        sess.headers.update(ADMIN)
        yield sess


@pytest.fixture
def created(emulator, session):
    response = session.post(emulator.url + INTEGRATIONS, json=create_body())
    assert response.status_code == 200
    emulator.clear_requests()
    return "jira-1"


# --------------------------------------------------------------------------- authentication

@pytest.mark.parametrize("headers, status, body", [
    ({"Authorization": "Bearer emulator-admin-token"}, 200, None),
    ({"Authorization": "bearer emulator-admin-token"}, 200, None),
    ({}, 401, {"error": "Found invalid token"}),
    ({"Authorization": "Bearer nope"}, 401, {"error": "Found invalid token"}),
    ({"Authorization": "Bearer emulator-reader-token"}, 403, {"error": "Permission denied"}),
    ({"Authorization": "Token emulator-admin-token"}, 401, {"error": "Found invalid token"}),
    ({"Authorization": "Basic !!!"}, 401, {"errors": [{"status": 401, "message": "Bad credentials"}]}),
])
def test_bearer_and_odd_headers(emulator, headers, status, body):
    response = get(emulator.url + VERSION, headers=headers)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    if body is not None:
        assert response.json() == body


@pytest.mark.parametrize("user, password, status", [
    ("admin", "emulator-admin-password", 200),
    ("reader", "emulator-reader-password", 403),
    ("admin", "wrong", 401),
    ("ghost", "emulator-admin-password", 401),
])
def test_basic_auth(emulator, user, password, status):
    response = get(emulator.url + VERSION, auth=(user, password))
    assert response.status_code == status
    if status == 401:
        assert response.json() == {"errors": [{"status": 401, "message": "Bad credentials"}]}


def test_credentials_from_constructor():
    with XrayEmulator(admin_tokens=["t1"], reader_tokens=[], users={"ops": ("pw", True)}) as emu:
        assert get(emu.url + VERSION, headers={"Authorization": "Bearer t1"}).status_code == 200
        assert get(emu.url + VERSION, headers=ADMIN).status_code == 401
        assert get(emu.url + VERSION, auth=("ops", "pw")).status_code == 200
        assert get(emu.url + VERSION, auth=("admin", "emulator-admin-password")).status_code == 401


def test_writes_need_admin(emulator):
    response = post(emulator.url + INTEGRATIONS, json=create_body(),
                    headers={"Authorization": "Bearer emulator-reader-token"})
    assert response.status_code == 403
    assert emulator.integrations == {}


# --------------------------------------------------------------------------- CRUD

def test_version(emulator, session):
    response = session.get(emulator.url + VERSION)
    assert response.status_code == 200
    assert response.json() == {"xray_version": "3.140.0", "xray_revision": "emulator"}


def test_create_then_details_never_shows_password(emulator, session):
    response = session.post(emulator.url + INTEGRATIONS, json=create_body())
    assert response.status_code == 200
    assert response.json() == {"info": "Integration has been successfully created"}
    assert response.headers["Content-Type"] == "application/json"
    details = session.get(emulator.url + INTEGRATIONS + "/jira-1/details")
    assert details.status_code == 200
    assert details.json() == {"auth_type": "basic", "connection_name": "jira-1",
                              "jira_server_url": "https://example.atlassian.net", "username": "bot@example.com",
                              "installation_type": "cloud", "skip_proxy": False}
    assert "s3cret" not in details.text
    assert emulator.integrations["jira-1"]["password"] == "s3cret"


def test_create_duplicate_name(emulator, session, created):
    response = session.post(emulator.url + INTEGRATIONS, json=create_body(password="other"))
    assert response.status_code == 400
    assert response.json() == {"error": "Integration with connection name jira-1 already exists"}
    assert emulator.integrations[created]["password"] == "s3cret"


@pytest.mark.parametrize("field", ["connection_name", "auth_type", "username", "password", "installation_type",
                                   "jira_server_url"])
def test_create_missing_field(emulator, session, field):
    body = create_body()
    del body[field]
    response = session.post(emulator.url + INTEGRATIONS, json=body)
    assert response.status_code == 400
    assert field in response.json()["error"]
    assert emulator.integrations == {}


@pytest.mark.parametrize("field, value", [
    ("auth_type", "oauth2"), ("auth_type", 1), ("installation_type", "datacenter"), ("jira_server_url", "ftp://x"),
    ("jira_server_url", "example.atlassian.net"), ("skip_proxy", "false"), ("skip_proxy", None), ("username", ""),
    ("connection_name", 7), ("password", ["x"]),
])
def test_create_invalid_field(emulator, session, field, value):
    response = session.post(emulator.url + INTEGRATIONS, json=create_body(**{field: value}))
    assert response.status_code == 400
    assert field in response.json()["error"]
    assert emulator.integrations == {}


def test_create_skip_proxy_true_and_unknown_fields_ignored(emulator, session):
    response = session.post(emulator.url + INTEGRATIONS, json=create_body(skip_proxy=True, extra="ignored"))
    assert response.status_code == 200
    assert emulator.integrations["jira-1"]["skip_proxy"] is True
    assert "extra" not in emulator.integrations["jira-1"]


@pytest.mark.parametrize("body, message", [
    (b"{not json", "Malformed JSON body"),
    (b"", "Malformed JSON body"),
    (b"\xff\xfe", "Malformed JSON body"),
    (b"[1, 2]", "Request body must be a JSON object"),
    (b"\"text\"", "Request body must be a JSON object"),
])
def test_malformed_bodies(emulator, session, body, message):
    for method, path in (("POST", INTEGRATIONS), ("PUT", INTEGRATIONS + "/x")):
        response = session.request(method, emulator.url + path, data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.json() == {"error": message}


def test_update_partial_keeps_other_fields(emulator, session, created):
    response = session.put(emulator.url + INTEGRATIONS + "/jira-1", json={"connection_name": "jira-1", "skip_proxy": True})
    assert response.status_code == 200
    assert response.json() == {"info": "Integration has been successfully updated"}
    record = emulator.integrations["jira-1"]
    assert record["skip_proxy"] is True
    assert record["password"] == "s3cret"
    assert record["username"] == "bot@example.com"


def test_update_full_body_and_auth_type_alias(emulator, session, created):
    body = create_body(password="new", installation_type="server", jira_server_url="http://10.0.0.1:8080")
    del body["auth_type"]
    body["authType"] = "basic"
    response = session.put(emulator.url + INTEGRATIONS + "/jira-1", json=body)
    assert response.status_code == 200
    record = emulator.integrations["jira-1"]
    assert (record["password"], record["installation_type"], record["auth_type"]) == ("new", "server", "basic")
    assert "authType" not in record


@pytest.mark.parametrize("body, fragment", [
    ({"skip_proxy": True}, "connection_name"),
    ({"connection_name": "other"}, "connection_name"),
    ({"connection_name": "jira-1", "installation_type": "cloudy"}, "installation_type"),
    ({"connection_name": "jira-1", "authType": "oauth2"}, "auth_type"),
    ({"connection_name": "jira-1", "auth_type": "basic", "authType": "oauth1"}, "authType"),
    ({"connection_name": "jira-1", "skip_proxy": "yes"}, "skip_proxy"),
])
def test_update_invalid(emulator, session, created, body, fragment):
    before = emulator.integrations
    response = session.put(emulator.url + INTEGRATIONS + "/jira-1", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert emulator.integrations == before


def test_update_unknown(emulator, session):
    response = session.put(emulator.url + INTEGRATIONS + "/ghost", json={"connection_name": "ghost"})
    assert response.status_code == 404
    assert response.json() == {"error": "No integration found with the given connection name"}


def test_delete(emulator, session, created):
    response = session.delete(emulator.url + INTEGRATIONS + "/jira-1")
    assert response.status_code == 200
    assert response.json() == {"info": "Integration has been successfully deleted"}
    assert emulator.integrations == {}
    again = session.delete(emulator.url + INTEGRATIONS + "/jira-1")
    assert again.status_code == 404
    assert again.json() == {"error": "No integration found with the given connection name"}


def test_details_unknown(emulator, session):
    response = session.get(emulator.url + INTEGRATIONS + "/ghost/details")
    assert response.status_code == 404
    assert response.json() == {"error": "Integration not found"}


def test_oauth_integration_seeded_keeps_auth_type(emulator, session):
    emulator.seed(connection_name="ui-made", auth_type="oauth2", username="u", jira_server_url="https://j.example")
    details = session.get(emulator.url + INTEGRATIONS + "/ui-made/details").json()
    assert details["auth_type"] == "oauth2"
    assert session.put(emulator.url + INTEGRATIONS + "/ui-made",
                       json={"connection_name": "ui-made", "username": "v"}).status_code == 200
    assert emulator.integrations["ui-made"]["auth_type"] == "oauth2"
    assert emulator.integrations["ui-made"]["username"] == "v"


def test_concurrent_creates_of_one_name(emulator):
    def create(_index):
        return post(emulator.url + INTEGRATIONS, json=create_body(), headers=ADMIN).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses.count(200) == 1
    assert statuses.count(400) == 23


# --------------------------------------------------------------------------- names and percent-encoding

ODD_NAMES = ["a/b", "what?x=1", "hash#tag", "100%", "%2F already", "with space", "..", ".", "naïve 名前", "+plus"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_round_trip(emulator, session, name):
    assert session.post(emulator.url + INTEGRATIONS, json=create_body(connection_name=name)).status_code == 200
    path = INTEGRATIONS + "/" + encode_name(name)
    status, _headers, data = raw_request(emulator.url, "GET", path + "/details")
    assert status == 200
    assert json.loads(data)["connection_name"] == name
    status, _headers, data = raw_request(emulator.url, "PUT", path, json.dumps({"connection_name": name, "username": "x"}))
    assert (status, json.loads(data)) == (200, {"info": "Integration has been successfully updated"})
    status, _headers, data = raw_request(emulator.url, "GET", STATUS + "?integrationName=" + quote(name, safe=""))
    assert (status, json.loads(data)["integration_name"]) == (200, name)
    status, _headers, _data = raw_request(emulator.url, "DELETE", path)
    assert status == 200
    assert emulator.integrations == {}
    logged = [entry["path"] for entry in emulator.requests]
    assert logged[1:] == [path + "/details", path, STATUS + "?integrationName=" + quote(name, safe=""), path]


def test_name_is_decoded_exactly_once(emulator, session):
    emulator.seed(connection_name="%2F")
    status, _headers, data = raw_request(emulator.url, "GET", INTEGRATIONS + "/%252F/details")
    assert (status, json.loads(data)["connection_name"]) == (200, "%2F")
    status, _headers, _data = raw_request(emulator.url, "GET", INTEGRATIONS + "/%2F/details")
    assert status == 404  # that is the name "/", which does not exist


def test_unencoded_slash_is_two_segments(emulator, session):
    emulator.seed(connection_name="a/b")
    status, headers, data = raw_request(emulator.url, "GET", INTEGRATIONS + "/a/b/details")
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data) == {"error": "Not found"}


def test_update_path_and_body_names_compared_decoded(emulator):
    emulator.seed(connection_name="a b")
    status, _headers, data = raw_request(emulator.url, "PUT", INTEGRATIONS + "/a%20b", json.dumps({"connection_name": "a%20b"}))
    assert status == 400
    assert "connection_name" in json.loads(data)["error"]


# --------------------------------------------------------------------------- routing

@pytest.mark.parametrize("method, path, status", [
    ("GET", "/", 404), ("GET", API, 404), ("GET", INTEGRATIONS, 405), ("GET", INTEGRATIONS + "/", 404),
    ("POST", INTEGRATIONS + "/x", 405), ("DELETE", INTEGRATIONS + "/x/details", 405), ("POST", VERSION, 405),
    ("GET", INTEGRATIONS + "/x/details/more", 404), ("GET", "/xray/api/v2/system/version", 404),
])
def test_routing_errors(emulator, method, path, status):
    code, headers, data = raw_request(emulator.url, method, path)
    assert code == status
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data) == {"error": "Not found" if status == 404 else "Method not allowed"}
    if status == 405:
        assert headers["Allow"]


def test_head_gets_headers_only(emulator):
    status, headers, data = raw_request(emulator.url, "HEAD", VERSION)
    assert status == 405
    assert int(headers["Content-Length"]) > 0
    assert data == b""


# --------------------------------------------------------------------------- status endpoint and health

def test_status_healthy_by_default(emulator, session, created):
    response = session.get(emulator.url + STATUS, params={"integrationName": "jira-1"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "reason", "time", "integration_name"}
    assert (body["status"], body["reason"], body["integration_name"]) == (
        "HEALTHY_INTEGRATION", "Integration is healthy and operational.", "jira-1")
    assert time.strptime(body["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_status_faulty_via_control_api(emulator, session, created):
    answer = session.post(emulator.url + "/_emulator/health", json={"integration_name": "jira-1", "status": "FAULTY_CONFIGURATION"})
    assert answer.status_code == 200
    body = session.get(emulator.url + STATUS, params={"integrationName": "jira-1"}).json()
    assert (body["status"], body["reason"]) == ("FAULTY_CONFIGURATION", "The system is unable to connect to Jira.")
    emulator.set_health("jira-1", "FAULTY_CONFIGURATION", "Jira said 401")
    assert session.get(emulator.url + STATUS, params={"integrationName": "jira-1"}).json()["reason"] == "Jira said 401"


@pytest.mark.parametrize("query", ["", "?integrationName=", "?other=x"])
def test_status_needs_integration_name(emulator, session, query):
    response = session.get(emulator.url + STATUS + query)
    assert response.status_code == 400
    assert "integrationName" in response.json()["error"]


def test_status_unknown(emulator, session):
    response = session.get(emulator.url + STATUS, params={"integrationName": "ghost"})
    assert response.status_code == 404
    body = response.json()
    assert (body["status"], body["integration_name"]) == ("INTEGRATION_NOT_FOUND", "ghost")
    assert set(body) == {"status", "reason", "time", "integration_name"}


# --------------------------------------------------------------------------- version floors

def assert_plain_404(response):
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "404 page not found"


def test_old_xray_has_no_ticketing_api(session):
    with XrayEmulator(xray_version="3.128.9") as emu:
        emu.seed(connection_name="jira-1")
        assert_plain_404(session.post(emu.url + INTEGRATIONS, json=create_body(connection_name="n")))
        assert_plain_404(session.put(emu.url + INTEGRATIONS + "/jira-1", json={"connection_name": "jira-1"}))
        assert_plain_404(session.delete(emu.url + INTEGRATIONS + "/jira-1"))
        assert_plain_404(session.get(emu.url + INTEGRATIONS + "/jira-1/details"))
        assert_plain_404(session.get(emu.url + STATUS, params={"integrationName": "jira-1"}))
        assert session.get(emu.url + VERSION).json()["xray_version"] == "3.128.9"
        assert list(emu.integrations) == ["jira-1"]


def test_status_endpoint_floor(emulator, session, created):
    emulator.set_config(xray_version="3.135.2")
    assert_plain_404(session.get(emulator.url + STATUS, params={"integrationName": "jira-1"}))
    assert session.get(emulator.url + INTEGRATIONS + "/jira-1/details").status_code == 200
    emulator.set_config(xray_version="3.136.0")
    assert session.get(emulator.url + STATUS, params={"integrationName": "jira-1"}).status_code == 200


def test_bad_version_rejected():
    with pytest.raises(ValueError):
        XrayEmulator(xray_version="latest")


# --------------------------------------------------------------------------- behaviour switches

def test_jira_connection_fails_changes_nothing(emulator, session, created):
    emulator.set_config(jira_connection_fails=True)
    for method, path, body in (("POST", INTEGRATIONS, create_body(connection_name="new")),
                               ("PUT", INTEGRATIONS + "/jira-1", {"connection_name": "jira-1", "password": "changed"})):
        response = session.request(method, emulator.url + path, json=body)
        assert response.status_code == 400
        assert response.json() == {"error": CONNECT_FAILED}
    assert list(emulator.integrations) == ["jira-1"]
    assert emulator.integrations["jira-1"]["password"] == "s3cret"


def test_details_shape_switches(emulator, session, created):
    config = session.patch(emulator.url + "/_emulator/config",
                           json={"details_name_field": "integrationName", "omit_skip_proxy": True}).json()
    assert config == {"xray_version": "3.140.0", "details_name_field": "integrationName", "omit_skip_proxy": True,
                      "jira_connection_fails": False, "drop_ticketing_fields": False}
    details = session.get(emulator.url + INTEGRATIONS + "/jira-1/details").json()
    assert details["integrationName"] == "jira-1"
    assert "connection_name" not in details
    assert "skip_proxy" not in details


@pytest.mark.parametrize("patch", [{"nope": 1}, {"xray_version": "x"}, {"xray_version": 3}, {"omit_skip_proxy": "yes"},
                                   {"details_name_field": "name"}, [1]])
def test_config_patch_rejects_bad_values(emulator, session, patch):
    response = session.patch(emulator.url + "/_emulator/config", json=patch)
    assert response.status_code == 400
    assert session.get(emulator.url + "/_emulator/config").json()["details_name_field"] == "connection_name"


# --------------------------------------------------------------------------- Jira's side: the password it accepts

JIRA_URL = "https://example.atlassian.net"


def status_of(emulator, session, name="jira-1"):
    body = session.get(emulator.url + STATUS, params={"integrationName": name}).json()
    return body["status"], body["reason"]


def test_jira_accepts_anything_until_told(emulator, session, created):
    assert session.get(emulator.url + "/_emulator/jira").json() == {"jira": {}}
    assert emulator.jira_passwords == {}
    assert status_of(emulator, session) == ("HEALTHY_INTEGRATION", "Integration is healthy and operational.")
    response = session.put(emulator.url + INTEGRATIONS + "/jira-1", json={"connection_name": "jira-1", "password": "x"})
    assert response.status_code == 200


def test_revoked_password_makes_the_integration_faulty_until_the_new_one_is_stored(emulator, session, created):
    listed = session.put(emulator.url + "/_emulator/jira", json={"jira_server_url": JIRA_URL, "password": "new"})
    assert (listed.status_code, listed.json()) == (200, {"jira": {JIRA_URL: "new"}})
    assert status_of(emulator, session) == ("FAULTY_CONFIGURATION", "The system is unable to connect to Jira.")
    # The stored (old) password is what an update without one is tested with: rejected, nothing stored.
    for body in ({"connection_name": "jira-1", "skip_proxy": True}, {"connection_name": "jira-1", "password": "old"},
                 {"connection_name": "jira-1", "username": "other@example.com", "password": "s3cret"}):
        response = session.put(emulator.url + INTEGRATIONS + "/jira-1", json=body)
        assert (response.status_code, response.json()) == (400, {"error": CONNECT_FAILED}), body
    assert emulator.integrations["jira-1"] == dict(create_body(), skip_proxy=False)
    assert status_of(emulator, session)[0] == "FAULTY_CONFIGURATION"
    response = session.put(emulator.url + INTEGRATIONS + "/jira-1", json={"connection_name": "jira-1", "password": "new"})
    assert (response.status_code, response.json()) == (200, {"info": "Integration has been successfully updated"})
    assert emulator.integrations["jira-1"]["password"] == "new"
    assert status_of(emulator, session) == ("HEALTHY_INTEGRATION", "Integration is healthy and operational.")
    # With the accepted password stored, an update of another field passes the connection test.
    response = session.put(emulator.url + INTEGRATIONS + "/jira-1", json={"connection_name": "jira-1", "skip_proxy": True})
    assert response.status_code == 200
    assert [entry["status"] for entry in emulator.requests] == [200, 400, 400, 400, 200, 200, 200, 200]


def test_create_with_a_password_jira_rejects_stores_nothing(emulator, session):
    emulator.set_jira_password(JIRA_URL, "accepted")
    response = session.post(emulator.url + INTEGRATIONS, json=create_body(password="wrong"))
    assert (response.status_code, response.json()) == (400, {"error": CONNECT_FAILED})
    assert emulator.integrations == {}
    assert session.post(emulator.url + INTEGRATIONS, json=create_body(password="accepted")).status_code == 200
    assert status_of(emulator, session)[0] == "HEALTHY_INTEGRATION"


@pytest.mark.parametrize("spelling", ["https://EXAMPLE.atlassian.net/", "HTTPS://Example.Atlassian.Net", JIRA_URL + "/"])
def test_jira_urls_compared_like_the_module(emulator, session, spelling):
    emulator.set_jira_password(spelling, "accepted")
    assert emulator.jira_passwords == {JIRA_URL: "accepted"}
    assert session.post(emulator.url + INTEGRATIONS, json=create_body(password="wrong")).status_code == 400
    assert session.post(emulator.url + INTEGRATIONS, json=create_body(password="accepted")).status_code == 200
    # Another path is another Jira (as for the module, only the case of scheme and host and a final slash don't count).
    other = create_body(connection_name="jira-2", password="anything", jira_server_url=JIRA_URL + "/jira")
    assert session.post(emulator.url + INTEGRATIONS, json=other).status_code == 200


def test_update_to_another_jira_is_tested_against_that_one(emulator, session, created):
    emulator.set_jira_password("https://other.atlassian.net", "other-pw")
    body = {"connection_name": "jira-1", "jira_server_url": "https://other.atlassian.net"}
    assert session.put(emulator.url + INTEGRATIONS + "/jira-1", json=body).status_code == 400
    assert session.put(emulator.url + INTEGRATIONS + "/jira-1", json=dict(body, password="other-pw")).status_code == 200
    assert status_of(emulator, session)[0] == "HEALTHY_INTEGRATION"


def test_explicit_health_wins_over_jira(emulator, session, created):
    emulator.set_jira_password(JIRA_URL, "s3cret")
    emulator.set_health("jira-1", "INTERNAL_SERVER_ERROR")
    assert status_of(emulator, session) == ("INTERNAL_SERVER_ERROR", "Internal server error")
    emulator.set_jira_password(JIRA_URL, "new")
    emulator.set_health("jira-1", "HEALTHY_INTEGRATION")
    assert status_of(emulator, session)[0] == "HEALTHY_INTEGRATION"


def test_jira_connection_fails_still_wins(emulator, session):
    emulator.set_jira_password(JIRA_URL, "s3cret")
    emulator.set_config(jira_connection_fails=True)
    assert session.post(emulator.url + INTEGRATIONS, json=create_body()).status_code == 400
    assert emulator.integrations == {}


def test_jira_password_can_be_unset_and_reset_clears(emulator, session, created):
    session.put(emulator.url + "/_emulator/jira", json={"jira_server_url": JIRA_URL, "password": "new"})
    session.put(emulator.url + "/_emulator/jira", json={"jira_server_url": "http://jira.local:8080/", "password": "p"})
    assert emulator.jira_passwords == {JIRA_URL: "new", "http://jira.local:8080": "p"}
    unset = session.put(emulator.url + "/_emulator/jira", json={"jira_server_url": JIRA_URL + "/", "password": None})
    assert unset.json() == {"jira": {"http://jira.local:8080": "p"}}
    assert status_of(emulator, session)[0] == "HEALTHY_INTEGRATION"
    emulator.set_jira_password(JIRA_URL, "new")
    assert session.post(emulator.url + "/_emulator/reset").status_code == 200
    assert session.get(emulator.url + "/_emulator/jira").json() == {"jira": {}}
    assert emulator.requests == []  # the control API is not logged


@pytest.mark.parametrize("body", [{}, {"jira_server_url": JIRA_URL}, {"password": "p"},
                                  {"jira_server_url": "acme.atlassian.net", "password": "p"},
                                  {"jira_server_url": JIRA_URL, "password": ""},
                                  {"jira_server_url": JIRA_URL, "password": 7},
                                  {"jira_server_url": JIRA_URL, "password": "p", "username": "u"}, [JIRA_URL]])
def test_jira_control_rejects_bad_bodies(emulator, session, body):
    response = session.put(emulator.url + "/_emulator/jira", json=body)
    assert response.status_code == 400 and "error" in response.json()
    assert emulator.jira_passwords == {}


def test_set_jira_password_checks_its_arguments(emulator):
    with pytest.raises(ValueError):
        emulator.set_jira_password("acme.atlassian.net", "p")
    with pytest.raises(ValueError):
        emulator.set_jira_password(JIRA_URL, "")


# --------------------------------------------------------------------------- request log and connections

def test_request_log_entry(emulator, session):
    session.post(emulator.url + INTEGRATIONS + "?dry=1", json=create_body())
    session.get(emulator.url + "/_emulator/integrations")  # control plane: not logged
    entries = emulator.requests
    assert len(entries) == 1
    entry = entries[0]
    assert entry["method"] == "POST"
    assert entry["path"] == INTEGRATIONS + "?dry=1"
    assert entry["query"] == {"dry": "1"}
    assert entry["headers"]["Authorization"] == "Bearer emulator-admin-token"
    assert json.loads(entry["body"]) == create_body()
    assert entry["json"] == create_body()
    assert entry["client"][0] == "127.0.0.1" and isinstance(entry["client"][1], int)
    assert entry["status"] == 200  # a query string does not change the route
    assert isinstance(entry["time"], float)


def test_request_log_over_http_and_clear(emulator, session):
    session.get(emulator.url + VERSION)
    logged = session.get(emulator.url + "/_emulator/requests").json()["requests"]
    assert [(entry["method"], entry["path"], entry["status"], entry["json"]) for entry in logged] == [
        ("GET", VERSION, 200, None)]
    assert session.delete(emulator.url + "/_emulator/requests").status_code == 200
    assert session.get(emulator.url + "/_emulator/requests").json() == {"requests": []}


def test_keep_alive_one_connection_per_session(emulator, session):
    for _index in range(4):
        assert session.get(emulator.url + VERSION).status_code == 200
    assert len(set(tuple(entry["client"]) for entry in emulator.requests)) == 1


def test_separate_connections_are_counted(emulator):
    for _index in range(3):
        assert get(emulator.url + VERSION, headers=dict(ADMIN, Connection="close")).status_code == 200
    assert len(set(tuple(entry["client"]) for entry in emulator.requests)) == 3


def test_keep_alive_survives_error_answers(emulator, session):
    session.get(emulator.url + INTEGRATIONS + "/ghost/details")
    session.post(emulator.url + INTEGRATIONS, data=b"{bad", headers={"Content-Type": "application/json"})
    session.get(emulator.url + VERSION, headers={"Authorization": "Bearer wrong"})
    assert [entry["status"] for entry in emulator.requests] == [404, 400, 401]
    assert len(set(tuple(entry["client"]) for entry in emulator.requests)) == 1


# --------------------------------------------------------------------------- faults

def test_fault_status_headers_and_times(emulator, session):
    emulator.add_fault(method="get", path_regex="/system/version$", status=503, body="busy", content_type="text/plain",
                       headers={"Retry-After": 1}, times=2)
    answers = [session.get(emulator.url + VERSION) for _index in range(3)]
    assert [answer.status_code for answer in answers] == [503, 503, 200]
    assert answers[0].text == "busy" and answers[0].headers["Retry-After"] == "1"
    assert answers[0].headers["Content-Type"] == "text/plain"
    assert [entry["status"] for entry in emulator.requests] == [503, 503, 200]
    assert emulator.faults == []


def test_fault_default_body_and_first_match_wins(emulator, session):
    session.post(emulator.url + "/_emulator/faults", json={"faults": [{"method": "PUT", "status": 409},
                                                                      {"status": 500}, {"status": 502}]})
    response = session.get(emulator.url + VERSION)
    assert (response.status_code, response.json()) == (500, {"error": "Emulated fault"})
    remaining = session.get(emulator.url + "/_emulator/faults").json()["faults"]
    assert [fault["status"] for fault in remaining] == [409, 502]
    assert session.delete(emulator.url + "/_emulator/faults").json() == {"faults": []}


def test_fault_forever(emulator, session):
    emulator.add_fault(status=500, times=-1)
    assert [session.get(emulator.url + VERSION).status_code for _index in range(3)] == [500, 500, 500]
    assert len(emulator.faults) == 1


def test_fault_delay_then_normal_answer(emulator, session):
    emulator.add_fault(path_regex="details", delay=0.4)
    emulator.seed(connection_name="jira-1")
    started = time.monotonic()
    response = session.get(emulator.url + INTEGRATIONS + "/jira-1/details")
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    fast = time.monotonic()
    session.get(emulator.url + INTEGRATIONS + "/jira-1/details")
    assert time.monotonic() - fast < 0.4


def test_fault_headers_added_to_normal_answer(emulator, session):
    emulator.add_fault(headers={"X-Trace": "t1"})
    response = session.get(emulator.url + VERSION)
    assert response.status_code == 200 and response.headers["X-Trace"] == "t1"


def test_fault_drop(emulator, session):
    emulator.add_fault(method="POST", drop=True)
    with pytest.raises(requests.ConnectionError):
        session.post(emulator.url + INTEGRATIONS, json=create_body())
    assert emulator.integrations == {}
    assert [entry["status"] for entry in emulator.requests] == ["dropped"]
    assert session.post(emulator.url + INTEGRATIONS, json=create_body()).status_code == 200


def test_fault_drop_after_applying(emulator, session):
    emulator.add_fault(method="POST", drop=True, apply_then_continue=True)
    with pytest.raises(requests.ConnectionError):
        session.post(emulator.url + INTEGRATIONS, json=create_body())
    assert list(emulator.integrations) == ["jira-1"]
    assert emulator.requests[0]["status"] == "dropped"
    retry = session.post(emulator.url + INTEGRATIONS, json=create_body())
    assert retry.status_code == 400 and "already exists" in retry.json()["error"]


def test_fault_status_after_applying(emulator, session, created):
    emulator.add_fault(method="DELETE", status=500, apply_then_continue=True)
    assert session.delete(emulator.url + INTEGRATIONS + "/jira-1").status_code == 500
    assert emulator.integrations == {}


def _timed_get(url, path):
    """GET path over one raw connection: (status, headers, body, seconds to the headers, seconds to the whole body)."""
    host, port = host_port(url)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        started = time.monotonic()
        conn.request("GET", path, headers=ADMIN)
        response = conn.getresponse()
        headers_after = time.monotonic() - started
        body = response.read()
        return response.status, response.headers, body, headers_after, time.monotonic() - started
    finally:
        conn.close()


def test_fault_trickle_serves_the_normal_answer_slowly(emulator):
    emulator.seed(connection_name="jira-1")
    path = INTEGRATIONS + "/jira-1/details"
    _status, _headers, normal, _first, _whole = _timed_get(emulator.url, path)
    emulator.add_fault(method="GET", path_regex="/details$", trickle={"chunk": 16, "interval": 0.1})
    status, headers, body, headers_after, whole = _timed_get(emulator.url, path)
    chunks = -(-len(normal) // 16)
    assert chunks >= 6
    assert (status, body) == (200, normal)
    assert headers["Content-Length"] == str(len(normal)) and headers["Content-Type"] == "application/json"
    # The headers at once, the body slowly: one pause between each two chunks.
    assert headers_after < 0.3 and (chunks - 1) * 0.1 * 0.9 <= whole < 10
    assert [entry["status"] for entry in emulator.requests] == [200, 200]
    assert emulator.faults == []


def test_fault_trickle_with_status_and_body(emulator):
    emulator.add_fault(path_regex="/system/version$", status=503, body="b" * 40, content_type="text/plain",
                       trickle={"chunk": 16, "interval": 0.2})
    status, headers, body, headers_after, whole = _timed_get(emulator.url, VERSION)
    assert (status, body, headers["Content-Length"], headers["Content-Type"]) == (503, b"b" * 40, "40", "text/plain")
    assert headers_after < 0.3 and 0.36 <= whole < 5  # three chunks: two pauses


def test_fault_trickle_ends_when_the_client_hangs_up(emulator, session):
    emulator.add_fault(path_regex="/system/version$", trickle={"chunk": 1, "interval": 0.1})
    host, port = host_port(emulator.url)
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"GET " + VERSION.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: " +
                     ADMIN["Authorization"].encode() + b"\r\n\r\n")
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
    # The emulator keeps serving: a fresh request is answered at once, whole.
    started = time.monotonic()
    response = session.get(emulator.url + VERSION)
    assert response.status_code == 200 and time.monotonic() - started < 1
    assert response.json()["xray_revision"] == "emulator"
    assert [entry["status"] for entry in emulator.requests] == [200, 200]


@pytest.mark.parametrize("rule", [{"bogus": 1}, {"path_regex": "("}, {"status": 99}, {"times": "2"}, {"delay": -1},
                                  {"drop": "yes"}, {"headers": {"A": [1]}}, {"faults": [{"status": 1000}]},
                                  {"trickle": 16}, {"trickle": {"chunk": 16}}, {"trickle": {"chunk": 0, "interval": 0.1}},
                                  {"trickle": {"chunk": 1.5, "interval": 0.1}}, {"trickle": {"chunk": 16, "interval": -1}},
                                  {"trickle": {"chunk": 16, "interval": 0.1, "jitter": 1}}])
def test_fault_rules_validated(emulator, session, rule):
    response = session.post(emulator.url + "/_emulator/faults", json=rule)
    assert response.status_code == 400
    assert emulator.faults == []


# --------------------------------------------------------------------------- control plane

def test_seed_and_list_integrations(emulator, session):
    seeded = session.post(emulator.url + "/_emulator/integrations", json={"connection_name": "x", "auth_type": "oauth1"})
    assert seeded.status_code == 200
    listed = session.get(emulator.url + "/_emulator/integrations").json()["integrations"]
    assert listed == {"x": {"connection_name": "x", "auth_type": "oauth1", "username": "", "password": "",
                            "installation_type": "cloud", "jira_server_url": "", "skip_proxy": False}}
    assert session.post(emulator.url + "/_emulator/integrations", json={"auth_type": "basic"}).status_code == 400
    assert emulator.requests == []


def test_reset_restores_everything(session):
    with XrayEmulator(xray_version="3.137.0") as emu:
        session.post(emu.url + INTEGRATIONS, json=create_body())
        emu.set_config(xray_version="3.100.0", omit_skip_proxy=True)
        emu.add_fault(status=500, path_regex="nothing-matches")
        emu.set_health("jira-1", "FAULTY_CONFIGURATION")
        assert session.post(emu.url + "/_emulator/reset").status_code == 200
        assert emu.integrations == {} and emu.requests == [] and emu.faults == []
        assert emu.config == {"xray_version": "3.137.0", "details_name_field": "connection_name",
                              "omit_skip_proxy": False, "jira_connection_fails": False, "drop_ticketing_fields": False}
        assert session.get(emu.url + "/_emulator/health").json() == {"health": {}}


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/_emulator/nope", 404), ("PUT", "/_emulator/config", 405), ("GET", "/_emulator/reset", 405),
    ("POST", "/_emulator/health", 400), ("POST", "/_emulator/jira", 405), ("PUT", "/_emulator/jira", 400),
])
def test_control_errors(emulator, session, method, path, status):
    assert session.request(method, emulator.url + path, json={}).status_code == status


def test_control_malformed_json(emulator, session):
    response = session.post(emulator.url + "/_emulator/faults", data=b"{oops")
    assert (response.status_code, response.json()) == (400, {"error": "Malformed JSON body"})


# --------------------------------------------------------------------------- robustness

def test_bad_content_length(emulator):
    answer = raw_socket_exchange(emulator.url, b"POST " + INTEGRATIONS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: abc\r\n\r\n{}")
    head, _sep, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in head
    assert json.loads(body) == {"error": "Invalid Content-Length"}
    assert emulator.requests[0]["status"] == 400


def test_client_disconnect_mid_body(emulator, session):
    raw_socket_exchange(emulator.url, b"POST " + INTEGRATIONS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 500\r\n\r\n{\"connection", close_after_send=True)
    raw_socket_exchange(emulator.url, b"GET / HT", close_after_send=True)
    assert session.get(emulator.url + VERSION).status_code == 200
    assert [entry["path"] for entry in emulator.requests] == [VERSION]


def test_chunked_body(emulator):
    body = json.dumps(create_body()).encode()
    payload = (b"POST " + INTEGRATIONS.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer emulator-admin-token\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               + b"%x\r\n" % 10 + body[:10] + b"\r\n" + b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\n\r\n")
    answer = raw_socket_exchange(emulator.url, payload)
    assert answer.startswith(b"HTTP/1.1 200")
    assert list(emulator.integrations) == ["jira-1"]


def test_garbage_request_line_does_not_kill_server(emulator, session):
    answer = raw_socket_exchange(emulator.url, b"\x16\x03\x01garbage\r\n\r\n")
    head, _sep, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert "error" in json.loads(body)
    answer = raw_socket_exchange(emulator.url, b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 501")
    assert session.get(emulator.url + VERSION).status_code == 200


def test_stop_closes_idle_keep_alive_connections():
    emu = XrayEmulator().start()
    url = emu.url
    with TimeoutSession() as sess:
        assert sess.get(url + VERSION, headers=ADMIN).status_code == 200
        emu.stop()
        with pytest.raises(requests.ConnectionError):
            sess.get(url + VERSION, headers=ADMIN)
    emu.stop()  # a second stop is harmless


# --------------------------------------------------------------------------- TLS

PKI_FILES = ("ca.pem", "server.pem", "server.key", "client.pem", "client.key", "stranger.pem", "stranger.key")


def _pki_with_trustme(trustme, directory):
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("client.example")
    paths = dict((name, str(directory / name)) for name in PKI_FILES)
    ca.cert_pem.write_to_path(paths["ca.pem"])
    server.cert_chain_pems[0].write_to_path(paths["server.pem"])
    server.private_key_pem.write_to_path(paths["server.key"])
    client.cert_chain_pems[0].write_to_path(paths["client.pem"])
    client.private_key_pem.write_to_path(paths["client.key"])
    stranger = trustme.CA().issue_cert("stranger.example")
    stranger.cert_chain_pems[0].write_to_path(paths["stranger.pem"])
    stranger.private_key_pem.write_to_path(paths["stranger.key"])
    return paths


OPENSSL_CONFIG = """[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = Xray emulator test CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""
LEAF_EXTENSIONS = """basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = {usage}
subjectAltName = {names}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(directory, *args):
    subprocess.run(["openssl"] + list(args), cwd=str(directory), check=True, capture_output=True)


def _openssl_leaf(directory, name, usage, names):
    (directory / (name + ".ext")).write_text(LEAF_EXTENSIONS.format(usage=usage, names=names))
    _openssl(directory, "req", "-new", "-config", "ca.cnf", *EC_KEY, "-keyout", name + ".key", "-out", name + ".csr",
             "-subj", "/CN=" + name)
    _openssl(directory, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "2",
             "-set_serial", str(int(time.time() * 1000)), "-extfile", name + ".ext", "-out", name + ".pem")


def _pki_with_openssl(directory):
    (directory / "ca.cnf").write_text(OPENSSL_CONFIG)
    _openssl(directory, "req", "-x509", "-config", "ca.cnf", *EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2")
    _openssl_leaf(directory, "server", "serverAuth", "IP:127.0.0.1,DNS:localhost")
    _openssl_leaf(directory, "client", "clientAuth", "DNS:client.example")
    # Self-signed, so no CA the server trusts vouches for it.
    _openssl(directory, "req", "-x509", "-config", "ca.cnf", *EC_KEY, "-keyout", "stranger.key", "-out", "stranger.pem",
             "-days", "2", "-subj", "/CN=stranger.example")
    return dict((name, str(directory / name)) for name in PKI_FILES)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made now."""
    directory = tmp_path_factory.mktemp("pki")
    try:
        import trustme  # pylint: disable=import-outside-toplevel
    except ImportError:
        trustme = None
    if trustme is not None:
        return _pki_with_trustme(trustme, directory)
    if shutil.which("openssl"):
        return _pki_with_openssl(directory)
    pytest.skip("making test certificates needs trustme or the openssl command")
    return None


def test_https(pki):
    with XrayEmulator(certfile=pki["server.pem"], keyfile=pki["server.key"]) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        with TimeoutSession() as sess:
            sess.trust_env = False
            for _index in range(3):
                assert sess.get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"]).status_code == 200
        assert len(set(tuple(entry["client"]) for entry in emu.requests)) == 1
        with pytest.raises(requests.exceptions.SSLError):
            get(emu.url + VERSION, headers=ADMIN)  # not signed by a CA the system trusts
        with pytest.raises(requests.ConnectionError):
            get(emu.url.replace("https", "http") + VERSION, headers=ADMIN)
        assert get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"]).status_code == 200
        assert emu.errors, "failed handshakes are recorded quietly"


def test_mutual_tls(pki):
    with XrayEmulator(certfile=pki["server.pem"], keyfile=pki["server.key"], client_ca=pki["ca.pem"]) as emu:
        with pytest.raises(requests.RequestException):
            get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"])
        with pytest.raises(requests.RequestException):
            get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"],
                cert=(pki["stranger.pem"], pki["stranger.key"]))
        response = get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"],
                       cert=(pki["client.pem"], pki["client.key"]))
        assert response.status_code == 200
        assert [entry["status"] for entry in emu.requests] == [200]


def test_client_ca_needs_certfile(pki):
    with pytest.raises(ValueError):
        XrayEmulator(client_ca=pki["ca.pem"])


# --------------------------------------------------------------------------- command line

def _spawn(script, *args):
    return subprocess.Popen([sys.executable, os.path.join(HERE, script)] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_file(path, process, deadline=15.0):
    end = time.monotonic() + deadline
    while not os.path.exists(path):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < end, "no URL file"
        time.sleep(0.05)
    with open(path) as stream:
        return stream.read()


def _terminate(process):
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


def test_cli_serves_until_sigterm(tmp_path):
    url_file = str(tmp_path / "url")
    process = _spawn("xray_emulator.py", "--url-file", url_file, "--xray-version", "3.135.0",
                     "--admin-token", "cli-admin", "--reader-user", "viewer:pw")
    try:
        written = _wait_for_file(url_file, process)
        printed = process.stdout.readline()
        assert written == printed and written.endswith("\n")
        url = written.strip()
        assert url.startswith("http://127.0.0.1:")
        answer = get(url + VERSION, headers={"Authorization": "Bearer cli-admin"})
        assert answer.json()["xray_version"] == "3.135.0"
        assert get(url + VERSION, headers=ADMIN).status_code == 401
        assert get(url + VERSION, auth=("viewer", "pw")).status_code == 403
    finally:
        code = _terminate(process)
    assert code == 0
    assert not os.path.exists(url_file)


def test_cli_https_with_client_ca(tmp_path, pki):
    process = _spawn("xray_emulator.py", "--certfile", pki["server.pem"], "--keyfile", pki["server.key"],
                     "--client-ca", pki["ca.pem"])
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:")
        response = get(url + VERSION, headers=ADMIN, verify=pki["ca.pem"],
                       cert=(pki["client.pem"], pki["client.key"]))
        assert response.status_code == 200
    finally:
        assert _terminate(process) == 0
    assert process.returncode == 0


def test_cli_port_in_use_fails_cleanly():
    with XrayEmulator() as emu:
        port = str(host_port(emu.url)[1])
        process = _spawn("xray_emulator.py", "--port", port)
        _out, err = process.communicate(timeout=15)
        assert process.returncode == 1
        assert "Traceback" not in err and "xray_emulator:" in err


# --------------------------------------------------------------------------- forward proxy

@pytest.fixture
def proxy():
    with ForwardProxy() as running:
        yield running


def test_proxy_forwards_http_and_keeps_raw_path(emulator, proxy, session):
    emulator.seed(connection_name="a/b")
    session.proxies = {"http": proxy.url}
    path = INTEGRATIONS + "/a%2Fb/details"
    response = session.get(emulator.url + path)
    assert response.status_code == 200 and response.json()["connection_name"] == "a/b"
    assert [(entry["method"], entry["target"], entry["status"]) for entry in proxy.requests] == [
        ("GET", emulator.url + path, 200)]
    assert emulator.requests[0]["path"] == path
    assert "Proxy-Connection" not in emulator.requests[0]["headers"]
    posted = session.post(emulator.url + INTEGRATIONS, json=create_body())
    assert posted.status_code == 200 and "jira-1" in emulator.integrations


def test_proxy_tunnels_https(pki, proxy):
    with XrayEmulator(certfile=pki["server.pem"], keyfile=pki["server.key"]) as emu:
        with TimeoutSession() as sess:
            sess.trust_env = False
            sess.proxies = {"https": proxy.url}
            assert sess.get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"]).status_code == 200
        assert [(entry["method"], entry["target"]) for entry in proxy.requests] == [
            ("CONNECT", emu.url[len("https://"):])]


def test_proxy_env_var_honoured_or_ignored(pki, proxy, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with XrayEmulator(certfile=pki["server.pem"], keyfile=pki["server.key"]) as emu:
        assert get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"]).status_code == 200
        assert [entry["method"] for entry in proxy.requests] == ["CONNECT"]
        proxy.clear()
        with TimeoutSession() as sess:
            sess.trust_env = False
            assert sess.get(emu.url + VERSION, headers=ADMIN, verify=pki["ca.pem"]).status_code == 200
        assert proxy.requests == []


def test_proxy_refuses_non_loopback_targets(proxy):
    response = get("http://example.invalid/", proxies={"http": proxy.url})
    assert response.status_code == 403
    status, _headers, data = raw_request(proxy.url, "GET", "/_proxy/requests")
    assert status == 200
    assert [(entry["target"], entry["status"]) for entry in json.loads(data)["requests"]] == [("http://example.invalid/", 403)]


def test_proxy_cli_with_log_file(tmp_path, emulator):
    log_file = tmp_path / "proxy.jsonl"
    process = _spawn("forward_proxy.py", "--log-file", str(log_file))
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert get(emulator.url + VERSION, headers=ADMIN, proxies={"http": url}).status_code == 200
        entries = [json.loads(line) for line in log_file.read_text().splitlines()]
        assert [(entry["method"], entry["target"]) for entry in entries] == [("GET", emulator.url + VERSION)]
    finally:
        assert _terminate(process) == 0


# --------------------------------------------------------------------------- watches v2

WATCHES = "/xray/api/v2/watches"
POLICIES = "/xray/api/v2/policies"
READER = {"Authorization": "Bearer emulator-reader-token"}
WATCH_READER = {"Authorization": "Bearer emulator-watch-reader-token"}
WATCH_MANAGER = {"Authorization": "Bearer emulator-watch-manager-token"}
DEFAULT_GENERATION = {"create_duplicate_tickets": {"by_version": {"build": False, "package": False, "release_bundle": False}},
                      "impact_path_profiles_mapping": {"include": []}, "create_tickets_for_ignored_violation": False}
DEFAULT_TICKETING = {"create_ticket_enabled": False, "ticket_profile": "", "ticket_generation": DEFAULT_GENERATION}


def ui_watch(name="vuln-prod", **top):
    """A watch as Xray's UI leaves it, with what a read-modify-write must keep: object filter values, bin_mgr_id,
    build_repo, keys nobody documents."""
    watch = {"general_data": {"id": "56sdf564b0fe4dc29f64cdfs564", "name": name, "description": "d", "active": True,
                              "x_future_flag": {"nested": [1, 2.5, None, "ü"]}},
             "project_resources": {"resources": [
                 {"type": "repository", "bin_mgr_id": "default", "name": "libs-release-local",
                  "filters": [{"type": "regex", "value": ".*"},
                              {"type": "path-regex", "value": {"IncludePatterns": ["a/**"], "ExcludePatterns": []}}]},
                 {"type": "build", "bin_mgr_id": "default", "name": "app", "build_repo": "artifactory-build-info"}]},
             "assigned_policies": [{"name": "medium_policy", "type": "security"}],
             "watch_recipients": ["sec@example.com"],
             "x_unknown_top": {"big": 12345678901234567890, "neg": -0.0001, "empty": {}, "list": [[], [{}]]}}
    watch.update(top)
    return watch


TICKETING = {"create_ticket_enabled": True, "ticket_profile": "team-a",
             "ticket_generation": {"create_duplicate_tickets": {"by_version": {"build": False, "package": True,
                                                                               "release_bundle": False}},
                                   "impact_path_profiles_mapping": {"include": [{"profile": "team-b", "pattern": "*/libs-b/*"}]},
                                   "create_tickets_for_ignored_violation": False}}


def put_body(watch):
    """What a careful client sends back: the watch as read, without the read-only general_data keys."""
    body = json.loads(json.dumps(watch))
    for key in ("id", "project_key"):
        body["general_data"].pop(key, None)
    return body


@pytest.fixture
def profiles(emulator):
    emulator.set_jira_profiles(["team-a", "team-b"])
    return ["team-a", "team-b"]


def test_watch_get_shows_the_stored_watch_and_the_default_ticketing(emulator, session):
    emulator.seed_watch(ui_watch())
    response = session.get(emulator.url + WATCHES + "/vuln-prod")
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    assert response.json() == dict(ui_watch(), **DEFAULT_TICKETING)
    # The store holds what was seeded: the defaults are what GET shows, not stored keys.
    assert emulator.watches == {(None, "vuln-prod"): ui_watch()}
    assert [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests] == [
        ("GET", WATCHES + "/vuln-prod", 200)]


def test_watch_unknown_is_404(emulator, session):
    emulator.seed_watch(ui_watch(), project_key="proj")
    for path in (WATCHES + "/ghost", WATCHES + "/vuln-prod", WATCHES + "/vuln-prod?projectKey=other"):
        for method, body in (("GET", None), ("PUT", put_body(ui_watch()))):
            response = session.request(method, emulator.url + path, json=body)
            assert (response.status_code, response.json()) == (404, {"error": "Watch not found"}), (method, path)
    assert emulator.watches == {("proj", "vuln-prod"): dict(ui_watch(), general_data=dict(
        ui_watch()["general_data"], project_key="proj"))}


def test_watch_put_is_a_full_replace(emulator, session, profiles):
    emulator.seed_watch(ui_watch(**TICKETING))
    body = {"general_data": {"name": "renamed-in-body", "description": "new", "active": False},
            "assigned_policies": [], "x_new": [{"k": "v"}]}
    response = session.put(emulator.url + WATCHES + "/vuln-prod", json=body)
    assert (response.status_code, response.json()) == (200, {"info": "Watch has been successfully updated"})
    expected = {"general_data": {"id": "56sdf564b0fe4dc29f64cdfs564", "name": "vuln-prod", "description": "new",
                                 "active": False},
                "assigned_policies": [], "x_new": [{"k": "v"}]}
    # Whatever the body left out is gone (ticketing, resources, recipients); the path's name wins.
    assert emulator.watches == {(None, "vuln-prod"): expected}
    assert session.get(emulator.url + WATCHES + "/vuln-prod").json() == dict(expected, **DEFAULT_TICKETING)
    assert session.get(emulator.url + WATCHES + "/renamed-in-body").status_code == 404


def test_watch_round_trip_keeps_every_key_as_sent(emulator, session, profiles):
    emulator.seed_watch(ui_watch(**TICKETING))
    read = session.get(emulator.url + WATCHES + "/vuln-prod").json()
    assert read == ui_watch(**TICKETING)
    body = put_body(read)
    body["ticket_generation"]["x_new_generation_key"] = {"deep": [True, 0, ""]}
    body["ticket_profile"] = "team-b"
    response = session.put(emulator.url + WATCHES + "/vuln-prod", json=body)
    assert response.status_code == 200
    expected = json.loads(json.dumps(body))
    expected["general_data"]["id"] = "56sdf564b0fe4dc29f64cdfs564"
    reread = session.get(emulator.url + WATCHES + "/vuln-prod")
    assert reread.json() == expected
    # Same values and the same types: 12345678901234567890 stays an integer, -0.0001 a float, "ü" as is.
    assert json.loads(reread.text)["x_unknown_top"]["big"] == 12345678901234567890
    assert isinstance(emulator.watches[(None, "vuln-prod")]["x_unknown_top"]["big"], int)
    assert emulator.requests[1]["json"] == body


@pytest.mark.parametrize("key", ["id", "project_key"])
def test_watch_put_refuses_read_only_fields(emulator, session, key):
    emulator.seed_watch(ui_watch(), project_key="proj")
    stored = emulator.watches
    body = put_body(ui_watch())
    body["general_data"][key] = stored[("proj", "vuln-prod")]["general_data"][key]  # even the stored value
    response = session.put(emulator.url + WATCHES + "/vuln-prod?projectKey=proj", json=body)
    assert (response.status_code, response.json()) == (
        400, {"error": "Field general_data.%s is read-only and cannot be updated" % key})
    assert emulator.watches == stored


def test_watch_put_keeps_the_read_only_fields(emulator, session):
    emulator.seed_watch(ui_watch(), project_key="proj")
    body = put_body(ui_watch())
    body["general_data"]["description"] = "changed"
    assert session.put(emulator.url + WATCHES + "/vuln-prod?projectKey=proj", json=body).status_code == 200
    general = session.get(emulator.url + WATCHES + "/vuln-prod?projectKey=proj").json()["general_data"]
    assert (general["id"], general["project_key"], general["description"]) == (
        "56sdf564b0fe4dc29f64cdfs564", "proj", "changed")


def test_watch_project_scoping(emulator, session, profiles):
    emulator.seed_watch(ui_watch(watch_recipients=["global@example.com"]))
    emulator.seed_watch(ui_watch(watch_recipients=["proj@example.com"]), project_key="proj")
    emulator.seed_watch({"general_data": {"name": "vuln-prod", "project_key": "other"}})  # scope from the watch
    assert set(emulator.watches) == {(None, "vuln-prod"), ("proj", "vuln-prod"), ("other", "vuln-prod")}

    def recipients(query):
        return session.get(emulator.url + WATCHES + "/vuln-prod" + query).json().get("watch_recipients")

    assert (recipients(""), recipients("?projectKey="), recipients("?projectKey=proj"), recipients("?projectKey=other")) == (
        ["global@example.com"], ["global@example.com"], ["proj@example.com"], None)
    body = dict(put_body(ui_watch()), watch_recipients=["changed@example.com"])
    assert session.put(emulator.url + WATCHES + "/vuln-prod?projectKey=proj", json=body).status_code == 200
    assert (recipients(""), recipients("?projectKey=proj")) == (["global@example.com"], ["changed@example.com"])
    assert emulator.watches[("proj", "vuln-prod")]["general_data"]["project_key"] == "proj"
    assert "project_key" not in emulator.watches[(None, "vuln-prod")]["general_data"]
    assert [entry["query"] for entry in emulator.requests][-2:] == [{}, {"projectKey": "proj"}]


def test_watch_default_ticketing_fills_only_what_is_missing(emulator, session):
    emulator.seed_watch(ui_watch(ticket_profile="", ticket_generation={
        "impact_path_profiles_mapping": {"x": 1}, "create_duplicate_tickets": {"by_version": {"package": True}}}))
    got = session.get(emulator.url + WATCHES + "/vuln-prod").json()
    assert (got["create_ticket_enabled"], got["ticket_profile"]) == (False, "")
    assert got["ticket_generation"] == {
        "create_duplicate_tickets": {"by_version": {"build": False, "package": True, "release_bundle": False}},
        "impact_path_profiles_mapping": {"include": [], "x": 1}, "create_tickets_for_ignored_violation": False}


def test_watch_seeded_exact_is_returned_exactly(emulator, session):
    seeded = {"general_data": {"name": "old-style"}, "watch_recipients": []}
    assert emulator.seed_watch(seeded, exact=True) == seeded
    got = session.get(emulator.url + WATCHES + "/old-style").json()
    assert got == seeded  # no id, no ticketing keys: "missing" is what the client must read as the defaults
    listed = session.get(emulator.url + "/_emulator/watches").json()["watches"]
    assert listed == [{"project_key": None, "name": "old-style", "exact": True, "watch": seeded}]
    # A PUT stores a normal watch again: GET then shows the defaults.
    assert session.put(emulator.url + WATCHES + "/old-style", json=seeded).status_code == 200
    assert session.get(emulator.url + WATCHES + "/old-style").json() == dict(seeded, **DEFAULT_TICKETING)


def test_watch_unknown_jira_profile_is_400(emulator, session):
    emulator.seed_watch(ui_watch())
    before = emulator.watches
    for ticketing, name in (({"ticket_profile": "team-a"}, "team-a"),
                            ({"ticket_profile": "", "ticket_generation": {"impact_path_profiles_mapping": {"include": [
                                {"profile": "team-a", "pattern": "*"}]}}}, "team-a")):
        response = session.put(emulator.url + WATCHES + "/vuln-prod", json=dict(put_body(ui_watch()), **ticketing))
        assert (response.status_code, response.json()) == (400, {"error": "Jira profile '%s' does not exist" % name})
    assert emulator.watches == before
    declared = session.put(emulator.url + "/_emulator/jira-profiles", json={"profiles": ["team-b", "team-a"]})
    assert declared.json() == {"profiles": ["team-a", "team-b"]}
    response = session.put(emulator.url + WATCHES + "/vuln-prod", json=dict(put_body(ui_watch()), **TICKETING))
    assert response.status_code == 200
    assert emulator.watches[(None, "vuln-prod")]["ticket_profile"] == "team-a"
    mapped = dict(put_body(ui_watch()), ticket_generation={"impact_path_profiles_mapping": {"include": [
        {"profile": "team-b", "pattern": "*"}, {"profile": "team-c", "pattern": "*/c/*"}]}})
    response = session.put(emulator.url + WATCHES + "/vuln-prod", json=mapped)
    assert (response.status_code, response.json()) == (400, {"error": "Jira profile 'team-c' does not exist"})


INCLUDE = "ticket_generation.impact_path_profiles_mapping.include"


@pytest.mark.parametrize("ticketing, message", [
    ({"create_ticket_enabled": "true"}, "Invalid value for field create_ticket_enabled: must be a boolean"),
    ({"create_ticket_enabled": None}, "Invalid value for field create_ticket_enabled: must be a boolean"),
    ({"ticket_profile": 7}, "Invalid value for field ticket_profile: must be a string"),
    ({"ticket_generation": []}, "Invalid value for field ticket_generation: must be an object"),
    ({"ticket_generation": {"create_duplicate_tickets": True}},
     "Invalid value for field ticket_generation.create_duplicate_tickets: must be an object"),
    ({"ticket_generation": {"create_duplicate_tickets": {"by_version": {"package": 1}}}},
     "Invalid value for field ticket_generation.create_duplicate_tickets.by_version.package: must be a boolean"),
    ({"ticket_generation": {"create_tickets_for_ignored_violation": "no"}},
     "Invalid value for field ticket_generation.create_tickets_for_ignored_violation: must be a boolean"),
    ({"ticket_generation": {"impact_path_profiles_mapping": {"include": {"profile": "team-a"}}}},
     "Invalid value for field %s: must be a list" % INCLUDE),
    ({"ticket_generation": {"impact_path_profiles_mapping": {"include": ["team-a"]}}},
     "Invalid value for field %s[0]: must be an object" % INCLUDE),
    ({"ticket_generation": {"impact_path_profiles_mapping": {"include": [{"profile": "team-a", "pattern": "*"},
                                                                         {"profile": "team-a"}]}}},
     "Missing mandatory field: %s[1].pattern" % INCLUDE),
    ({"ticket_generation": {"impact_path_profiles_mapping": {"include": [{"pattern": "*"}]}}},
     "Missing mandatory field: %s[0].profile" % INCLUDE),
    ({"ticket_generation": {"impact_path_profiles_mapping": {"include": [{"profile": "team-a", "pattern": None}]}}},
     "Invalid value for field %s[0].pattern: must be a string" % INCLUDE),
])
def test_watch_ticketing_types_are_checked(emulator, session, profiles, ticketing, message):
    emulator.seed_watch(ui_watch(**TICKETING))
    before = emulator.watches
    response = session.put(emulator.url + WATCHES + "/vuln-prod", json=dict(put_body(ui_watch()), **ticketing))
    assert (response.status_code, response.json()) == (400, {"error": message})
    assert emulator.watches == before


@pytest.mark.parametrize("body, message", [
    (b"{not json", "Malformed JSON body"), (b"", "Malformed JSON body"), (b"[1]", "Request body must be a JSON object"),
    (b'{"general_data": "x"}', "Invalid value for field general_data: must be an object"),
])
def test_watch_and_policy_put_bad_bodies(emulator, session, body, message):
    emulator.seed_watch(ui_watch())
    emulator.seed_policy({"name": "p"})
    before = (emulator.watches, emulator.policies)
    for path in (WATCHES + "/vuln-prod", POLICIES + "/p"):
        if path.startswith(POLICIES) and b"general_data" in body:
            continue
        response = session.put(emulator.url + path, data=body, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"error": message})
    assert (emulator.watches, emulator.policies) == before


def test_watch_names_are_decoded_once(emulator, session):
    emulator.seed_watch({"general_data": {"name": "a/b c"}})
    status, _headers, data = raw_request(emulator.url, "GET", WATCHES + "/a%2Fb%20c")
    assert (status, json.loads(data)["general_data"]["name"]) == (200, "a/b c")
    status, _headers, _data = raw_request(emulator.url, "PUT", WATCHES + "/a%2Fb%20c", json.dumps({}))
    assert status == 200
    assert emulator.watches[(None, "a/b c")]["general_data"]["name"] == "a/b c"
    assert raw_request(emulator.url, "GET", WATCHES + "/a/b%20c")[0] == 404


@pytest.mark.parametrize("method, path", [("POST", WATCHES + "/w"), ("DELETE", WATCHES + "/w"), ("PATCH", POLICIES + "/p"),
                                          ("DELETE", POLICIES + "/p")])
def test_watch_and_policy_methods(emulator, method, path):
    status, headers, data = raw_request(emulator.url, method, path)
    assert (status, headers["Allow"], json.loads(data)) == (405, "GET, PUT", {"error": "Method not allowed"})


def test_version_stays_under_v1_only(emulator, session):
    for path in ("/xray/api/v2/system/version", WATCHES, WATCHES + "/w/more", POLICIES):
        response = session.get(emulator.url + path)
        assert (response.status_code, response.json()) == (404, {"error": "Not found"}), path


# --------------------------------------------------------------------------- policies v2

def ui_policy(name="sec-policy", **overrides):
    policy = {"name": name, "type": "security", "description": "d", "author": "jane", "created": "2024-01-02T03:04:05Z",
              "modified": "2024-01-02T03:04:05Z", "watches": ["vuln-prod"], "project_key": "",
              "rules": [{"name": "first", "priority": 1, "criteria": {"min_severity": "high", "x_crit": [1, {"a": None}]},
                         "actions": {"fail_build": True, "block_download": {"active": True, "unscanned": False},
                                     "create_ticket_enabled": False, "x_action": "kept"}},
                        {"name": "second", "priority": 2, "criteria": {"cvss_range": {"from": 7.5, "to": 10}},
                         "actions": {"mails": ["a@example.com"]}}],
              "x_policy_future": {"n": 1}}
    policy.update(overrides)
    return policy


def writable(policy):
    return dict((key, value) for key, value in json.loads(json.dumps(policy)).items()
                if key not in ("author", "created", "modified", "watches", "project_key"))


def test_policy_get_and_seed_defaults(emulator, session):
    emulator.seed_policy(ui_policy())
    response = session.get(emulator.url + POLICIES + "/sec-policy")
    assert (response.status_code, response.json()) == (200, ui_policy())
    seeded = emulator.seed_policy({"name": "bare", "x": 1}, project_key="proj")
    assert set(seeded) == {"name", "x", "type", "description", "author", "rules", "created", "modified", "watches",
                           "project_key"}
    assert (seeded["type"], seeded["rules"], seeded["watches"], seeded["project_key"]) == ("security", [], [], "proj")
    assert time.strptime(seeded["created"], "%Y-%m-%dT%H:%M:%S.%fZ") and seeded["modified"] == seeded["created"]
    assert session.get(emulator.url + POLICIES + "/bare?projectKey=proj").json() == seeded
    assert emulator.seed_policy({"name": "raw"}, exact=True) == {"name": "raw"}
    assert session.get(emulator.url + POLICIES + "/raw").json() == {"name": "raw"}


def test_policy_unknown_is_404(emulator, session):
    emulator.seed_policy(ui_policy(), project_key="proj")
    for path in (POLICIES + "/ghost", POLICIES + "/sec-policy", POLICIES + "/sec-policy?projectKey=nope"):
        for method, body in (("GET", None), ("PUT", writable(ui_policy()))):
            response = session.request(method, emulator.url + path, json=body)
            assert (response.status_code, response.json()) == (
                404, {"error": "Policy not found or not accessible in the current scope"}), (method, path)


def test_policy_put_replaces_the_writable_part(emulator, session):
    emulator.seed_policy(ui_policy())
    body = writable(ui_policy())
    body["name"] = "other-name"
    body["rules"][0]["actions"]["create_ticket_enabled"] = True
    body["rules"][1]["actions"]["create_ticket_enabled"] = True
    del body["description"]
    body["x_new"] = {"deep": [1.5]}
    response = session.put(emulator.url + POLICIES + "/sec-policy", json=body)
    assert (response.status_code, response.json()) == (200, {"info": "Policy has been successfully updated"})
    got = session.get(emulator.url + POLICIES + "/sec-policy").json()
    modified = got.pop("modified")
    assert modified != "2024-01-02T03:04:05Z" and time.strptime(modified, "%Y-%m-%dT%H:%M:%S.%fZ")
    expected = dict(body, name="sec-policy", author="jane", created="2024-01-02T03:04:05Z", watches=["vuln-prod"],
                    project_key="")
    assert got == expected
    assert "description" not in emulator.policies[(None, "sec-policy")]
    assert emulator.requests[0]["json"] == body


@pytest.mark.parametrize("key", ["author", "created", "modified", "watches", "project_key"])
def test_policy_put_refuses_read_only_keys(emulator, session, key):
    emulator.seed_policy(ui_policy())
    before = emulator.policies
    body = dict(writable(ui_policy()), **{key: ui_policy()[key]})
    response = session.put(emulator.url + POLICIES + "/sec-policy", json=body)
    assert (response.status_code, response.json()) == (400, {"error": "Field %s is read-only and cannot be updated" % key})
    assert emulator.policies == before


@pytest.mark.parametrize("change, message", [
    ({"type": "secure"}, "Invalid value for field type: must be one of security, license, operational_risk"),
    ({"rules": {"first": {}}}, "Invalid value for field rules: must be a list"),
    ({"rules": [{"name": "a"}, "b"]}, "Invalid value for field rules[1]: must be an object"),
    ({"rules": [{"name": "a", "actions": []}]}, "Invalid value for field rules[0].actions: must be an object"),
    ({"rules": [{"name": "a", "actions": {}}, {"name": "b", "actions": {"create_ticket_enabled": "yes"}}]},
     "Invalid value for field rules[1].actions.create_ticket_enabled: must be a boolean"),
    ({"rules": [{"name": "a", "actions": {"create_ticket_enabled": None}}]},
     "Invalid value for field rules[0].actions.create_ticket_enabled: must be a boolean"),
])
def test_policy_put_checks(emulator, session, change, message):
    emulator.seed_policy(ui_policy())
    before = emulator.policies
    response = session.put(emulator.url + POLICIES + "/sec-policy", json=dict(writable(ui_policy()), **change))
    assert (response.status_code, response.json()) == (400, {"error": message})
    assert emulator.policies == before


def test_policy_project_scoping(emulator, session):
    emulator.seed_policy(ui_policy(description="global"))
    emulator.seed_policy(ui_policy(description="in proj", project_key="proj"))
    assert set(emulator.policies) == {(None, "sec-policy"), ("proj", "sec-policy")}
    assert session.put(emulator.url + POLICIES + "/sec-policy?projectKey=proj",
                       json=dict(writable(ui_policy()), description="changed")).status_code == 200
    assert session.get(emulator.url + POLICIES + "/sec-policy").json()["description"] == "global"
    scoped = session.get(emulator.url + POLICIES + "/sec-policy?projectKey=proj").json()
    assert (scoped["description"], scoped["project_key"]) == ("changed", "proj")


# --------------------------------------------------------------------------- roles

def test_roles_on_watches_and_policies(emulator, session):
    emulator.seed_watch(ui_watch())
    emulator.seed_policy(ui_policy())
    watch, policy = WATCHES + "/vuln-prod", POLICIES + "/sec-policy"
    cases = [
        (READER, "GET", watch, 403, {"error": "Missing permission: Read Watches"}),
        (READER, "PUT", watch, 403, {"error": "Missing permission: Manage Watches"}),
        (READER, "GET", policy, 403, {"error": "Missing permission: Read Policies"}),
        (READER, "PUT", policy, 403, {"error": "Missing permission: Manage Policies"}),
        (WATCH_READER, "GET", watch, 200, None),
        (WATCH_READER, "PUT", watch, 403, {"error": "Missing permission: Manage Watches"}),
        (WATCH_READER, "GET", policy, 200, None),
        (WATCH_READER, "PUT", policy, 403, {"error": "Missing permission: Manage Policies"}),
        (WATCH_MANAGER, "PUT", watch, 200, {"info": "Watch has been successfully updated"}),
        (WATCH_MANAGER, "PUT", policy, 200, {"info": "Policy has been successfully updated"}),
        (WATCH_MANAGER, "GET", VERSION, 200, None),
        (WATCH_READER, "GET", VERSION, 200, None),
        (READER, "GET", VERSION, 403, {"error": "Permission denied"}),
        (WATCH_MANAGER, "GET", INTEGRATIONS + "/x/details", 403, {"error": "Permission denied"}),
        ({"Authorization": "Bearer nope"}, "GET", watch, 401, {"error": "Found invalid token"}),
        ({}, "PUT", policy, 401, {"error": "Found invalid token"}),
    ]
    bodies = {watch: put_body(ui_watch()), policy: writable(ui_policy())}
    for headers, method, path, status, answer in cases:
        response = requests.request(method, emulator.url + path, headers=headers, timeout=TIMEOUT,
                                    json=bodies.get(path) if method == "PUT" else None)
        assert response.status_code == status, (headers, method, path)
        if answer is not None:
            assert response.json() == answer, (headers, method, path)
    assert [entry["status"] for entry in emulator.requests] == [case[3] for case in cases]
    # Only the watch manager's PUTs landed.
    assert emulator.watches[(None, "vuln-prod")] == dict(put_body(ui_watch()), general_data=ui_watch()["general_data"])
    assert session.get(emulator.url + WATCHES + "/vuln-prod", auth=("reader", "emulator-reader-password")).status_code == 403


def test_role_tokens_from_constructor():
    with XrayEmulator(role_tokens={"w-only": ["Manage Watches"], "p-read": ("Read Policies",)}) as emu:
        emu.seed_watch(ui_watch())
        emu.seed_policy(ui_policy())

        def status(token, method, path, body=None):
            return requests.request(method, emu.url + path, headers={"Authorization": "Bearer " + token}, json=body,
                                    timeout=TIMEOUT).status_code

        assert status("w-only", "GET", WATCHES + "/vuln-prod") == 200  # managing implies reading
        assert status("w-only", "PUT", WATCHES + "/vuln-prod", {}) == 200
        assert status("w-only", "GET", POLICIES + "/sec-policy") == 403
        assert status("p-read", "GET", POLICIES + "/sec-policy") == 200
        assert status("p-read", "PUT", POLICIES + "/sec-policy", {}) == 403
        assert status("emulator-watch-manager-token", "GET", WATCHES + "/vuln-prod") == 401  # defaults replaced
        assert status("emulator-admin-token", "PUT", POLICIES + "/sec-policy", {}) == 200
    with pytest.raises(ValueError, match="Manage Everything"):
        XrayEmulator(role_tokens={"t": ["Manage Everything"]})


def test_cli_role_tokens():
    process = _spawn("xray_emulator.py", "--watch-reader-token", "wr", "--role-token", "pm=Manage Policies",
                     "--watch-manager-token", "wm")
    try:
        url = process.stdout.readline().strip()
        requests.post(url + "/_emulator/watches", json={"watch": {"general_data": {"name": "w"}}}, timeout=TIMEOUT)
        requests.post(url + "/_emulator/policies", json={"policy": {"name": "p"}}, timeout=TIMEOUT)

        def status(token, method, path):
            return requests.request(method, url + path, headers={"Authorization": "Bearer " + token}, timeout=TIMEOUT,
                                    json={} if method == "PUT" else None).status_code

        assert [status("wr", "GET", WATCHES + "/w"), status("wr", "PUT", WATCHES + "/w"), status("wm", "PUT", WATCHES + "/w"),
                status("pm", "PUT", POLICIES + "/p"), status("pm", "PUT", WATCHES + "/w"),
                status("emulator-watch-reader-token", "GET", WATCHES + "/w")] == [200, 403, 200, 200, 403, 401]
    finally:
        assert _terminate(process) == 0
    bad = _spawn("xray_emulator.py", "--role-token", "t=Manage Everything")
    _out, err = bad.communicate(timeout=15)
    assert bad.returncode == 2 and "unknown role 'Manage Everything'" in err


# --------------------------------------------------------------------------- older Xray: ticketing fields dropped

def test_drop_ticketing_fields_mode(emulator, session):
    emulator.seed_watch(ui_watch(**TICKETING))
    emulator.seed_policy(ui_policy())
    config = session.patch(emulator.url + "/_emulator/config", json={"drop_ticketing_fields": True}).json()
    assert config["drop_ticketing_fields"] is True
    # GET shows no ticketing field, stored or default.
    assert session.get(emulator.url + WATCHES + "/vuln-prod").json() == ui_watch()
    rules = session.get(emulator.url + POLICIES + "/sec-policy").json()["rules"]
    assert [rule["actions"] for rule in rules] == [
        {"fail_build": True, "block_download": {"active": True, "unscanned": False}, "x_action": "kept"},
        {"mails": ["a@example.com"]}]
    # PUT is answered 200 and keeps everything else, but the ticketing fields (even unknown profiles) are not stored.
    response = session.put(emulator.url + WATCHES + "/vuln-prod", json=dict(put_body(ui_watch()), **TICKETING))
    assert (response.status_code, response.json()) == (200, {"info": "Watch has been successfully updated"})
    assert emulator.watches[(None, "vuln-prod")] == ui_watch()
    body = writable(ui_policy())
    body["rules"][1]["actions"]["create_ticket_enabled"] = "not even a bool"
    assert session.put(emulator.url + POLICIES + "/sec-policy", json=body).status_code == 200
    stored_rules = emulator.policies[(None, "sec-policy")]["rules"]
    assert [("create_ticket_enabled" in rule["actions"]) for rule in stored_rules] == [False, False]
    assert stored_rules[0]["actions"]["x_action"] == "kept"
    # Read-only fields are still refused.
    bad = dict(put_body(ui_watch()), general_data={"id": "x"})
    assert session.put(emulator.url + WATCHES + "/vuln-prod", json=bad).status_code == 400
    emulator.set_config(drop_ticketing_fields=False)
    assert session.get(emulator.url + WATCHES + "/vuln-prod").json() == dict(ui_watch(), **DEFAULT_TICKETING)


# --------------------------------------------------------------------------- control API and Python methods

def test_control_api_seeds_and_lists_watches_and_policies(emulator, session):
    seeded = session.post(emulator.url + "/_emulator/watches",
                          json={"watch": {"general_data": {"name": "w"}, "k": [1]}, "project_key": "proj"})
    assert seeded.status_code == 200
    watch = seeded.json()["watch"]
    assert seeded.json()["project_key"] == "proj"
    assert (watch["general_data"]["name"], watch["general_data"]["project_key"], watch["k"]) == ("w", "proj", [1])
    assert len(watch["general_data"]["id"]) == 27
    session.post(emulator.url + "/_emulator/watches", json={"watch": {"general_data": {"name": "g"}}, "exact": True})
    assert session.get(emulator.url + "/_emulator/watches").json() == {"watches": [
        {"project_key": None, "name": "g", "exact": True, "watch": {"general_data": {"name": "g"}}},
        {"project_key": "proj", "name": "w", "exact": False, "watch": watch}]}
    policy = session.post(emulator.url + "/_emulator/policies", json={"policy": {"name": "p", "rules": []}}).json()
    assert policy["project_key"] is None and policy["policy"]["author"] == "admin"
    assert session.get(emulator.url + "/_emulator/policies").json() == {"policies": [
        {"project_key": None, "name": "p", "exact": False, "policy": policy["policy"]}]}
    assert session.get(emulator.url + "/_emulator/jira-profiles").json() == {"profiles": []}
    assert emulator.requests == []  # the control API is not logged


@pytest.mark.parametrize("path, body", [
    ("watches", {"general_data": {"name": "w"}}),
    ("watches", {"watch": {"general_data": {}}}),
    ("watches", {"watch": {"general_data": {"name": ""}}}),
    ("watches", {"watch": []}),
    ("watches", {"watch": {"general_data": {"name": "w"}}, "exact": "yes"}),
    ("watches", {"watch": {"general_data": {"name": "w"}}, "project_key": ""}),
    ("watches", {"watch": {"general_data": {"name": "w", "project_key": "a"}}, "project_key": "b"}),
    ("watches", {"watch": {"general_data": {"name": "w"}}, "extra": 1}),
    ("policies", {"policy": {"type": "security"}}),
    ("policies", {"policy": {"name": "p", "project_key": "a"}, "project_key": "b"}),
    ("policies", {"name": "p"}),
    ("jira-profiles", {"profiles": "team-a"}),
    ("jira-profiles", {"profiles": ["team-a", ""]}),
    ("jira-profiles", {"profiles": [1]}),
    ("jira-profiles", {"names": ["team-a"]}),
    ("jira-profiles", ["team-a"]),
])
def test_control_api_rejects_bad_seeds(emulator, session, path, body):
    method = "PUT" if path == "jira-profiles" else "POST"
    response = session.request(method, emulator.url + "/_emulator/" + path, json=body)
    assert response.status_code == 400 and "error" in response.json()
    assert (emulator.watches, emulator.policies, emulator.jira_profiles) == ({}, {}, [])


def test_python_methods(emulator):
    emulator.set_jira_profiles(name for name in ("b", "a"))
    assert emulator.jira_profiles == ["a", "b"]
    for bad in ("team-a", ["ok", ""], [None], 7):
        with pytest.raises(ValueError):
            emulator.set_jira_profiles(bad)
    assert emulator.jira_profiles == ["a", "b"]
    stored = emulator.seed_watch({"general_data": {"name": "w", "project_key": "proj"}})
    assert emulator.watches == {("proj", "w"): stored}
    assert emulator.seed_watch({"general_data": {"name": "w"}}, project_key="proj", exact=True) == {
        "general_data": {"name": "w"}}
    assert emulator.watches == {("proj", "w"): {"general_data": {"name": "w"}}}
    assert emulator.seed_policy({"name": "p"}, project_key="proj")["project_key"] == "proj"
    assert list(emulator.policies) == [("proj", "p")]
    with pytest.raises(ValueError):
        emulator.seed_watch({"name": "no general_data"})
    with pytest.raises(ValueError):
        emulator.seed_policy({"name": "p"}, project_key="")
    # The returned and listed objects are copies: changing them changes nothing stored.
    emulator.watches[("proj", "w")]["general_data"]["name"] = "changed"
    assert emulator.watches[("proj", "w")]["general_data"]["name"] == "w"


def test_reset_clears_watches_policies_and_profiles(emulator, session):
    emulator.seed_watch(ui_watch())
    emulator.seed_policy(ui_policy(), project_key="proj")
    emulator.set_jira_profiles(["team-a"])
    emulator.set_config(drop_ticketing_fields=True)
    assert session.post(emulator.url + "/_emulator/reset").status_code == 200
    assert (emulator.watches, emulator.policies, emulator.jira_profiles) == ({}, {}, [])
    assert emulator.config["drop_ticketing_fields"] is False
    assert session.get(emulator.url + WATCHES + "/vuln-prod").status_code == 404
    assert session.get(emulator.url + "/_emulator/watches").json() == {"watches": []}
    assert session.get(emulator.url + "/_emulator/policies").json() == {"policies": []}


def test_faults_apply_to_watches_and_policies(emulator, session, profiles):
    emulator.seed_watch(ui_watch())
    emulator.seed_policy(ui_policy())
    emulator.add_faults([{"method": "PUT", "path_regex": "/v2/watches/vuln-prod$", "status": 500,
                          "apply_then_continue": True},
                         {"method": "GET", "path_regex": r"/v2/policies/sec-policy\?projectKey=", "status": 503},
                         {"method": "PUT", "path_regex": "/v2/policies/", "drop": True}])
    body = dict(put_body(ui_watch()), **TICKETING)
    response = session.put(emulator.url + WATCHES + "/vuln-prod", json=body)
    assert (response.status_code, response.json()) == (500, {"error": "Emulated fault"})
    assert emulator.watches[(None, "vuln-prod")]["ticket_profile"] == "team-a"  # the change landed
    assert session.get(emulator.url + POLICIES + "/sec-policy").status_code == 200  # no query: not matched
    assert session.get(emulator.url + POLICIES + "/sec-policy?projectKey=x").status_code == 503
    with pytest.raises(requests.ConnectionError):
        session.put(emulator.url + POLICIES + "/sec-policy", json=writable(ui_policy(description="new")))
    assert emulator.policies[(None, "sec-policy")]["description"] == "d"  # dropped before it was applied
    assert [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests] == [
        ("PUT", WATCHES + "/vuln-prod", 500), ("GET", POLICIES + "/sec-policy", 200),
        ("GET", POLICIES + "/sec-policy?projectKey=x", 503), ("PUT", POLICIES + "/sec-policy", "dropped")]
    assert emulator.faults == []


def test_collection_package_import(tmp_path):
    """Imported as part of the collection (as the unit tests do), the core finds its handler files as a subpackage."""
    root = tmp_path / "ansible_collections" / "frogops"
    root.mkdir(parents=True)
    (root / "xray").symlink_to(os.path.dirname(os.path.dirname(HERE)))
    code = ("import ansible_collections.frogops.xray.tests.emulator.xray_emulator as core; "
            "print(core.watches.__name__); emu = core.XrayEmulator(); emu.seed_watch({'general_data': {'name': 'w'}}); "
            "print(sorted(emu.watches))")
    result = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), capture_output=True, text=True, timeout=30,
                            env=dict(os.environ, PYTHONPATH=str(tmp_path)), check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["ansible_collections.frogops.xray.tests.emulator.xray_resources.watches",
                                          "[(None, 'w')]"]
