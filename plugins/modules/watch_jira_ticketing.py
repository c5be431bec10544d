#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: watch_jira_ticketing
short_description: Set the Jira ticketing of an existing JFrog Xray watch, and nothing else in it
version_added: 1.1.0
description:
  - Sets which Jira profile the violations of one existing Xray watch open tickets with, whether ticket creation
    is on, and how tickets are generated, and leaves everything else in the watch exactly as it was.
  - A violation becomes a Jira ticket only when the watch has ticket creation on with a Jira profile, and the
    policy rule that raised it has the action "create Jira ticket" (M(frogops.xray.policy_jira_ticketing)).
    Jira configuration profiles are made in the Xray UI; no public API reads or writes them.
  - Only the options the task sets are compared and written. A task that sets only O(watch) reads the
    ticketing and returns it with C(changed=false), the way to adopt what the UI set.
  - Xray's defaults are no drift. A missing flag is V(false), a missing profile is V(""), and missing
    impact-path routes are V([]). The default C(ticket_generation) Xray returns for a watch without a
    profile never makes a change.
  - "Requests: nothing to change, 1 (GET); a change, 3 (GET, PUT, GET); check mode, 1 (GET)."
  - The write is a PUT of the whole watch, as the GET returned it, with only the managed paths changed and
    the read-only C(general_data.id) and C(general_data.project_key) left out. Every other key, known or not,
    goes back as it was read. Xray's PUT replaces the whole watch and has no version or ETag, so the last
    writer wins; a change made by someone else between this task's GET and PUT is overwritten.
  - Every PUT is proven by reading the watch again. The managed fields must read back as sent; if they do
    not (an Xray that keeps no ticketing fields), the task fails with C(changed=false), naming the Xray version
    and what was not kept; with C(changed=true) when some of the fields did read back as sent, naming those
    too. If something outside the ticketing reads back other than sent, the task warns that someone else
    changed the watch meanwhile.
  - This module never creates or deletes a watch. A missing watch fails the task.
  - Uses the Watches V2 REST API (C(/xray/api/v2/watches), Xray 2.4 or later; project watches with
    O(project_key) need Xray 3.21.2 or later).
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
      - The diff is the ticketing before and after (the RV(ticketing) return value), not the whole watch.
