# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeping secrets out of every text that leaves the collection.

Private to this collection (leading underscore): no compatibility promise.

A server may echo a secret in any encoding: raw, JSON-escaped, HTML-escaped,
percent-encoded, as a Python repr, in base64 (an echoed Authorization header).
Ansible's no_log only hides the raw value. The Redactor masks every encoded
form it knows, and then checks what is left through the decoders a reader
could apply (HTML entities, percent-encoding, backslash escapes, stacked two
deep); if a secret is still readable, the whole text is withheld rather than
shown.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import html
import json
import re
import unicodedata

from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "********"
WITHHELD = "[withheld: it contained a secret in a form that could not be masked]"
# How far decoders are stacked when checking masked text (e.g. JSON inside an HTML page).
_DECODE_DEPTH = 2
_BACKSLASH_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "a": "\a", "0": "\0"}


def _unescape_backslashes(text):
    """JSON's and Python's backslash escapes, leniently (unknown ones keep the escaped character)."""
    def one(match):
        code = match.group(1)
        if code[0] in "uUx" and len(code) > 1:
            try:
                return chr(int(code[1:], 16))
            except (ValueError, OverflowError):
                return code
        if code.isdigit() and code != "0":
            try:
                return chr(int(code, 8))
            except ValueError:
                return code
        return _SIMPLE_ESCAPES.get(code, code)
    return _BACKSLASH_ESCAPE_RE.sub(one, text)


_DECODERS = (html.unescape, unquote, unquote_plus, _unescape_backslashes)
_BASE64_FORM_RE = re.compile(r"[A-Za-z0-9+/_=-]+")


