# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the end-to-end tests and the benchmark (not part of the collection).

- the Xray emulator and the forward proxy (tests/emulator), loaded by path, run in-process;
- a collections directory in which ``frogops.xray`` is found (ANSIBLE_COLLECTIONS_PATH when it already
  holds the collection, else a temporary directory with a symlink to the repository root);
- ``run_playbook``: ansible-playbook (next to sys.executable) with a clean environment and a callback
  that records every task result as JSON;
- ``run_module``: a module's main() in-process, its printed JSON parsed;
- small readers of the emulator's request log.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import atexit
import contextlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import unquote

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR_DIR = os.path.join(REPO_ROOT, "tests", "emulator")
CALLBACK_DIR = os.path.join(HERE, "callback_plugins")

ADMIN_TOKEN = "emulator-admin-token"
READER_TOKEN = "emulator-reader-token"
API_INTEGRATIONS = "/xray/api/v1/ticketing/jira-integrations"
WRITE_METHODS = ("POST", "PUT", "DELETE")
# Upper bound for any one ansible-playbook run of the suite.
PLAYBOOK_TIMEOUT = 300


# The emulator's modules, without a package: imported from their folder (the same module objects
# as tests/emulator/test_emulator.py's when both run in one session).
sys.path.insert(0, EMULATOR_DIR)
import xray_emulator  # noqa: E402  pylint: disable=wrong-import-position
import forward_proxy  # noqa: E402  pylint: disable=wrong-import-position

XrayEmulator = xray_emulator.XrayEmulator
ForwardProxy = forward_proxy.ForwardProxy


# --------------------------------------------------------------------------- finding things

def _holds_collection(root):
    return os.path.isfile(os.path.join(root, "ansible_collections", "frogops", "xray", "plugins", "modules",
                                       "jira_integration.py"))


_TEMP_COLLECTIONS = []


def collections_path():
    """A directory that holds ansible_collections/frogops/xray.

    ANSIBLE_COLLECTIONS_PATH (or the older ANSIBLE_COLLECTIONS_PATHS) is used when one of its
    entries holds the collection, so the Makefile can point the tests at a staged or installed copy;
    otherwise a temporary directory with a symlink to this repository is made (once per process).
    """
    for variable in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"):
        for entry in os.environ.get(variable, "").split(os.pathsep):
            if entry and _holds_collection(entry):
                return os.path.abspath(entry)
    if not _TEMP_COLLECTIONS:
        root = tempfile.mkdtemp(prefix="frogops-xray-e2e-collections-")
        os.makedirs(os.path.join(root, "ansible_collections", "frogops"))
        os.symlink(REPO_ROOT, os.path.join(root, "ansible_collections", "frogops", "xray"))
        atexit.register(shutil.rmtree, root, True)
        _TEMP_COLLECTIONS.append(root)
    return _TEMP_COLLECTIONS[0]


