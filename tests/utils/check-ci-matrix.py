#!/usr/bin/env python
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check that the hosted CI runs the ansible-core jobs `make test` runs, no more, no fewer.

`make -s print-matrix` prints one job a line, "TYPE ANSIBLE-CORE PYTHON", e.g.
"sanity 2.16 3.10". This script reads the same triples out of
.github/workflows/ansible-test.yml:

- every step that uses ansible-community/ansible-test-gh-action gives
  (testing-type, ansible-core-version without "stable-", target-python-version),
  once for each combination of its job's strategy.matrix;
- every step that runs `make e2e-X.Y` or `make real-sim-X.Y` gives (e2e or real-sim,
  X.Y, P), where P is the Python make runs it with: the one print-matrix gives. The job
  must set it up (actions/setup-python); when it does not, P shows what it sets up instead.

The expected e2e jobs are print-matrix's "e2e" lines; should it print none, its
"integration" lines (the suite runs where integration runs).

Both sides are compared as sets (a job listed twice in the workflow is reported too);
on any difference the script prints it and exits 1.

Usage: tests/utils/check-ci-matrix.py [--workflow FILE] [--expected FILE]
  --expected FILE   read the jobs from FILE ("-": standard input) instead of running
                    `make -s print-matrix` in the repository root.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import re
import subprocess
import sys

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_WORKFLOW = os.path.join(REPO_ROOT, '.github', 'workflows', 'ansible-test.yml')
ANSIBLE_TEST_ACTION = 'ansible-community/ansible-test-gh-action'
SETUP_PYTHON_ACTION = 'actions/setup-python'
TESTING_TYPES = ('sanity', 'units', 'integration', 'e2e', 'real-sim')
# Jobs that run a make target on the runner itself: `make e2e-X.Y`, `make real-sim-X.Y`.
MAKE_KINDS = ('e2e', 'real-sim')
MATRIX_EXPR = re.compile(r'\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}')
MAKE_JOB = re.compile(r'\bmake\b[^\n;&|]*?\b(e2e|real-sim)-(\d+\.\d+)\b')
CORE_VERSION = re.compile(r'^stable-(\d+\.\d+)$')
PYTHON_VERSION = re.compile(r'^\d+\.\d+$')


class WorkflowError(Exception):
    """The workflow says something this check cannot read as a job."""


def parse_expected(text):
    """Triples from `make -s print-matrix` output (e2e: as integration, unless listed)."""
    triples = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 3 or fields[0] not in TESTING_TYPES:
            raise WorkflowError('print-matrix line %d is not "TYPE ANSIBLE-CORE PYTHON": %r' % (number, line))
        triples.append(tuple(fields))
    if not any(triple[0] == 'e2e' for triple in triples):
        triples += [('e2e',) + triple[1:] for triple in triples if triple[0] == 'integration']
    return triples


def matrix_combinations(job_name, job):
    """The combinations of a job's strategy.matrix, as GitHub Actions expands it."""
    matrix = (job.get('strategy') or {}).get('matrix')
    if matrix is None:
        return [{}]
    if not isinstance(matrix, dict):
        raise WorkflowError('job %s: strategy.matrix must be a mapping, not %r' % (job_name, matrix))
    axes = {key: value for key, value in matrix.items() if key not in ('include', 'exclude')}
    for key, values in axes.items():
        if not isinstance(values, list):
            raise WorkflowError('job %s: matrix.%s must be a list (an expression cannot be checked)' % (job_name, key))
    combinations = [dict(zip(axes, values)) for values in itertools.product(*axes.values())] if axes else []
    for excluded in matrix.get('exclude') or []:
        combinations = [c for c in combinations if any(c.get(k) != v for k, v in excluded.items())]
    # include: added to every combination whose original values it does not change;
    # where it fits none, it is a combination of its own.
    originals = [dict(c) for c in combinations]
    for included in matrix.get('include') or []:
        fits = [i for i, original in enumerate(originals)
                if all(original.get(k, v) == v for k, v in included.items() if k in axes)]
        for i in fits:
            combinations[i].update(included)
        if not fits:
            combinations.append(dict(included))
    return combinations or [{}]


def substitute(job_name, value, combination, strict=True):
    """A step input with ${{ matrix.X }} replaced; with strict, any other expression is an error."""
    def replace(match):
        if match.group(1) not in combination:
            raise WorkflowError('job %s: %s is not in its matrix' % (job_name, match.group(0)))
        return str(combination[match.group(1)])
    result = MATRIX_EXPR.sub(replace, str(value))
    if strict and '${{' in result:
        raise WorkflowError('job %s: cannot check the expression in %r' % (job_name, value))
    return result.strip()


