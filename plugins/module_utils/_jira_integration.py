# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Xray's Jira integration: its fields, how to read, compare and write them.

The integration is returned as a dict named like the module options:
connection_name, auth_type, username, installation_type, jira_server_url,
skip_proxy. The password is write-only in Xray and never appears here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayError, excerpt

COLLECTION = ("ticketing", "jira-integrations")
STATUS_CHECK = ("ticketing", "integrations", "status", "check")
VERSION = ("system", "version")

MINIMUM_API_VERSION = "3.129"
MINIMUM_STATUS_VERSION = "3.136"

# Fields compared and reported, in the order users read them.
FIELDS = ("connection_name", "auth_type", "username", "installation_type", "jira_server_url", "skip_proxy")
STRING_FIELDS = ("auth_type", "username", "installation_type", "jira_server_url")
CREATE_REQUIRED = ("username", "password", "installation_type", "jira_server_url")
HEALTHY = "HEALTHY_INTEGRATION"
# Shown in diffs where the password would be sent; the value itself never is.
PASSWORD_PLACEHOLDER = "<hidden: will be sent>"


# -- values ------------------------------------------------------------------

def normalize_url(url):
    """Compare URLs the way a server may store them: scheme/host case and trailing slash don't count."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # not a URL at all (e.g. "http://[x" from a server): compare as text
        return url.strip()
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, parts.fragment))


def normalize_value(field, value):
    if value is None:
        return None
    if field in ("auth_type", "installation_type"):
        return value.strip().lower()
    if field == "jira_server_url":
        return normalize_url(value)
    return value


def is_http_url(value):
    try:
        parts = urlsplit(value or "")
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. "http://[x": an unclosed IPv6 bracket
        return False


def integration_from_details(body, url, status=200, body_excerpt=None):
    """The integration from a details answer, or XrayError when the answer is not one.

    The name may come as connection_name or integrationName (one of them must be
    there: an object without it is not an integration); skip_proxy may be
    missing, which we read as false (the documented default, and what a server
    that omits empty fields sends for false). The error names the HTTP status
    and shows body_excerpt (the secret-free excerpt of the body) or, when not
    given, an excerpt of the parsed body.
    """
    def unexpected(problem):
        shown = body_excerpt if body_excerpt is not None else excerpt(json.dumps(body))
        return XrayError("Unexpected answer from Xray for GET %s: HTTP %d with %s: %s. Nothing was changed." % (
            url, status, problem, shown or "empty body"), status=status, method="GET", url=url)

    if not isinstance(body, dict):
        raise unexpected("a JSON %s where an object was expected" % type(body).__name__)
    name = body.get("connection_name")
    if name is None:
        name = body.get("integrationName")
    if name is None:
        raise unexpected("no connection_name (or integrationName) in the object")
    integration = {"connection_name": name}
    for field in STRING_FIELDS:
        integration[field] = body.get(field)
    # Missing or null: servers that omit (or null) empty optional fields send false that way.
    integration["skip_proxy"] = False if body.get("skip_proxy") is None else body["skip_proxy"]
    problems = [f for f in ("connection_name",) + STRING_FIELDS if not isinstance(integration[f], (str, type(None)))]
    if not isinstance(integration["skip_proxy"], bool):
        problems.append("skip_proxy")
    if problems:
        raise unexpected("field(s) %s of the wrong type" % ", ".join(problems))
    for field in ("auth_type", "installation_type"):
        if integration[field] is not None:
            integration[field] = integration[field].lower()
    return integration


def desired_fields(params):
    """The options the task set (None means "not set, leave as is"), without the password."""
    return {field: params.get(field) for field in FIELDS if params.get(field) is not None}


def changed_fields(current, desired):
    """Fields whose desired value differs from the current one, once normalised."""
    return {
        field: value for field, value in desired.items()
        if normalize_value(field, value) != normalize_value(field, current.get(field))
    }


def create_payload(params):
    payload = {field: params[field] for field in FIELDS if params.get(field) is not None}
    payload.setdefault("auth_type", "basic")
    payload.setdefault("skip_proxy", False)
    payload["password"] = params["password"]
    return payload


def missing_for_create(params):
    return [field for field in CREATE_REQUIRED if params.get(field) in (None, "")]


def without_password(fields, password_sent):
    """A copy for diffs and results; a placeholder marks a password that is sent."""
    shown = {field: fields[field] for field in FIELDS if field in fields}
    if password_sent:
        shown["password"] = PASSWORD_PLACEHOLDER
    return shown


# -- API calls ---------------------------------------------------------------

def read_integration(client, name):
    """The integration, or None when Xray says it does not exist."""
    response = client.request("GET", COLLECTION + (name, "details"), ok_statuses=(200, 404))
    url = client.url_for(*(COLLECTION + (name, "details")))
    if response.status == 404:
        if not response.is_json:
            raise api_missing_error(client, MINIMUM_API_VERSION, "the Jira integration API")
        return None
    if not response.is_json:
        raise XrayError("Unexpected answer from Xray for GET %s: HTTP %d with a body that is not JSON: %s. "
                        "Nothing was changed." % (url, response.status, response.excerpt or "empty body"),
                        status=response.status, method="GET", url=url)
    return integration_from_details(response.body, url, response.status, response.excerpt)


def create_integration(client, payload, reread):
    """POST the integration. When the answer was lost, re-read rather than guess.

    reread() returns the integration or None. If the lost POST did create it,
    that is a success; if not, the POST is sent again, at most client.retries times.
    """
    for attempt in range(client.retries + 1):
        try:
            client.request("POST", COLLECTION, body=payload)
            return
        except XrayError as error:
            if not error.maybe_applied:
                raise
            try:
                created = reread() is not None
            except XrayError as reread_error:
                raise XrayError("%s Reading the integration back to learn whether it was created failed too: %s "
                                "Run the task again: it converges either way." % (error.message, reread_error.message),
                                status=error.status, method="POST", url=error.url, maybe_applied=True)
            if created:
                client.warn("The answer to the create request was lost; reading again shows the integration was created.")
                return
            if attempt == client.retries:
                raise
            client.warn("The answer to the create request was lost and the integration does not exist: sending it again.")


def update_integration(client, name, payload):
    try:
        client.request("PUT", COLLECTION + (name,), body=payload)
    except XrayError as error:
        raise removed_meanwhile(error, name)


def delete_integration(client, name):
    try:
        client.request("DELETE", COLLECTION + (name,))
    except XrayError as error:
        if error.status == 404 and error.maybe_applied and not error.api_missing:
            # Our own earlier attempt deleted it; only its answer was lost.
            client.warn("Integration %r was already gone when the DELETE was repeated (HTTP 404): the earlier "
                        "attempt, whose answer was lost, deleted it." % name)
            return
        raise removed_meanwhile(error, name)


def removed_meanwhile(error, name):
    if error.status == 404 and not error.api_missing:
        error.message = ("Integration %r was found a moment ago but Xray now answers 404 (%s): it was removed "
                         "meanwhile, by someone else. Run the task again." % (name, error.error_text or "not found"))
    return error


def read_status(client, name):
    """Health of an integration as Xray sees it: {status, reason, time}."""
    response = client.request("GET", STATUS_CHECK, query={"integrationName": name}, ok_statuses=(200, 404))
    if not response.is_json:
        if response.status == 404:
            raise api_missing_error(client, MINIMUM_STATUS_VERSION, "the integration status API")
        raise XrayError("Unexpected answer from Xray for the status check of %r: HTTP %d, not JSON: %s" % (
            name, response.status, response.excerpt or "empty body"), status=response.status)
    body = response.body
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise XrayError("Unexpected answer from Xray for the status check of %r: HTTP %d %s" % (
            name, response.status, response.excerpt))
    return {key: body.get(key) for key in ("status", "reason", "time")}


def _version_tuple(version):
    """(3, 131, 11) from "3.131.11"; text after the numbers (e.g. "-rc1") is ignored."""
    numbers = []
    for part in str(version).split("."):
        digits = "".join(ch for ch in part if ch.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def api_missing_error(client, minimum, what):
    """The verdict for a plain 404 where an API endpoint should be: which Xray is this?"""
    try:
        response = client.request("GET", VERSION)
        version = response.body.get("xray_version") if isinstance(response.body, dict) else None
    except XrayError:
        version = None
    if version and _version_tuple(version) >= _version_tuple(minimum):
        message = ("%s answered a plain 404 (not the API's JSON) where %s should be, although Xray %s has it: check that "
                   "url points at the JFrog Platform itself and not through a proxy that rewrites paths." % (
                       client.base_url, what, version))
    elif version:
        message = ("Xray %s does not provide %s: it needs Xray %s or later. Upgrade Xray, or check that url points "
                   "at the JFrog Platform." % (version, what, minimum))
    else:
        message = ("%s answered 404 where %s should be, and no Xray version could be read: check that url points at "
                   "a JFrog Platform with Xray %s or later." % (client.base_url, what, minimum))
    return XrayError(message, status=404, api_missing=True)
