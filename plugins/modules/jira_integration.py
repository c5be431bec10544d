#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: jira_integration
short_description: Create, update or delete a JFrog Xray Jira integration
version_added: 0.1.0
description:
  - Makes one Jira integration of JFrog Xray look the way the task says, idempotently.
  - One GET of the integration's details decides what to do. Only the options the task sets are compared,
    field by field, and a write (POST, PUT or DELETE) is sent only when something differs. A run with nothing
    to change makes exactly one request.
  - Xray never returns the Jira password, so a password change cannot be detected; see O(update_password).
  - A write counts only when Xray answers it with a 2xx status and an empty or JSON body. Any other answer
    (an HTML page from a proxy, WAF or SSO, a redirect, a lost connection, no complete answer within
    O(timeout)) is checked by reading the integration back once; the task reports C(changed) only when
    that read proves the write took effect, and otherwise fails with C(changed=false) saying what came back.
  - A 404 means the integration does not exist only when it is Xray's own answer, or when Xray's version
    endpoint at the same URL confirms that Xray is there; any other 404 fails with what the URL or the
    version is.
  - Uses the Jira Integration V1 REST API of Xray 3.129 or later. Against an older Xray the task fails and
    names the running version.
author:
  - frogops.xray maintainers (@frogops)
extends_documentation_fragment:
  - frogops.xray.connection
  - frogops.xray.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The password is never shown; a placeholder marks that it would be sent.
