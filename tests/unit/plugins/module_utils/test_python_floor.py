# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules' Python floor (plugins/module_utils/_python_floor.py) and how the modules apply it.

- unsupported_python_message(): None at or above 3.9; below, the one message naming the version and
  the interpreter's path.
- The modules: only _python_floor, _connection_options and ansible.module_utils.basic are imported
  unconditionally; everything that needs 3.9 is imported in a try block whose except lets an import
  error pass only below the floor. main() builds its AnsibleModule with the full argument spec and
  fails the task with the message first.
- In-process, with an interpreter made to look like 3.8 and the 3.9-only code made unimportable
  (ImportError, SyntaxError) or not: one failed result with the message (jira_integration also
  password_sent=false), and no_log options masked in ``invocation``. On 3.9+ the same import error
  surfaces.
- With the real old interpreters (found under pyenv or on PATH; skipped when missing): the module files,
  _python_floor.py and _connection_options.py compile; the message names that interpreter; and, with
  the module_utils of the running ansible-core when it still starts modules on that Python, each module
  fails with the message and masks the password, the token and url_password.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import glob
import importlib.abc
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import types

import pytest

from ansible.module_utils import basic
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION
from ansible.module_utils.common.parameters import PASS_VARS

from ansible_collections.frogops.xray.plugins.module_utils import _connection_options
from ansible_collections.frogops.xray.plugins.module_utils import _python_floor as floor

from ansible_collections.frogops.xray.tests.unit.plugins.module_args import module_args

MODULE_UTILS_DIR = os.path.dirname(os.path.abspath(floor.__file__))
PLUGINS_DIR = os.path.dirname(MODULE_UTILS_DIR)
MODULES_DIR = os.path.join(PLUGINS_DIR, "modules")
MODULE_FILES = sorted(glob.glob(os.path.join(MODULES_DIR, "*.py")))
MODULE_UTILS = "ansible_collections.frogops.xray.plugins.module_utils"
# What a module may import whatever the Python: these must run on 2.7 too.
OLD_PYTHON_SAFE = ("_python_floor", "_connection_options")
OLD_PYTHON_SAFE_FILES = [os.path.join(MODULE_UTILS_DIR, name + ".py") for name in OLD_PYTHON_SAFE]
# The collection's code that needs Python 3.9, which the modules import only in their guarded try block.
NEEDS_3_9 = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(MODULE_UTILS_DIR, "_*.py"))
                   if os.path.basename(path)[:-3] not in OLD_PYTHON_SAFE)
# What ansible-core 2.16 to 2.19 can still start a module with, below the floor.
OLD_PYTHONS = ("2.7", "3.6", "3.7", "3.8")
CORE = tuple(int(part) for part in ANSIBLE_CORE_VERSION.split(".")[:2])
# Whether this ansible-core adds `invocation` to a result only when the controller asks for it
# (_ansible_inject_invocation, 2.21); older ones always add it.
INVOCATION_ON_REQUEST = "inject_invocation" in PASS_VARS
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
SECRETS = dict(password="jira-pw-floor-0x5eed", access_token="token-floor-0x5eed", url_password="url-pw-floor-0x5eed")


def expected_message(found, executable):
    """The message, spelled out here so that a change of its words is a deliberate one."""
    return ("The frogops.xray modules need Python 3.9 or later on the host that runs them, but found Python %s at %s. "
            "Set ansible_python_interpreter for that host to a Python 3.9 or later interpreter." % (found, executable))


# The options that name the object of each module, with the others it requires.
NAMED_BY = dict(
    jira_integration=dict(connection_name="jira-floor"),
    jira_integration_info=dict(connection_name="jira-floor"),
    watch_jira_ticketing=dict(watch="watch-floor"),
    policy_jira_ticketing=dict(policy="policy-floor", enabled=True),
)


def task_args(module_name):
    """Module options with every no_log option of the module set."""
    args = dict(url="http://127.0.0.1:9", access_token=SECRETS["access_token"], url_username="admin",
                url_password=SECRETS["url_password"])
    args.update(NAMED_BY[module_name])
    if module_name == "jira_integration":
        # jira_server_url: checking it needs the 3.9 code, which is not there when main() must fail first.
        args.update(password=SECRETS["password"], username="bot@acme.example", jira_server_url="https://acme.example")
    if INVOCATION_ON_REQUEST:  # ansible-core 2.21+ reports invocation only when asked (-vvv): ask, as -vvv does
        args["_ansible_inject_invocation"] = True
    return args


