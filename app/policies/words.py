"""Text that pure code hands to the pages, kept translatable: whole sentences with placeholders.

A ``Words`` is the English text itself (a ``str``, so the CLI, the API and the tests read it as
is) that also keeps its English template and parameters, so a page can look the template up in
its catalog and say the same sentence in another language (``app.web.wording.say``). ``Either``
("a, b or c") and ``Each`` ("a, b and c") keep their items, since languages join lists
differently. A parameter that is a plain ``str`` is data (a name, a label, a CIDR) and is never
translated; one that is a ``Words``, ``Either`` or ``Each`` is translated in turn.
"""

from __future__ import annotations

from collections.abc import Iterable


def N_(template: str) -> str:
    """Marks ``template`` for extraction (Babel's ``N_`` keyword) where it is kept, to become
    ``Words(template, ...)`` later: the text itself."""
    return template


class Words(str):
    """``Words("Denies all {what}.", what="ingress")`` == "Denies all ingress."."""

    template: str
    params: dict[str, str]

    def __new__(cls, template: str, **params: str) -> Words:
        self = super().__new__(cls, template.format(**params))
        self.template = template
        self.params = params
        return self


class Series(str):
    """Items joined as English does: "a", "a or b", "a, b or c" (``conjunction`` "or" or "and")."""

    conjunction: str = "or"
    items: tuple[str, ...]

    def __new__(cls, items: Iterable[str]) -> Series:
        parts = tuple(items)
        if len(parts) <= 1:
            text = "".join(parts)
        else:
            text = ", ".join(parts[:-1]) + f" {cls.conjunction} " + parts[-1]
        self = super().__new__(cls, text)
        self.items = parts
        return self


class Either(Series):
    """Alternatives: "a, b or c"."""

    conjunction = "or"


class Each(Series):
    """All of them: "a, b and c"."""

    conjunction = "and"
