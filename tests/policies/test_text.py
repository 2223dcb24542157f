"""The one reader of policy text and port numbers (app.policies.text): limits, YAML safety,
duplicate fields, and ports read as upstream's intstr.Parse reads them."""

from __future__ import annotations

import re

import pytest

from app.policies.text import MAX_DEPTH, TextError, parse_policy_text, parse_port

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