def assert_floor_failure(module_name, result, raw, message):
    """One failed result with the message, no change, and nothing of a no_log option."""
    expected = {"failed": True, "changed": False, "msg": message}
    if module_name == "jira_integration":
        expected["password_sent"] = False
    assert dict((key, result.get(key)) for key in expected) == expected, result
    assert set(result) - set(expected) <= {"invocation", "warnings", "deprecations"}, result
    for option, secret in SECRETS.items():
        assert secret not in raw, "%s leaked: %s" % (option, raw)
        if "invocation" in result and option in task_args(module_name):
            assert result["invocation"]["module_args"][option] == NO_LOG_MASK, result["invocation"]


# --------------------------------------------------------------------------- the message

def test_the_floor_is_python_3_9():
    assert floor.PYTHON_FLOOR == (3, 9)


@pytest.mark.parametrize("version", [(3, 9, 0), (3, 9, 18, "final", 0), (3, 13, 0), (4, 0, 0), tuple(sys.version_info)])
def test_at_or_above_the_floor_no_message(version):
    assert floor.unsupported_python_message(version_info=version, executable="/usr/bin/python3") is None


def test_this_interpreter_passes(capsys):
    # The unit tests run on 3.9+ only (tests/config.yml), so the defaults (sys.*) pass.
    assert floor.unsupported_python_message() is None
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("version,found", [
    ((2, 7, 18, "final", 0), "2.7.18"),
    ((3, 6, 15, "final", 0), "3.6.15"),
    ((3, 7, 16), "3.7.16"),
    ((3, 8, 18, "final", 0), "3.8.18"),
    ((3, 8), "3.8"),
])
def test_below_the_floor_the_message(capsys, version, found):
    assert floor.unsupported_python_message(version_info=version, executable="/opt/old/bin/python") == \
        expected_message(found, "/opt/old/bin/python")
    assert capsys.readouterr() == ("", ""), "the message is returned, never printed"


def test_the_defaults_are_this_interpreters(monkeypatch):
    monkeypatch.setattr(floor, "sys", types.SimpleNamespace(version_info=(3, 8, 18, "final", 0),
                                                            executable="/usr/bin/python3.8"))
    assert floor.unsupported_python_message() == expected_message("3.8.18", "/usr/bin/python3.8")


def test_an_unknown_executable_is_said_so():
    # sys.executable is empty when Python cannot tell.
    assert floor.unsupported_python_message(version_info=(3, 6, 8), executable="") == \
        expected_message("3.6.8", "an unknown path")


def test_the_no_log_connection_options():
    spec = _connection_options.module_kwargs({})["argument_spec"]
    assert sorted(option for option, settings in spec.items() if settings.get("no_log")) == \
        ["access_token", "url_password"]


# --------------------------------------------------------------------------- how the modules apply it

def _parse(path):
    with open(path) as stream:
        return ast.parse(stream.read(), path)


def _collection_module(node):
    """The module_utils name (_connection, ...) a collection import names, or None."""
    if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(MODULE_UTILS):
        return None
    if node.module == MODULE_UTILS:
        return ",".join(alias.name for alias in node.names)
    return node.module[len(MODULE_UTILS) + 1:]


def _is_marker_test(node, operator):
    """`UNSUPPORTED_PYTHON is None` (ast.Is) or `... is not None` (ast.IsNot)."""
    return (isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "UNSUPPORTED_PYTHON"
            and len(node.ops) == 1 and isinstance(node.ops[0], operator)
            and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None)


@pytest.mark.parametrize("path", OLD_PYTHON_SAFE_FILES, ids=os.path.basename)
def test_the_old_python_safe_files_import_only_what_python_2_7_has(path):
    allowed = {"__future__", "sys", "ansible.module_utils.basic"}
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            assert set(alias.name for alias in node.names) <= allowed, ast.dump(node)
        elif isinstance(node, ast.ImportFrom):
            assert node.module in allowed, "%s imports %s" % (path, node.module)


