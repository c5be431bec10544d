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

from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
from ansible_collections.frogops.xray.plugins.module_utils import _xray_api as xray_api
from ansible_collections.frogops.xray.plugins.module_utils._connection import keep_secret
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import Subject, XrayError, auth_header, sentence

INTEGRATIONS_PATH = ("ticketing", "jira-integrations")
STATUS_CHECK_PATH = ("ticketing", "integrations", "status", "check")

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
# Xray never returns the password, so a re-read cannot always prove an update; every request of an
# integration needs an Xray admin (a 403 says so).
SUBJECT = Subject("integration", unreadable="Xray never returns the password")
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
    if any(not xray_api.is_unicode(value) for value in texts):
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


# -- API calls ---------------------------------------------------------------

def read_integration(client, name):
    """The integration, or None when Xray says it does not exist (_xray_api.read_or_absent)."""
    path = INTEGRATIONS_PATH + (name, "details")
    reply = xray_api.read_or_absent(client, path, MINIMUM_API_VERSION, "the Jira integration API", subject=SUBJECT)
    return None if reply is None else integration_from_details(client, name, reply, client.url_for(path))


def create_integration(client, name, payload):
    """POST; "answered" or "re-read" (see XrayClient.write). A re-read that finds it proves it."""
    return client.write("POST", INTEGRATIONS_PATH, payload,
                        took_effect=lambda: read_integration(client, name) is not None,
                        pending_hint=STILL_SAVING_HINT, subject=SUBJECT)


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
        return client.write("PUT", INTEGRATIONS_PATH + (name,), payload, took_effect, STILL_SAVING_HINT,
                            subject=SUBJECT)
    except XrayError as error:
        raise xray_api.removed_meanwhile(error, "Integration %r" % name)


def delete_integration(client, name):
    """DELETE; a re-read that finds nothing proves it."""
    try:
        return client.write("DELETE", INTEGRATIONS_PATH + (name,), None,
                            took_effect=lambda: read_integration(client, name) is None, subject=SUBJECT)
    except XrayError as error:
        raise xray_api.removed_meanwhile(error, "Integration %r" % name)


def read_status(client, name):
    """Health of an integration as Xray sees it: {status, reason, time}, masked.

    name is the integration as Xray spells it (read from its details): the status check matches
    names exactly. The answer counts only when it names that integration: a cache or proxy that
    ignores the query string answers about another one. A documented status is understood in
    each HTTP status Xray documents for this endpoint (200, 404, 500); an unknown status text only
    in a 200. A 404 of another shape is the verdict on the URL or the version.
    """
    reply = client.get(STATUS_CHECK_PATH, query={"integrationName": name}, accept=(200, 404, 500), subject=SUBJECT)
    body = reply.data if reply.is_object and reply.complete else {}
    if reply.status != 200 and body.get("status") not in DOCUMENTED_STATUSES:
        if reply.status == 404:
            raise xray_api.api_missing_error(client, xray_api.xray_version(client), MINIMUM_STATUS_VERSION,
                                             "the integration status API")
        raise client.status_error("GET", client.url_for(STATUS_CHECK_PATH, {"integrationName": name}), reply, SUBJECT)

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
    if not xray_api.is_unicode(spelled) or not same_name(spelled, name):
        raise unexpected("naming another integration (%r)" % client.redact.excerpt(spelled, 100),
                         "A cache or proxy in front of Xray that ignores the query string answers like this: check "
                         "that url points at the JFrog Platform itself.")
    # Single-line and masked: the reason is quoted in messages and warnings.
    return dict((key, client.redact.excerpt(value, 500) if isinstance(value, str) else value)
                for key, value in status.items())


# -- the resources the modules hand to the ensure flow ----------------------------

def empty_refusal(field):
    """A Jira credential set to a blank value: no secret, and what probably made it blank."""
    return ensure.Refusal(
        "%s is set but empty: the task gives it an empty value (often a variable or lookup that is empty, such as "
        "lookup('env', ...) of an unset variable). Give the Jira %s, or leave %s out." % (
            field, "user name" if field == "username" else "password or API token", field))


