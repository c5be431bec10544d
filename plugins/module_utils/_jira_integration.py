# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Xray's Jira integration: its fields, how to read, compare and write them.

The integration is a dict named like the module options: connection_name,
auth_type, username, installation_type, jira_server_url, skip_proxy. The
password is write-only in Xray and never appears here. A field that Xray
leaves out or sends as null is unknown, and is left out of the dict.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import unicodedata

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayError, sentence

INTEGRATIONS_PATH = ("ticketing", "jira-integrations")
STATUS_CHECK_PATH = ("ticketing", "integrations", "status", "check")
VERSION_PATH = ("system", "version")

MINIMUM_API_VERSION = "3.129"
MINIMUM_STATUS_VERSION = "3.136"

# The fields besides the name, in the order users read them. The name is the identity, never a change.
COMPARED_FIELDS = ("auth_type", "username", "installation_type", "jira_server_url", "skip_proxy")
FIELDS = ("connection_name",) + COMPARED_FIELDS
STRING_FIELDS = ("auth_type", "username", "installation_type", "jira_server_url")
CREATE_REQUIRED = ("username", "password", "installation_type", "jira_server_url")
HEALTHY = "HEALTHY_INTEGRATION"
# What the status check documents; each is understood whatever HTTP status (200, 404, 500) carries it.
DOCUMENTED_STATUSES = (HEALTHY, "FAULTY_CONFIGURATION", "INTEGRATION_NOT_FOUND", "INTERNAL_SERVER_ERROR")
# Shown in diffs where the password would be sent; the value itself never is.
PASSWORD_PLACEHOLDER = "<hidden: will be sent>"
# Added to the message of a create or update that may still be running in Xray.
STILL_SAVING_HINT = ("Xray tests the connection to Jira while it saves, which takes longer than timeout when Jira is "
                     "slow or cannot be reached: check jira_server_url and the Jira credentials, or raise timeout.")


# -- values ------------------------------------------------------------------

def normalize_url(url):
    """Compare URLs the way a server may store them: scheme/host case and trailing slash don't count."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # not a URL at all (e.g. "http://[x" from a server): compare as text
        return url.strip()
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, parts.fragment))


def normalize_value(field, value):
    if field in ("auth_type", "installation_type"):
        return value.strip().lower()
    if field == "jira_server_url":
        return normalize_url(value)
    return value


def same_name(one, other):
    """Names as Xray matches them: Unicode-normalised and without regard to case."""
    return unicodedata.normalize("NFC", one).casefold() == unicodedata.normalize("NFC", other).casefold()


def is_http_url(value):
    try:
        parts = urlsplit(value or "")
        parts.port  # pylint: disable=pointless-statement  # ValueError on a port that is no number
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. "http://[x": an unclosed IPv6 bracket, or "https://jira:notaport"
        return False


# "@", and what reads as one: percent-encoded, or a character whose compatibility form it is (fullwidth, small).
_AT_SIGN_RE = re.compile(u"@|%40|\uff20|\ufe6b", re.IGNORECASE)


def url_credentials(url):
    """What to mask of a URL with credentials: all from after the scheme to the last "@" (a password may hold "/",
    "?" or "#", which would end the authority). Its parts are not masked alone: a short one would mask every place
    its letters show."""
    rest = url.split("//", 1)[-1]
    ats = [match.start() for match in _AT_SIGN_RE.finditer(rest)]
    userinfo = rest[:ats[-1]] if ats else ""
    return [userinfo] if userinfo else []


def jira_url_problem(url):
    """Why jira_server_url cannot be sent, or None. Credentials in it are refused without echoing them:
    Xray would store them in the URL, in clear, and every message naming the URL would show them."""
    # Any "@": a password holding "/", "?" or "#" ends the authority early and puts the rest of it in the path, so
    # "user:pass/word@host" has no "@" in urlsplit's netloc. A Jira base URL has no other use for one.
    if _AT_SIGN_RE.search(url):
        return ("jira_server_url must not contain credentials (user:password@ before the host) or any other '@'; give "
                "them as username and password instead.")
    if not is_http_url(url):
        return "jira_server_url must be an http(s) URL such as https://acme.atlassian.net, got %r" % url
    return None


def desired_fields(params):
    """The fields the task set (a field not set is left as it is), without the name and the password."""
    return {field: params[field] for field in COMPARED_FIELDS if params.get(field) is not None}


def compare(current, desired):
    """(changes, unknown): desired fields that differ from the current ones once normalised, and
    desired fields that Xray did not report, which cannot be compared."""
    changes = {}
    unknown = []
    for field, value in desired.items():
        if field not in current:
            unknown.append(field)
        elif normalize_value(field, value) != normalize_value(field, current[field]):
            changes[field] = value
    return changes, unknown


def create_payload(params):
    payload = {field: params[field] for field in FIELDS if params.get(field) is not None}
    payload.setdefault("auth_type", "basic")
    payload.setdefault("skip_proxy", False)
    payload["password"] = params["password"]
    return payload


def missing_for_create(params):
    return [field for field in CREATE_REQUIRED if params.get(field) in (None, "")]


def public_fields(fields):
    """The integration's fields for results and diffs: never the password."""
    return {field: fields[field] for field in FIELDS if field in fields}