def version_key(text):
    """Sort key that puts "3.8" before "3.10"."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in text.split('.')]


def uses(step, action):
    return str(step.get('uses', '')).partition('@')[0] == action


def workflow_triples(workflow):
    """(triple, job name) for every ansible-test and e2e job the workflow runs."""
    jobs = workflow.get('jobs') or {}
    found = []
    for job_name, job in jobs.items():
        steps = job.get('steps') or []
        for combination in matrix_combinations(job_name, job):
            pythons = set()
            for step in steps:
                if uses(step, SETUP_PYTHON_ACTION):
                    version = substitute(job_name, (step.get('with') or {}).get('python-version', ''), combination)
                    pythons.update(version.split())
            for step in steps:
                if uses(step, ANSIBLE_TEST_ACTION):
                    found.append((ansible_test_triple(job_name, step, combination), job_name))
                for kind, core in MAKE_JOB.findall(substitute(job_name, step.get('run', ''), combination, strict=False)):
                    found.append(((kind, core, sorted(pythons, key=version_key)), job_name))
    return found


def ansible_test_triple(job_name, step, combination):
    given = step.get('with') or {}
    inputs = {key: substitute(job_name, given.get(key, ''), combination)
              for key in ('testing-type', 'ansible-core-version', 'target-python-version')}
    testing_type = inputs.get('testing-type', '')
    core = CORE_VERSION.match(inputs.get('ansible-core-version', ''))
    python = inputs.get('target-python-version', '')
    if testing_type not in TESTING_TYPES:
        raise WorkflowError('job %s: testing-type %r is none of %s' % (job_name, testing_type, ', '.join(TESTING_TYPES[:3])))
    if not core:
        raise WorkflowError('job %s: ansible-core-version %r is not stable-X.Y (make tests only releases)'
                            % (job_name, inputs.get('ansible-core-version')))
    if not PYTHON_VERSION.match(python):
        raise WorkflowError('job %s: target-python-version %r is not X.Y (it must be explicit to be checked)'
                            % (job_name, python or None))
    return (testing_type, core.group(1), python)


def resolve_e2e(found, expected):
    """Turn (e2e, X.Y, [pythons set up]) into (e2e, X.Y, the Python make uses), if set up."""
    wanted = {(kind, core): python for kind, core, python in expected if kind in MAKE_KINDS}
    resolved = []
    for triple, job_name in found:
        if triple[0] in MAKE_KINDS:
            kind, core, pythons = triple
            if wanted.get((kind, core)) in pythons:
                triple = (kind, core, wanted[(kind, core)])
            else:
                triple = (kind, core, 'setup-python:' + ','.join(pythons or ['none']))
        resolved.append((triple, job_name))
    return resolved


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--workflow', default=DEFAULT_WORKFLOW, help='default: %(default)s')
    parser.add_argument('--expected', help='print-matrix output to compare with ("-": stdin)')
    args = parser.parse_args()

    try:
        if args.expected == '-':
            expected_text = sys.stdin.read()
        elif args.expected:
            with open(args.expected, encoding='utf-8') as handle:
                expected_text = handle.read()
        else:
            # A make of its own, not a sub-make of `make workflows` (no jobserver, no directory lines).
            env = {key: value for key, value in os.environ.items() if key not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}
            expected_text = subprocess.run(['make', '-s', 'print-matrix'], cwd=REPO_ROOT, env=env, check=True,
                                           stdout=subprocess.PIPE, text=True).stdout
        expected = parse_expected(expected_text)
        expected_lines = {tuple(line.split()) for line in expected_text.splitlines() if line.strip()}
        with open(args.workflow, encoding='utf-8') as handle:
            workflow = yaml.safe_load(handle)
        found = resolve_e2e(workflow_triples(workflow), expected)
    except (OSError, subprocess.CalledProcessError, yaml.YAMLError, WorkflowError) as error:
        print('check-ci-matrix: %s' % error, file=sys.stderr)
        return 1

    workflow_name = os.path.relpath(args.workflow)
    counts = collections.Counter(triple for triple, _job in found)
    missing = sorted(set(expected) - set(counts))
    extra = sorted(set(counts) - set(expected))
    doubled = sorted(triple for triple, count in counts.items() if count > 1)
    if not (missing or extra or doubled):
        on_runner = sorted('%s %s/%s' % (kind, core, python) for kind, core, python in set(expected) if kind in MAKE_KINDS)
        print('check-ci-matrix: %s runs the %d ansible-test jobs of make print-matrix, and %s'
              % (workflow_name, len(set(expected)) - len(on_runner), ', '.join(on_runner)))
        return 0

    print('check-ci-matrix: %s and `make -s print-matrix` differ:' % workflow_name, file=sys.stderr)
    for triple in missing:
        source = 'integration line' if triple[0] == 'e2e' and triple not in expected_lines else 'line'
        print('  - %-36s a print-matrix %s, not in the workflow' % (' '.join(triple), source), file=sys.stderr)
    for triple in extra:
        jobs = sorted({job for found_triple, job in found if found_triple == triple})
        print('  + %-36s in the workflow (job %s), not in print-matrix' % (' '.join(triple), ', '.join(jobs)),
              file=sys.stderr)
    for triple in doubled:
        print('  2 %-36s %d times in the workflow' % (' '.join(triple), counts[triple]), file=sys.stderr)
    print('Make the matrices in %s match the Makefile (CORE_VERSIONS, PYTHON_X.Y), or the reverse.' % workflow_name,
          file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
