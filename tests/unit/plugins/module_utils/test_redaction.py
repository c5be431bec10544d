# -*- coding: utf-8 -*-
# Copyright: frogops.xray contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets stay out of every message, error text and warning, in whatever encoding a server echoes them.

The echoed forms are built here independently of _redaction, and a leak is looked for with decoders of
our own (HTML entities, percent-encoding, JSON and Python backslash escapes, stacked, whitespace folded).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import html
import json
import re

from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest

from ansible_collections.frogops.xray.plugins.module_utils._http_transport import CONNECT, DROPPED, PROXY, TIMEOUT, TLS
from ansible_collections.frogops.xray.plugins.module_utils._redaction import MASK, WITHHELD, Redactor
from ansible_collections.frogops.xray.plugins.module_utils._xray_client import XrayClient, XrayError, auth_header
from ansible_collections.frogops.xray.tests.unit.plugins.scripted_transport import (
    BASE,
    ScriptedTransport,
    answer,
    failure,
)

PASSWORD = 'p@ss"w<o>rd&\u00e9 1/2'
SIMPLE = "hunter2"
TOKEN = "cmVmdGtuOjAxOjE3NjQ0MDAwMDA6UzNjcjN0VG9rZW4-x_y.z"
QUOTES = "O'Neil's \"k3y\" <&> \u00fc"
MIXED_CASE = "Pa55/W\u00f6rd \u00c4\u00d6"
SECRETS = (PASSWORD, SIMPLE, TOKEN, QUOTES, MIXED_CASE)
USERNAME = "svc-xray"


# -- the forms a server may echo, built independently ---------------------------------------------

def lower_hex(text):
    """Percent-encoding with lower-case hex digits (the letters of the secret keep their case)."""
    return re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), text)


def python_literal(secret, quote_char):
    """The inside of a Python string literal of secret written with quote_char."""
    out = []
    for char in secret:
        if char in ("\\", quote_char):
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def echoed_forms(secret):
    """{name: text} of the ways a server may echo secret."""
    forms = {
        "raw": secret,
        "json-ascii": json.dumps(secret)[1:-1],
        "json-unicode": json.dumps(secret, ensure_ascii=False)[1:-1],
        "html": html.escape(secret, quote=True),
        "html-no-quotes": html.escape(secret, quote=False),
        "html-apos-decimal": html.escape(secret, quote=True).replace("&#x27;", "&#39;"),
        "html-decimal-entities": "".join("&#%d;" % ord(char) for char in secret),
        "html-hex-entities": "".join("&#x%X;" % ord(char) for char in secret),
        "percent-upper": quote(secret, safe=""),
        "percent-lower": lower_hex(quote(secret, safe="")),
        "percent-keep-slash": quote(secret),
        "percent-plus": quote_plus(secret, safe=""),
        "percent-plus-lower": lower_hex(quote_plus(secret, safe="")),
        "percent-mixed-case": re.sub(r"%([0-9A-F])([0-9A-F])", lambda m: "%" + m.group(1) + m.group(2).lower(),
                                     quote(secret, safe="")),
        "repr-single": python_literal(secret, "'"),
        "repr-double": python_literal(secret, '"'),
        "ascii-repr": ascii(secret)[1:-1],
        "unicode-escape": secret.encode("unicode_escape").decode("ascii"),
        "base64": b64(secret),
        "json-in-html": html.escape(json.dumps({"password": secret})),
        "json-unicode-in-html": html.escape(json.dumps({"password": secret}, ensure_ascii=False)),
    }
    if " " in secret:
        forms["split-newline"] = secret.replace(" ", "\n")
        forms["split-crlf-indent"] = secret.replace(" ", "\r\n        ")
        forms["split-tab"] = secret.replace(" ", "\t ")
        forms["json-split-newline"] = json.dumps(secret)[1:-1].replace(" ", "\n")
        forms["html-split-newline"] = html.escape(secret).replace(" ", "\n  ")
    return forms


# The forms _redaction documents that it masks (its safety net withholds the rest).
KNOWN_FORMS = ("raw", "json-ascii", "json-unicode", "html", "html-no-quotes", "percent-upper", "percent-lower",
               "percent-keep-slash", "percent-plus", "percent-plus-lower", "repr-single", "ascii-repr",
               "unicode-escape", "base64", "json-in-html")
