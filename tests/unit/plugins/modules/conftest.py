# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process against the in-process emulator, and capture its JSON result."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.frogops.xray.tests.emulator.xray_emulator import XrayEmulator
from ansible_collections.frogops.xray.tests.unit.plugins.module_args import module_args


class ModuleResult(dict):
    """The JSON a module printed, plus whether it failed."""

    @property
    def failed(self):
        return bool(self.get("failed"))


@pytest.fixture
def run_module(capsys):
    """run_module(module, args) -> ModuleResult; module is the imported module object."""

    def run(module, args):
        with module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        out = capsys.readouterr().out
        return ModuleResult(json.loads(out))

    return run


@pytest.fixture(scope="module")
def server():
    """One emulator on loopback for a test module."""
    with XrayEmulator() as emulator:
        yield emulator


@pytest.fixture
def xray(server):
    """The emulator, emptied for each test."""
    server.reset()
    return server
