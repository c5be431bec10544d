# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a module turns the connection options every module shares into a client.

The options themselves (argument spec, required_one_of, required_by, module_kwargs) are in
_connection_options.py, documented once in plugins/doc_fragments/connection.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.frogops.xray.plugins.module_utils._http_transport import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    RequestsTransport,
    tls_verify_setting,
)
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayClient, XrayError, auth_header

# More would only keep a task waiting for hours (each wait is up to 30 s).
MAX_RETRIES = 100
# Credentials that are refused when set but blank, with the environment variable that may have set them:
# an empty JFROG_ACCESS_TOKEN would otherwise end in a request with no usable credential.
BLANKABLE_CREDENTIALS = (("access_token", "JFROG_ACCESS_TOKEN"), ("url_username", "JFROG_USERNAME"),
                         ("url_password", "JFROG_PASSWORD"))


def user_agent():
    """The User-Agent of every request, for Xray's logs and support: no collection version in code
    (galaxy.yml alone holds it), but ansible-core's and Python's."""
    return "frogops.xray ansible-core/%s python/%d.%d" % ((ANSIBLE_VERSION,) + tuple(sys.version_info[:2]))


def check_connection_options(module, failure_result=None):
    """Fail before any request on connection options that cannot work; failure_result joins the failure."""
    params = module.params
    extra = dict(failure_result or {}, changed=False)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR, **extra)
    for option, variable in BLANKABLE_CREDENTIALS:
        value = params[option]
        if value is not None and not value.strip():
            # Blank is no secret: left among no_log_values, every space of the message would be masked.
            module.no_log_values.discard(value)
            module.fail_json(msg="%s is set but empty (by the task, or by %s in the environment): give one, or leave "
                             "it unset." % (option, variable), **extra)
    if not params["access_token"] and params["url_password"] is None:
        module.fail_json(msg="url_password (or JFROG_PASSWORD) is required with url_username when no access_token is set",
                         **extra)
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, got %s" % params["timeout"], **extra)
    if not 0 <= params["retries"] <= MAX_RETRIES:
        module.fail_json(msg="retries must be from 0 to %d, got %d" % (MAX_RETRIES, params["retries"]), **extra)
    if params["retry_backoff"] < 0:
        module.fail_json(msg="retry_backoff must be 0 or more seconds, got %s" % params["retry_backoff"], **extra)


def _check_files(params):
    """requests raises a bare OSError (a traceback, not a message) for these once it uses them."""
    for option in ("ca_path", "client_cert", "client_key"):
        path = params[option]
        if path and not (option == "ca_path" and not params["validate_certs"]) and not os.path.exists(path):
            raise XrayError("%s: %s does not exist." % (option, path))


def client_from_module(module, failure_result=None):
    """An XrayClient for the module's connection options; fails the task on bad ones.

    failure_result: return values every failure of the module carries (e.g. password_sent=False).
    """
    check_connection_options(module, failure_result)
    params = module.params
    try:
        _check_files(params)
        cert = params["client_cert"]
        transport = RequestsTransport(  # unit tests replace RequestsTransport with a scripted one
            verify=tls_verify_setting(params["validate_certs"], params["ca_path"]),
            cert=(cert, params["client_key"]) if cert and params["client_key"] else cert,
            use_proxy=params["use_proxy"],
        )
        client = XrayClient(
            url=params["url"],
            transport=transport,
            auth=auth_header(params["access_token"], params["url_username"], params["url_password"]),
            secrets=(params["access_token"], params["url_password"]),
            timeout=params["timeout"],
            retries=params["retries"],
            retry_backoff=params["retry_backoff"],
            warn=module.warn,
            user_agent=user_agent(),
        )
    except XrayError as error:
        message = error.message
    else:
        keep_secret(module, client, None)
        return client
    # Outside the except block: ansible-core < 2.19 would attach the handled exception's traceback at -vvv.
    module.fail_json(msg=message, **dict(failure_result or {}, changed=False))


def keep_secret(module, client, value):
    """Mask value (and the client's other secrets) in every encoding, in messages and in the whole result.

    The client masks what it writes; Ansible's no_log_values then mask every encoded form in
    everything the module returns (warnings included), whoever wrote it.
    """
    client.add_secret(value)
    module.no_log_values.update(client.redact.forms)