SPLIT_FORMS = ("split-newline", "split-crlf-indent", "split-tab", "json-split-newline", "html-split-newline")

ALL_CASES = [
    pytest.param(secret, form_name, form, id="%s-%s" % (label, form_name))
    for label, secret in zip(("password", "simple", "token", "quotes", "mixed-case"), SECRETS)
    for form_name, form in sorted(echoed_forms(secret).items())
]
KNOWN_CASES = [case for case in ALL_CASES if case.values[1] in KNOWN_FORMS]
SPLIT_CASES = [case for case in ALL_CASES if case.values[1] in SPLIT_FORMS]


# -- looking for a leak, with decoders of our own -------------------------------------------------------

def backslash_unescape(text):
    """JSON's and Python's escapes (\\" \\\\ \\n \\u00e9 \\xe9 \\U0001f600), leniently."""
    def one(match):
        code = match.group(1)
        if code[0] in "uUx" and len(code) > 1:
            return chr(int(code[1:], 16))
        return {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}.get(code, code)
    return re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)", one, text, flags=re.DOTALL)


DECODERS = (html.unescape, unquote, unquote_plus, backslash_unescape)


def readings(text):
    """text as a reader may decode it: up to two decoders stacked, whitespace folded."""
    views = {text}
    for _depth in range(2):
        views |= {decode(view) for view in views for decode in DECODERS}
    return views | {" ".join(view.split()) for view in views}


def leaked(texts, secrets=SECRETS, username=USERNAME):
    """The secrets readable in any of texts (None entries are skipped)."""
    found = set()
    for text in texts:
        if text is None:
            continue
        for view in readings(text):
            for secret in secrets:
                if secret in view or " ".join(secret.split()) in view or b64(secret) in view \
                        or b64("%s:%s" % (username, secret)) in view:
                    found.add(secret)
    return found


def test_the_leak_detector_finds_what_it_must():
    # The checks below are only as good as this: every echoed form is found before masking.
    for case in ALL_CASES:
        secret, _name, form = case.values
        assert leaked(["before %s after" % form], secrets=(secret,)) == {secret}, case.id
    assert leaked([b64("%s:%s" % (USERNAME, SIMPLE))], secrets=(SIMPLE,)) == {SIMPLE}
    assert leaked(["nothing to see, %s" % MASK, WITHHELD]) == set()


# -- the Redactor itself ---------------------------------------------------------------------------

@pytest.mark.parametrize("secret,form_name,form", KNOWN_CASES)
def test_every_documented_form_is_masked_in_place(secret, form_name, form):
    redact = Redactor(SECRETS)
    masked = html.escape(json.dumps({"password": MASK})) if form_name == "json-in-html" else MASK
    shown = redact("Jira said: <%s> was refused" % form)
    assert shown == "Jira said: <%s> was refused" % masked, form_name
    assert secret not in shown
    assert redact.excerpt("Jira said: <%s> was refused" % form, 200) == "Jira said: <%s> was refused" % masked


@pytest.mark.parametrize("secret,form_name,form", ALL_CASES)
def test_no_form_of_a_secret_stays_readable(secret, form_name, form):
    redact = Redactor(SECRETS)
    text = "<p>Jira said:\n%s\nwas refused</p>" % form
    shown = redact(text)
    excerpt = redact.excerpt(text, 200)
    assert not leaked([shown, excerpt]), form_name
    assert MASK in shown or shown == WITHHELD
    assert secret not in shown and secret not in excerpt


@pytest.mark.parametrize("secret,form_name,form", SPLIT_CASES)
def test_secret_split_across_line_breaks_is_masked_in_an_excerpt(secret, form_name, form):
    excerpt = Redactor(SECRETS).excerpt("<pre>password:\n%s\n</pre>" % form, 200)
    assert MASK in excerpt, form_name
    assert "password:" in excerpt
    assert " ".join(secret.split()) not in excerpt
    assert not leaked([excerpt])


@pytest.mark.parametrize("position", [0, 150, 190, 199, 200, 201, 400])
@pytest.mark.parametrize("form_name", ["raw", "html-decimal-entities", "percent-upper", "base64", "json-ascii"])
def test_an_excerpt_cut_never_shows_a_secret_or_its_start(position, form_name):
    form = echoed_forms(PASSWORD)[form_name]
    text = "x" * position + form + " tail"
    excerpt = Redactor(SECRETS).excerpt(text, 200)
    assert len(excerpt) <= 203
    assert not leaked([excerpt])
    # An unmaskable form cut at the end must not show its decodable start either.
    assert html.unescape(unquote(excerpt)).find(PASSWORD[:6]) == -1


