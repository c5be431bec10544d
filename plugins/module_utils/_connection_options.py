# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options every module shares: what a module needs to build its AnsibleModule.

Documented once in plugins/doc_fragments/connection.py; keep the two in step. How a module turns
them into a client is in _connection.py.

A module builds its AnsibleModule, with the full argument spec, before it checks the Python floor,
so that a too old interpreter gets a fail_json result that masks the no_log options like any other:
this file is one of those that must run on Python 2.7 (the rule is in _python_floor.py).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import env_fallback


def connection_argument_spec():
    """Argument spec of the connection options; modules add their own options to it."""
    return dict(
        url=dict(type="str", required=True, fallback=(env_fallback, ["JFROG_URL"])),
        access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["JFROG_ACCESS_TOKEN"])),
        url_username=dict(type="str", fallback=(env_fallback, ["JFROG_USERNAME"])),
        url_password=dict(type="str", no_log=True, fallback=(env_fallback, ["JFROG_PASSWORD"])),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        use_proxy=dict(type="bool", default=True),
        timeout=dict(type="float", default=30.0),
        retries=dict(type="int", default=3),
        retry_backoff=dict(type="float", default=1.0),
    )


# Token or user name: either is enough, both is allowed (the token wins), so an
# environment-injected credential never makes a task that sets the other invalid.
# For the same reason url_password is checked only when basic auth is really used.
CONNECTION_REQUIRED_ONE_OF = [("access_token", "url_username")]
CONNECTION_REQUIRED_BY = {"client_key": ("client_cert",)}


def module_kwargs(own_options, **extra):
    """AnsibleModule(**...) arguments: connection options + a module's own."""
    spec = connection_argument_spec()
    spec.update(own_options)
    kwargs = dict(
        argument_spec=spec,
        supports_check_mode=True,
        required_one_of=list(CONNECTION_REQUIRED_ONE_OF) + extra.pop("required_one_of", []),
        required_by=dict(CONNECTION_REQUIRED_BY),
    )
    kwargs.update(extra)
    return kwargs
