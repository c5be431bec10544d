# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/run.py still runs, and the request and connection floors hold (timings are not checked)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import e2e_support as e2e

FLOORS = {"unchanged": (1, 1), "changed": (2, 1), "check mode": (1, 1), "create": (2, 1), "delete": (2, 1)}


def test_benchmark_floors(workdir):
    env = e2e.ansible_env(workdir)
    process = subprocess.run([sys.executable, os.path.join(e2e.REPO_ROOT, "benchmarks", "run.py"), "--n", "1",
                              "--json", "--no-profile"], env=env, cwd=workdir, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=e2e.PLAYBOOK_TIMEOUT, check=False)
    assert process.returncode == 0, process.stderr.decode("utf-8", "replace")[-5000:]
    report = json.loads(process.stdout.decode("utf-8"))
    rows = dict(((row["task"], row["scheme"]), row) for row in report["floors"])
    assert sorted(rows) == sorted((task, scheme) for task in FLOORS for scheme in ("http", "https"))
    for (task, scheme), row in rows.items():
        assert (row["requests"], row["connections"]) == FLOORS[task], row
        assert row["changed"] is (task != "unchanged"), row
    assert report["floors_met"] is True
    timing = report["timing"]
    assert timing["n"] == 1 and timing["module_requests_per_task"] == 1.0
    assert set(timing["ratios"]) == {"module/uri", "module/ping"}
