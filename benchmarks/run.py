# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of frogops.xray's modules against the Xray emulator (tests/emulator).

    python benchmarks/run.py [--n 30] [--scheme https|http] [--json] [--profile]

Measures, with ansible-playbook from the environment of this Python (the collection is found as the
end-to-end tests find it: ANSIBLE_COLLECTIONS_PATH, else a temporary symlink to this repository):

1. requests per task, from the emulator's request log: unchanged 1, changed 2, check mode 1 (goals);
   create and delete are shown too; and per update_password mode: on_unhealthy on a healthy
   integration 2 (details, health), on a faulty one 4 (details, health, PUT with the password,
   health), in check mode on a faulty one 2; always 2 (GET + PUT) whether or not something differs;
   and the tasks that need the health after their write, each of which first proves that Xray has the
   status API: a create with on_unhealthy or verify_health 4 (details, status, POST, status), an update
   with verify_health 4 (details, status, PUT, status), check mode of those 2 (details, status), with
   nothing to change 1, and on an Xray without the status API (3.130) 3 (details, status, version) with
   no write and a failure, in check mode too;
   each with whether the task reports changed and password_sent (goals too);
   and for watch_jira_ticketing and policy_jira_ticketing: nothing to change 1 (GET), a change 3 (GET,
   PUT of the whole object, GET that proves it), check mode 1 (GET), with whether the task reports changed;
2. TCP/TLS connections per task over HTTPS: distinct client peers (address, port) in the log per
   task (goal 1: one connection, reused by the task's requests);
3. wall time of N unchanged jira_integration tasks versus N ansible.builtin.uri tasks that do one GET
   of the same details, versus N ansible.builtin.ping tasks, interleaved in one playbook run on one
   host (local connection), timed per task by a recording callback; goals module/uri <= 1.0 and
   module/ping <= 1.2;
4. with --profile (and always when a timing goal is missed): where the module's start-up time goes,
   from `python -X importtime` of the module and of the two reference modules.

Not a timed test: the numbers depend on the machine. tests/e2e/test_benchmark_smoke.py runs it with a
tiny N and checks only the request and connection floors.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "e2e"))

import e2e_support as e2e  # noqa: E402  pylint: disable=wrong-import-position

FLOOR_CASES = [
    # name, seeded record changes (None: absent), task options, task keywords, goal (requests, connections)
    ("unchanged", {}, {}, {}, (1, 1)),
    ("changed", {"username": "old-bot@acme.example"}, {}, {}, (2, 1)),
    ("check mode", {"username": "old-bot@acme.example"}, {}, {"check_mode": True}, (1, 1)),
    ("create", None, {}, {}, (2, 1)),
    ("delete", {}, {"state": "absent"}, {}, (2, 1)),
]
# The same with update_password: each integration has a Jira of its own in the emulator (tests/emulator/README.md,
# "Jira's side") that accepts the task's password; "faulty" integrations store another one, so Xray's health check
# reports FAULTY_CONFIGURATION until the task sends it. Goal: (requests, connections).
SEEDED_PASSWORD = e2e.seed_record("x")["password"]
TASK_PASSWORD = e2e.create_args("x")["password"]
PASSWORD_CASES = [
    # name, stored password, task options, task keywords, goal
    ("on_unhealthy healthy", TASK_PASSWORD, {"update_password": "on_unhealthy"}, {}, (2, 1)),
    ("on_unhealthy faulty", SEEDED_PASSWORD, {"update_password": "on_unhealthy"}, {}, (4, 1)),
    ("on_unhealthy check mode", SEEDED_PASSWORD, {"update_password": "on_unhealthy"}, {"check_mode": True}, (2, 1)),
    ("always unchanged", TASK_PASSWORD, {"update_password": "always"}, {}, (2, 1)),
    ("always changed", TASK_PASSWORD, {"update_password": "always", "skip_proxy": True}, {}, (2, 1)),
]
# Whether each task reports changed (every other case of both tables does), and password_sent (no other case).
UNCHANGED_CASES = ("unchanged", "on_unhealthy healthy")
PASSWORD_SENT_CASES = ("create", "on_unhealthy faulty", "on_unhealthy check mode", "always unchanged", "always changed")
# Tasks that read the health after their write, so first prove with one GET of the status check that Xray has its
# status API (3.136+): on an older Xray they fail there, before any write. The "old xray" case runs against a second
# emulator that reports Xray 3.130.0.
OLD_XRAY_VERSION = "3.130.0"
HEALTH_CASES = [
    # name, seeded record changes (None: absent), task options, task keywords, on the old Xray,
    # goal (requests, connections, changed, password_sent, failed, writes)
    ("create on_unhealthy", None, {"update_password": "on_unhealthy"}, {}, False, (4, 1, True, True, False, 1)),
    ("create verify_health", None, {"verify_health": True}, {}, False, (4, 1, True, True, False, 1)),
    ("update verify_health", {}, {"verify_health": True, "skip_proxy": True}, {}, False, (4, 1, True, False, False, 1)),
    ("create on_unhealthy check mode", None, {"update_password": "on_unhealthy"}, {"check_mode": True}, False,
     (2, 1, True, True, False, 0)),
    ("create verify_health check mode", None, {"verify_health": True}, {"check_mode": True}, False,
     (2, 1, True, True, False, 0)),
    ("update verify_health check mode", {}, {"verify_health": True, "skip_proxy": True}, {"check_mode": True}, False,
     (2, 1, True, False, False, 0)),
    ("verify_health unchanged", {}, {"verify_health": True}, {}, False, (1, 1, False, False, False, 0)),
    ("old xray create verify_health", None, {"verify_health": True}, {}, True, (3, 1, False, False, True, 0)),
    ("old xray create on_unhealthy", None, {"update_password": "on_unhealthy"}, {}, True,
     (3, 1, False, False, True, 0)),
    ("old xray update verify_health", {}, {"verify_health": True, "skip_proxy": True}, {}, True,
     (3, 1, False, False, True, 0)),
    ("old xray check mode", None, {"verify_health": True}, {"check_mode": True}, True, (3, 1, False, False, True, 0)),
]
# The ticketing modules (issue 17) on watches and policies seeded in the emulator: the seeded object is as the
# UI left it, the task's options are the same for the three cases of a module. Goal: (requests, connections,
# changed, password_sent (None: the modules return none), failed, writes).
BENCH_PROFILE = "bench-team-a"
TICKETING_WATCH_TASK = {"enabled": True, "profile": BENCH_PROFILE, "duplicate_tickets_by_version": {"package": True}}
TICKETING_WATCH_DONE = {"create_ticket_enabled": True, "ticket_profile": BENCH_PROFILE,
                        "ticket_generation": {"create_duplicate_tickets": {"by_version": {"package": True}}}}
