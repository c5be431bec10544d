# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with the task's options, answered by a scripted transport: no sockets.

    result, transport = run_module(watch_jira_ticketing, [answer(200, WATCH)], watch="prod")

A new resource is unit-tested with this alone: no emulator work. Every secret given is asserted
absent from everything the module printed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import io
import json

import pytest

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.frogops.xray.plugins.module_utils import _connection
from ansible_collections.frogops.xray.tests.unit.plugins.module_args import module_args
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import BASE, ScriptedTransport, answer

TOKEN = "scripted-admin-token-4711"


def run_module(module, script, secrets=(), **options):
    """(result, transport): main() of module with the options (url, access_token and retries=0 by default)."""
    args = dict(url=BASE, access_token=TOKEN, retries=0)
    args.update(options)
    args.setdefault("_ansible_check_mode", False)
    transport = ScriptedTransport(script)
    out = io.StringIO()
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    saved = _connection.RequestsTransport
    _connection.RequestsTransport = lambda **kwargs: transport
    try:
        with module_args(args), contextlib.redirect_stdout(out):
            with pytest.raises(SystemExit):
                module.main()
    finally:
        _connection.RequestsTransport = saved
    text = out.getvalue()
    for secret in tuple(secrets) + (args["access_token"],):
        if secret:
            assert secret not in text
    return json.loads(text), transport


def warnings_of(result):
    """The module's warnings as one text (ansible-core 2.19+ returns them as dicts)."""
    return " ".join(item["event"]["msg"] if isinstance(item, dict) else item for item in result.get("warnings", []))


def put_and_reread(raw, written, stored):
    """The script of a full-replace change: GET answers raw, the PUT written, and the GET after it what Xray
    keeps of the PUT body (stored(body, raw)); the body sent is in the transport's log."""
    state = {}

    def put(method, url, body):
        state["put"] = json.loads(body.decode("utf-8"))
        return written

    def reread(method, url, body):
        return answer(200, stored(state["put"], raw))

    return [answer(200, raw), put, reread]