@pytest.mark.parametrize("path", MODULE_FILES, ids=os.path.basename)
def test_each_module_imports_the_3_9_code_only_in_the_guarded_try(path):
    tree = _parse(path)
    unguarded = []
    guarded = []
    seen = []
    marker = None
    for index, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            unguarded.append(_collection_module(node) or getattr(node, "module", None) or node.names[0].name)
            seen.append(node)
        elif (isinstance(node, ast.Assign) and [getattr(target, "id", None) for target in node.targets]
              == ["UNSUPPORTED_PYTHON"]):
            assert ast.dump(node.value) == ast.dump(ast.parse("unsupported_python_message()", mode="eval").body)
            marker = index
        elif isinstance(node, ast.Try):
            imports = [_collection_module(statement) for statement in node.body]
            assert imports and all(imports), "%s: a try block at line %d not only of collection imports" % (
                path, node.lineno)
            assert marker is not None and marker < index, "%s: UNSUPPORTED_PYTHON is set after its try" % path
            assert len(node.handlers) == 1 and not node.orelse and not node.finalbody
            handler = node.handlers[0]
            caught = sorted(getattr(name, "id", None) for name in getattr(handler.type, "elts", [handler.type]))
            assert caught == ["ImportError", "SyntaxError"], "%s: the try must catch ImportError, SyntaxError" % path
            # except ...: if UNSUPPORTED_PYTHON is None: raise - and nothing else.
            assert len(handler.body) == 1 and isinstance(handler.body[0], ast.If), ast.dump(handler)
            check = handler.body[0]
            assert _is_marker_test(check.test, ast.Is) and not check.orelse, ast.dump(check)
            assert len(check.body) == 1 and isinstance(check.body[0], ast.Raise) and check.body[0].exc is None
            guarded.extend(imports)
            seen.extend(node.body)
    anywhere = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [node.lineno for node in anywhere if node not in seen] == [], \
        "%s: imports in functions, classes or other blocks than the guarded try" % path
    assert sorted(unguarded) == sorted(["__future__", "ansible.module_utils.basic"] + list(OLD_PYTHON_SAFE)), unguarded
    assert guarded and set(guarded) <= set(NEEDS_3_9), guarded


@pytest.mark.parametrize("path", MODULE_FILES, ids=os.path.basename)
def test_each_main_fails_on_an_old_python_first(path):
    tree = _parse(path)
    main = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main"][0]
    build, check = main.body[0], main.body[1]
    assert ast.dump(build) == ast.dump(ast.parse("module = AnsibleModule(**module_kwargs(OPTIONS))").body[0]), \
        "main() must first build its AnsibleModule with the full argument spec"
    assert isinstance(check, ast.If) and _is_marker_test(check.test, ast.IsNot) and not check.orelse
    call = check.body[0].value
    assert len(check.body) == 1 and ast.dump(call.func) == ast.dump(ast.parse("module.fail_json", mode="eval").body)
    keywords = dict((keyword.arg, keyword.value) for keyword in call.keywords)
    assert getattr(keywords.pop("msg"), "id", None) == "UNSUPPORTED_PYTHON"
    assert keywords.pop("changed").value is False
    if os.path.basename(path) == "jira_integration.py":
        assert keywords.pop("password_sent").value is False
    assert not keywords and not call.args


# --------------------------------------------------------------------------- in-process, as if on an old Python

class _Refuse(importlib.abc.MetaPathFinder):
    """Makes the collection's 3.9-only module_utils fail to import the way they would on an old Python."""

    def __init__(self, error):
        self.error = error

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(MODULE_UTILS + ".") and fullname.rsplit(".", 1)[1] in NEEDS_3_9:
            raise self.error("%s needs Python 3.9 (simulated)" % fullname)
        return None


@pytest.fixture
def refuse_3_9_code(monkeypatch):
    """refuse_3_9_code(ImportError or SyntaxError): from then on, until the test ends, importing them fails."""

    def refuse(error):
        package = sys.modules[MODULE_UTILS]
        for name in NEEDS_3_9:
            monkeypatch.delitem(sys.modules, MODULE_UTILS + "." + name, raising=False)
            monkeypatch.delattr(package, name, raising=False)
        monkeypatch.setattr(sys, "meta_path", [_Refuse(error)] + sys.meta_path)

    return refuse