def fields_with_password_placeholder(fields):
    """public_fields plus a placeholder that says the password is sent, for the diff's "after"."""
    return dict(public_fields(fields), password=PASSWORD_PLACEHOLDER)


# -- reading answers -----------------------------------------------------------

def integration_from_details(client, name, reply, url):
    """The integration in a details answer (a JSON object, checked by the client), or XrayError.

    The name may come as connection_name or integrationName and must be the one asked for (in any
    case); skip_proxy missing or null is false, its documented default; other fields missing or null
    are unknown and left out.
    """
    body = reply.data

    def unexpected(problem):
        return client.error("Unexpected answer from Xray for GET %s: HTTP %d with %s: %s Nothing was changed." % (
            url, reply.status, problem, sentence(reply.excerpt or "empty body")), status=reply.status)

    spelled = body.get("connection_name")
    if spelled is None:
        spelled = body.get("integrationName")
    if not isinstance(spelled, str):
        raise unexpected("no connection_name (or integrationName) text in the object")
    if not same_name(spelled, name):
        raise unexpected("the details of another integration (%r)" % client.redact(spelled))
    texts = [value for value in body.values() if isinstance(value, str)]
    if any(not _is_unicode(value) for value in texts):
        raise unexpected("text that is not valid Unicode (a lone surrogate)")
    integration = {"connection_name": spelled}
    problems = []
    for field in STRING_FIELDS:
        value = body.get(field)
        if isinstance(value, str):
            integration[field] = value.lower() if field in ("auth_type", "installation_type") else value
        elif value is not None:
            problems.append(field)
    skip_proxy = body.get("skip_proxy")
    if isinstance(skip_proxy, bool) or skip_proxy is None:
        integration["skip_proxy"] = bool(skip_proxy)
    else:
        problems.append("skip_proxy")
    if problems:
        raise unexpected("field(s) %s of the wrong type" % ", ".join(problems))
    return integration


def _is_unicode(text):
    """Whether text is valid Unicode: a JSON "\\ud800" escape is valid JSON but cannot be returned to Ansible."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _version_tuple(version):
    """(3, 131, 11) from "3.131.11"; text after the numbers (e.g. "-rc1") is ignored."""
    numbers = []
    for part in str(version).split("."):
        digits = "".join(ch for ch in part[:12] if ch.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def xray_version(client):
    """The running Xray version, or None when it cannot be read at this base URL."""
    try:
        reply = client.get(VERSION_PATH)
    except XrayError:
        return None
    version = reply.data.get("xray_version")
    return version if isinstance(version, str) and _version_tuple(version) else None


def api_missing_error(client, version, minimum, what):
    """The verdict for a 404 where an API endpoint should be, which is not Xray's own answer."""
    if version and _version_tuple(version) >= _version_tuple(minimum):
        message = ("%s answered a 404 that is not Xray's where %s should be, although Xray %s runs there: check that "
                   "url points at the JFrog Platform itself and not through a proxy that rewrites paths." % (
                       client.base_url, what, client.redact.excerpt(version, 60)))
    elif version:
        message = ("Xray %s does not provide %s: it needs Xray %s or later. Upgrade Xray, or check that url points "
                   "at the JFrog Platform." % (client.redact.excerpt(version, 60), what, minimum))
    else:
        message = ("%s answered 404 where %s should be, and no Xray version could be read there: check that url is "
                   "the JFrog Platform's base URL (such as https://acme.jfrog.io) with Xray %s or later." % (
                       client.base_url, what, minimum))
    return client.error(message, status=404)


# -- API calls ---------------------------------------------------------------

