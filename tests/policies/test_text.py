"""The one reader of policy text and port numbers (app.policies.text): limits, YAML safety,
duplicate fields, and ports read as upstream's intstr.Parse reads them."""

from __future__ import annotations

import re

import pytest
import yaml

from app.policies.text import (
    MAX_DEPTH,
    TextError,
    _checked,
    _yaml_documents,
    parse_policy_text,
    parse_port,
    yaml_loader,
)
from app.policies.text import _Loader as PurePythonLoader

DEEP = 100_000
DEEP_TEXTS = {
    "json-array": "[" * DEEP + "]" * DEEP,
    "json-object": '{"a": ' * DEEP + "1" + "}" * DEEP,
    "yaml-flow": "a: " + "{b: " * DEEP + "c" + "}" * DEEP,
    "yaml-block-sequence": "- " * DEEP + "x",
    "yaml-unclosed": "[" * DEEP,
}


DEEP_CASES = [
    pytest.param(text, syntax, id=f"{name}-{syntax}")
    for name, text in DEEP_TEXTS.items()
    for syntax in ("yaml", "json", "auto")
    if syntax != "json" or text.startswith(("[", "{"))  # YAML-only texts are not sent as JSON
]


@pytest.mark.parametrize(("text", "syntax"), DEEP_CASES)
def test_deep_text_is_refused_as_too_deep_whatever_the_syntax(text: str, syntax: str) -> None:
    with pytest.raises(TextError, match="nested too deeply") as caught:
        parse_policy_text(text, syntax=syntax, max_bytes=None)  # type: ignore[arg-type]
    assert caught.value.reason == "depth"


def test_nesting_up_to_the_limit_is_read() -> None:
    for syntax in ("yaml", "json"):
        docs = parse_policy_text("[" * MAX_DEPTH + "]" * MAX_DEPTH, syntax=syntax)  # type: ignore[arg-type]
        assert len(docs) == 1
        with pytest.raises(TextError, match="nested too deeply"):
            parse_policy_text("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), syntax=syntax)  # type: ignore[arg-type]


def test_brackets_inside_json_strings_do_not_count() -> None:
    text = '{"a": "' + "[{" * 1000 + '", "b": "\\"[["}'
    assert parse_policy_text(text, syntax="json") == [{"a": "[{" * 1000, "b": '"[['}]


def test_text_over_the_size_limit_is_refused_in_utf8_bytes() -> None:
    with pytest.raises(TextError, match=r"too large \(at most 1 KiB\)") as caught:
        parse_policy_text("a: " + "é" * 600, max_bytes=1024)  # 1,203 bytes in 603 characters
    assert caught.value.reason == "size"
    assert parse_policy_text("a: " + "x" * 1000, max_bytes=1024) == [{"a": "x" * 1000}]


@pytest.mark.parametrize(
    ("text", "syntax", "path"),
    [
        ("spec:\n  podSelector: {}\n  podSelector: {}\n", "yaml", "spec.podSelector"),
        ('{"spec": {"ingress": [{"ports": [], "ports": []}]}}', "json", "spec.ingress[0].ports"),
        ('{"kind": 1, "kind": 2}', "auto", "kind"),
    ],
)
def test_a_field_given_twice_is_refused_by_its_path(text: str, syntax: str, path: str) -> None:
    with pytest.raises(TextError, match=re.escape(f'duplicate field "{path}"')):
        parse_policy_text(text, syntax=syntax)  # type: ignore[arg-type]


def test_syntax_errors_say_where() -> None:
    with pytest.raises(TextError) as caught:
        parse_policy_text("a: [1\n")
    assert caught.value.reason == "syntax" and (caught.value.line, caught.value.column) == (2, 1)
    with pytest.raises(TextError, match=r"cannot be parsed \(line 1, column 2\): Expecting property name"):
        parse_policy_text("{not json", syntax="json")


def test_auto_reads_json_then_yaml_and_skips_empty_documents() -> None:
    assert parse_policy_text('{"a": 1}', syntax="auto") == [{"a": 1}]
    assert parse_policy_text("[a, b]", syntax="auto") == [["a", "b"]]  # YAML flow, not JSON
    assert parse_policy_text("---\n---\na: 1\n") == [{"a": 1}]
    assert parse_policy_text("null", syntax="json") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80", 80),
        (" 8080 ", 8080),
        ("+80", 80),
        ("-1", -1),
        ("0080", 80),
        ("0", 0),
        ("http", "http"),
        ("", ""),
        ("٣", "٣"),  # Arabic-Indic digit: not a number to Go's strconv.Atoi
        ("１２", "１２"),
        ("²", "²"),
        ("8_0", "8_0"),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), str(2**63)),  # beyond int64: Atoi fails, so it stays text
        ("9" * 5000, "9" * 5000),  # never handed to int()
        (443, 443),
    ],
)
def test_ports_are_read_as_upstream_intstr_parse_reads_them(text: int | str, expected: int | str) -> None:
    assert parse_port(text) == expected


