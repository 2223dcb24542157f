"""English and Simplified Chinese, the ACK console's two languages, through gettext catalogs.

Templates write the English text and pass it through ``_()`` (or ``{% trans %}``); the pure code's
sentences are ``Words`` templates. Babel extracts both (``babel.cfg``); each language has a ``.po``
under ``app/locale/<locale>/LC_MESSAGES/``, compiled to ``.mo`` at build (``make locale``). A
``.mo`` that is missing or older than its ``.po`` is compiled when the catalog is first loaded, so a
checkout that skipped the build step still speaks both languages.
The language comes from the ``lang`` cookie (set by the switch in the top bar), else English.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from starlette.requests import Request

LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
# The gettext locale of each language the console offers (English is the source text).
_LOCALES = {"zh-CN": "zh_CN"}


def language(request: Request) -> str:
    lang = request.cookies.get("lang", DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every ``.po`` under ``locale_dir`` whose ``.mo`` is missing or older; the ``.mo``
    files written. Babel's own compiler, as ``pybabel compile`` runs it."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo)
    return written


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (English: the text as it is)."""
    locale = _LOCALES.get(lang)
    if locale is None:
        return gettext.NullTranslations()
    compile_catalogs()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[locale])


def translate(lang: str, text: str) -> str:
    return translations(lang).gettext(text)


def translate_plural(lang: str, singular: str, plural: str, count: int) -> str:
    return translations(lang).ngettext(singular, plural, count)
