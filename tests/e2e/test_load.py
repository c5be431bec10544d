# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load: one play over 50 hosts (local connection, 10 forks), each converging its own integration
against one emulator. Every integration is created exactly once; a rerun writes nothing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import Counter

import e2e_support as e2e

HOSTS = ["xray-node-%02d" % number for number in range(50)]
FORKS = 10


def _playbook(url):
    return [{"name": "converge one integration per host", "hosts": "all", "gather_facts": False,
             "tasks": [{"name": "converge", "frogops.xray.jira_integration": {
                 "url": url, "access_token": e2e.ADMIN_TOKEN, "retry_backoff": 0.01,
                 "connection_name": "load-{{ inventory_hostname }}", "username": "bot-{{ inventory_hostname }}",
                 "password": "jira-load-pw", "installation_type": "server",
                 "jira_server_url": "https://jira.acme.example/{{ inventory_hostname }}"}}]}]


def test_fifty_hosts_converge_once(emulator, workdir):
    first = e2e.run_playbook(workdir, _playbook(emulator.url), hosts=HOSTS, args=["--forks", str(FORKS)])
    assert first.rc == 0, first.describe()
    log = emulator.requests
    store = emulator.integrations

    results = first.results
    assert sorted(event["host"] for event in results) == HOSTS
    assert all(event["status"] == "ok" and event["result"]["changed"] is True for event in results)
    assert sorted(store) == sorted("load-" + host for host in HOSTS)
    assert all(store["load-" + host]["username"] == "bot-" + host for host in HOSTS)
    # Exactly one POST per integration, and one GET before it; nothing else, nothing failed.
    posts = Counter(e2e.name_of(entry) for entry in log if entry["method"] == "POST")
    assert len(posts) == len(HOSTS) and set(posts.values()) == {1}
    assert Counter(entry["method"] for entry in log) == {"GET": len(HOSTS), "POST": len(HOSTS)}
    assert {entry["status"] for entry in log} == {200, 404}
    # One connection per task: each host's GET and POST share it, no two hosts share one.
    peers = dict((host, {tuple(e["client"]) for e in e2e.requests_for(log, "load-" + host)}) for host in HOSTS)
    assert all(len(peer) == 1 for peer in peers.values()), peers
    assert len(set.union(*peers.values())) == len(HOSTS)
    # The forks ran side by side (10 at a time), not one after the other.
    starts = dict((event["host"], event["time"]) for event in first.events if event["event"] == "runner_start")
    ends = dict((event["host"], event["time"]) for event in results)
    assert sorted(starts) == HOSTS
    overlap = max(sum(1 for other in HOSTS if starts[other] <= starts[host] < ends[other]) for host in HOSTS)
    assert overlap >= 2, overlap  # (callback times are approximate: no upper bound is checked)
    assert "[WARNING]" not in first.stdout + first.stderr

    emulator.clear_requests()
    second = e2e.run_playbook(workdir, _playbook(emulator.url), hosts=HOSTS, args=["--forks", str(FORKS)])
    assert second.rc == 0, second.describe()
    log = emulator.requests
    assert all(event["status"] == "ok" and event["result"]["changed"] is False for event in second.results)
    assert len(second.results) == len(HOSTS)
    assert e2e.writes(log) == []
    assert Counter(entry["method"] for entry in log) == {"GET": len(HOSTS)}
    assert emulator.integrations == store
