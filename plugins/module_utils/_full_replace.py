# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An existing Xray object whose PUT replaces it whole (watches, policies v2), with a few paths managed.

Private to this collection (leading underscore): no compatibility promise.

The write discipline, the same for every such object:
- GET the object; keep the raw object read next to the managed view of it;
- PUT a deep copy of the raw object with only the managed paths changed and the read-only keys left
  out: every other key, known or not, goes back as read (same values, same types);
- prove every PUT by a GET: the managed view must read back as sent (else the task fails, naming the
  Xray version); anything else that reads back other than sent is a warning (someone else wrote it
  meanwhile: the last writer wins, PUT has no version or ETag).
A subclass describes the object: its noun, path, read-only keys, how its managed view is read
from the raw object, planned from the task and written into a copy.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import math

from ansible_collections.frogops.xray.plugins.module_utils import _ensure as ensure
from ansible_collections.frogops.xray.plugins.module_utils import _xray_api as xray_api
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import API_V2, RETRY_STATUSES, XrayError, sentence

MINIMUM_V2_VERSION = "2.4"  # the vendor's docs: the v2 watch API came with Xray 2.4
MINIMUM_PROJECT_VERSION = "3.21.2"  # ?projectKey= on the v2 watch API
# Deeper objects are not sent back: copying and comparing them recurses (Python's limit is about 1000 frames).
MAX_DEPTH = 100


def without_paths(value, paths):
    """A deep copy of value without the keys at paths (tuples of keys); missing paths are fine."""
    copied = copy.deepcopy(value)
    for path in paths:
        holder = copied
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict):
            holder.pop(path[-1], None)
    return copied


def sendable_problem(value):
    """Why a JSON value read cannot be sent back as it was, or None.

    A lone surrogate cannot be returned to Ansible; a number beyond a double (1e400) was read as
    infinity, which json.dumps would send as "Infinity": no JSON, and not the value read.
    """
    if _depth(value) > MAX_DEPTH:
        return "objects nested more than %d levels deep" % MAX_DEPTH
    for item in _leaves(value):
        if isinstance(item, str) and not xray_api.is_unicode(item):
            return "text that is not valid Unicode (a lone surrogate)"
        if isinstance(item, float) and not math.isfinite(item):
            return "a number too large to send back unchanged"
    return None


