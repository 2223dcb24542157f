"""Apimachinery's naming rules: the good and bad values of upstream's
staging/src/k8s.io/apimachinery/pkg/util/validation/validation_test.go, carried into our tests."""

from __future__ import annotations

import pytest

from app.policies import names
from app.policies.model import LabelSelector, ObjectMeta

LABEL_GOOD = [
    "a",
    "ab",
    "abc",
    "a1",
    "a-1",
    "a--1--2--b",
    "0",
    "01",
    "012",
    "1a",
    "1-a",
    "1--a--b--2",
    "a" * 63,
]
LABEL_BAD = [
    "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b",
    "1_", "_1", "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ", "a ", " a", "a b", "1 ", " 1",
    "1 2", "a\n", "a" * 64,
]  # fmt: skip
SUBDOMAIN_GOOD = LABEL_GOOD + [
    "a.a", "ab.a", "abc.a", "a1.a", "a-1.a", "a--1--2--b.a", "a.1", "ab.1", "0.a", "01.a", "012.a",
    "1a.a", "1-a.a", "1--a--b--2", "0.0", "01.01", "012.012", "1a.1a", "1-a.1-a", "a" * 253,
]  # fmt: skip
SUBDOMAIN_BAD = [
    "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b",
    "1_", "_1", "1_2", ".", "a.", ".a", "a..b", "1.", ".1", "1..2", " ", "a ", " a", "a b", "1 ",
    " 1", "1 2", "A.a", "aB.a", "ab.A", "A1.a", "a1.A", "A.1", "aB.1", "A1.1", "1A.1", "0.A",
    "01.A", "012.A", "1A.a", "1a.A", "A.B.C.D.E", "AA.BB.CC.DD.EE", "a.B.c.d.e", "aa.bB.cc.dd.ee",
    "a@b", "a,b", "a;b", "a:b", "a%b", "a?b", "a$b", "a" * 254,
]  # fmt: skip
QUALIFIED_GOOD = [
    "simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple", "now-with-dashes/simple",
    "now-with-dashes/now-with-dashes", "now.with.dots/simple", "now-with.dashes-and.dots/simple",
    "1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678", "Uppercase_Is_OK_123",
    "example.com/Uppercase_Is_OK_123", "requests.storage-foo", "a" * 63, "a" * 253 + "/" + "b" * 63,
    "kubernetes.io/metadata.name",
]  # fmt: skip
QUALIFIED_BAD = [
    "nospecialchars%^=@", "cantendwithadash-", "-cantstartwithadash-", "only/one/slash",
    "Example.com/abc", "example_com/abc", "example.com/", "/simple", "a" * 64, "a" * 254 + "/abc", "",
    "NoUppercaseOrSpecialCharsLike=Equals",
]  # fmt: skip
LABEL_VALUE_GOOD = [
    "simple",
    "now-with-dashes",
    "1-starts-with-num",
    "end-with-num-1",
    "1234",
    "a" * 63,
    "",
    "A_B.c-9",
]
LABEL_VALUE_BAD = [
    "nospecialchars%^=@", "Tama-nui-te-rā", "cantendwithadash-", "-cantstartwithadash", "only/one/slash",
    "with space", "a" * 64,
]  # fmt: skip
PORT_NAME_GOOD = ["telnet", "re-mail-ck", "pop3", "a", "a-1", "1-a", "a-1-b-2-c", "1-a-2-b-3", "dns", "https"]
PORT_NAME_BAD = [
    "longerthan15characters",
    "",
    "a" * 16,
    "12345",
    "1-2-3-4",
    "-begin",
    "end-",
    "two--hyphens",
    "whois++",
    "DNS",
]


@pytest.mark.parametrize("value", LABEL_GOOD)
def test_dns1123_label_good(value: str) -> None:
    assert names.is_dns1123_label(value) == []


@pytest.mark.parametrize("value", LABEL_BAD)
def test_dns1123_label_bad(value: str) -> None:
    assert names.is_dns1123_label(value)


@pytest.mark.parametrize("value", SUBDOMAIN_GOOD)
def test_dns1123_subdomain_good(value: str) -> None:
    assert names.is_dns1123_subdomain(value) == []


@pytest.mark.parametrize("value", SUBDOMAIN_BAD)
def test_dns1123_subdomain_bad(value: str) -> None:
    assert names.is_dns1123_subdomain(value)


@pytest.mark.parametrize("value", QUALIFIED_GOOD)
def test_qualified_name_good(value: str) -> None:
    assert names.is_qualified_name(value) == []


@pytest.mark.parametrize("value", QUALIFIED_BAD)
def test_qualified_name_bad(value: str) -> None:
    assert names.is_qualified_name(value)


@pytest.mark.parametrize("value", LABEL_VALUE_GOOD)
def test_label_value_good(value: str) -> None:
    assert names.is_valid_label_value(value) == []


