# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the end-to-end tests: emulators, TLS material, a work directory.

The collection is found through ANSIBLE_COLLECTIONS_PATH when it holds frogops.xray (the Makefile
can point it at a staged copy), else through a temporary symlink to this repository; Ansible's
commands are the ones next to sys.executable. See e2e_support.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import e2e_support  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def emulator():
    """An Xray emulator over plain HTTP on 127.0.0.1, fresh for each test."""
    with e2e_support.XrayEmulator(host="127.0.0.1") as server:
        yield server


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    return e2e_support.TlsFiles(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def workdir(tmp_path):
    return str(tmp_path)
