# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nox sessions of frogops.xray: all of them come from antsibull-nox.toml (run through make)."""

import antsibull_nox

antsibull_nox.load_antsibull_nox_toml()
