"""Every English text of the console has its Simplified Chinese in the gettext catalog: Babel
extracts them as ``pybabel extract -F babel.cfg`` does (templates' ``_()`` and ``{% trans %}``,
``Words(...)`` and ``N_(...)`` in app/), and each needs a translation in the ``.po``."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.web.i18n import LOCALE_DIR, compile_catalogs, translate, translate_plural

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "Words": None, "N_": None}


def extracted() -> dict[str, str]:
    """Every message id Babel finds, with where it was found."""
    found: dict[str, str] = {}
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options, keywords=KEYWORDS
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, f"{filename}:{lineno}")
    return found


def catalog() -> dict[str, str]:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return {m.id: m.string for m in read_po(source) if m.id and isinstance(m.id, str)}


def test_every_text_has_chinese() -> None:
    texts = extracted()
    # The extraction is real: texts from templates, from Words and from N_ are all found.
    assert {"Network Policies", "Allows egress to {peers} on {ports}.", "Denies all ingress."} <= set(texts)
    assert len(texts) > 300
    chinese = catalog()
    missing = sorted(f"{where}: {text}" for text, where in texts.items() if not chinese.get(text))
    assert not missing, "no Chinese for:\n" + "\n".join(missing)


def test_the_compiled_catalog_translates(tmp_path: Path) -> None:
    po = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
    copy = tmp_path / "zh_CN" / "LC_MESSAGES"
    copy.mkdir(parents=True)
    (copy / "messages.po").write_bytes(po.read_bytes())
    assert compile_catalogs(tmp_path) == [copy / "messages.mo"]
    assert compile_catalogs(tmp_path) == []  # up to date: not compiled again
    assert translate("zh-CN", "Create") == "创建"
    assert translate("zh-CN", "{count} rules").format(count=3) == "3 条规则"
    assert translate("en", "Create") == "Create"
    assert translate("fr", "Create") == "Create"
    assert translate_plural("en", "1 rule", "{count} rules", 2) == "{count} rules"
