# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Xray emulator's resources, one handler file each (see ../README.md).

common.py holds what the server core (../xray_emulator.py) and the handler files share; each handler
file (jira_integrations.py, watches.py, policies.py) ends with RESOURCE, its description for the core.
"""