options:
  watch:
    description:
      - Name of the watch, as Xray spells it (names are compared exactly).
      - Any characters are allowed; the name is percent-encoded as one URL path segment.
    type: str
    required: true
    aliases: [name]
  project_key:
    description:
      - The key of the JFrog project whose watch this is; sent as C(?projectKey=) on every request.
      - Leave it out for a global watch. A global watch and a project watch of the same name are different watches.
    type: str
  enabled:
    description:
      - Whether violations of this watch open Jira tickets (C(create_ticket_enabled)).
      - V(true) needs a Jira profile, from O(profile) or already on the watch; otherwise the task fails before
        any write.
    type: bool
  profile:
    description:
      - Name of the Jira configuration profile tickets are opened with (C(ticket_profile)), as made in the Xray UI.
      - V("") clears it. A name Xray does not know fails the task with Xray's own error text. Check mode cannot
        tell (no public API lists the profiles), so it predicts the change.
    type: str
  profiles_by_impact_path:
    description:
      - Routes violations to other Jira profiles by impact path
        (C(ticket_generation.impact_path_profiles_mapping.include)), for example one profile per team.
      - Each route is a dict of two texts, both required and nothing else. C(pattern) is an impact-path
        pattern, such as V(*/libs-team-b/*). C(profile) is the name of the Jira profile for violations whose
        impact path matches it.
      - Compared as a set, order and duplicates carry no meaning; V([]) clears it.
      - The keys are checked by the module, not declared as sub-options. Where ansible-core validates sub-options
        and one is malformed (a text where a dict belongs), ansible-core 2.16 to 2.20 print the task's
        arguments, the access token included, unmasked (ansible/ansible#81672); checked here, a malformed route
        fails with the token masked.
    type: list
    elements: dict
  duplicate_tickets_by_version:
    description:
      - Whether a new ticket is opened for each version of the same component
        (C(ticket_generation.create_duplicate_tickets.by_version)).
      - A dict of up to three booleans. C(build) opens a ticket per build version, C(package) per package
        version, C(release_bundle) per release bundle version.
      - Only the keys the task sets are compared and written; the others stay as they are.
      - The keys are checked by the module, not declared as sub-options, for the reason given under
        O(profiles_by_impact_path).
    type: dict
  tickets_for_ignored_violations:
    description:
      - Whether violations that match an ignore rule open tickets too
        (C(ticket_generation.create_tickets_for_ignored_violation)).
    type: bool
notes:
  - A 403 names the permission Xray asks for, C(Manage Watches) (for a project watch, a Project Admin with
    C(Manage Security Assets)); an Xray admin has it.
  - Set the ticketing with this module after any tool that writes the whole watch (such as the Terraform
    provider's C(xray_watch), which sends no ticketing fields and so drops them); run both in the same order
    every time.
seealso:
  - module: frogops.xray.policy_jira_ticketing
  - module: frogops.xray.jira_integration
'''

EXAMPLES = r'''
- name: Open Jira tickets for the violations of watch prod-security, team B's paths to their own project
  frogops.xray.watch_jira_ticketing:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    watch: prod-security
    enabled: true
    profile: team-a-security
    profiles_by_impact_path:
      - pattern: "*/libs-team-b/*"
        profile: team-b-security
    duplicate_tickets_by_version:
      package: true

- name: Read the ticketing of a project watch, as the UI set it
  frogops.xray.watch_jira_ticketing:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    watch: payments-watch
    project_key: pay
  register: payments_watch

- name: Stop opening tickets for the violations of watch legacy-apps
  frogops.xray.watch_jira_ticketing:
    url: https://acme.jfrog.io
    access_token: "{{ jfrog_admin_token }}"
    watch: legacy-apps
    enabled: false
'''

RETURN = r'''
msg:
  description: What the task did, or would do in check mode, naming the fields that change.
  returned: always
  type: str
  sample: "Watch 'prod-security' updated (enabled, profile)."
ticketing:
  description:
    - The watch's Jira ticketing after the task (predicted in check mode), named like the options, with Xray's
      defaults filled in.
    - When the task fails because Xray did not keep what was sent, the ticketing read back.
  returned: when the watch was read
  type: dict
  sample:
    enabled: true
    profile: team-a-security
    profiles_by_impact_path:
      - pattern: "*/libs-team-b/*"
        profile: team-b-security
    duplicate_tickets_by_version:
      build: false
      package: true
      release_bundle: false
    tickets_for_ignored_violations: false
  contains:
    enabled:
      description: Whether violations of the watch open Jira tickets.
      type: bool
    profile:
      description: The Jira profile tickets are opened with; V("") for none.
      type: str
    profiles_by_impact_path:
      description: The impact-path routes, sorted by pattern and profile.
      type: list
      elements: dict
    duplicate_tickets_by_version:
      description: C(build), C(package) and C(release_bundle), each a bool.
      type: dict
    tickets_for_ignored_violations:
      description: Whether ignored violations open tickets too.
      type: bool
http_status:
  description: The HTTP status Xray answered when the task failed on an HTTP error (for example 400, 403, 404).
  returned: on failure, when Xray answered
  type: int
  sample: 400
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.frogops.xray.plugins.module_utils._connection_options import module_kwargs
from ansible_collections.frogops.xray.plugins.module_utils._python_floor import unsupported_python_message

# None, or why this Python is too old for the code below (3.9+); main() then fails the task with it.
UNSUPPORTED_PYTHON = unsupported_python_message()
try:
    from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
    from ansible_collections.frogops.xray.plugins.module_utils._watch_ticketing import WatchTicketing
except (ImportError, SyntaxError):
    if UNSUPPORTED_PYTHON is None:  # a supported Python: a real error, to be seen
        raise

OPTIONS = dict(
    watch=dict(type="str", required=True, aliases=["name"]),
    project_key=dict(type="str", no_log=False),
    enabled=dict(type="bool"),
    profile=dict(type="str"),
    # Checked by the module (_watch_ticketing), not as sub-options: see the options' docs (ansible/ansible#81672).
    profiles_by_impact_path=dict(type="list", elements="dict"),
    duplicate_tickets_by_version=dict(type="dict"),
    tickets_for_ignored_violations=dict(type="bool"),
)


def main():
    module = AnsibleModule(**module_kwargs(OPTIONS))
    if UNSUPPORTED_PYTHON is not None:
        module.fail_json(msg=UNSUPPORTED_PYTHON, changed=False)
    ensure.run(module, WatchTicketing(module))


if __name__ == "__main__":
    main()