def test_redactor_masks_a_secret_added_later_and_ignores_empty_ones():
    redact = Redactor(("", None, SIMPLE))
    assert redact("a %s b" % SIMPLE) == "a %s b" % MASK
    assert redact("token %s" % TOKEN) == "token %s" % TOKEN
    redact.add(TOKEN)
    assert redact("token %s" % TOKEN) == "token %s" % MASK
    assert Redactor()("text with %s" % SIMPLE) == "text with %s" % SIMPLE


# -- through the client's messages, error texts and warnings -------------------------------------------

def client_for(script, retries=1, auth=None):
    transport = ScriptedTransport(script)
    warnings = []
    client = XrayClient(BASE, transport, auth=auth or auth_header(access_token=TOKEN),
                        secrets=(PASSWORD, SIMPLE, QUOTES, MIXED_CASE), retries=retries, retry_backoff=0.5,
                        warn=warnings.append, sleep=lambda seconds: None)
    return client, transport, warnings


def texts_of(error, warnings):
    return [error.message, error.error_text] + list(warnings)


def via_html_error_page(form):
    client, _transport, warnings = client_for([answer(500, "<html><body><h1>Error</h1><p>Password %s was "
                                                           "rejected by Jira</p></body></html>" % form, "text/html")])
    with pytest.raises(XrayError) as caught:
        client.write("POST", ("ticketing", "jira-integrations"), {"password": PASSWORD}, lambda: True)
    assert "HTTP 500" in caught.value.message
    return texts_of(caught.value, warnings)


def via_xray_error_text(form):
    client, _transport, warnings = client_for([answer(500, {"error": "Jira rejected the password %s" % form})])
    with pytest.raises(XrayError) as caught:
        client.write("PUT", ("ticketing", "jira-integrations", "jira"), {"password": PASSWORD}, lambda: True)
    assert "Xray answered HTTP 500" in caught.value.message
    assert caught.value.error_text is not None
    return texts_of(caught.value, warnings)


def via_artifactory_error_text(form):
    client, _transport, warnings = client_for([answer(401, {"errors": [{"status": 401, "message": "bad %s" % form}]})])
    with pytest.raises(XrayError) as caught:
        client.get(("system", "version"))
    assert "Authentication to JFrog failed" in caught.value.message
    return texts_of(caught.value, warnings)


def via_plain_text_warning(form):
    client, _transport, warnings = client_for([answer(200, "Saved password %s" % form, "text/plain")])
    assert client.write("POST", ("ticketing", "jira-integrations"), {"password": PASSWORD}, lambda: True) == "re-read"
    assert len(warnings) == 1 and "HTTP 200" in warnings[0]
    return list(warnings)


def via_unconfirmed_write(form):
    client, _transport, warnings = client_for([answer(200, "<html><pre>%s</pre></html>" % form, "text/html")])
    with pytest.raises(XrayError) as caught:
        client.write("POST", ("ticketing", "jira-integrations"), {"password": PASSWORD}, lambda: False)
    assert "HTTP 200 (text/html)" in caught.value.message
    return texts_of(caught.value, warnings)


def via_location(form):
    client, _transport, warnings = client_for([answer(302, "", "text/html", {
        "Location": "https://sso.acme.test/login?user=svc&password=%s" % " ".join(form.split())})])
    with pytest.raises(XrayError) as caught:
        client.get(("system", "version"))
    assert "HTTP 302" in caught.value.message
    return texts_of(caught.value, warnings)


def via_failure(kind, words):
    def carrier(form):
        client, _transport, warnings = client_for([failure(kind, "Failed for user svc (password %s): refused" % form)] * 2)
        with pytest.raises(XrayError) as caught:
            client.get(("system", "version"))
        assert words in caught.value.message
        return texts_of(caught.value, warnings)
    return carrier


def via_dropped_write(form):
    client, _transport, warnings = client_for([failure(DROPPED, "Connection aborted after %s" % form)])
    with pytest.raises(XrayError) as caught:
        client.write("POST", ("ticketing", "jira-integrations"), {"password": PASSWORD}, lambda: None)
    assert "connection was lost" in caught.value.message
    return texts_of(caught.value, warnings)


