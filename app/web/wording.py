"""The pure code's sentences (``app.policies.words``) in the page's language.

A ``Words`` is translated as a whole: its English template is looked up in the catalog, then
filled with its parameters, each translated in turn (plain strings are data and stay as they
are). Lists are joined as the language joins them. In Chinese, a space is put between a Chinese
character and a Latin letter or digit that meet, as the console's other texts are written.
"""

from __future__ import annotations

import re

from app.policies.words import Either, Series, Words
from app.web.i18n import translate

# (separator, the word before the last item of an Either, of an Each)
_JOINS = {"zh-CN": ("、", "或", "、")}
_CJK_THEN_LATIN = re.compile(r"([\u4e00-\u9fff])([A-Za-z0-9])")
_LATIN_THEN_CJK = re.compile(r"([A-Za-z0-9])([\u4e00-\u9fff])")


def _render(lang: str, text: str) -> str:
    if isinstance(text, Words):
        params = {key: _render(lang, value) for key, value in text.params.items()}
        return translate(lang, text.template).format(**params)
    if isinstance(text, Series):
        items = [_render(lang, item) for item in text.items]
        if len(items) <= 1:
            return "".join(items)
        joins = _JOINS.get(lang)
        if joins is None:
            return ", ".join(items[:-1]) + f" {text.conjunction} " + items[-1]
        separator, either, each = joins
        return separator.join(items[:-1]) + (either if isinstance(text, Either) else each) + items[-1]
    return str(text)


def say(lang: str, text: str) -> str:
    """``text`` in ``lang``: a ``Words`` or list translated, anything else as it is."""
    said = _render(lang, text)
    if lang == "zh-CN":
        said = _LATIN_THEN_CJK.sub(r"\1 \2", _CJK_THEN_LATIN.sub(r"\1 \2", said))
    return said