def ansible_bin(name):
    """An Ansible command from the same environment as this Python (a venv's bin directory)."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    if not os.path.exists(path):
        raise RuntimeError("%s not found next to %s: install ansible-core in this environment" % (name, sys.executable))
    return path


# --------------------------------------------------------------------------- TLS material

class TlsFiles:
    """PEM files made at test time: a CA, a server certificate it signed, an unrelated CA, mTLS client files."""

    def __init__(self, directory):
        import trustme

        self.directory = directory
        self.ca = trustme.CA(organization_name="frogops e2e CA")
        self.other_ca = trustme.CA(organization_name="frogops e2e unrelated CA")
        self.client_ca = trustme.CA(organization_name="frogops e2e client CA")
        server = self.ca.issue_cert("127.0.0.1", "localhost")
        client = self.client_ca.issue_cert("xray-client@frogops.example")
        self.ca_pem = self._write("ca.pem", self.ca.cert_pem.bytes())
        self.other_ca_pem = self._write("other-ca.pem", self.other_ca.cert_pem.bytes())
        self.client_ca_pem = self._write("client-ca.pem", self.client_ca.cert_pem.bytes())
        self.server_cert = self._write("server.pem", b"".join(blob.bytes() for blob in server.cert_chain_pems))
        self.server_key = self._write("server.key", server.private_key_pem.bytes())
        self.client_cert = self._write("client.pem", b"".join(blob.bytes() for blob in client.cert_chain_pems))
        self.client_key = self._write("client.key", client.private_key_pem.bytes())
        self.client_combined = self._write("client-combined.pem", client.private_key_and_cert_chain_pem.bytes())

    def _write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, "wb") as stream:
            stream.write(data)
        return path


# --------------------------------------------------------------------------- ansible-playbook

# Variables of the calling environment that would change what the modules do.
_SCRUBBED_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
                 "JFROG_URL", "JFROG_ACCESS_TOKEN", "JFROG_USERNAME", "JFROG_PASSWORD", "ANSIBLE_CONFIG",
                 "ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_PLUGINS",
                 "ANSIBLE_CALLBACK_WHITELIST", "ANSIBLE_LOAD_CALLBACK_PLUGINS")


def ansible_env(workdir, extra=None):
    """The environment for ansible-playbook / ansible-runner: isolated, colourless, recording."""
    env = dict((key, value) for key, value in os.environ.items() if key not in _SCRUBBED_ENV)
    config = os.path.join(workdir, "ansible.cfg")
    if not os.path.exists(config):
        with open(config, "w") as stream:
            stream.write("[defaults]\n")
    home = os.path.join(workdir, "ansible-home")
    env.update({
        "ANSIBLE_CONFIG": config,
        "ANSIBLE_HOME": home,
        "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(home, "remote-tmp"),
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_DIR,
        "ANSIBLE_CALLBACKS_ENABLED": "e2e_record",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_SYSTEM_WARNINGS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
    })
    env.update(extra or {})
    return env


class PlaybookRun:
    """What one ansible-playbook run produced."""

    def __init__(self, args, rc, stdout, stderr, events, duration):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.events = events
        self.duration = duration

    @property
    def results(self):
        return [event for event in self.events if event["event"] == "result"]

    def result(self, task, host=None):
        """The one result of the task (by name) on host; fails loudly when missing or repeated."""
        found = [event for event in self.results if event["task"] == task and (host is None or event["host"] == host)]
        assert len(found) == 1, "expected one result of task %r (host %r), got %d\n%s" % (
            task, host, len(found), self.describe())
        return found[0]

    def describe(self):
        return "rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (self.rc, self.stdout[-6000:], self.stderr[-3000:])


def write_inventory(workdir, hosts=("localhost",), extra_vars=None):
    inventory = {"all": {"hosts": {}}}
    for host in hosts:
        host_vars = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        host_vars.update(extra_vars or {})
        inventory["all"]["hosts"][host] = host_vars
    path = os.path.join(workdir, "inventory.json")
    with open(path, "w") as stream:
        json.dump(inventory, stream)
    return path


def run_playbook(workdir, playbook, hosts=("localhost",), args=(), env=None, timeout=PLAYBOOK_TIMEOUT):
    """Run ansible-playbook on a playbook (YAML text, or a list of plays dumped as JSON).

    Returns a PlaybookRun; each task result recorded by the e2e_record callback is in .events.
    """
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "playbook-%d.yml" % int(time.time() * 1000000))
    with open(path, "w") as stream:
        stream.write(playbook if isinstance(playbook, str) else json.dumps(playbook, indent=1))
    record = path + ".events.jsonl"
    command = [ansible_bin("ansible-playbook"), "-i", write_inventory(workdir, hosts), path] + list(args)
    full_env = ansible_env(workdir, dict(env or {}, E2E_RECORD_FILE=record))
    started = time.monotonic()
    process = subprocess.run(command, env=full_env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    duration = time.monotonic() - started
    events = []
    if os.path.exists(record):
        with open(record) as stream:
            events = [json.loads(line) for line in stream if line.strip()]
    return PlaybookRun(command, process.returncode, process.stdout.decode("utf-8", "replace"),
                       process.stderr.decode("utf-8", "replace"), events, duration)


def connection_args(url, **extra):
    """Module options that reach the emulator as admin, with fast retries."""
    args = {"url": url, "access_token": ADMIN_TOKEN, "retry_backoff": 0.01, "timeout": 10}
    args.update(extra)
    return args


def create_args(name, **extra):
    args = {"connection_name": name, "username": "xray-bot@acme.example", "password": "jira-pw-create-0x5eed",
            "installation_type": "cloud", "jira_server_url": "https://acme.atlassian.net"}
    args.update(extra)
    return args


def seed_record(name, **extra):
    record = {"connection_name": name, "auth_type": "basic", "username": "xray-bot@acme.example",
              "password": "jira-pw-seeded-0x5eed", "installation_type": "cloud",
              "jira_server_url": "https://acme.atlassian.net", "skip_proxy": False}
    record.update(extra)
    return record


# --------------------------------------------------------------------------- the request log

def name_of(entry):
    """The connection name a logged API request was about (decoded path segment or query), else None."""
    path = entry["path"].partition("?")[0]
    if path.startswith(API_INTEGRATIONS + "/"):
        return unquote(path[len(API_INTEGRATIONS) + 1:].split("/")[0])
    if path == API_INTEGRATIONS and isinstance(entry.get("json"), dict):
        return entry["json"].get("connection_name")
    return entry.get("query", {}).get("integrationName")


def requests_for(log, name):
    return [entry for entry in log if name_of(entry) == name]


def methods(entries):
    return [entry["method"] for entry in entries]


def writes(entries):
    return [entry for entry in entries if entry["method"] in WRITE_METHODS]


def shape(entries):
    """(method, path with query, status) of each log entry."""
    return [(entry["method"], entry["path"], entry["status"]) for entry in entries]


def during(log, result, name):
    """The emulator's log entries of the requests that arrived while the task ran, in the order they arrived."""
    event = result.result(name)
    return sorted((entry for entry in log if event["start"] <= entry["time"] <= event["time"]),
                  key=lambda entry: entry["time"])


