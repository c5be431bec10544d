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
    from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
    from ansible_collections.frogops.xray.plugins.module_utils._jira_integration import JiraIntegration
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


def main():
    module = AnsibleModule(**module_kwargs(OPTIONS))
    if UNSUPPORTED_PYTHON is not None:
        module.fail_json(msg=UNSUPPORTED_PYTHON, changed=False, password_sent=False)
    ensure.run(module, JiraIntegration(module))


if __name__ == "__main__":
    main()
