"""Reading what people and programs type: policy text (YAML or JSON) and port numbers.

The one parser behind the pages (Create and Edit from YAML), the REST API's bodies and the
offline CLI, so that each refuses the same things in the same way:

- text over a size limit, counted in UTF-8 bytes before anything is parsed;
- nesting deeper than ``MAX_DEPTH``, counted while reading (a bracket scan for JSON, the YAML
  composer's own descent), so deep text is refused before the recursion that would crash on it;
- YAML aliases: ``*ref`` can expand a few hundred bytes into gigabytes (a "billion laughs"), and
  go-yaml refuses excessive aliasing too;
- a field given twice in one mapping, named by its path (``duplicate field "spec.podSelector"``)
  as the API server's strict decoding names it: dropping either value silently would store
  something other than what was written;
- text no database column or API server can hold: a NUL character or a lone UTF-16 surrogate
  (``"\\ud800"`` in JSON or YAML) in any key or value (``bad_text``, also used for form fields);
- integers beyond int64 (Python's ``int()`` refuses more than 4,300 digits) are read as their
  text, as ``parse_port`` reads them, for validation to refuse at their field.

Each refusal is a ``TextError`` whose text is a predicate for the caller's subject:
``f"The YAML {exc}"``, ``f"the body {exc}"``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import yaml

MAX_DEPTH = 100  # a NetworkPolicy nests about 8 deep, a Pod in a List about 15
MAX_BYTES = 1 << 20
MAX_INDEX_DIGITS = 9

Syntax = Literal["yaml", "json", "auto"]


class TextError(ValueError):
    """Text that is not a document: ``reason`` is "size", "depth", "syntax" (malformed, an
    alias, a duplicate field) or "text" (a NUL or a lone surrogate at ``field``); ``line`` and
    ``column`` (1-based) where known."""

    def __init__(
        self, reason: str, problem: str, line: int | None = None, column: int | None = None, field: str = ""
    ) -> None:
        problem, field = _shown(problem), _shown(field)  # a message must itself be text
        self.reason, self.problem, self.line, self.column, self.field = reason, problem, line, column, field
        super().__init__(problem)


def _shown(text: str) -> str:
    """``text`` with NUL and lone surrogates written as escapes, so that it can be said."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def parse_policy_text(text: str, *, syntax: Syntax = "yaml", max_bytes: int | None = MAX_BYTES) -> list[Any]:
    """The non-empty documents of ``text``; ``TextError`` when it cannot be used.

    ``yaml`` reads (multi-document) YAML, which includes JSON; ``json`` reads one JSON value;
    ``auto`` reads JSON when the text opens with ``{`` or ``[`` and parses as JSON, YAML otherwise.
    ``max_bytes`` None means no size limit (files a person chose to read)."""
    if max_bytes is not None and (len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes):
        raise TextError("size", f"is too large (at most {size_text(max_bytes)})")
    if syntax == "json":
        return _checked(_json_documents(text))
    if syntax == "auto" and text.lstrip().startswith(("{", "[")):
        try:
            return _checked(_json_documents(text))
        except TextError as exc:
            if exc.reason != "syntax":
                raise
    return _checked(_yaml_documents(text))


def parse_json(text: str) -> Any:
    """One JSON value, refused as ``parse_policy_text`` refuses (depth, duplicate fields, a NUL or a
    lone surrogate), with no size limit of its own; None for ``null`` or empty text."""
    docs = parse_policy_text(text, syntax="json", max_bytes=None)
    return docs[0] if docs else None


def bad_text(value: Any, path: str = "") -> TextError | None:
    """The first key or string in ``value`` (a decoded document, or one string) that holds a NUL
    character or a lone surrogate, as a ``TextError`` naming its field path; None when all is well.
    Neither can be stored: PostgreSQL refuses NUL in text, and UTF-8 has no surrogates."""
    if isinstance(value, str):
        problem = _text_problem(value)
        return None if problem is None else TextError("text", problem, field=path or "<root>")
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := _text_problem(key)) is not None:
                return TextError("text", f"has a name that {problem}", field=where)
            if (found := bad_text(item, where)) is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if (found := bad_text(item, f"{path}[{i}]")) is not None:
                return found
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (not a Unicode character)"
    return None


