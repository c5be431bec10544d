# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oldest Python the modules run on, and the message for an older one.

Python 3.9 is the oldest Python with which every supported ansible-core (2.16 to 2.21) can run
a module; tests/config.yml tells ansible-test the same. The modules work on 3.7 and 3.8 today,
but only what every supported ansible-core can run is claimed.

ansible-core 2.16 still starts modules with Python 2.7 and 3.6 (2.17 with 3.7, 2.18 and 2.19 with
3.8). On those, the rest of the collection may fail to import (``urllib.parse``, ...). So each module
imports the code that needs Python 3.9 in a ``try`` block, whose ``except`` lets an import error pass
only when unsupported_python_message() says that the interpreter is too old; then the module's
main() builds its AnsibleModule (with the full argument spec, so that no_log options stay masked) and
fails the task with that message, before anything else: which Python was found, where, and what to do.

Hence this file, _connection_options.py and the module files must compile and run on every one of
those interpreters, down to Python 2.7: no f-strings, keyword-only arguments, annotations or
``from __future__ import annotations``, and only ``sys`` from the standard library here. ansible-test's compile test does not check that (tests/config.yml
declares 3.9+); tests/unit/plugins/module_utils/test_python_floor.py does, with the real old
interpreters when they are installed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

PYTHON_FLOOR = (3, 9)


def floor_message(version_info, executable):
    """The failure message for an interpreter of version_info (a sys.version_info-like sequence) at executable."""
    floor = "%d.%d" % PYTHON_FLOOR
    return ("The frogops.xray modules need Python %s or later on the host that runs them, but found Python %s at %s. "
            "Set ansible_python_interpreter for that host to a Python %s or later interpreter."
            % (floor, ".".join(str(part) for part in tuple(version_info)[:3]), executable or "an unknown path", floor))


def unsupported_python_message(version_info=None, executable=None):
    """None when the interpreter is PYTHON_FLOOR or newer; else the message to fail the task with.

    version_info, executable: for tests; sys.version_info and sys.executable by default.
    """
    if version_info is None:
        version_info = sys.version_info
    if executable is None:
        executable = sys.executable
    if tuple(version_info)[:2] >= PYTHON_FLOOR:
        return None
    return floor_message(version_info, executable)