TICKETING_CASES = [
    # name, module, seeded ticketing done already, task keywords, goal
    ("watch_jira_ticketing unchanged", "watch_jira_ticketing", True, {}, (1, 1, False, None, False, 0)),
    ("watch_jira_ticketing changed", "watch_jira_ticketing", False, {}, (3, 1, True, None, False, 1)),
    ("watch_jira_ticketing check mode", "watch_jira_ticketing", False, {"check_mode": True},
     (1, 1, True, None, False, 0)),
    ("policy_jira_ticketing unchanged", "policy_jira_ticketing", True, {}, (1, 1, False, None, False, 0)),
    ("policy_jira_ticketing changed", "policy_jira_ticketing", False, {}, (3, 1, True, None, False, 1)),
    ("policy_jira_ticketing check mode", "policy_jira_ticketing", False, {"check_mode": True},
     (1, 1, True, None, False, 0)),
]
GOALS = {"module/uri": 1.0, "module/ping": 1.2}


def _bench_name(case):
    return "bench-" + case.replace(" ", "-")


def _jira_url(case):
    return "https://%s.atlassian.net" % _bench_name(case)


def _tasks(server, old_server):
    """The floors play's tasks, one per case of the tables, with the emulators seeded for them."""
    tasks = []
    for case, seed, options, keywords, _goal in FLOOR_CASES:
        name = _bench_name(case)
        if seed is not None:
            server.seed(e2e.seed_record(name, **seed))
        if options.get("state") == "absent":
            args = dict(options, connection_name=name)
        else:
            args = e2e.create_args(name, **options)
        tasks.append(dict(keywords, name=case, **{"frogops.xray.jira_integration": args}))
    for case, stored, options, keywords, _goal in PASSWORD_CASES:
        name = _bench_name(case)
        server.seed(e2e.seed_record(name, password=stored, jira_server_url=_jira_url(case)))
        server.set_jira_password(_jira_url(case), TASK_PASSWORD)
        args = e2e.create_args(name, jira_server_url=_jira_url(case), **options)
        tasks.append(dict(keywords, name=case, **{"frogops.xray.jira_integration": args}))
    for case, seed, options, keywords, old_xray, _goal in HEALTH_CASES:
        name = _bench_name(case)
        target = old_server if old_xray else server
        if seed is not None:
            target.seed(e2e.seed_record(name, **seed))
        args = e2e.create_args(name, **options)
        if old_xray:
            args["url"] = old_server.url
        # The old-Xray case fails by design: the play goes on, and its row checks that it failed.
        tasks.append(dict(keywords, name=case, ignore_errors=old_xray, **{"frogops.xray.jira_integration": args}))
    return tasks + _ticketing_tasks(server)