def read_integration(client, name):
    """The integration, or None when Xray says it does not exist.

    A 404 means "absent" only on Xray's word: its own {"error": ...} shape, or
    another 404 at a base URL whose version endpoint shows an Xray with this API.
    """
    path = INTEGRATIONS_PATH + (name, "details")
    reply = client.get(path, accept=(200, 404))
    if reply.status == 404:
        if reply.xray_not_found:
            return None
        version = xray_version(client)
        if version and _version_tuple(version) >= _version_tuple(MINIMUM_API_VERSION):
            return None
        raise api_missing_error(client, version, MINIMUM_API_VERSION, "the Jira integration API")
    return integration_from_details(client, name, reply, client.url_for(path))


def create_integration(client, name, payload):
    """POST; "answered" or "re-read" (see XrayClient.write). A re-read that finds it proves it."""
    return client.write("POST", INTEGRATIONS_PATH, payload,
                        took_effect=lambda: read_integration(client, name) is not None,
                        pending_hint=STILL_SAVING_HINT)


def update_integration(client, name, payload, changes):
    """PUT; a re-read proves it when every changed field reads as sent (a password cannot be read)."""
    def took_effect():
        current = read_integration(client, name)
        if current is None:
            return False
        differing, unknown = compare(current, changes)
        # Not proof: a field Xray did not report, or skip_proxy false (what a missing skip_proxy reads as).
        if not changes or unknown or changes.get("skip_proxy") is False:
            return None
        return not differing
    try:
        return client.write("PUT", INTEGRATIONS_PATH + (name,), payload, took_effect, STILL_SAVING_HINT)
    except XrayError as error:
        raise removed_meanwhile(error, name)


def delete_integration(client, name):
    """DELETE; a re-read that finds nothing proves it."""
    try:
        return client.write("DELETE", INTEGRATIONS_PATH + (name,), None,
                            took_effect=lambda: read_integration(client, name) is None)
    except XrayError as error:
        raise removed_meanwhile(error, name)


def removed_meanwhile(error, name):
    if error.xray_not_found:
        error.message = ("Integration %r was found a moment ago but Xray now answers 404 (%s): it was removed "
                         "meanwhile, by someone else. Run the task again." % (name, error.error_text or "not found"))
    return error


def read_status(client, name):
    """Health of an integration as Xray sees it: {status, reason, time}, masked.

    name is the integration as Xray spells it (read from its details): the status check matches
    names exactly. The answer counts only when it names that integration: a cache or proxy that
    ignores the query string answers about another one. A documented status is understood in
    each HTTP status Xray documents for this endpoint (200, 404, 500); an unknown status text only
    in a 200. A 404 of another shape is the verdict on the URL or the version.
    """
    reply = client.get(STATUS_CHECK_PATH, query={"integrationName": name}, accept=(200, 404, 500))
    body = reply.data if reply.is_object and reply.complete else {}
    if reply.status != 200 and body.get("status") not in DOCUMENTED_STATUSES:
        if reply.status == 404:
            raise api_missing_error(client, xray_version(client), MINIMUM_STATUS_VERSION, "the integration status API")
        raise client.status_error("GET", client.url_for(STATUS_CHECK_PATH, {"integrationName": name}), reply)

    def unexpected(problem, hint=""):
        return client.error(("Unexpected answer from Xray for the status check of %r: HTTP %d %s, so it says nothing "
                             "about that integration's health: %s %s" % (name, reply.status, problem, sentence(
                                 reply.excerpt or "empty body"), hint)).strip(), status=reply.status)

    status = {key: body.get(key) for key in ("status", "reason", "time")}
    if not isinstance(status["status"], str) or not status["status"].strip() or not all(
            isinstance(status[key], (str, type(None))) for key in ("reason", "time")):
        raise unexpected("without a status text")
    if client.redact.excerpt(status["status"], 500) != status["status"]:
        # The status is compared as read: " HEALTHY_INTEGRATION" or "HEALTHY_INTEGRATION\u200b" would read as
        # healthy once made one line for messages.
        raise unexpected("with a status that holds characters no status has")
    if reply.status != 200 and status["status"] == HEALTHY:
        raise unexpected("that contradicts itself (%s in an HTTP error)" % HEALTHY)
    spelled = body.get("integration_name")
    if not isinstance(spelled, str):
        raise unexpected("naming no integration (no integration_name)")
    if not _is_unicode(spelled) or not same_name(spelled, name):
        raise unexpected("naming another integration (%r)" % client.redact.excerpt(spelled, 100),
                         "A cache or proxy in front of Xray that ignores the query string answers like this: check "
                         "that url points at the JFrog Platform itself.")
    # Single-line and masked: the reason is quoted in messages and warnings.
    return dict((key, client.redact.excerpt(value, 500) if isinstance(value, str) else value)
                for key, value in status.items())
