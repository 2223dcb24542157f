"""Every text the templates pass through ``_()`` has its Simplified Chinese in the one catalog."""

from __future__ import annotations

import re
from pathlib import Path

from app.web.i18n import CATALOG, translate

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LITERAL = re.compile(r"""_\((['"])((?:(?!\1)[^\\]|\\.)*)\1\)""")


def test_every_template_text_has_a_translation() -> None:
    missing = set()
    for template in TEMPLATES.rglob("*.html"):
        for match in LITERAL.finditer(template.read_text()):
            text = re.sub(r"\\(.)", r"\1", match.group(2))
            if text not in CATALOG:
                missing.add(f"{template.relative_to(TEMPLATES)}: {text}")
    assert not missing, "untranslated: " + "; ".join(sorted(missing))


def test_rule_counts_and_unknown_languages() -> None:
    assert translate("zh-CN", "3 rules") == "3 条规则"
    assert translate("zh-CN", "Create") == "创建"
    assert translate("en", "Create") == "Create"
    assert translate("fr", "Create") == "Create"
