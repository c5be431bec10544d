#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: policy_jira_ticketing
short_description: Turn the "create Jira ticket" action of a JFrog Xray policy's rules on or off
version_added: 1.1.0
description:
  - Turns the action "create Jira ticket" (C(rules[].actions.create_ticket_enabled)) of the rules of one existing
    Xray policy on or off, and changes nothing else in the policy.
  - The rule does not choose the Jira project; the watch's profile does (M(frogops.xray.watch_jira_ticketing)).
    JFrog advises putting the ticket action on the first rule of a policy.
  - A rule whose actions lack C(create_ticket_enabled) counts as V(false), so O(enabled=false) makes no change
    to it.
  - "Requests: nothing to change, 1 (GET); a change, 3 (GET, PUT, GET); check mode, 1 (GET)."
  - The write is a PUT of the whole policy, as the GET returned it, with only those C(create_ticket_enabled)
    changed and the read-only C(author), C(created), C(modified), C(watches) and C(project_key) left out. Every
    other key, known or not, goes back as it was read. Xray's PUT replaces the whole policy and has no version
    or ETag, so the last writer wins; a change made by someone else between this task's GET and PUT is
    overwritten.
  - Every PUT is proven by reading the policy again. The actions must read back as sent; if they do not, the
    task fails with C(changed=false), naming the Xray version; with C(changed=true) when some of the rules did
    read back as sent, naming those too. A rule gone when read back fails the task as changed by someone else.
    If something else reads back other than sent, the task warns that someone else changed the policy meanwhile.
  - This module never creates or deletes a policy or a rule. A missing policy fails the task.
  - Uses the Policies V2 REST API (C(/xray/api/v2/policies)); the V1 answers may lack C(create_ticket_enabled).
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
      - The diff is the rules' C(create_ticket_enabled) before and after (the RV(rules) return value), not the
        whole policy.
options:
  policy:
    description:
      - Name of the policy, as Xray spells it (names are compared exactly).
      - Any characters are allowed; the name is percent-encoded as one URL path segment.
    type: str
    required: true
    aliases: [name]
  project_key:
    description:
      - The key of the JFrog project whose policy this is; sent as C(?projectKey=) on every request.
      - Leave it out for a global policy.
    type: str
  enabled:
    description: Whether the rules open a Jira ticket for the violations they raise.
    type: bool
    required: true
  rules:
    description:
      - Names of the rules to set, as the policy has them. A name the policy does not have fails the task before
        any write, listing the policy's rule names.
      - Default is every rule of the policy.
    type: list
    elements: str
notes:
  - A 403 names the permission Xray asks for, C(Read Policies) to read and C(Manage Policies) to write; an Xray
    admin has both.
  - Tickets need a Jira integration (M(frogops.xray.jira_integration)) and a watch with ticketing on and a
    Jira profile (M(frogops.xray.watch_jira_ticketing)) that the policy is assigned to.
seealso:
  - module: frogops.xray.watch_jira_ticketing
  - module: frogops.xray.jira_integration
'''

EXAMPLES = r'''
- name: Open a Jira ticket for what the first rule of policy critical-cves finds
  frogops.xray.policy_jira_ticketing:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    policy: critical-cves
    rules: [block-critical]
    enabled: true

- name: No Jira tickets from any rule of the licence policy of project pay
  frogops.xray.policy_jira_ticketing:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    policy: licences
    project_key: pay
    enabled: false
'''

RETURN = r'''
msg:
  description: What the task did, or would do in check mode, naming the rules that change.
  returned: always
  type: str
  sample: "Policy 'critical-cves' updated (create_ticket_enabled=true on rule 'block-critical')."
rules:
  description:
    - Every rule of the policy, in the policy's order, with its C(create_ticket_enabled) after the task
      (predicted in check mode).
    - When the task fails because Xray did not keep what was sent, the values read back.
  returned: when the policy was read
  type: list
  elements: dict
  sample:
    - name: block-critical
      create_ticket_enabled: true
    - name: warn-high
      create_ticket_enabled: false
  contains:
    name:
      description: The rule's name.
      type: str
    create_ticket_enabled:
      description: Whether the rule opens a Jira ticket.
      type: bool
http_status:
  description: The HTTP status Xray answered when the task failed on an HTTP error (for example 400, 403, 404).
  returned: on failure, when Xray answered
  type: int
  sample: 403
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.frogops.xray.plugins.module_utils._connection_options import module_kwargs
from ansible_collections.frogops.xray.plugins.module_utils._python_floor import unsupported_python_message

# None, or why this Python is too old for the code below (3.9+); main() then fails the task with it.
UNSUPPORTED_PYTHON = unsupported_python_message()
try:
    from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
    from ansible_collections.frogops.xray.plugins.module_utils._policy_ticketing import PolicyTicketing
except (ImportError, SyntaxError):
    if UNSUPPORTED_PYTHON is None:  # a supported Python: a real error, to be seen
        raise

OPTIONS = dict(
    policy=dict(type="str", required=True, aliases=["name"]),
    project_key=dict(type="str", no_log=False),
    enabled=dict(type="bool", required=True),
    rules=dict(type="list", elements="str"),
)


def main():
    module = AnsibleModule(**module_kwargs(OPTIONS))
    if UNSUPPORTED_PYTHON is not None:
        module.fail_json(msg=UNSUPPORTED_PYTHON, changed=False)
    ensure.run(module, PolicyTicketing(module))


if __name__ == "__main__":
    main()