def _depth(value):
    """How deep lists and objects nest in value, found without recursion (a deep answer is no traceback)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _leaves(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def same_json(one, other):
    """Equal as JSON, types included: 1 is not 1.0 nor True (Python's == says they are)."""
    return json.dumps(one, sort_keys=True) == json.dumps(other, sort_keys=True)


class Unexpected(Exception):
    """What in an answer cannot be understood; becomes an XrayError naming the request."""


class FullReplaceObject(ensure.Resource):
    """An existing object read and written whole under /xray/api/v2/<collection>/{name}."""

    noun = "Object"          # "Watch", "Policy": for messages
    collection = ()          # path segments under the v2 root, before the name
    read_only = ()           # paths (tuples of keys) that GET returns and a PUT must not carry
    read_subject = None      # _xray_client.Subject of the GET (the roles a 403 asks for)
    write_subject = None     # of the PUT
    name_option = "name"     # the module option that names the object
    put_sent = False         # whether this task has sent its PUT (messages of later reads say so)

    # -- what a subclass describes ----------------------------------------------------------------

    def identify(self, raw):
        """(name, project_key) the object says it has, or raise Unexpected."""
        raise NotImplementedError

    def view(self, raw):
        """The managed view of a raw object (Xray's defaults filled in), or raise Unexpected."""
        raise NotImplementedError

    def desired(self, before):
        """The managed view after the task, from the one before; raise ensure.Refusal for what cannot be."""
        raise NotImplementedError

    def apply(self, body, after):
        """Write the managed view after into body (a deep copy of the raw object), in place."""
        raise NotImplementedError

    def unmanaged(self, raw):
        """raw without the managed paths and the read-only keys: what a PUT must leave as it was."""
        raise NotImplementedError

    # -- the flow's steps -------------------------------------------------------------------------

    @property
    def name(self):
        return self.params[self.name_option]

    @property
    def project_key(self):
        return self.params["project_key"]

    def query(self):
        return {"projectKey": self.project_key} if self.project_key else None

    def where(self, noun=None):
        """The object in messages: "Watch 'x'" or "Watch 'x' of project 'p'" (noun: "watch" mid-sentence)."""
        if self.project_key:
            return "%s %r of project %r" % (noun or self.noun, self.name, self.project_key)
        return "%s %r" % (noun or self.noun, self.name)

    def check(self):
        if not self.name.strip():
            return ensure.Refusal("%s must not be empty" % self.name_option)
        if self.project_key is not None and not self.project_key.strip():
            return ensure.Refusal("project_key is set but empty: give the project's key, or leave project_key out "
                                  "for a global %s." % self.noun.lower())
        return None

    def fetch(self, client):
        """(raw, view) of the object, or None when Xray says it does not exist; XrayError if not understood."""
        path = API_V2 + "/" + "/".join(self.collection)
        minimum = MINIMUM_PROJECT_VERSION if self.project_key else MINIMUM_V2_VERSION
        what = "the %s API (%s%s)" % (self.noun.lower(), path, "?projectKey=" if self.project_key else "")
        reply = xray_api.read_or_absent(client, self.collection + (self.name,), minimum, what, query=self.query(),
                                        root=API_V2, subject=self.read_subject)
        if reply is None:
            return None
        raw = reply.data
        try:
            problem = sendable_problem(raw)
            if problem:
                raise Unexpected(problem)
            name, project_key = self.identify(raw)
            if name != self.name:
                raise Unexpected("the %s of another name (%r)" % (self.noun.lower(), client.redact.excerpt(name, 100)))
            if (project_key or None) != self.project_key:
                raise Unexpected("a %s of %s, not of %s" % (
                    self.noun.lower(), "project %r" % client.redact.excerpt(project_key, 100) if project_key
                    else "no project", "project %r" % self.project_key if self.project_key else "no project"))
            view = self.view(raw)
        except Unexpected as problem:
            # "Nothing was changed" only before this task's PUT: after it, the caller says what the PUT did.
            raise client.error(("Unexpected answer from Xray for GET %s: HTTP %d with %s, so it says nothing about "
                                "%s: %s%s" % (
                                    client.url_for(self.collection + (self.name,), self.query(), API_V2),
                                    reply.status, problem, self.where(), sentence(reply.excerpt or "empty body"),
                                    "" if self.put_sent else " Nothing was changed.")).strip(), status=reply.status)
        return raw, view

    def read(self, client, result):
        return self.fetch(client)

    def plan(self, current, result):
        if current is None:
            raise ensure.Refusal("%s does not exist%s. This module changes the Jira ticketing of an existing %s "
                                 "and never creates one: check the name%s, or create the %s first." % (
                                     self.where(), "" if self.project_key else " (a global one: no project_key)",
                                     self.noun.lower(), " and project_key" if self.project_key else "",
                                     self.noun.lower()))
        raw, before = current
        after = self.desired(before)
        # The managed view is a dict; its keys, in order, are what msg names.
        changed_names = [name for name in after if not same_json(before.get(name), after[name])]
        if not changed_names:
            return ensure.Plan(None, before, after, raw=raw)
        body = without_paths(raw, self.read_only)
        self.apply(body, after)
        return ensure.Plan("update", before, after, body, changed_names, raw=raw)

    def write(self, client, plan):
        reread = {}

        def took_effect():
            current = self.fetch(client)
            reread["current"] = current
            # In effect when what this task changes reads as sent; a managed field it left alone that reads
            # otherwise is someone else's (prove warns), no sign that the PUT did not happen.
            return current is not None and all(
                same_json(current[1].get(name), plan.after[name]) for name in plan.changed_names)

        self.put_sent = True
        try:
            how = client.write("PUT", self.collection + (self.name,), plan.payload, took_effect, query=self.query(),
                               root=API_V2, subject=self.write_subject)
        except XrayError as error:
            if error.status is None or error.status < 500 or error.status in RETRY_STATUSES:
                # No answer, a 4xx (Xray's word), or a 502/503/504 the client already judged (read back or retried).
                raise xray_api.removed_meanwhile(error, self.where())
            # A 5xx the client takes as Xray's word that it did not write (500): a full replace may still have been
            # stored before the error (an indexer notified afterwards failed). One read tells; it is idempotent.
            how = self.reread_after_error(client, error, took_effect)
        # A re-read that proved the write is the read-back too; any other (one that showed it not yet in
        # effect, before the PUT was sent again) is stale.
        plan.details["reread"] = reread.get("current") if how == "re-read" else None

    def reread_after_error(self, client, error, took_effect):
        """"re-read" when a read after a failed PUT shows it in effect (warned); else raise the error, saying so."""
        try:
            verdict = took_effect()
        except XrayError as reread_error:
            error.message = ("%s Reading it back to learn whether it took effect failed too: %s Run the task again: it "
                             "reads first, so it converges." % (error.message, reread_error.message))
            raise error
        if verdict:
            client.warn("%s Reading the %s back shows that the PUT took effect." % (error.message, self.noun.lower()))
            return "re-read"
        error.message = "%s Reading the %s back shows that it has not taken effect. Nothing was changed." % (
            error.message, self.noun.lower())
        raise error

    def prove(self, client, plan):
        """Read back: the managed view must read as sent; what else reads other than sent is someone else's."""
        current = plan.details.get("reread")
        if current is None:
            try:
                current = self.fetch(client)
            except XrayError as error:
                error.message = ("Xray answered the PUT of %s with success, but reading it back to prove it failed: %s "
                                 "Run the task again: it reads first, so it converges." % (
                                     self.where(self.noun.lower()), error.message))
                raise
        if current is None:
            raise client.error("%s was written but is gone when read back: it was removed meanwhile, by someone else. "
                               "Run the task again." % self.where())
        raw, view = current
        gone = [name for name in plan.changed_names if name not in view]
        if gone:
            # What did read back as sent was written all the same.
            kept = [name for name in plan.changed_names if name in view and same_json(view[name], plan.after[name])]
            raise ensure.Refusal("%s reads back without %s: someone else changed it meanwhile. Run the task again." % (
                self.where(), ", ".join(map(self.field_words, gone))), changed=bool(kept), **self.returns_of(view))
        not_kept = [name for name in plan.changed_names if not same_json(view.get(name), plan.after[name])]
        if not_kept:
            version = xray_api.xray_version(client)
            kept = [name for name in plan.changed_names if name not in not_kept]
            raise ensure.Refusal(
                "%s answered the PUT of %s with success, but reading it back shows that it did not keep %s (%s). This "
                "Xray probably has no Jira ticketing in its %s API; upgrade Xray, or set it in the Xray UI.%s" % (
                    "Xray %s" % client.redact.excerpt(version, 60) if version else
                    "Xray (its version could not be read)", self.where(self.noun.lower()),
                    ", ".join(map(self.field_words, not_kept)),
                    "; ".join("%s reads %s" % (self.field_words(name), json.dumps(view.get(name), sort_keys=True))
                              for name in not_kept),
                    self.noun.lower(), " It did keep %s." % ", ".join(map(self.field_words, kept)) if kept else ""),
                changed=bool(kept), **dict(self.returns_of(view), **(self.diff_returns(plan.before, view) if kept else {})))
        # The managed fields this task left alone went back as read: reading otherwise, someone else changed them.
        others = [name for name in plan.after
                  if name not in plan.changed_names and not same_json(view.get(name), plan.after[name])]
        if others:
            client.warn("%s reads back with %s other than this task sent (%s): someone else changed it meanwhile, "
                        "or this Xray does not keep it. A PUT replaces the whole %s, so the last writer wins; check "
                        "it in the Xray UI." % (
                            self.where(), ", ".join(map(self.field_words, others)),
                            "; ".join("%s reads %s" % (self.field_words(name),
                                                       json.dumps(view.get(name), sort_keys=True)) for name in others),
                            self.noun.lower()))
        if not same_json(self.unmanaged(raw), self.unmanaged(plan.payload)):
            client.warn("%s reads back with other changes than this task's outside its Jira ticketing: someone else "
                        "changed it meanwhile. A PUT replaces the whole %s, so the last writer wins; check it in "
                        "the Xray UI." % (self.where(), self.noun.lower()))
        plan.details["proven"] = view

    def after_write(self, client, plan, result):
        # The ticketing after the task is what reads back (the same as planned, unless someone else wrote too).
        result.update(self.returns_of(plan.details["proven"]))

    def diff_returns(self, before, after):
        """{"diff": ...} in diff mode, for a failure that reports what was changed after all; else {}."""
        return dict(diff=dict(before=self.diff_of(before), after=self.diff_of(after))) if self.module._diff else {}

    def returns(self, plan):
        return self.returns_of(plan.after)

    def returns_of(self, view):
        raise NotImplementedError

    def describe(self, plan, check_mode):
        if plan.action is None:
            return "%s: its Jira ticketing is as desired; nothing to do." % self.where()
        return "%s %s (%s)." % (self.where(), ("would be " if check_mode else "") + "updated",
                                self.changes_in_words(plan.changed_names))

    def changes_in_words(self, changed_names):
        return ", ".join(map(self.field_words, changed_names))

    def field_words(self, name):
        """A managed view key in a message."""
        return name

    def diff(self, plan):
        return dict(before=self.diff_of(plan.before), after=self.diff_of(plan.after))

    def diff_of(self, view):
        """The diff's side for a managed view: what returns_of returns."""
        return self.returns_of(view)
