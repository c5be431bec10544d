# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The attributes every frogops.xray module declares (frogops.xray.attributes), as in
    # ansible-core's action_common_attributes: check_mode and diff_mode are described here, and each
    # module adds its own support (and details) under attributes; platform and action_group are the
    # same for all modules and complete here. The action group is meta/runtime.yml's action_groups.all.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
    details:
      - The module runs on the host that executes the task (usually C(localhost)) and manages Xray
        over HTTP(S) from there; that host needs Python 3.9 or later and C(requests) (see the requirements).
  action_group:
    description: Use C(group/frogops.xray.all) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - frogops.xray.all
'''
