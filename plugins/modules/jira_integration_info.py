#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: jira_integration_info
short_description: Read a JFrog Xray Jira integration and, optionally, its health
version_added: 0.1.0
description:
  - Reads one Jira integration of JFrog Xray, with the fields named like the options of
    M(frogops.xray.jira_integration), so that an integration made in the UI can be adopted.
  - A missing integration is not a failure; RV(exists) is V(false).
  - Never changes anything.
author:
  - frogops.xray maintainers (@frogops)
extends_documentation_fragment:
  - frogops.xray.connection
  - frogops.xray.attributes
attributes:
  check_mode:
    support: full
    details:
      - This module only reads; it behaves the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module never changes anything.
options:
  connection_name:
    description:
      - Name of the Jira integration in Xray.
    type: str
    required: true
    aliases: [name]
  include_status:
    description:
      - Also ask Xray whether it can reach Jira with the stored settings (Xray 3.136 or later).
      - The health is asked under the name as Xray spells it (read from the details first), and counts only for this
        integration. An answer whose C(integration_name) names another integration, or none, fails the task; it is
        never reported as the integration's health.
      - A documented status is returned whatever HTTP status carries it (Xray documents 200, 404 and 500 for this
        check), so C(INTERNAL_SERVER_ERROR) answered with HTTP 500 is RV(status), not a failure.
    type: bool
    default: false
seealso:
  - module: frogops.xray.jira_integration
'''

EXAMPLES = r'''
- name: Read an integration made in the UI, with its health
  frogops.xray.jira_integration_info:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    connection_name: jira-cloud
    include_status: true
  register: jira_cloud

- name: Adopt it as code - the same fields converge with no change
  frogops.xray.jira_integration:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    connection_name: "{{ jira_cloud.integration.connection_name }}"
    auth_type: "{{ jira_cloud.integration.auth_type | default(omit, true) }}"
    username: "{{ jira_cloud.integration.username | default(omit, true) }}"
    installation_type: "{{ jira_cloud.integration.installation_type | default(omit, true) }}"
    jira_server_url: "{{ jira_cloud.integration.jira_server_url | default(omit, true) }}"
    skip_proxy: "{{ jira_cloud.integration.skip_proxy }}"
  when: jira_cloud.exists
'''

RETURN = r'''
exists:
  description: Whether the integration exists.
  returned: always
  type: bool
  sample: true
integration:
  description:
    - The integration's fields, named like the options of M(frogops.xray.jira_integration); V({}) when it does not exist.
    - Never holds the password; Xray does not return it.
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
      description: Name of the integration.
      type: str
      returned: when it exists
    auth_type:
      description: How Xray authenticates to Jira (V(basic), V(oauth1) or V(oauth2)).
      type: str
      returned: when it exists
    username:
      description: Jira user name.
      type: str
      returned: when it exists
    installation_type:
      description: V(cloud) or V(server).
      type: str
      returned: when it exists
    jira_server_url:
      description: URL of the Jira instance.
      type: str
      returned: when it exists
    skip_proxy:
      description: Whether Xray bypasses its proxy for Jira.
      type: bool
      returned: when it exists
http_status:
  description: The HTTP status Xray answered when the task failed on an HTTP error (for example 400, 401, 403, 404, 500).
  returned: on failure, when Xray answered
  type: int
  sample: 400
status:
  description: Xray's health check of the integration.
  returned: when O(include_status=true) and the integration exists
  type: dict
  contains:
    status:
      description: C(HEALTHY_INTEGRATION), C(FAULTY_CONFIGURATION), C(INTEGRATION_NOT_FOUND) or C(INTERNAL_SERVER_ERROR).
      type: str
      sample: HEALTHY_INTEGRATION
    reason:
      description: Xray's explanation.
      type: str
      sample: Integration is healthy and operational.
    time:
      description: When Xray checked.
      type: str
      sample: "2024-01-01T12:00:00Z"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.frogops.xray.plugins.module_utils._connection_options import module_kwargs
from ansible_collections.frogops.xray.plugins.module_utils._python_floor import unsupported_python_message

# None, or why this Python is too old for the code below (3.9+); main() then fails the task with it.
UNSUPPORTED_PYTHON = unsupported_python_message()
try:
    from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
    from ansible_collections.frogops.xray.plugins.module_utils._jira_integration import JiraIntegrationInfo
except (ImportError, SyntaxError):
    if UNSUPPORTED_PYTHON is None:  # a supported Python: a real error, to be seen
        raise

OPTIONS = dict(
    connection_name=dict(type="str", required=True, aliases=["name"]),
    include_status=dict(type="bool", default=False),
)


def main():
    module = AnsibleModule(**module_kwargs(OPTIONS))
    if UNSUPPORTED_PYTHON is not None:
        module.fail_json(msg=UNSUPPORTED_PYTHON, changed=False)
    ensure.run(module, JiraIntegrationInfo(module))


if __name__ == "__main__":
    main()