def _ticketing_tasks(server):
    """One task per ticketing case, its watch or policy seeded (a watch and a policy of their own per case)."""
    server.set_jira_profiles([BENCH_PROFILE])
    tasks = []
    for case, module, done, keywords, _goal in TICKETING_CASES:
        name = _bench_name(case.replace("_", "-"))
        if module == "watch_jira_ticketing":
            watch = {"general_data": {"name": name, "description": "benchmark"}, "watch_recipients": ["x@example.com"],
                     "project_resources": {"resources": [{"type": "repository", "name": "libs-release-local"}]}}
            server.seed_watch(dict(watch, **TICKETING_WATCH_DONE) if done else watch)
            args = dict(TICKETING_WATCH_TASK, watch=name)
        else:
            actions = {"fail_build": True, "create_ticket_enabled": done}
            server.seed_policy({"name": name, "rules": [{"name": "block", "priority": 1, "actions": actions},
                                                        {"name": "warn", "priority": 2, "actions": {}}]})
            args = {"policy": name, "rules": ["block"], "enabled": True}
        tasks.append(dict(keywords, name=case, **{"frogops.xray." + module: args}))
    return tasks


def _task_entries(log, run, case):
    """The log entries of the requests that arrived while the task ran (the version read names no integration)."""
    event = run.result(case)
    return sorted((entry for entry in log if event["start"] <= entry["time"] <= event["time"]),
                  key=lambda entry: entry["time"])


def _floor_row(case, scheme, goal, run, log, by_time=False):
    """goal: (requests, connections), changed and password_sent then come from the case lists above; or
    (requests, connections, changed, password_sent, failed, writes)."""
    entries = _task_entries(log, run, case) if by_time else e2e.requests_for(log, _bench_name(case))
    event = run.result(case)
    result = event["result"]
    if len(goal) == 2:
        goal = tuple(goal) + (case not in UNCHANGED_CASES, case in PASSWORD_SENT_CASES, False, None)
    return {"task": case, "scheme": scheme, "changed": result.get("changed"),
            "requests": len(entries), "methods": e2e.methods(entries),
            "connections": len({tuple(entry["client"]) for entry in entries}),
            "password_sent": result.get("password_sent"), "failed": event["status"] == "failed",
            "writes": len(e2e.writes(entries)),
            "goal_requests": goal[0], "goal_connections": goal[1], "goal_changed": goal[2],
            "goal_password_sent": goal[3], "goal_failed": goal[4], "goal_writes": goal[5]}


def floor_met(row):
    """Requests, connections, changed, password_sent and failed as the goal says; writes too where it names them."""
    return (row["requests"], row["connections"], row["changed"], row["password_sent"], row["failed"]) == (
        row["goal_requests"], row["goal_connections"], row["goal_changed"], row["goal_password_sent"],
        row["goal_failed"]) and row["goal_writes"] in (None, row["writes"])


def measure_floors(workdir, tls, scheme):
    """Requests and distinct client connections per task, for each kind of task:
    (floors, update_password rows, health rows, ticketing rows)."""
    tls_options = dict(certfile=tls.server_cert if scheme == "https" else None,
                       keyfile=tls.server_key if scheme == "https" else None)
    server = e2e.XrayEmulator(host="127.0.0.1", **tls_options)
    old_server = e2e.XrayEmulator(host="127.0.0.1", xray_version=OLD_XRAY_VERSION, **tls_options)
    with server, old_server:
        tasks = _tasks(server, old_server)
        play = {"name": "floors", "hosts": "localhost", "gather_facts": False, "tasks": tasks,
                "module_defaults": {"group/frogops.xray.all": {
                    "url": server.url, "access_token": e2e.ADMIN_TOKEN, "ca_path": tls.ca_pem}}}
        run = e2e.run_playbook(os.path.join(workdir, "floors-" + scheme), [play])
        log = server.requests
        old_log = old_server.requests
    if run.rc != 0:
        raise RuntimeError("the floors playbook failed:\n" + run.describe())
    floors = [_floor_row(case[0], scheme, case[-1], run, log) for case in FLOOR_CASES]
    password_rows = [_floor_row(case[0], scheme, case[-1], run, log) for case in PASSWORD_CASES]
    # The old Xray's requests are the task's by time: the version read names no integration.
    health_rows = [_floor_row(case[0], scheme, case[-1], run, old_log if case[4] else log, by_time=case[4])
                   for case in HEALTH_CASES]
    # Watches and policies are not integrations: their requests are the task's by time.
    ticketing_rows = [_floor_row(case[0], scheme, case[-1], run, log, by_time=True) for case in TICKETING_CASES]
    return floors, password_rows, health_rows, ticketing_rows