def _checked(docs: list[Any]) -> list[Any]:
    for i, doc in enumerate(docs):
        if (found := bad_text(doc, "" if len(docs) == 1 else f"<document {i + 1}>")) is not None:
            raise TextError("text", f'cannot be used: field "{found.field}" {found.problem}', field=found.field)
    return docs


def parse_index(text: str) -> int | None:
    """A form row's index (``ingress[3]``), or another small count a form carries, typed as ASCII
    digits: None for anything else, and for more digits than any real form has
    (``MAX_INDEX_DIGITS``): never ``int()`` of 5,000 digits."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_INDEX_DIGITS:
        return int(text)
    return None


_ATOI = re.compile(r"[+-]?[0-9]+")
_INT64 = 1 << 63


def parse_port(value: int | str) -> int | str:
    """A port typed as text, read as upstream's ``intstr.Parse`` reads it (surrounding space
    dropped): a decimal integer in ASCII digits with an optional sign, as Go's ``strconv.Atoi``
    takes it, is a number; anything else (a name, other scripts' digits, a number beyond int64)
    stays text, for validation to judge. The digits are counted before ``int()`` sees them. A
    number given as one is returned as it is."""
    if isinstance(value, int):
        return value
    text = value.strip()
    if _ATOI.fullmatch(text) and len(text.lstrip("+-").lstrip("0")) <= 19:
        number = int(text)
        if -_INT64 <= number < _INT64:
            return number
    return text


def size_text(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


def _too_deep(line: int | None = None, column: int | None = None) -> TextError:
    return TextError("depth", f"is nested too deeply (more than {MAX_DEPTH} levels)", line, column)


# ----- JSON -----

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _check_json_depth(text: str) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH, counted over its brackets outside strings (the C
    decoder would recurse once per level and raise RecursionError)."""
    depth = 0
    for ch in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
        else:
            depth -= 1


class _Pairs(dict[str, Any]):
    """A decoded JSON object that remembers the keys it was given more than once."""

    duplicates: list[str]


def _pairs(items: list[tuple[str, Any]]) -> _Pairs:
    out = _Pairs(items)
    out.duplicates = []
    if len(out) < len(items):
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                out.duplicates.append(key)
            seen.add(key)
    return out


def _json_documents(text: str) -> list[Any]:
    _check_json_depth(text)
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise TextError("syntax", f"cannot be parsed ({where}): {exc.msg}", exc.lineno, exc.colno) from None
    _refuse_duplicate_keys(data, "")
    return [] if data is None else [data]


def _bounded_int(digits: str) -> int | str:
    """A JSON or YAML integer; one beyond int64 stays the text it was (see the module's docstring)."""
    number = parse_port(digits)
    return number if isinstance(number, int) else digits


def _refuse_duplicate_keys(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", []):
            raise TextError("syntax", f'cannot be parsed: duplicate field "{path + "." if path else ""}{key}"')
        for key, item in value.items():
            _refuse_duplicate_keys(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_duplicate_keys(item, f"{path}[{i}]")


# ----- YAML -----
#
# Two loaders that refuse the same texts: libyaml's (PyYAML's C parser and composer, about twenty
# times faster, so the offline CLI reads a file of thousands of objects in well under a second)
# when it is there and bounds nesting itself, the pure-Python one otherwise. libyaml refuses
# nesting deeper than 1,000 while scanning, so its recursive composer never nears the C stack's
# end; the composed tree is then checked once for what libyaml accepts and we do not (an alias,
# depth over MAX_DEPTH, a field twice). The pure-Python composer recurses in Python, so it
# counts levels and refuses aliases as it descends. Whatever libyaml refuses, for whatever
# reason, the pure-Python loader reads again and judges: one verdict and one wording for both.

_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


class _TooDeep(yaml.composer.ComposerError):
    pass


class _Checked:
    """The constructing half both loaders share: every document's tree checked before it is built
    (and integers beyond int64 kept as their text, ``_construct_int``)."""

    def construct_document(self, node: Any) -> Any:
        _check_tree(node)
        return super().construct_document(node)  # type: ignore[misc]


def _construct_int(loader: Any, node: Any) -> Any:
    text = str(loader.construct_scalar(node))
    if len(text.replace("_", "").lstrip("+-0")) > 19:  # beyond int64 (or a huge base-60 number)
        return text
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


class _Loader(_Checked, yaml.SafeLoader):
    """Safe YAML, without aliases, no deeper than MAX_DEPTH, no field twice in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, _ALIASES, event.start_mark)
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        # The composer descends by recursion: count the levels and stop long before Python does.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(None, None, "nested too deeply", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_ALIASES = "YAML aliases (*name) are not accepted"


def _libyaml_bounds_nesting() -> bool:
    """Whether PyYAML has libyaml and that libyaml refuses deep nesting before composing it
    (libyaml 0.2.6 does; an older one would let the C composer recurse until the process dies)."""
    if not yaml.__with_libyaml__:
        return False
    try:
        yaml.compose("[" * 2000, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        return _LIBYAML_TOO_DEEP in str(exc)
    return False


_YAML_LOADER: type[Any] = _Loader
if _libyaml_bounds_nesting():

    class _CLoader(_Checked, yaml.CSafeLoader):
        """``_Loader``'s refusals over libyaml's parser and composer."""

    _CLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _YAML_LOADER = _CLoader


def yaml_loader() -> type[Any]:
    """The YAML loader ``parse_policy_text`` uses: libyaml's when PyYAML has it, else pure Python."""
    return _YAML_LOADER


def _check_tree(root: Any) -> None:
    """Refuse, in one pass over a composed document, a node reached twice (an alias), nesting
    deeper than MAX_DEPTH and a scalar key given twice in one mapping (named by its path)."""
    seen: set[int] = set()
    # (node, depth in collections, parent entry, key or index): the path is built only to be said.
    stack: list[tuple[Any, int, Any, Any]] = [(root, 0, None, None)]
    while stack:
        entry = stack.pop()
        node, depth = entry[0], entry[1]
        if id(node) in seen:
            raise yaml.composer.ComposerError(None, None, _ALIASES, node.start_mark)
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            if depth >= MAX_DEPTH:
                raise _TooDeep(None, None, "nested too deeply", node.start_mark)
            keys: set[Any] = set()
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is not None and key in keys:
                    where = _path((key_node, depth + 1, entry, key))
                    problem = f'duplicate field "{where}"'
                    raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
                keys.add(key)
                stack.append((key_node, depth + 1, entry, key))
                stack.append((value_node, depth + 1, entry, key))
        elif isinstance(node, yaml.SequenceNode):
            if depth >= MAX_DEPTH:
                raise _TooDeep(None, None, "nested too deeply", node.start_mark)
            stack.extend((item, depth + 1, entry, i) for i, item in enumerate(node.value))


def _path(entry: tuple[Any, int, Any, Any]) -> str:
    """``spec.ingress[0].ports`` for an entry of ``_check_tree``'s walk."""
    parts: list[str] = []
    while entry[2] is not None:
        key = entry[3]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        entry = entry[2]
    return "".join(reversed(parts)).lstrip(".")


def _yaml_documents(text: str, loader: type[Any] | None = None) -> list[Any]:
    loader = loader or _YAML_LOADER
    try:
        return [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]
    except yaml.YAMLError as exc:
        if loader is not _Loader:
            # libyaml refuses a few texts the pure-Python reader reads (a "\\ud800" escape, which
            # bad_text then names at its field) and words its refusals its own way: what libyaml
            # refuses is read again by the pure-Python loader, whose verdict is the one given.
            return _yaml_documents(text, _Loader)
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        if isinstance(exc, _TooDeep):
            raise _too_deep(line, column) from None
        where = f" (line {line}, column {column})" if line is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TextError("syntax", f"cannot be parsed{where}: {problem}", line, column) from None
