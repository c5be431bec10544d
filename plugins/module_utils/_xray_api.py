# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Xray itself, whatever the resource: its version, and what a 404 means.

Private to this collection (leading underscore): no compatibility promise.

- A 404 means "absent" only on Xray's word: its own {"error": ...} shape, or
  another 404 at a base URL whose version endpoint shows an Xray that has the
  API. Anything else is a verdict on the URL or the version, never "absent".
- A 404 on a write to what was read a moment ago: removed meanwhile.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.frogops.xray.plugins.module_utils._xray_client import API_V1, XrayError

VERSION_PATH = ("system", "version")


def is_unicode(text):
    """Whether text is valid Unicode: a JSON "\\ud800" escape is valid JSON but cannot be returned to Ansible."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def version_tuple(version):
    """(3, 131, 11) from "3.131.11"; text after the numbers (e.g. "-rc1") is ignored."""
    numbers = []
    for part in str(version).split("."):
        # The leading ASCII digits of a part ("0-rc1" is 0, not 1), at most 12 of them counted.
        digits = re.match(r"[0-9]*", part).group(0)
        if not digits:
            break
        numbers.append(int(digits[:12]))
        if len(digits) < len(part):
            break  # text after a number ends the version: "3.200.0\nbuild 7" is 3.200.0
    return tuple(numbers)


def at_least(version, minimum):
    """Whether a version read from Xray is minimum or later (False for None)."""
    return bool(version) and version_tuple(version) >= version_tuple(minimum)


def xray_version(client):
    """The running Xray version, or None when it cannot be read at this base URL."""
    try:
        reply = client.get(VERSION_PATH, root=API_V1)
    except XrayError:
        return None
    version = reply.data.get("xray_version")
    return version if isinstance(version, str) and version_tuple(version) else None


def api_missing_error(client, version, minimum, what, at=None):
    """The verdict for a 404 where an API endpoint should be, which is not Xray's own answer.

    at: the URL that answered, in the messages (default: the client's v1 root).
    """
    at = at or client.base_url
    if at_least(version, minimum):
        message = ("%s answered a 404 that is not Xray's where %s should be, although Xray %s runs there: check that "
                   "url points at the JFrog Platform itself and not through a proxy that rewrites paths." % (
                       at, what, client.redact.excerpt(version, 60)))
    elif version:
        message = ("Xray %s does not provide %s: it needs Xray %s or later. Upgrade Xray, or check that url points "
                   "at the JFrog Platform." % (client.redact.excerpt(version, 60), what, minimum))
    else:
        message = ("%s answered 404 where %s should be, and no Xray version could be read there: check that url is "
                   "the JFrog Platform's base URL (such as https://acme.jfrog.io) with Xray %s or later." % (
                       at, what, minimum))
    return client.error(message, status=404)


def read_or_absent(client, segments, minimum, what, **get_options):
    """GET of one object: its Reply (a 200 with a JSON object), or None when Xray says it does not exist.

    minimum: the first Xray version with this API; what: the API, for messages ("the watch API").
    get_options go to client.get (query, root, subject).
    """
    reply = client.get(segments, accept=(200, 404), **get_options)
    if reply.status == 200:
        return reply
    if reply.xray_not_found:
        return None
    version = xray_version(client)
    if at_least(version, minimum):
        return None
    root = get_options.get("root")
    raise api_missing_error(client, version, minimum, what, at=client.platform_url + root if root else None)


def removed_meanwhile(error, what):
    """A write's 404 in Xray's shape on what was read a moment ago: someone else removed it.

    what: the object as messages name it ("Integration 'x'", "Watch 'x' of project 'p'").
    """
    if error.xray_not_found:
        error.message = ("%s was found a moment ago but Xray now answers 404 (%s): it was removed meanwhile, by "
                         "someone else. Run the task again." % (what, error.error_text or "not found"))
    return error