def measure_timing(workdir, tls, scheme, n):
    """Per-task wall time of N unchanged module tasks, N uri GETs and N pings, interleaved."""
    server = e2e.XrayEmulator(host="127.0.0.1", certfile=tls.server_cert if scheme == "https" else None,
                              keyfile=tls.server_key if scheme == "https" else None)
    with server:
        name = "bench-timing"
        server.seed(e2e.seed_record(name))
        details = "%s/xray/api/v1/ticketing/jira-integrations/%s/details" % (server.url, name)
        module_args = dict(e2e.create_args(name), url=server.url, access_token=e2e.ADMIN_TOKEN, ca_path=tls.ca_pem)
        uri_args = {"url": details, "headers": {"Authorization": "Bearer " + e2e.ADMIN_TOKEN},
                    "ca_path": tls.ca_pem, "status_code": 200}
        tasks = []
        for number in range(n):
            tasks.append({"name": "module %d" % number, "frogops.xray.jira_integration": module_args})
            tasks.append({"name": "uri %d" % number, "ansible.builtin.uri": uri_args})
            tasks.append({"name": "ping %d" % number, "ansible.builtin.ping": {}})
        play = {"name": "timing", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
        run = e2e.run_playbook(os.path.join(workdir, "timing-" + scheme), [play])
        log = server.requests
    if run.rc != 0:
        raise RuntimeError("the timing playbook failed:\n" + run.describe())
    durations = {"module": [], "uri": [], "ping": []}
    for event in run.results:
        kind = event["task"].split()[0]
        if event["result"].get("changed"):
            raise RuntimeError("task %s changed something: not the unchanged case" % event["task"])
        durations[kind].append(event["time"] - event["start"])
    module_requests = [entry for entry in log if entry["headers"].get("User-Agent", "").startswith("frogops.xray")]
    summary = {"scheme": scheme, "n": n, "playbook_seconds": round(run.duration, 3),
               "module_requests_per_task": len(module_requests) / float(n)}
    for kind, values in durations.items():
        summary[kind] = {"total": round(sum(values), 3), "mean": round(statistics.mean(values), 4),
                         "median": round(statistics.median(values), 4), "min": round(min(values), 4)}
    summary["ratios"] = {
        "module/uri": round(summary["module"]["total"] / summary["uri"]["total"], 3),
        "module/ping": round(summary["module"]["total"] / summary["ping"]["total"], 3),
    }
    summary["goals_met"] = dict((key, summary["ratios"][key] <= goal) for key, goal in GOALS.items())
    return summary


def _importtime(statement, env):
    """Cumulative import times (ms) of the top-level imports of statement, heaviest first."""
    process = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, cwd=tempfile.gettempdir(),
                             check=False)
    if process.returncode != 0:
        raise RuntimeError(process.stderr.decode("utf-8", "replace")[-2000:])
    rows = []
    for line in process.stderr.decode("utf-8", "replace").splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((name.strip(), int(self_us), int(cumulative_us), depth))
    total = sum(cumulative for _name, _self, cumulative, depth in rows if depth == 0)
    top = sorted(((name, cumulative) for name, _self, cumulative, depth in rows if depth <= 1),
                 key=lambda item: -item[1])[:8]
    return {"total_ms": round(total / 1000.0, 1), "top": [(name, round(us / 1000.0, 1)) for name, us in top]}


def profile_imports():
    """Where a module run's start-up goes: imports of the module and of the reference modules."""
    env = dict(os.environ, PYTHONPATH=e2e.collections_path() + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONDONTWRITEBYTECODE="1")
    statements = {
        "frogops.xray.jira_integration": "import ansible_collections.frogops.xray.plugins.modules.jira_integration",
        "ansible.builtin.uri": "import ansible.modules.uri",
        "ansible.builtin.ping": "import ansible.modules.ping",
        "basic (every module)": "import ansible.module_utils.basic",
        "basic + requests (this module)": "import ansible.module_utils.basic, requests",
        "basic + module_utils.urls (uri)": "import ansible.module_utils.basic, ansible.module_utils.urls",
        "requests alone": "import requests",
    }
    profile = {}
    for label, statement in statements.items():
        best = None
        for _attempt in range(5):  # the least disturbed of five runs
            measured = _importtime(statement, env)
            if best is None or measured["total_ms"] < best["total_ms"]:
                best = measured
        profile[label] = best
    return profile