def test_yaml_is_read_by_libyaml() -> None:
    """PyYAML's wheels carry libyaml (0.2.6, which bounds nesting itself): its C parser and
    composer read the YAML, about twenty times faster than the pure-Python loader."""
    assert yaml.__with_libyaml__
    assert issubclass(yaml_loader(), yaml.CSafeLoader)
    assert not issubclass(yaml_loader(), yaml.SafeLoader)  # not the pure-Python reader


# Texts each loader must read alike: accepted ones to the same documents, refused ones with the
# same reason, words and place (what libyaml refuses, the pure-Python loader judges again).
AGREEMENT = {
    "policy": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
    "spec:\n  podSelector: {}\n  ingress:\n  - ports: [{port: 80}, {port: http, protocol: UDP}]\n",
    "documents": "---\na: 1\n---\n---\n- b\n- {c: [1, 2.5, true, null, '0x1F', 0x1F, 1_000, 2026-01-01]}\n",
    "int64": f"a: {2**63 - 1}\nb: {2**63}\nc: -{'9' * 40}\n",
    "duplicate": "spec:\n  ingress:\n  - ports: []\n    ports: []\n",
    "duplicate by text": "a:\n  1: x\n  '1': y\n",  # one field to the API server's JSON
    "same value, other text": "a:\n  1: x\n  0x1: y\n",
    "merge without alias": "a:\n  <<: {b: 1}\n  b: 2\n",
    "anchor and alias": "a: &x [1]\nb: *x\n",
    "scalar alias": "a: &x text\nb: *x\n",
    "recursive alias": "a: &x [*x]\n",
    "undefined alias": "a: *nowhere\n",
    "deep 101": "[" * 101 + "]" * 101,
    "deep 100": "[" * 100 + "]" * 100,
    "deep block": "a:\n" + "".join(" " * i + "- \n" for i in range(1, 150)),
    "deep 5000": "{a: " * 5000 + "1" + "}" * 5000,
    "surrogate escape": 'a: "\\ud800"\n',
    "nul escape": 'a: "x\\0"\n',
    "tab": "a:\n\t- b\n",
    "broken": "a: [1\n",
    "complex key": "? [a, b]\n: c\n",
}


def _read(text: str, loader: type) -> object:
    try:
        return _checked(_yaml_documents(text, loader))
    except TextError as exc:
        return (exc.reason, str(exc), exc.line, exc.column, exc.field)


@pytest.mark.parametrize("text", AGREEMENT.values(), ids=AGREEMENT.keys())
def test_libyaml_and_the_pure_python_loader_read_alike(text: str) -> None:
    assert _read(text, yaml_loader()) == _read(text, PurePythonLoader)


def test_the_refusals_each_loader_owes() -> None:
    refused = {name: _read(text, yaml_loader()) for name, text in AGREEMENT.items()}
    duplicate = 'cannot be parsed (line 4, column 5): duplicate field "spec.ingress[0].ports"'
    assert refused["duplicate"][:2] == ("syntax", duplicate)  # type: ignore[index]
    assert refused["duplicate by text"][0] == "syntax"  # type: ignore[index]
    assert refused["same value, other text"] == [{"a": {1: "y"}}]
    for name in ("anchor and alias", "scalar alias", "recursive alias"):
        assert "aliases (*name) are not accepted" in refused[name][1]  # type: ignore[index]
    assert refused["deep 101"][0] == refused["deep 5000"][0] == refused["deep block"][0] == "depth"  # type: ignore[index]
    (nested,) = refused["deep 100"]  # type: ignore[misc]
    for _ in range(99):
        (nested,) = nested
    assert nested == []
    assert refused["surrogate escape"][0] == refused["nul escape"][0] == "text"  # type: ignore[index]
    assert refused["policy"][0]["spec"]["ingress"][0]["ports"][1] == {"port": "http", "protocol": "UDP"}  # type: ignore[index]