def expect(result, name, status, changed, password_sent=None):
    """The task's result, checked for ok/failed, changed, password_sent (None: not returned) and no traceback."""
    event = result.result(name)
    outcome = event["result"]
    assert (event["status"], outcome.get("changed"), outcome.get("password_sent")) == (
        status, changed, password_sent), "%s: %s" % (name, json.dumps(outcome, indent=1, default=str))
    assert_no_traceback(outcome)
    return outcome


def warnings_of(outcome):
    """The texts of a result's warnings: ansible-core 2.19+ gives {"event": {"msg": ...}}, earlier ones text."""
    texts = []
    for warning in outcome.get("warnings") or []:
        if isinstance(warning, dict):
            warning = (warning.get("event") or {}).get("msg", warning.get("msg", json.dumps(warning)))
        texts.append(warning)
    return texts


def assert_words(message, *words):
    missing = [word for word in words if word not in message]
    assert not missing, "msg lacks %r: %s" % (missing, message)


# --------------------------------------------------------------------------- modules in-process

def import_module(name):
    """frogops.xray module or module_utils by short name, imported from collections_path()."""
    root = collections_path()
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("ansible_collections.frogops.xray.plugins." + name)


@contextlib.contextmanager
def _module_args(args):
    from ansible.module_utils import basic
    try:  # ansible-core 2.19+
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core up to 2.18
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


def _clear_module_warnings():
    """Warnings are kept in module-level collections: start each in-process run with none."""
    from ansible.module_utils.common import warnings
    for attribute in ("_global_warnings", "_global_deprecations"):
        collection = getattr(warnings, attribute, None)
        if collection is not None and hasattr(collection, "clear"):
            collection.clear()


class ModuleRun(dict):
    """The JSON a module printed; .raw is the text, .exit_code the SystemExit code."""

    raw = ""
    exit_code = None

    @property
    def failed(self):
        return bool(self.get("failed"))


def _message_of(warning):
    """ansible-core 2.19+ modules send warnings as {"event": {"msg": ...}}; older ones as strings."""
    if isinstance(warning, dict):
        event = warning.get("event") or {}
        return event.get("msg", warning.get("msg", json.dumps(warning)))
    return warning


def run_module(module_name, args, check_mode=False, diff=False):
    """Run plugins/modules/<module_name>.py main() in this process; return its result as a ModuleRun.

    Raises AssertionError when the module did not print exactly one JSON document and exit, which
    is what an uncaught exception (a traceback) would look like.
    """
    module = import_module("modules." + module_name)
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    _clear_module_warnings()
    out = io.StringIO()
    exit_code = "no SystemExit"
    with _module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit as exc:
            exit_code = exc.code
    raw = out.getvalue()
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise AssertionError("module %s printed no single JSON document (exit %r):\n%s" % (
            module_name, exit_code, raw[-4000:]))
    result = ModuleRun(parsed)
    if isinstance(result.get("warnings"), list):
        result["warnings"] = [_message_of(warning) for warning in result["warnings"]]
    result.raw = raw
    result.exit_code = exit_code
    return result


# What ansible-core 2.19+ puts in a failed result that carries no traceback.
NO_TRACEBACK = "(traceback unavailable)"


def assert_no_traceback(result):
    """A module result without a Python traceback (a failure must be fail_json, not an exception)."""
    assert result.get("exception") in (None, NO_TRACEBACK), result.get("exception")
    assert "Traceback (most recent call last)" not in json.dumps(result, default=str), result


# --------------------------------------------------------------------------- the emulator as a process

class EmulatorProcess:
    """tests/emulator/xray_emulator.py in its own process (for callers that must not hold threads,
    e.g. before a fork); .requests and .integrations are read through its control API."""

    def __init__(self, *args):
        self._args = list(args)
        self._process = None
        self._directory = None
        self.url = None

    def start(self):
        self._directory = tempfile.mkdtemp(prefix="frogops-xray-emulator-")
        url_file = os.path.join(self._directory, "url")
        self._process = subprocess.Popen([sys.executable, os.path.join(EMULATOR_DIR, "xray_emulator.py"),
                                          "--host", "127.0.0.1", "--port", "0", "--url-file", url_file] + self._args,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _attempt in range(300):
            if os.path.exists(url_file):
                with open(url_file) as stream:
                    self.url = stream.read().strip()
                return self
            if self._process.poll() is not None:
                raise RuntimeError("the emulator exited: %s" % self._process.stderr.read().decode("utf-8", "replace"))
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the emulator did not start within 15 s")

    def _control(self, path):
        import requests
        response = requests.get(self.url + "/_emulator/" + path, timeout=10)
        response.raise_for_status()
        return response.json()

    @property
    def requests(self):
        return self._control("requests")["requests"]

    @property
    def integrations(self):
        return self._control("integrations")["integrations"]

    def stop(self):
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        if self._process is not None and self._process.stderr:
            self._process.stderr.close()
        self._process = None
        shutil.rmtree(self._directory or "", ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
