"""A page's form read as a browser posts it (pure): the bench's review step and the tests that
post the Create panel use this one reading."""

from __future__ import annotations

import html as h
import re


def form_fields(page: str) -> list[tuple[str, str]]:
    """The values a browser would post from the page's form: every named input and select but the
    submit buttons, checked boxes only, each select's chosen option (else its first)."""
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"<(input|select)([^>]*)>", page):
        attrs = m.group(2)
        name = re.search(r'name="([^"]+)"', attrs)
        if not name or 'type="submit"' in attrs:
            continue
        if 'type="checkbox"' in attrs and " checked" not in attrs:
            continue
        if m.group(1) == "select":
            body = page[m.end() : page.find("</select>", m.end())]
            chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)<', body) or re.search(
                r'<option(?: value="([^"]*)")?[^>]*>([^<]*)<', body
            )
            value = "" if not chosen else (chosen.group(1) if chosen.group(1) is not None else chosen.group(2))
        else:
            v = re.search(r'value="([^"]*)"', attrs)
            value = v.group(1) if v else ""
        out.append((name.group(1), h.unescape(value)))
    return out


def csrf_token(page: str) -> str:
    """The CSRF token a page carries (base.html's meta tag); "" when it has none."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    return match.group(1) if match else ""