def via_failed_reread(form):
    client, _transport, warnings = client_for([failure(TIMEOUT, "read timed out")])

    def reread():
        raise client.error("Xray answered HTTP 500 on GET details: %s" % form, status=500)
    with pytest.raises(XrayError) as caught:
        client.write("POST", ("ticketing", "jira-integrations"), {"password": PASSWORD}, reread)
    assert "Run the task again" in caught.value.message
    return texts_of(caught.value, warnings)


CARRIERS = {
    "html-error-page": via_html_error_page,
    "xray-error-text": via_xray_error_text,
    "artifactory-error-text": via_artifactory_error_text,
    "text-answer-warning": via_plain_text_warning,
    "unconfirmed-write": via_unconfirmed_write,
    "location": via_location,
    "connect-detail": via_failure(CONNECT, "Could not connect"),
    "proxy-detail": via_failure(PROXY, "Proxy error"),
    "tls-detail": via_failure(TLS, "TLS error"),
    "dropped-detail": via_dropped_write,
    "failed-reread": via_failed_reread,
}


@pytest.mark.parametrize("carrier", sorted(CARRIERS))
@pytest.mark.parametrize("secret,form_name,form", ALL_CASES)
def test_an_echoed_secret_never_reaches_a_message_error_text_or_warning(carrier, secret, form_name, form):
    texts = CARRIERS[carrier](form)
    assert texts[0], "no message at all"
    assert not leaked(texts), "%s of %r leaked via %s: %r" % (form_name, secret, carrier, texts)


@pytest.mark.parametrize("carrier", sorted(CARRIERS))
def test_a_documented_form_is_masked_and_the_rest_of_the_text_kept(carrier):
    texts = CARRIERS[carrier](quote(PASSWORD, safe=""))
    assert MASK in " ".join(text for text in texts if text)
    assert WITHHELD not in " ".join(text for text in texts if text)


@pytest.mark.parametrize("password", [SIMPLE, PASSWORD, MIXED_CASE])
def test_an_echoed_basic_authorization_header_is_masked(password):
    header = auth_header(username=USERNAME, password=password)
    echoed = "<html><body>Request headers: Authorization: %s; Accept: */*</body></html>" % header
    transport = ScriptedTransport([answer(500, echoed, "text/html")])
    client = XrayClient(BASE, transport, auth=header, secrets=(password,), retries=0, sleep=lambda seconds: None)
    with pytest.raises(XrayError) as caught:
        client.get(("system", "version"))
    message = caught.value.message
    assert header.split(" ", 1)[1] not in message
    assert "Authorization: Basic %s" % MASK in message
    assert not leaked([message], secrets=(password,))


def test_an_echoed_bearer_token_is_masked_without_being_listed_as_a_secret():
    transport = ScriptedTransport([answer(403, {"errors": [{"message": "Token %s lacks the Xray admin role" % TOKEN}]})])
    client = XrayClient(BASE, transport, auth=auth_header(access_token=TOKEN), retries=0, sleep=lambda seconds: None)
    with pytest.raises(XrayError) as caught:
        client.get(("system", "version"))
    assert "Xray admin permission is required" in caught.value.message
    assert "Token %s lacks" % MASK in caught.value.message
    assert not leaked([caught.value.message, caught.value.error_text], secrets=(TOKEN,))


def test_a_secret_registered_after_the_client_was_built_is_masked():
    client, _transport, warnings = client_for([answer(500, {"error": "jira password was %s" % "s3cond-S3cret"})])
    client.add_secret("s3cond-S3cret")
    with pytest.raises(XrayError) as caught:
        client.get(("system", "version"))
    assert "s3cond-S3cret" not in caught.value.message
    assert "s3cond-S3cret" not in caught.value.error_text
    assert warnings == []


def test_a_retry_warning_masks_a_secret_in_the_failure_detail():
    client, transport, warnings = client_for([failure(PROXY, "407 for http://svc:%s@proxy:3128" % SIMPLE),
                                              answer(200, {"xray_version": "3.140.0"})], retries=2)
    assert client.get(("system", "version")).data == {"xray_version": "3.140.0"}
    assert transport.count("GET") == 2
    assert len(warnings) == 1
    assert "Proxy error" in warnings[0]
    assert SIMPLE not in warnings[0]


