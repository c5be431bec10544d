# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one flow of every module: check, read, plan, result and diff, check-mode exit, write, prove, report.

Private to this collection (leading underscore): no compatibility promise.

A module hands run() a Resource: a description of one Xray object (how to read it, plan a
change, write and prove it, and what to return). The flow owns what no resource should decide
on its own:
- a task that cannot be done as asked ends in one failure line (a Refusal), with changed=false
  before a write and the task's result after it;
- changed=true only once the write is proven (Resource.write returns only then);
- a failure after a proven write still reports changed=true with the result; a failure before
  it reports only what the resource keeps (Resource.unwritten), never a prediction;
- the client is closed, and the failure reported outside the except block (ansible-core < 2.19
  would attach the handled exception's traceback at -vvv).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.frogops.xray.plugins.module_utils._connection import client_from_module
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayError

# Past participles for msg; check mode says "would be ...".
DONE = {"create": "created", "update": "updated", "delete": "deleted"}


class Refusal(Exception):
    """The task cannot be done as asked: one line a person can act on, and return values it carries."""

    def __init__(self, msg, **returns):
        super(Refusal, self).__init__(msg)
        self.msg = msg
        self.returns = returns


class Plan:
    """The decision of one run: which write (if any), its body, and the managed view before and after.

    action: None (nothing to write), "create", "update" or "delete". changed_names: the managed
    fields that change, for msg. A resource may keep more on it (details=...).
    """

    def __init__(self, action, before, after, payload=None, changed_names=(), **details):
        self.action = action
        self.before = before
        self.after = after
        self.payload = payload
        self.changed_names = list(changed_names)
        self.details = details


class Resource:
    """One Xray object as a module manages it. Subclasses describe it; run() drives them.

    Every method but read, plan and write has a default that suits a resource with nothing more to say.
    """

    def __init__(self, module):
        self.module = module
        self.params = module.params

    def base_result(self):
        """Return values every result of the module carries, also every failure (e.g. password_sent=False)."""
        return {}

    def check(self):
        """A Refusal for options that cannot be right, found before any request; else None."""
        return None

    def connected(self, client):
        """Called once the client exists, before any request: e.g. register more secrets with it."""

    def read(self, client, result):
        """The object as it is (None: absent). May add what it read to result (e.g. a health)."""
        raise NotImplementedError

    def plan(self, current, result):
        """A Plan for the task, or raise Refusal."""
        raise NotImplementedError

    def returns(self, plan):
        """Return values after the task (predicted in check mode), merged into the result."""
        return {}

    def describe(self, plan, check_mode):
        """msg for the result, or None for no msg."""
        return None

    def diff(self, plan):
        """The diff in diff mode ({"before", "after"}), or None for none."""
        return None

    def before_write(self, client, plan, result):
        """Reads that must succeed before anything is written, in check mode too."""

    def write(self, client, plan):
        """Send plan's write under the client's write contract; raise XrayError when it may not have happened."""
        raise NotImplementedError

    def prove(self, client, plan):
        """Prove the write beyond its answer (e.g. read it back); raise Refusal or XrayError if it did not hold.

        The default trusts the client's write contract (a documented success, or a re-read that proved it).
        """

    def after_write(self, client, plan, result):
        """Reads after the proven write, which may add to result or raise Refusal (changed stays true)."""

    def unwritten(self, result, writing, error):
        """What a failure before any proven write reports besides changed, msg and http_status."""
        return self.base_result()


def run(module, resource):
    """Run the flow for resource; ends the module (exit_json or fail_json)."""
    base = resource.base_result()
    refusal = resource.check()
    if refusal is not None:
        module.fail_json(**dict(base, changed=False, msg=refusal.msg))
    client = client_from_module(module, failure_result=base)
    resource.connected(client)
    result = dict(base, changed=False)
    writing = written = False
    failure = refusal = None
    try:
        current = resource.read(client, result)
        plan = resource.plan(current, result)
        result.update(resource.returns(plan), changed=plan.action is not None)
        msg = resource.describe(plan, module.check_mode)
        if msg is not None:
            result["msg"] = msg
        diff = resource.diff(plan) if module._diff else None
        if diff is not None:
            result["diff"] = diff
        resource.before_write(client, plan, result)
        if not (module.check_mode or plan.action is None):
            writing = True
            resource.write(client, plan)
            resource.prove(client, plan)
            written = True
            resource.after_write(client, plan, result)
    except Refusal as caught:
        refusal = caught
    except XrayError as error:
        failure = error
    finally:
        client.close()
    if refusal is not None:
        reported = dict(result) if written else dict(base, changed=False)
        reported.update(refusal.returns, msg=refusal.msg)  # a refusal may say changed itself (some of it was kept)
        module.fail_json(**reported)
    if failure is not None:
        reported = dict(result) if written else resource.unwritten(result, writing, failure)
        reported.update(changed=written, msg=failure.message, **failure.http_status_result())
        module.fail_json(**reported)
    module.exit_json(**result)
