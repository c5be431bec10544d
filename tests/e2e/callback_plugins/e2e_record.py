# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helper: write every task result as one JSON line to $E2E_RECORD_FILE.

Not part of the collection. The end-to-end tests and the benchmark enable it with
ANSIBLE_CALLBACK_PLUGINS=<this dir> and ANSIBLE_CALLBACKS_ENABLED=e2e_record.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: e2e_record
type: notification
short_description: Write task results as JSON lines (test helper)
description:
  - Appends one JSON object per task result to the file named by E2E_RECORD_FILE.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase

try:
    from ansible.parsing.ajson import AnsibleJSONEncoder
except ImportError:  # pragma: no cover
    AnsibleJSONEncoder = json.JSONEncoder


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "e2e_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("E2E_RECORD_FILE")
        self._task_start = {}

    def _write(self, entry):
        if not self._path:
            return
        with open(self._path, "a") as stream:
            stream.write(json.dumps(entry, cls=AnsibleJSONEncoder, sort_keys=True) + "\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start[task._uuid] = time.time()
        self._write({"event": "task_start", "task": task.get_name(), "time": time.time()})

    def v2_runner_on_start(self, host, task):
        self._write({"event": "runner_start", "task": task.get_name(), "host": host.get_name(), "time": time.time()})

    def _result(self, status, result):
        task = result._task
        self._write({"event": "result", "status": status, "task": task.get_name(), "host": result._host.get_name(),
                     "start": self._task_start.get(task._uuid), "time": time.time(), "result": result._result})

    def v2_runner_on_ok(self, result):
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)