def encoded_forms(secret):
    """The forms in which a server may echo a secret, longest first."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(secret)[1:-1])[1:-1],  # JSON in a JSON string
        html.escape(secret, quote=True),
        html.escape(secret, quote=False),
        html.escape(json.dumps(secret)[1:-1], quote=True),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        secret.encode("unicode_escape").decode("ascii"),
        repr(secret.encode("utf-8"))[2:-1],  # a Python bytes repr: b'...\xc3\xa9...'
    }
    forms |= base64_forms(secret)
    # percent-encoding with lower-case hex (the secret's own letters keep their case)
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), form) for form in forms if "%" in form}
    # Unicode normal forms (servers normalise text) and UTF-8 read as Latin-1 or CP1252 (mojibake).
    for normal_form in ("NFC", "NFD", "NFKC", "NFKD"):
        forms.add(unicodedata.normalize(normal_form, secret))
    for charset in ("latin-1", "cp1252"):
        try:
            forms.add(secret.encode("utf-8").decode(charset))
        except UnicodeDecodeError:
            pass
    forms.discard("")
    return sorted(forms, key=len, reverse=True)


def base64_forms(secret):
    """base64 of the secret, and of it as a JSON string holds it (a JSON body sent on in base64)."""
    forms = set()
    for text in sorted({secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}):
        forms |= _base64_forms(text)
    return forms


def _base64_forms(secret):
    """base64 of the secret's UTF-8 (and Latin-1: HTTP basic auth is often encoded that way) bytes: standard and
    URL-safe, padded and not, and the part that stays the same wherever the secret starts in a longer encoded text
    (a JSON body or a header in base64): at each of the three byte offsets, the characters of whole 3-byte groups
    of the secret only. The few characters at either end that also depend on the neighbouring bytes carry up to
    two bytes of the secret: Redactor masks them with the form."""
    forms = set()
    for charset in ("utf-8", "latin-1"):
        try:
            data = secret.encode(charset)
        except UnicodeEncodeError:
            continue
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            whole = encode(data).decode("ascii")
            forms |= {whole, whole.rstrip("=")}
            for offset in (0, 1, 2):
                # After `offset` bytes of something else, the secret's first whole group starts at byte 3 of the
                # shifted text: characters from 4 on, up to the last group that holds only the secret's bytes.
                shifted = encode(b"\0" * offset + data).decode("ascii")
                groups = (offset + len(data)) // 3
                core = shifted[4 if offset else 0:groups * 4]
                if len(core) >= 8:  # shorter would mask what is no secret
                    forms.add(core)
    return forms


def _collapse(text):
    return " ".join(text.split())


class Redactor:
    """Masks a growing set of secrets in any text."""

    def __init__(self, secrets=()):
        self._secrets = []
        self._forms = []
        self._base64_forms = []
        self._masks = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        if not isinstance(secret, str) or not secret or secret in self._secrets:
            return
        self._secrets.append(secret)
        forms = set(self._forms) | set(encoded_forms(secret))
        if _collapse(secret) != secret:
            forms.add(_collapse(secret))  # as it reads once whitespace was folded
        self._forms = sorted(forms, key=len, reverse=True)
        self._base64_forms = [form for form in self._forms if len(form) >= 8 and _BASE64_FORM_RE.fullmatch(form)]
        # A secret's base64 inside a longer base64 text: the up to 3 characters on either side of its form also
        # carry bits of its first and last bytes (the form holds whole 3-byte groups only), so they go too.
        cores = set()
        for known in self._secrets:
            cores |= {form for form in base64_forms(known) if len(form) >= 8}
        edges = dict((form, re.compile("[A-Za-z0-9+/_-]{0,3}%s[A-Za-z0-9+/_=-]{0,3}" % re.escape(form)))
                     for form in cores)
        # Longest first, as the forms: a longer secret that holds this one (user:password) is masked whole.
        self._masks = [(form, edges.get(form)) for form in self._forms]

    @property
    def forms(self):
        """Every masked form of every secret (for Ansible's own no_log_values)."""
        return list(self._forms)

    def __call__(self, text):
        """The text with every known form of every secret masked, or WITHHELD if one stays readable."""
        if not self._secrets or text is None:
            return text
        text = str(text)
        if self._in_wrapped_base64(text):
            return WITHHELD
        text = self._mask(text)
        return WITHHELD if self._readable(text) else text

    def _mask(self, text):
        for form, edges in self._masks:
            if form in text:
                text = edges.sub(MASK, text) if edges else text.replace(form, MASK)
        return text

    def _readable(self, text):
        views = {text}
        for _depth in range(_DECODE_DEPTH):
            views |= {decode(view) for view in views for decode in _DECODERS}
        views |= {_collapse(view) for view in views}
        views |= {unicodedata.normalize("NFKC", view).casefold() for view in views}
        readable = [form for secret in self._secrets
                    for form in (secret, _collapse(secret), unicodedata.normalize("NFKC", secret).casefold())]
        return any(form in view for view in views for form in readable)

    def _in_wrapped_base64(self, text):
        """Whether a base64 form of a secret is in text once the white space between base64 characters is gone:
        base64 wrapped into lines (MIME, PEM) or spaced out, where a line break may fall inside the secret's form,
        so that no form matches in place (and masking the parts that do would leave the rest readable). Checked
        on the text as it came, before any masking, and also with backslash escapes ("\\n" in JSON) undone."""
        if not self._base64_forms:
            return False
        views = (text, _unescape_backslashes(text)) if "\\" in text else (text,)
        # All white space goes (cheaper than only that between base64 characters, and no less strict). A form that
        # stands in place as often as in the joined text is masked in place; only one broken up withholds the text.
        for view in views:
            joined = "".join(view.split())
            if any(joined.count(form) > view.count(form) for form in self._base64_forms if form in joined):
                return True
        return False

    def excerpt(self, text, length):
        """A single-line, secret-free start of text, at most length characters (plus "...").

        Masks the whole text, but checks for readable secrets only in what is shown plus a margin
        (an encoded secret cut at the end may decode to its start), so a large body stays cheap.
        """
        if self._in_wrapped_base64(text or ""):
            return WITHHELD
        text = "".join(ch if ch.isprintable() else " " for ch in self._mask(text or ""))
        text = self._mask(_collapse(text))  # no terminal escapes, no line breaks
        if self._secrets:
            margin = 16 * max(len(secret) for secret in self._secrets) + 64
            if self._readable(text[:length + margin]):
                return WITHHELD
        return text[:length] + "..." if len(text) > length else text
