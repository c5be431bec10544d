# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules' Python floor (3.9) end to end, with real interpreters as ansible_python_interpreter.

The modules run from the collection the Makefile installed from the tarball (e2e_support.collections_path),
through ansible-playbook of this environment, against the in-process emulator.

- Below the floor (2.7, 3.6, 3.7, 3.8), on each interpreter the running ansible-core still starts modules
  with (2.16: 2.7 and 3.6+; 2.17: 3.7+; 2.18 and 2.19: 3.8+; 2.20 and later: none): both modules fail
  with the one message of plugins/module_utils/_python_floor.py, naming the interpreter; no traceback,
  no "MODULE FAILURE", and no request reaches Xray. The tasks set the password, the access token and
  url_password and run with -vvv: none of them is anywhere in the output, and ``invocation`` (which the
  modules' fail_json reports, with the full argument spec) shows each masked. That also proves that
  AnsiballZ ships the module_utils the modules import in their guarded try block.
- At or above the floor (3.9 and newer, up to the newest the ansible-core supports): a create, the same
  task again (no change) and jira_integration_info succeed, and the User-Agent of every request proves
  which Python ran them. Each interpreter gets a cached virtual environment with the collection's
  requirements.txt under build/python-floor/ (pip, from PyPI, the first time).

Interpreters are looked for in pyenv's versions ($PYENV_ROOT or ~/.pyenv) and as pythonX.Y on PATH; a
missing one is skipped, saying so. With FROGOPS_XRAY_REQUIRE_PYTHON_BELOW_FLOOR=1 (the GitHub workflow,
which installs Python 3.8), an ansible-core that still starts modules below the floor must have found one
such interpreter, so that the guard cannot go untested there.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import functools
import glob
import json
import os
import shutil
import subprocess

import pytest

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION

import e2e_support as e2e

FLOOR = (3, 9)
BELOW_FLOOR = ("2.7", "3.6", "3.7", "3.8")
AT_OR_ABOVE_FLOOR = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
CORE = tuple(int(part) for part in ANSIBLE_CORE_VERSION.split(".")[:2])
VENV_ROOT = os.path.join(e2e.REPO_ROOT, "build", "python-floor")
PASSWORD = "jira-pw-floor-0x5eed"
URL_PASSWORD = "url-pw-floor-0x5eed"
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def admits(core, python):
    """Whether ansible-core `core` (major, minor) starts modules with Python `python` (major, minor):
    its documented module (target) Pythons. Later releases than 2.21 are taken to keep 2.21's floor."""
    if core < (2, 17):
        return python == (2, 7) or (3, 6) <= python <= (3, 12)
    if core < (2, 18):
        return (3, 7) <= python <= (3, 12)
    if core < (2, 20):
        return (3, 8) <= python <= (3, 13)
    return python >= (3, 9)


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


def expected_message(found, executable):
    return ("The frogops.xray modules need Python 3.9 or later on the host that runs them, but found Python %s at %s. "
            "Set ansible_python_interpreter for that host to a Python 3.9 or later interpreter." % (found, executable))


def expected_user_agent(python):
    return "frogops.xray ansible-core/%s python/%s" % (ANSIBLE_CORE_VERSION, python)


# --------------------------------------------------------------------------- interpreters

PROBE = "import sys; print(sys.executable); print('.'.join(str(part) for part in sys.version_info[:3]))"


def probe(python):
    """(sys.executable, 'X.Y.Z') of an interpreter run by that path, or None when it does not run."""
    try:
        output = subprocess.check_output([python, "-c", PROBE], stderr=subprocess.STDOUT, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = output.decode("utf-8", "replace").split()
    return (lines[0], lines[1]) if len(lines) == 2 else None


@functools.lru_cache(maxsize=None)
def find_python(version):
    """A real interpreter of major.minor `version`: pyenv's versions first, then pythonX.Y on PATH; or None."""
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = sorted(glob.glob(os.path.join(pyenv_root, "versions", version + ".*", "bin", "python")))
    on_path = shutil.which("python" + version)
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        found = probe(candidate)
        if found and found[1].startswith(version + "."):
            return candidate
    return None


def interpreter_or_skip(version):
    if not admits(CORE, version_tuple(version)):
        pytest.skip("ansible-core %s does not start modules with Python %s" % (ANSIBLE_CORE_VERSION, version))
    python = find_python(version)
    if python is None:
        pytest.skip("no Python %s on this machine (looked in pyenv's versions and for python%s on PATH)"
                    % (version, version))
    return python


def venv_with_requirements(python, version):
    """build/python-floor/<version>/bin/python: a venv of `python` with the collection's requirements.

    Made once (pip from PyPI) in a temporary directory and renamed into place when complete, so that a
    run that was cut short or a parallel run never sees half of one.
    """
    final = os.path.join(VENV_ROOT, version)
    final_python = os.path.join(final, "bin", "python")
    if os.path.exists(final_python):
        return final_python
    os.makedirs(VENV_ROOT, exist_ok=True)
    temporary = os.path.join(VENV_ROOT, ".%s.%d" % (version, os.getpid()))
    shutil.rmtree(temporary, ignore_errors=True)
    requirements = os.path.join(e2e.collections_path(), "ansible_collections", "frogops", "xray", "requirements.txt")
    for command in ([python, "-m", "venv", temporary],
                    [os.path.join(temporary, "bin", "python"), "-m", "pip", "install", "--quiet",
                     "--disable-pip-version-check", "-r", requirements]):
        process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600, check=False)
        if process.returncode != 0:
            shutil.rmtree(temporary, ignore_errors=True)
            raise AssertionError("%s failed:\n%s" % (" ".join(command), process.stdout.decode("utf-8", "replace")))
    try:
        os.rename(temporary, final)
    except OSError:  # another run was quicker
        shutil.rmtree(temporary, ignore_errors=True)
    return final_python


# --------------------------------------------------------------------------- playbooks

def play(url, tasks):
    return {"name": "python floor", "hosts": "localhost", "gather_facts": False, "tasks": tasks,
            "module_defaults": {"group/frogops.xray.all": e2e.connection_args(url, retries=1)}}


def run(workdir, url, tasks, python, args=()):
    return e2e.run_playbook(workdir, [play(url, tasks)], args=["-e", "ansible_python_interpreter=" + python] + list(args))


# --------------------------------------------------------------------------- below the floor

@pytest.mark.parametrize("version", BELOW_FLOOR)
def test_below_the_floor_one_clear_failure_and_no_request(emulator, workdir, version):
    python = interpreter_or_skip(version)
    executable, found = probe(python)
    name = "floor-%s" % version
    # Every no_log option set: the password, the token (module_defaults) and url_password.
    secrets = {"url_username": "admin", "url_password": URL_PASSWORD}
    tasks = [
        {"name": "manage", "frogops.xray.jira_integration": e2e.create_args(name, password=PASSWORD, **secrets),
         "ignore_errors": True},
        {"name": "read", "frogops.xray.jira_integration_info": dict(secrets, connection_name=name),
         "ignore_errors": True},
    ]
    result = run(workdir, emulator.url, tasks, python, args=["-vvv", "--diff"])
    output = result.stdout + result.stderr
    for text in ("Traceback", "MODULE FAILURE", "module_stderr", PASSWORD, URL_PASSWORD, e2e.ADMIN_TOKEN):
        assert text not in output, "%r in the output of Python %s\n%s" % (text, version, result.describe())

    message = expected_message(found, executable)
    for task in ("manage", "read"):
        event = result.result(task)
        assert event["status"] == "failed", result.describe()
        reported = event["result"]
        assert reported["msg"] == message, result.describe()
        assert reported.get("changed") is False
        recorded = json.dumps(reported)
        for text in ("Traceback", PASSWORD, URL_PASSWORD, e2e.ADMIN_TOKEN):
            assert text not in recorded, "%r in the result of %s on Python %s: %s" % (text, task, version, recorded)
        # The failure comes from the module's AnsibleModule: its invocation masks every no_log option.
        module_args = reported.get("invocation", {}).get("module_args", {})
        for option in ("access_token", "url_password") + (("password",) if task == "manage" else ()):
            assert module_args.get(option, NO_LOG_MASK) == NO_LOG_MASK, (task, option, reported["invocation"])
    assert result.result("manage")["result"]["invocation"]["module_args"]["password"] == NO_LOG_MASK
    assert result.result("manage")["result"]["password_sent"] is False
    assert emulator.requests == [], "a request reached Xray on Python %s: %r" % (version, emulator.requests)
    assert emulator.integrations == {}


def test_below_the_floor_is_tried_on_ansible_core_2_16():
    """The guard must not go untested because no old interpreter was found where they still run."""
    admitted = [version for version in BELOW_FLOOR if admits(CORE, version_tuple(version))]
    if not admitted:
        pytest.skip("ansible-core %s starts no module with a Python below 3.9" % ANSIBLE_CORE_VERSION)
    found = [version for version in admitted if find_python(version)]
    if found:
        return
    message = ("ansible-core %s starts modules with Python %s, but none of them is on this machine, so the Python "
               "floor guard was not tried end to end (the unit tests still try it in-process): install one (for "
               "example pyenv install 3.8)" % (ANSIBLE_CORE_VERSION, ", ".join(admitted)))
    # Where the machine is known to have one (the GitHub workflow installs 3.8), missing it is a failure.
    if os.environ.get("FROGOPS_XRAY_REQUIRE_PYTHON_BELOW_FLOOR") == "1":
        pytest.fail(message)
    pytest.skip(message)


# --------------------------------------------------------------------------- at or above the floor

@pytest.mark.parametrize("version", AT_OR_ABOVE_FLOOR)
def test_at_or_above_the_floor_the_modules_work(emulator, workdir, version):
    python = venv_with_requirements(interpreter_or_skip(version), version)
    name = "floor-%s" % version
    tasks = [
        {"name": "create", "frogops.xray.jira_integration": e2e.create_args(name), "register": "created"},
        {"name": "again", "frogops.xray.jira_integration": e2e.create_args(name)},
        {"name": "read", "frogops.xray.jira_integration_info": {"connection_name": name}},
    ]
    result = run(workdir, emulator.url, tasks, python)
    assert result.rc == 0, result.describe()
    assert "Traceback" not in result.stdout + result.stderr, result.describe()

    created = result.result("create")
    assert created["status"] == "ok" and created["result"]["changed"] is True, result.describe()
    again = result.result("again")
    assert again["status"] == "ok" and again["result"]["changed"] is False, result.describe()
    read = result.result("read")["result"]
    assert read["exists"] is True and read["changed"] is False
    assert read["integration"]["connection_name"] == name

    log = emulator.requests
    assert e2e.methods(e2e.writes(log)) == ["POST"], log
    # The modules ran on this interpreter: every request says so.
    assert set(entry["headers"].get("User-Agent") for entry in log) == {expected_user_agent(version)}, log