options:
  connection_name:
    description:
      - Name of the Jira integration in Xray; identifies it.
      - Any characters are allowed; the name is percent-encoded as one URL path segment.
      - The name is the identity, never a field to change. When Xray spells it in another case than the task
        (V(Jira-Cloud) for V(jira-cloud)), it is the same integration; it is reported as Xray spells it and
        never renamed.
    type: str
    required: true
    aliases: [name]
  state:
    description:
      - V(present) creates or updates the integration, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  auth_type:
    description:
      - How Xray authenticates to Jira. The API can only write V(basic).
      - When Xray's details leave out C(auth_type), C(username), C(installation_type) or C(jira_server_url)
        (or send null), that field is unknown; the task's value is neither compared nor sent, a warning
        says so, and the field is left out of RV(integration). A missing C(skip_proxy) reads as V(false),
        its documented default.
      - Defaults to V(basic) when the integration is created. When not set on an existing
        integration, its current value is left alone, so integrations made in the UI with OAuth
        stay as they are.
      - V(oauth1) and V(oauth2) are accepted only to match an existing integration made in the UI
        (so that what M(frogops.xray.jira_integration_info) returns can be passed back unchanged);
        a task that would have to write them fails.
    type: str
    choices: [basic, oauth1, oauth2]
  username:
    description:
      - Jira user name (for Jira Cloud, the account e-mail). Needed to create.
      - Xray tests the connection to Jira when an integration is saved, so changing the user name
        usually needs the matching O(password) with O(update_password=always) or V(on_unhealthy).
    type: str
  password:
    description:
      - Jira password or API token. Needed to create.
      - Never returned, logged or shown in a diff, alone or as the basic-auth header Xray sends to Jira
        (C(username:password) in base64). When it is sent depends on O(update_password).
      - Set but empty or only whitespace (often an empty variable or an env lookup of an unset variable), it fails the
        task before any request. The same holds for O(username).
    type: str
  installation_type:
    description:
      - V(cloud) for Jira Cloud, V(server) for a self-hosted Jira. Needed to create.
    type: str
    choices: [cloud, server]
  jira_server_url:
    description:
      - URL of the Jira instance, for example V(https://acme.atlassian.net). Needed to create.
      - Compared without regard to the case of scheme and host or a trailing slash.
      - Must not contain credentials (V(https://user:password@...)), nor any other C(@); give them as O(username) and
        O(password). Such a URL fails the task before any request, and the credentials are not shown.
    type: str
  skip_proxy:
    description:
      - Whether Xray bypasses its own proxy when connecting to Jira.
      - Defaults to V(false) when the integration is created.
    type: bool
  update_password:
    description:
      - V(on_create) sends O(password) only when the integration is created, never on an update.
      - V(always) sends O(password) on every run that has it, which updates the integration every
        time (Xray cannot tell whether the password differs). Use it to rotate the password at once.
      - V(on_unhealthy) sends O(password) when the integration is created, when O(username) changes
        (Xray tests the connection with the new user), and when Xray's health check reports
        C(FAULTY_CONFIGURATION) (for example, the Jira API token expired or was revoked). A healthy
        integration with nothing else to change is left alone, so a scheduled run reports no change
        until the stored credential breaks. After a write that carried the password (create or update),
        the health is read again; if it is still not healthy the task fails with Xray's reason (and C(changed=true)).
        C(INTEGRATION_NOT_FOUND) means the integration was removed meanwhile, and the task fails.
        Any other health status (C(INTERNAL_SERVER_ERROR), also when Xray answers it with HTTP 500 or 404 as it
        documents; an unknown one) never sends the password; a warning says why, and the task's other changes are
        made.
      - The health counts only for this integration. It is asked under the name as Xray spells it, and an answer
        whose C(integration_name) names another integration, or none, is not understood; the task then fails before
        any write and the password is not sent.
      - V(on_unhealthy) needs O(password) and Xray 3.136 or later (the health check); an existing
        integration costs two GETs per run (details and health), and four requests when the password
        is sent (details, health, PUT, health). A create costs four too (details, status check, POST, health);
        the status check before the POST proves that Xray has the health check, so that an older Xray fails
        before anything is written. Against an older Xray the task fails before any write, in check mode too,
        naming the version, after three GETs (details, status check, version).
    type: str
    choices: [always, on_create, on_unhealthy]
    default: on_create
  verify_health:
    description:
      - After a create or update, ask Xray whether it can reach Jira with the stored settings,
        and fail with Xray's reason when the status is not C(HEALTHY_INTEGRATION) (with C(changed=true), since the write
        happened). An answer about another integration, or about none, fails the task too.
      - Needs Xray 3.136 or later. Before the write (and in check mode) one GET of the status check proves that
        Xray has it, so an older Xray fails the task before anything is written, naming the version. A create or
        update with O(verify_health=true) therefore costs four requests (details, status check, write, health),
        two in check mode. Makes no request when nothing changes.
    type: bool
    default: false
notes:
  - Jira configuration profiles and the watches that use them are not part of this API.
seealso:
  - module: frogops.xray.jira_integration_info
'''

EXAMPLES = r'''
- name: Connect Xray to Jira Cloud
  frogops.xray.jira_integration:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    connection_name: jira-cloud
    username: xray-bot@acme.example
    password: "{{ jira_api_token }}"
    installation_type: cloud
    jira_server_url: https://acme.atlassian.net

- name: Send the Jira API token again only when Xray reports the stored one broken (scheduled runs stay ok)
  frogops.xray.jira_integration:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    connection_name: jira-cloud
    password: "{{ jira_api_token }}"
    update_password: on_unhealthy

- name: Rotate the Jira API token at once (sends the password, so always reports changed)
  frogops.xray.jira_integration:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    connection_name: jira-cloud
    password: "{{ new_jira_api_token }}"
    update_password: always
    verify_health: true

- name: Remove an integration, with the connection options set once for the play
  module_defaults:
    group/frogops.xray.all:
      url: https://acme.jfrog.io
      access_token: "{{ jfrog_admin_token }}"
  frogops.xray.jira_integration:
    connection_name: old-jira-server
    state: absent
'''

RETURN = r'''
integration:
  description:
    - The integration's fields after the task (as predicted in check mode); V({}) when it is absent.
    - Never holds the password.
  returned: always
  type: dict
  sample:
    connection_name: jira-cloud
    auth_type: basic
    username: xray-bot@acme.example
    installation_type: cloud
    jira_server_url: https://acme.atlassian.net
    skip_proxy: false
  contains:
    connection_name:
      description: Name of the integration, as Xray spells it.
      type: str
      returned: when the integration exists
    auth_type:
      description: How Xray authenticates to Jira (V(basic), V(oauth1) or V(oauth2)).
      type: str
      returned: when the integration exists
    username:
      description: Jira user name.
      type: str
      returned: when the integration exists
    installation_type:
      description: V(cloud) or V(server).
      type: str
      returned: when the integration exists
    jira_server_url:
      description: URL of the Jira instance.
      type: str
      returned: when the integration exists
    skip_proxy:
      description: Whether Xray bypasses its proxy for Jira.
      type: bool
      returned: when the integration exists
msg:
  description: What the task did, in words; in check mode, what it would do ("would be updated").
  returned: always
  type: str
  sample: Integration 'jira-cloud' updated (installation_type, jira_server_url).
diff:
  description: Fields before and after, when run with C(--diff). The password shows as a placeholder when sent.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The integration before the task, V({}) when it did not exist.
      type: dict
    after:
      description: The integration after the task, V({}) when it is deleted.
      type: dict
http_status:
  description: The HTTP status Xray answered when the task failed on an HTTP error (for example 400, 401, 403, 404, 500).
  returned: on failure, when Xray answered
  type: int
  sample: 400
password_sent:
  description:
    - Whether the password left this machine in this run (in check mode, whether it would be sent).
    - V(true) when a request carrying it was sent or may have been (an answer came, or it was lost, or none came
      in time); V(false) when nothing carried it, or when the transport proves it never left (no connection, the
      TLS handshake or the proxy failed before the request).
  returned: always
  type: bool
  sample: false
status:
  description:
    - Xray's health check of the integration, the last one the task read.
    - With O(update_password=on_unhealthy), the health read before deciding, or the one read after
      a write that carried the password. With O(verify_health=true), the health after the write.
    - Only ever an answer that names this integration. The status check made before a write, to prove that
      Xray has the health check, is not returned.
  returned: when the task read the health (O(update_password=on_unhealthy) on an existing integration, or
    O(verify_health=true) after a create or update, not in check mode)
  type: dict
  contains:
    status:
      description: C(HEALTHY_INTEGRATION), C(FAULTY_CONFIGURATION), C(INTEGRATION_NOT_FOUND) or C(INTERNAL_SERVER_ERROR).
      type: str
    reason:
      description: Xray's explanation.
      type: str
    time:
      description: When Xray checked.
      type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.frogops.xray.plugins.module_utils._connection_options import module_kwargs
from ansible_collections.frogops.xray.plugins.module_utils._python_floor import unsupported_python_message

# None, or why this Python is too old for the code below (3.9+); main() then fails the task with it.
UNSUPPORTED_PYTHON = unsupported_python_message()
try:
    from ansible_collections.frogops.xray.plugins.module_utils._connection import client_from_module, keep_secret
    from ansible_collections.frogops.xray.plugins.module_utils import _jira_integration as jira
    from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayError, auth_header, sentence
except (ImportError, SyntaxError):
    if UNSUPPORTED_PYTHON is None:  # a supported Python: a real error, to be seen
        raise

OPTIONS = dict(
    connection_name=dict(type="str", required=True, aliases=["name"]),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    auth_type=dict(type="str", choices=["basic", "oauth1", "oauth2"]),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    installation_type=dict(type="str", choices=["cloud", "server"]),
    jira_server_url=dict(type="str"),
    skip_proxy=dict(type="bool"),
    update_password=dict(type="str", default="on_create", choices=["always", "on_create", "on_unhealthy"], no_log=False),
    verify_health=dict(type="bool", default=False),
)


class Plan:
    """The decision of one run: which write (if any), its body, and the fields before and after."""

    def __init__(self, action, before, after, payload=None, password_sent=False, changed_names=(), why=None):
        self.action = action  # None, "create", "update" or "delete"
        self.before = before
        self.after = after
        self.payload = payload
        self.password_sent = password_sent
        self.changed_names = list(changed_names)
        self.why = why  # why the password is sent on an update, for msg


def check_input(module):
    """Reject what cannot be right before any request."""
    params = module.params
    if not params["connection_name"].strip():
        module.fail_json(msg="connection_name must not be empty", changed=False, password_sent=False)
    for field in ("username", "password"):
        if params[field] is not None and not params[field].strip():
            module.no_log_values.discard(params[field])  # blank is no secret, and would mask every space of msg
            module.fail_json(msg="%s is set but empty: the task gives it an empty value (often a variable or lookup "
                             "that is empty, such as lookup('env', ...) of an unset variable). Give the Jira %s, or "
                             "leave %s out." % (field, "user name" if field == "username" else "password or API token",
                                                field), changed=False, password_sent=False)
    url = params["jira_server_url"]
    if url is not None:
        problem = jira.jira_url_problem(url)
        if problem:
            # Credentials in the URL are secrets too: masked where ansible-core echoes the arguments (invocation).
            module.no_log_values.update(jira.url_credentials(url))
            module.fail_json(msg=problem, changed=False, password_sent=False)
    if params["update_password"] == "on_unhealthy" and params["password"] is None and params["state"] == "present":
        module.fail_json(msg="update_password=on_unhealthy needs password: the one to send when Xray reports the "
                         "stored one broken.", changed=False, password_sent=False)


def reads_health_first(params, current):
    """on_unhealthy decides on Xray's health check, read right after the details."""
    return params["update_password"] == "on_unhealthy" and params["state"] == "present" and current is not None


def password_decision(module, current, changes, health):
    """(send the password?, why) for an update of an existing integration."""
    params = module.params
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
        module.fail_json(msg="Integration %r was found a moment ago but Xray's health check answers %s (%s): it was "
                         "removed meanwhile, by someone else. Run the task again." % (
                             current["connection_name"], status, health["reason"] or "no reason given"),
                         changed=False, status=health, password_sent=False)
    if status != jira.HEALTHY:
        module.warn("Xray reports %s for integration %r (%s); the password is sent only on FAULTY_CONFIGURATION, so "
                    "not on that basis." % (status, current["connection_name"], health["reason"] or "no reason given"))
    return False, None


def plan_present(module, current, health=None):
    params = module.params
    name = params["connection_name"]
    if current is None:
        if params["auth_type"] not in (None, "basic"):
            module.fail_json(msg="auth_type %s cannot be written through the Xray API, only basic; create the "
                             "integration in the Xray UI." % params["auth_type"], changed=False, password_sent=False)
        missing = jira.missing_for_create(params)
        if missing:
            module.fail_json(msg="Integration %r does not exist; to create it, set %s." % (name, ", ".join(missing)),
                             changed=False, password_sent=False)
        payload = jira.create_payload(params)
        return Plan("create", {}, jira.public_fields(payload), payload, password_sent=True)
    changes, unknown = jira.compare(current, jira.desired_fields(params))
    if unknown:
        module.warn("Xray did not report %s of integration %r (missing or null), so the task's value was neither "
                    "compared nor sent." % (", ".join(unknown), current["connection_name"]))
    send_password, why = password_decision(module, current, changes, health)
    current_auth = " ".join(current.get("auth_type", "").split())  # as read: one line in a message
    if changes.get("auth_type", "basic") != "basic":
        module.fail_json(msg="Integration %r uses auth_type %s; the Xray API can only write basic, so switching it to "
                         "%s must be done in the Xray UI." % (name, current_auth, changes["auth_type"]),
                         changed=False, password_sent=False)
    if "auth_type" in changes and not send_password:
        module.fail_json(msg="Integration %r uses auth_type %s; switching it to basic needs password with "
                         "update_password=always." % (name, current_auth), changed=False, password_sent=False)
    after = dict(current, **changes)
    if not changes and not send_password:
        return Plan(None, current, after)
    # The body names the integration as Xray spells it: the name is the identity, never a change.
    payload = dict(changes, connection_name=current["connection_name"])
    if send_password:
        payload["password"] = params["password"]
    return Plan("update", current, after, payload, send_password, sorted(changes), why)


def plan_absent(current):
    if current is None:
        return Plan(None, {}, {})
    return Plan("delete", current, {})


def apply(client, plan, name):
    """Send the plan's write; returns once it is proven done, else raises XrayError."""
    if plan.action == "create":
        jira.create_integration(client, name, plan.payload)
    elif plan.action == "update":
        jira.update_integration(client, name, plan.payload, dict(
            (field, plan.payload[field]) for field in plan.changed_names))
    else:
        jira.delete_integration(client, name)


# Past participles for msg; check mode says "would be ...".
DONE = {"create": "created", "update": "updated", "delete": "deleted"}


def describe(plan, name, check_mode):
    if plan.action is None:
        return "Integration %r is %s; nothing to do." % (name, "absent" if not plan.before else "as desired")
    verb = ("would be " if check_mode else "") + DONE[plan.action]
    if plan.action == "update":
        message = "Integration %r %s (%s)." % (name, verb, ", ".join(
            plan.changed_names + (["password"] if plan.password_sent else [])))
        if plan.why:
            message += " The password %s sent because %s" % ("would be" if check_mode else "was", sentence(plan.why))
        return message
    return "Integration %r %s." % (name, verb)


def keep_jira_credentials(module, client, usernames):
    """Mask the Jira password also as the basic-auth pair Xray sends to Jira (user:password, in base64), which
    its answers may echo, for every user name it may use: the task's and the one Xray has stored."""
    password = module.params["password"]
    if password:
        for username in usernames:
            if username:
                # The pair itself, and its base64 as a secret of its own: masked in every encoding, like the password.
                keep_secret(module, client, "%s:%s" % (username, password))
                keep_secret(module, client, auth_header(username=username, password=password).split(" ", 1)[1])


def reads_health_after(params, plan):
    """Whether the write is followed by a read of its health: verify_health, or a password sent by on_unhealthy."""
    return plan.action in ("create", "update") and (
        params["verify_health"] or (plan.password_sent and params["update_password"] == "on_unhealthy"))


def main():
    module = AnsibleModule(**module_kwargs(OPTIONS))
    if UNSUPPORTED_PYTHON is not None:
        module.fail_json(msg=UNSUPPORTED_PYTHON, changed=False, password_sent=False)
    check_input(module)
    client = client_from_module(module, failure_result=dict(password_sent=False))
    keep_secret(module, client, module.params["password"])
    params = module.params
    name = params["connection_name"]
    keep_jira_credentials(module, client, [params["username"]])
    result = dict(changed=False, password_sent=False)
    writing = written = False
    failure = None
    try:
        current = jira.read_integration(client, name)
        if current is not None:
            keep_jira_credentials(module, client, [current.get("username")])
        if reads_health_first(params, current):
            # Asked under the name as Xray spells it: its status check matches names exactly.
            result["status"] = jira.read_status(client, current["connection_name"])
        plan = plan_present(module, current, result.get("status")) if params["state"] == "present" else plan_absent(current)
        # Reported under the name Xray spells it with.
        reported_name = plan.before.get("connection_name", name)
        result.update(changed=plan.action is not None, integration=jira.public_fields(plan.after),
                      password_sent=plan.password_sent, msg=describe(plan, reported_name, module.check_mode))
        if module._diff:
            after = jira.fields_with_password_placeholder(plan.after) if plan.password_sent else jira.public_fields(plan.after)
            result["diff"] = dict(before=jira.public_fields(plan.before), after=after)
        verify = reads_health_after(params, plan)
        if verify and "status" not in result:
            # The health is read after the write: an Xray without the status API (below 3.136) must fail the
            # task now, before anything is written, and in check mode alike. One GET; its answer is not reported.
            jira.read_status(client, reported_name)
        if module.check_mode or plan.action is None:
            module.exit_json(**result)
        writing = True
        apply(client, plan, name)
        written = True
        # A password sent because the health was bad must have mended it.
        if verify:
            try:
                result["status"] = jira.read_status(client, reported_name)
            except XrayError as error:
                error.message = "Integration %r was %s, but reading its health failed: %s" % (
                    reported_name, DONE[plan.action], error.message)
                raise
            if result["status"]["status"] != jira.HEALTHY:
                result["msg"] = "Integration %r was %s, but Xray reports %s: %s" % (
                    reported_name, DONE[plan.action], result["status"]["status"],
                    result["status"]["reason"] or "no reason given")
                module.fail_json(**result)
    except XrayError as error:
        failure = error
    finally:
        client.close()
    if failure is not None:
        # Outside the except block: ansible-core < 2.19 would attach the handled exception's traceback at -vvv.
        # A write that failed is no change; one that succeeded before a later failure is. Either way the
        # user learns whether the password left this machine, and the health the task read.
        reported = dict(result) if written else dict((key, result[key]) for key in ("status",) if key in result)
        if not written:
            # Sent only if the write was under way and the transport cannot prove that no attempt of it left.
            reported["password_sent"] = writing and failure.request_sent and result["password_sent"]
        reported.update(changed=written, msg=failure.message, **failure.http_status_result())
        module.fail_json(**reported)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