@pytest.fixture
def python_3_8(monkeypatch):
    """The floor check sees Python 3.8.18 at /opt/old/bin/python3.8."""
    monkeypatch.setattr(floor, "sys", types.SimpleNamespace(version_info=(3, 8, 18, "final", 0),
                                                            executable="/opt/old/bin/python3.8"))
    return expected_message("3.8.18", "/opt/old/bin/python3.8")


def load_fresh(path):
    """The module file executed anew (not the cached import), under a name of its own."""
    spec = importlib.util.spec_from_file_location("frogops_floor_probe_" + os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(module, args, capsys):
    """(exit code, the JSON result, the raw output) of module.main()."""
    with module_args(args):
        with pytest.raises(SystemExit) as exited:
            module.main()
    captured = capsys.readouterr()
    return exited.value.code, json.loads(captured.out), captured.out + captured.err


@pytest.mark.parametrize("error", [ImportError, SyntaxError, None], ids=["ImportError", "SyntaxError", "imports-work"])
@pytest.mark.parametrize("path", MODULE_FILES, ids=os.path.basename)
def test_below_the_floor_main_fails_with_the_message_and_masks_secrets(capsys, python_3_8, refuse_3_9_code, path, error):
    # 2.7 fails to import the 3.9 code (urllib.parse ...); 3.6 to 3.8 import it today, but are refused all the same.
    if error is not None:
        refuse_3_9_code(error)
    module = load_fresh(path)
    assert module.UNSUPPORTED_PYTHON == python_3_8
    module_name = os.path.basename(path)[:-3]
    code, result, raw = run_main(module, task_args(module_name), capsys)
    assert code == 1
    assert_floor_failure(module_name, result, raw, python_3_8)
    # The options are reported, the no_log ones masked (above), as in every other result of the module.
    for option, value in NAMED_BY[module_name].items():
        assert result["invocation"]["module_args"][option] == value


@pytest.mark.parametrize("error", [ImportError, SyntaxError])
@pytest.mark.parametrize("path", MODULE_FILES, ids=os.path.basename)
def test_at_or_above_the_floor_an_import_error_surfaces(refuse_3_9_code, path, error):
    refuse_3_9_code(error)
    with pytest.raises(error, match="needs Python 3.9"):
        load_fresh(path)


@pytest.mark.parametrize("path", MODULE_FILES, ids=os.path.basename)
def test_at_or_above_the_floor_no_failure(path):
    assert load_fresh(path).UNSUPPORTED_PYTHON is None


# --------------------------------------------------------------------------- with the real old interpreters

def _version_of(python):
    try:
        output = subprocess.check_output([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                         stderr=subprocess.STDOUT, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return output.decode("ascii", "replace").strip()


def find_python(version):
    """A real interpreter of major.minor `version` (pyenv's versions, else pythonX.Y on PATH), or None."""
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = sorted(glob.glob(os.path.join(pyenv_root, "versions", version + ".*", "bin", "python")))
    on_path = shutil.which("python" + version)
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if _version_of(candidate) == version:
            return candidate
    return None


def core_starts_modules_with(core, python):
    """Whether ansible-core `core` (major, minor) still starts modules with Python `python` (major, minor)."""
    if core < (2, 17):
        return python == (2, 7) or python >= (3, 6)
    if core < (2, 18):
        return python >= (3, 7)
    if core < (2, 20):
        return python >= (3, 8)
    return python >= (3, 9)


def _run(python, code, *args, **kwargs):
    return subprocess.run([python, "-s", "-c", code] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=120, check=False, **kwargs)


COMPILE = """
import sys
for path in sys.argv[1:]:
    with open(path, 'rb') as stream:
        compile(stream.read(), path, 'exec')
"""
# _python_floor loaded by path, alone: its message on that interpreter.
MESSAGE = """
import json, sys
if sys.version_info[0] == 2:
    import imp
    floor = imp.load_source('_python_floor', sys.argv[1])
else:
    import importlib.util
    spec = importlib.util.spec_from_file_location('_python_floor', sys.argv[1])
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
print(json.dumps(floor.unsupported_python_message()))
"""
# A module file run as the main program, with its options, as AnsiballZ would.
RUN_MODULE = """
import json, runpy, sys
from ansible.module_utils import basic
basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': json.loads(sys.argv[2])}).encode('utf-8')
if hasattr(basic, '_ANSIBLE_PROFILE'):
    basic._ANSIBLE_PROFILE = 'legacy'
runpy.run_path(sys.argv[1], run_name='__main__')
"""
PROBE = "import sys; print(sys.executable); print('.'.join(str(part) for part in sys.version_info[:3]))"


@pytest.fixture(params=OLD_PYTHONS, scope="module")
def old_python(request):
    python = find_python(request.param)
    if python is None:
        pytest.skip("no Python %s on this machine (looked in pyenv's versions and for python%s on PATH)"
                    % (request.param, request.param))
    executable, found = _run(python, PROBE).stdout.decode("utf-8").split()
    return types.SimpleNamespace(python=python, version=request.param, executable=executable, found=found)


@pytest.fixture(scope="module")
def module_tree(tmp_path_factory):
    """What AnsiballZ ships, as packages Python 2.7 can import too: the running ansible-core's module_utils
    and the collection's plugins/modules and plugins/module_utils, each directory with an __init__.py."""
    root = tmp_path_factory.mktemp("ansiballz-like")
    os.makedirs(str(root / "ansible"))
    (root / "ansible" / "__init__.py").write_text(u"")
    os.symlink(os.path.dirname(basic.__file__), str(root / "ansible" / "module_utils"))
    collection = root / "ansible_collections" / "frogops" / "xray"
    for directory in ("module_utils", "modules"):
        shutil.copytree(os.path.join(PLUGINS_DIR, directory), str(collection / "plugins" / directory),
                        ignore=shutil.ignore_patterns("__pycache__"))
    for package in (root / "ansible_collections", root / "ansible_collections" / "frogops", collection,
                    collection / "plugins", collection / "plugins" / "module_utils", collection / "plugins" / "modules"):
        (package / "__init__.py").write_text(u"")
    return root


def test_the_module_files_compile_on_old_interpreters(old_python):
    process = _run(old_python.python, COMPILE, *(OLD_PYTHON_SAFE_FILES + MODULE_FILES))
    assert process.returncode == 0, process.stderr.decode("utf-8", "replace")


def test_the_message_on_old_interpreters(old_python):
    process = _run(old_python.python, MESSAGE, os.path.join(MODULE_UTILS_DIR, "_python_floor.py"))
    assert process.returncode == 0 and process.stderr == b"", process.stderr.decode("utf-8", "replace")
    assert json.loads(process.stdout.decode("utf-8")) == expected_message(old_python.found, old_python.executable)


def test_the_message_is_none_on_this_interpreter():
    process = _run(sys.executable, MESSAGE, os.path.join(MODULE_UTILS_DIR, "_python_floor.py"))
    assert json.loads(process.stdout.decode("utf-8")) is None, process.stderr


@pytest.mark.parametrize("path", MODULE_FILES, ids=os.path.basename)
def test_each_module_fails_with_the_message_and_masks_secrets_on_old_interpreters(old_python, module_tree, path):
    if not core_starts_modules_with(CORE, tuple(int(part) for part in old_python.version.split("."))):
        pytest.skip("ansible-core %s does not start modules with Python %s (its module_utils do not run there)"
                    % (ANSIBLE_CORE_VERSION, old_python.version))
    module_name = os.path.basename(path)[:-3]
    module_file = str(module_tree / "ansible_collections" / "frogops" / "xray" / "plugins" / "modules"
                      / os.path.basename(path))
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith("PYTHON"))
    env["PYTHONPATH"] = str(module_tree)
    process = _run(old_python.python, RUN_MODULE, module_file, json.dumps(task_args(module_name)),
                   cwd=str(module_tree), env=env)
    stdout = process.stdout.decode("utf-8", "replace")
    stderr = process.stderr.decode("utf-8", "replace")
    assert process.returncode == 1, stdout + stderr
    assert stderr == "", stderr
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, stdout
    result = json.loads(lines[0])
    assert_floor_failure(module_name, result, stdout, expected_message(old_python.found, old_python.executable))
    assert "invocation" in result, "fail_json of an AnsibleModule reports the masked options"
