# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/run.py still runs, and the request and connection floors hold (timings are not checked), the
status check before a verified write and the older Xray's failure before any write included, and the ticketing
modules' 1 / 3 / 1."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import e2e_support as e2e

FLOORS = {"unchanged": (1, 1), "changed": (2, 1), "check mode": (1, 1), "create": (2, 1), "delete": (2, 1)}
# Tasks that need the health after their write: one GET of the status check before it (an older Xray fails there,
# with no write). task -> (methods, changed, password_sent, failed, writes)
HEALTH_FLOORS = {
    "create on_unhealthy": (["GET", "GET", "POST", "GET"], True, True, False, 1),
    "create verify_health": (["GET", "GET", "POST", "GET"], True, True, False, 1),
    "update verify_health": (["GET", "GET", "PUT", "GET"], True, False, False, 1),
    "create on_unhealthy check mode": (["GET", "GET"], True, True, False, 0),
    "create verify_health check mode": (["GET", "GET"], True, True, False, 0),
    "update verify_health check mode": (["GET", "GET"], True, False, False, 0),
    "verify_health unchanged": (["GET"], False, False, False, 0),
    "old xray create verify_health": (["GET", "GET", "GET"], False, False, True, 0),
    "old xray create on_unhealthy": (["GET", "GET", "GET"], False, False, True, 0),
    "old xray update verify_health": (["GET", "GET", "GET"], False, False, True, 0),
    "old xray check mode": (["GET", "GET", "GET"], False, False, True, 0),
}

# watch_jira_ticketing and policy_jira_ticketing: task -> (methods, changed, writes)
TICKETING_FLOORS = {}
for _module in ("watch_jira_ticketing", "policy_jira_ticketing"):
    TICKETING_FLOORS.update({_module + " unchanged": (["GET"], False, 0),
                             _module + " changed": (["GET", "PUT", "GET"], True, 1),
                             _module + " check mode": (["GET"], True, 0)})


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
    health = dict(((row["task"], row["scheme"]), row) for row in report["health_floors"])
    assert sorted(health) == sorted((task, scheme) for task in HEALTH_FLOORS for scheme in ("http", "https"))
    for (task, scheme), row in health.items():
        assert (row["methods"], row["changed"], row["password_sent"], row["failed"], row["writes"]) == \
            HEALTH_FLOORS[task], row
        assert row["connections"] == 1, row
    ticketing = dict(((row["task"], row["scheme"]), row) for row in report["ticketing_floors"])
    assert sorted(ticketing) == sorted((task, scheme) for task in TICKETING_FLOORS for scheme in ("http", "https"))
    for (task, scheme), row in ticketing.items():
        assert (row["methods"], row["changed"], row["writes"], row["failed"], row["connections"]) == \
            TICKETING_FLOORS[task] + (False, 1), row
    assert report["floors_met"] is True
    timing = report["timing"]
    assert timing["n"] == 1 and timing["module_requests_per_task"] == 1.0
    assert set(timing["ratios"]) == {"module/uri", "module/ping"}