def base64_variants(secret):
    """base64 as servers and proxies may send it on: unpadded, URL-safe, the secret somewhere inside a longer
    encoded text (after one or two other bytes, or in a JSON body)."""
    data = secret.encode("utf-8")
    return {
        "unpadded": base64.b64encode(data).decode("ascii").rstrip("="),
        "urlsafe": base64.urlsafe_b64encode(data).decode("ascii"),
        "urlsafe-unpadded": base64.urlsafe_b64encode(data).decode("ascii").rstrip("="),
        "offset-1": base64.b64encode(b"x" + data + b"tail").decode("ascii"),
        "offset-2": base64.b64encode(b"xy" + data).decode("ascii"),
        "json-body": base64.b64encode(json.dumps({"user": "bot", "password": secret}).encode("utf-8")).decode("ascii"),
        "bytes-repr": repr(data),
    }


@pytest.mark.parametrize("secret", [PASSWORD, u"Jp@ss/w+rd \"x\"&<y>\u00e9%z'q", "long-enough-token-0815"])
@pytest.mark.parametrize("name", sorted(base64_variants("x")))
def test_base64_of_a_secret_inside_other_text_and_its_bytes_repr_are_masked(secret, name):
    form = base64_variants(secret)[name]
    shown = Redactor([secret])("echo: %s" % form)
    assert MASK in shown, name
    data = secret.encode("utf-8")
    if name != "bytes-repr":
        # What is left of the encoded text decodes to at most two bytes of the secret in a row.
        for leftover in re.findall(r"[A-Za-z0-9+/_=-]{4,}", shown.replace(MASK, " ")):
            padded = leftover + "=" * (-len(leftover) % 4)
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    decoded = decode(padded)
                except ValueError:
                    continue
                assert not any(data[i:i + 3] in decoded for i in range(len(data) - 2)), (name, leftover)


@pytest.mark.parametrize("width", [76, 64, 16])
@pytest.mark.parametrize("gap", ["\n", "\r\n", " ", "\\n"])
def test_base64_wrapped_into_lines_is_withheld(width, gap):
    # MIME and PEM wrap base64 every 76 or 64 characters: a break inside the secret's form leaves no form in place,
    # and masking the parts that match would leave the rest readable.
    body = base64.b64encode(json.dumps({"user": "bot", "password": PASSWORD, "n": 1}).encode("utf-8")).decode("ascii")
    wrapped = gap.join(body[i:i + width] for i in range(0, len(body), width))
    redact = Redactor(SECRETS)
    text = "Jira rejected the request, body was: %s" % wrapped
    for shown in (redact(text), redact.excerpt(text, 2000)):
        # Withheld, or masked where the break missed the secret: no form of it left, lines joined up again.
        joined = "".join(shown.replace("\\n", "").split())
        assert shown == WITHHELD or MASK in shown, shown
        assert not [form for form in redact.forms if len(form) >= 8 and form in joined], shown


def test_base64_in_place_is_masked_not_withheld():
    redact = Redactor(SECRETS)
    assert redact("Basic %s and more" % b64(PASSWORD)) == "Basic %s and more" % MASK


def _decoded_runs(text):
    """Every decoding of every base64 run in text, at each of the 4 character offsets (what a reader could try)."""
    pieces = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{4,}={0,2}", text):
        for start in range(4):
            chunk = run[start:].rstrip("=")
            chunk = chunk[:len(chunk) - len(chunk) % 4]
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    pieces.append(decode(chunk))
                except ValueError:
                    pass
    return pieces


@pytest.mark.parametrize("prefix", ["", "{", '{"u": ', '{"user": "admin", "password": "'])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_a_secret_in_longer_base64_leaves_none_of_its_edge_bytes_readable(prefix, encode):
    # The characters next to the form of whole 3-byte groups also carry the secret's first and last bytes
    # (issue 17 review: "Ur********NzYifQ==" decoded to the first and last 2 characters of the password).
    secret = "Qz-kite-Lamp-9Vw"
    echoed = encode((prefix + secret + '"}').encode("utf-8")).decode("ascii")
    masked = Redactor([secret])("Xray said: %s (end)" % echoed)
    assert MASK in masked
    decoded = b"".join(_decoded_runs(masked))
    assert b"Qz" not in decoded and b"Vw" not in decoded, masked