class JiraIntegration(ensure.Resource):
    """One Jira integration, by name: created, updated or deleted; the password is write-only."""

    def base_result(self):
        return dict(password_sent=False)

    def check(self):
        """Reject what cannot be right before any request."""
        params = self.params
        if not params["connection_name"].strip():
            return ensure.Refusal("connection_name must not be empty")
        for field in ("username", "password"):
            if params[field] is not None and not params[field].strip():
                self.module.no_log_values.discard(params[field])  # blank is no secret, and would mask every space
                return empty_refusal(field)
        url = params["jira_server_url"]
        if url is not None:
            problem = jira_url_problem(url)
            if problem:
                # Credentials in the URL are secrets too: masked where ansible-core echoes the arguments (invocation).
                self.module.no_log_values.update(url_credentials(url))
                return ensure.Refusal(problem)
        if params["update_password"] == "on_unhealthy" and params["password"] is None and params["state"] == "present":
            return ensure.Refusal("update_password=on_unhealthy needs password: the one to send when Xray reports the "
                                  "stored one broken.")
        return None

    def connected(self, client):
        keep_secret(self.module, client, self.params["password"])
        self.client = client
        self.keep_jira_credentials([self.params["username"]])

    def keep_jira_credentials(self, usernames):
        """Mask the Jira password also as the basic-auth pair Xray sends to Jira (user:password, in base64), which
        its answers may echo, for every user name it may use: the task's and the one Xray has stored."""
        password = self.params["password"]
        if password:
            for username in usernames:
                if username:
                    # The pair itself, and its base64 as a secret of its own: masked in every encoding.
                    keep_secret(self.module, self.client, "%s:%s" % (username, password))
                    keep_secret(self.module, self.client,
                                auth_header(username=username, password=password).split(" ", 1)[1])

    def read(self, client, result):
        current = read_integration(client, self.params["connection_name"])
        if current is not None:
            self.keep_jira_credentials([current.get("username")])
            if self.params["update_password"] == "on_unhealthy" and self.params["state"] == "present":
                # on_unhealthy decides on Xray's health check, read right after the details, asked under the
                # name as Xray spells it: its status check matches names exactly.
                result["status"] = read_status(client, current["connection_name"])
        return current

    def plan(self, current, result):
        if self.params["state"] == "absent":
            return ensure.Plan(None if current is None else "delete", current or {}, {})
        if current is None:
            return self.plan_create()
        return self.plan_update(current, result.get("status"))

    def plan_create(self):
        params = self.params
        if params["auth_type"] not in (None, "basic"):
            raise ensure.Refusal("auth_type %s cannot be written through the Xray API, only basic; create the "
                                 "integration in the Xray UI." % params["auth_type"])
        missing = missing_for_create(params)
        if missing:
            raise ensure.Refusal("Integration %r does not exist; to create it, set %s." % (
                params["connection_name"], ", ".join(missing)))
        payload = create_payload(params)
        return ensure.Plan("create", {}, public_fields(payload), payload, password_sent=True, why=None)

    def plan_update(self, current, health):
        params = self.params
        name = params["connection_name"]
        changes, unknown = compare(current, desired_fields(params))
        if unknown:
            self.module.warn("Xray did not report %s of integration %r (missing or null), so the task's value was "
                             "neither compared nor sent." % (", ".join(unknown), current["connection_name"]))
        send_password, why = self.password_decision(current, changes, health)
        current_auth = " ".join(current.get("auth_type", "").split())  # as read: one line in a message
        if changes.get("auth_type", "basic") != "basic":
            raise ensure.Refusal("Integration %r uses auth_type %s; the Xray API can only write basic, so switching "
                                 "it to %s must be done in the Xray UI." % (name, current_auth, changes["auth_type"]))
        if "auth_type" in changes and not send_password:
            raise ensure.Refusal("Integration %r uses auth_type %s; switching it to basic needs password with "
                                 "update_password=always." % (name, current_auth))
        after = dict(current, **changes)
        if not changes and not send_password:
            return ensure.Plan(None, current, after, password_sent=False, why=None)
        # The body names the integration as Xray spells it: the name is the identity, never a change.
        payload = dict(changes, connection_name=current["connection_name"])
        if send_password:
            payload["password"] = params["password"]
        return ensure.Plan("update", current, after, payload, sorted(changes), password_sent=send_password, why=why)

    def password_decision(self, current, changes, health):
        """(send the password?, why) for an update of an existing integration."""
        params = self.params
        if params["password"] is None or params["update_password"] == "on_create":
            return False, None
        if params["update_password"] == "always":
            return True, "update_password=always"
        if "username" in changes:
            return True, "username changes"
        status = health["status"]
        if status == "FAULTY_CONFIGURATION":
            return True, "Xray reports %s: %s" % (status, health["reason"] or "no reason given")
        if status == "INTEGRATION_NOT_FOUND":
            raise ensure.Refusal("Integration %r was found a moment ago but Xray's health check answers %s (%s): it "
                                 "was removed meanwhile, by someone else. Run the task again." % (
                                     current["connection_name"], status, health["reason"] or "no reason given"),
                                 status=health)
        if status != HEALTHY:
            self.module.warn("Xray reports %s for integration %r (%s); the password is sent only on "
                             "FAULTY_CONFIGURATION, so not on that basis." % (
                                 status, current["connection_name"], health["reason"] or "no reason given"))
        return False, None

    @staticmethod
    def reported_name(plan):
        """The name as Xray spells it, once read."""
        return plan.before.get("connection_name")

    def returns(self, plan):
        return dict(integration=public_fields(plan.after), password_sent=plan.details.get("password_sent", False))

    def describe(self, plan, check_mode):
        name = self.reported_name(plan) or self.params["connection_name"]
        if plan.action is None:
            return "Integration %r is %s; nothing to do." % (name, "absent" if not plan.before else "as desired")
        verb = ("would be " if check_mode else "") + ensure.DONE[plan.action]
        if plan.action != "update":
            return "Integration %r %s." % (name, verb)
        password_sent = plan.details["password_sent"]
        message = "Integration %r %s (%s)." % (name, verb, ", ".join(
            plan.changed_names + (["password"] if password_sent else [])))
        if plan.details["why"]:
            message += " The password %s sent because %s" % (
                "would be" if check_mode else "was", sentence(plan.details["why"]))
        return message

    def diff(self, plan):
        after = fields_with_password_placeholder(plan.after) if plan.details.get("password_sent") \
            else public_fields(plan.after)
        return dict(before=public_fields(plan.before), after=after)

    def reads_health_after(self, plan):
        """Whether the write is followed by a read of its health: verify_health, or a password sent by on_unhealthy."""
        return plan.action in ("create", "update") and (self.params["verify_health"] or (
            plan.details["password_sent"] and self.params["update_password"] == "on_unhealthy"))

    def before_write(self, client, plan, result):
        if self.reads_health_after(plan) and "status" not in result:
            # The health is read after the write: an Xray without the status API (below 3.136) must fail the
            # task now, before anything is written, and in check mode alike. One GET; its answer is not reported.
            read_status(client, self.reported_name(plan) or self.params["connection_name"])

    def write(self, client, plan):
        name = self.params["connection_name"]
        if plan.action == "create":
            create_integration(client, name, plan.payload)
        elif plan.action == "update":
            update_integration(client, name, plan.payload, dict(
                (field, plan.payload[field]) for field in plan.changed_names))
        else:
            delete_integration(client, name)

    def after_write(self, client, plan, result):
        # A password sent because the health was bad must have mended it.
        if not self.reads_health_after(plan):
            return
        name = self.reported_name(plan) or self.params["connection_name"]
        try:
            result["status"] = read_status(client, name)
        except XrayError as error:
            error.message = "Integration %r was %s, but reading its health failed: %s" % (
                name, ensure.DONE[plan.action], error.message)
            raise
        if result["status"]["status"] != HEALTHY:
            raise ensure.Refusal("Integration %r was %s, but Xray reports %s: %s" % (
                name, ensure.DONE[plan.action], result["status"]["status"],
                result["status"]["reason"] or "no reason given"))

    def unwritten(self, result, writing, error):
        # The user learns whether the password left this machine: only if the write was under way and the
        # transport cannot prove that no attempt of it left. And the health the task read.
        reported = dict((key, result[key]) for key in ("status",) if key in result)
        reported["password_sent"] = writing and error.request_sent and result["password_sent"]
        return reported


class JiraIntegrationInfo(ensure.Resource):
    """One Jira integration, read: whether it exists, its fields, and (include_status) its health."""

    def check(self):
        if not self.params["connection_name"].strip():
            return ensure.Refusal("connection_name must not be empty")
        return None

    def read(self, client, result):
        current = read_integration(client, self.params["connection_name"])
        if current is not None and self.params["include_status"]:
            # Asked under the name as Xray spells it: its status check matches names exactly.
            result["status"] = read_status(client, current["connection_name"])
        return current

    def plan(self, current, result):
        return ensure.Plan(None, current or {}, current or {})

    def returns(self, plan):
        return dict(exists=bool(plan.before), integration=public_fields(plan.before))

    def unwritten(self, result, writing, error):
        return {}  # a failed read returns nothing it read: no exists, no integration, no status