@pytest.mark.parametrize("value", LABEL_VALUE_BAD)
def test_label_value_bad(value: str) -> None:
    assert names.is_valid_label_value(value)


@pytest.mark.parametrize("value", PORT_NAME_GOOD)
def test_port_name_good(value: str) -> None:
    assert names.is_valid_port_name(value) == []


@pytest.mark.parametrize("value", PORT_NAME_BAD)
def test_port_name_bad(value: str) -> None:
    assert names.is_valid_port_name(value)


@pytest.mark.parametrize(
    ("port", "ok"),
    [(1, True), (1000, True), (32768, True), (65535, True), (0, False), (-1, False), (65536, False)],
)
def test_port_numbers(port: int, ok: bool) -> None:
    assert (names.is_valid_port_num(port) == []) is ok


def test_messages_are_upstreams() -> None:
    assert names.is_dns1123_label("a.b") == ["must not contain dots"]
    assert names.is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]
    assert names.is_qualified_name("example.com/") == [
        "name part must be non-empty",
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]
    assert names.is_qualified_name("/simple") == ["prefix part must be non-empty"]
    assert names.is_qualified_name("only/one/slash")[0].startswith("a valid label key must consist of")
    assert names.is_valid_port_name("12345") == ["must contain at least one letter (a-z)"]
    assert names.is_valid_port_name("whois++") == [
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
    ]
    assert names.is_valid_port_num(0) == ["must be between 1 and 65535, inclusive"]


def test_regex_error_joins_examples_like_go() -> None:
    assert names.regex_error("msg", "fmt") == "msg (regex used for validation is 'fmt')"
    assert (
        names.regex_error("msg", "fmt", "a", "b")
        == "msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')"
    )


def test_generate_name_prefix_may_end_with_a_dash() -> None:
    assert names.name_is_dns_subdomain("web-", True) == []
    assert names.name_is_dns_subdomain("web-", False)
    assert names.generated_name("a" * 70) == "a" * 58 + "xxxxx"


def test_label_selector_paths() -> None:
    selector = LabelSelector.model_validate(
        {
            "matchLabels": {"ok": "fine", "bad key!": "v", "k": "bad value!"},
            "matchExpressions": [{"key": "x", "operator": "In", "values": ["ok", "bad value!"]}],
        }
    )
    errs = names.validate_label_selector(selector, "spec.podSelector")
    assert [(e.field, e.type) for e in errs] == [
        ("spec.podSelector.matchLabels", "FieldValueInvalid"),
        ("spec.podSelector.matchLabels", "FieldValueInvalid"),
        ("spec.podSelector.matchExpressions[0].values[1]", "FieldValueInvalid"),
    ]
    lenient = names.validate_label_selector(selector, "s", allow_invalid_label_value=True)
    assert [e.field for e in lenient] == ["s.matchLabels", "s.matchLabels"]
    assert names.validate_label_selector(None, "s") == []


def test_annotation_keys_ignore_case_and_size_counts_bytes() -> None:
    assert names.validate_annotations({"Example.COM/Some-Key": "v"}, "metadata.annotations") == []
    limit = names.TOTAL_ANNOTATION_SIZE_LIMIT_B
    assert names.validate_annotations({"k": "x" * (limit - 1)}, "a") == []
    [too_long] = names.validate_annotations({"k": "x" * limit}, "a")
    assert (too_long.type, too_long.message) == (
        "FieldValueTooLong",
        "Too long: may not be more than 262144 bytes",
    )
    # two bytes per character in UTF-8
    assert names.validate_annotations({"k": "é" * (limit // 2)}, "a")


def test_object_meta_update_rules() -> None:
    old = ObjectMeta(name="web", namespace="default", uid="u", resource_version="5", generation=2)
    same = old.model_copy()
    assert names.validate_object_meta_update(same, old) == []
    new = ObjectMeta(name="web", namespace="default", uid="u", generation=1)
    errs = names.validate_object_meta_update(new, old)
    assert [(e.field, e.message) for e in errs] == [
        ("metadata.resourceVersion", 'Invalid value: "": must be specified for an update'),
        ("metadata.generation", "Invalid value: 1: must not be decremented"),
    ]


def test_path_segment_names() -> None:
    """What the API server checks of every kind's name (rest.BeforeCreate/BeforeUpdate)."""
    assert names.name_is_path_segment("web.example", False) == []
    assert names.name_is_path_segment("..", False) == ["may not be '..'"]
    assert names.name_is_path_segment("..", True) == []
    assert names.name_is_path_segment("a/b%c", True) == ["may not contain '/'", "may not contain '%'"]


def test_cluster_scoped_meta_forbids_a_namespace() -> None:
    meta = ObjectMeta(name="x", namespace="default")
    errs = names.validate_object_meta(meta, requires_namespace=False, name_fn=names.name_is_dns_label)
    assert [(e.field, e.type) for e in errs] == [("metadata.namespace", "FieldValueForbidden")]