def print_report(floors, timing, profile):
    print("Requests and connections per task (from the emulator's request log)")
    print("  goal: requests/connections, changed, password_sent; a row that misses it is marked")
    print("  (a failed task says so, with its writes: the old-Xray row must fail, with none)")
    header = ("task", "scheme", "changed", "pw sent", "requests", "connections", "goal", "methods")
    print("  %-33s %-6s %-8s %-9s %-9s %-12s %-17s %s" % header)
    for row in floors:
        goal = "%d/%d %s %s" % (row["goal_requests"], row["goal_connections"], row["goal_changed"],
                                row["goal_password_sent"])
        flag = "" if floor_met(row) else "   <-- goal missed"
        if row["failed"]:
            flag = "   (failed, %d writes)%s" % (row["writes"], flag)
        values = (row["task"], row["scheme"], row["changed"], row["password_sent"], row["requests"],
                  row["connections"], goal, " ".join(row["methods"]), flag)
        print("  %-33s %-6s %-8s %-9s %-9d %-12d %-17s %s%s" % values)
    if timing:
        print()
        print("Wall time of %d unchanged tasks each, interleaved, one run over %s (seconds per task)"
              % (timing["n"], timing["scheme"].upper()))
        print("  %-34s %8s %8s %8s %8s" % ("task", "total", "mean", "median", "min"))
        labels = {"module": "frogops.xray.jira_integration", "uri": "ansible.builtin.uri (one GET)",
                  "ping": "ansible.builtin.ping"}
        for kind in ("module", "uri", "ping"):
            values = timing[kind]
            print("  %-34s %8.3f %8.4f %8.4f %8.4f" % (labels[kind], values["total"], values["mean"],
                                                       values["median"], values["min"]))
        for key, goal in GOALS.items():
            verdict = "met" if timing["goals_met"][key] else "MISSED"
            print("  %-34s %8.3f   goal <= %.1f  %s" % (key, timing["ratios"][key], goal, verdict))
        print("  module requests per task: %.2f; playbook run: %.1f s" % (
            timing["module_requests_per_task"], timing["playbook_seconds"]))
        print("  (per task: from the task's start to its result in the controller, as a user waits for it)")
    if profile:
        print()
        print("Import time of a module run's Python side (python -X importtime, best of 5, ms)")
        for label, data in profile.items():
            heaviest = ", ".join("%s %.0f" % item for item in data["top"][:4])
            print("  %-32s %7.1f   %s" % (label, data["total_ms"], heaviest))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", type=int, default=30, help="tasks of each kind in the timing run (default 30)")
    parser.add_argument("--scheme", choices=("https", "http"), default="https",
                        help="emulator protocol for the timing run (default https); floors are measured on both")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--profile", action="store_true", help="always profile the module's import time")
    parser.add_argument("--no-profile", action="store_true", help="never profile, even when a timing goal is missed")
    parser.add_argument("--no-timing", action="store_true", help="measure the request/connection floors only")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be 1 or more")

    workdir = tempfile.mkdtemp(prefix="frogops-xray-bench-")
    tls = e2e.TlsFiles(workdir)
    started = time.monotonic()
    floors, password_rows, health_rows, ticketing_rows = [], [], [], []
    for scheme in ("http", "https"):
        scheme_floors, scheme_password_rows, scheme_health_rows, scheme_ticketing_rows = measure_floors(
            workdir, tls, scheme)
        floors += scheme_floors
        password_rows += scheme_password_rows
        health_rows += scheme_health_rows
        ticketing_rows += scheme_ticketing_rows
    timing = None if args.no_timing else measure_timing(workdir, tls, args.scheme, args.n)
    missed = bool(timing) and not all(timing["goals_met"].values())
    profile = profile_imports() if (args.profile or missed) and not args.no_profile else None
    # "floors" keeps the update_password=on_create table that tests/e2e/test_benchmark_smoke.py lists;
    # floors_met covers the four tables.
    rows = floors + password_rows + health_rows + ticketing_rows
    report = {"floors": floors, "update_password_floors": password_rows, "health_floors": health_rows,
              "ticketing_floors": ticketing_rows, "timing": timing, "profile": profile,
              "floors_met": all(floor_met(row) for row in rows),
              "seconds": round(time.monotonic() - started, 1),
              "python": sys.version.split()[0], "collections_path": e2e.collections_path()}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(rows, timing, profile)
        print("\n(%.1f s; results are this machine's; run with --json for the raw figures)" % report["seconds"])
    return 0 if report["floors_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
