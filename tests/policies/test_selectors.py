"""Label selectors: matching as metav1.LabelSelector, and the labelSelector query syntax as
k8s.io/apimachinery/pkg/labels parses it."""

from __future__ import annotations

import pytest

from app.errors import BadRequest
from app.policies.model import LabelSelector
from app.policies.selectors import (
    format_selector,
    namespace_labels,
    parse_label_selector,
    requirements_match,
    selector_matches,
)

LABELS = {"app": "web", "tier": "front", "n": "3", "empty": ""}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("app=web", True),
        ("app==web", True),
        ("app!=web", False),
        ("app!=db", True),
        ("missing!=x", True),
        ("app in (web, db)", True),
        ("app notin (web)", False),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("app=web,tier=back", False),
        ("empty=", True),
        ("empty=,app=web", True),
        ("n>2", True),
        ("n<3", False),
        ("missing>0", False),
        ("", True),
    ],
)
def test_the_query_syntax_matches_as_the_api_server(text: str, matches: bool) -> None:
    assert requirements_match(parse_label_selector(text), LABELS) is matches


@pytest.mark.parametrize("text", ["a=b,", "=b", "a in (x", "!", "a in ()", "a>x", "a>", "a in (x) b"])
def test_malformed_selectors_are_a_bad_request(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_label_selector(text)


def test_label_selector_objects_match_and_print_like_kubectl() -> None:
    sel = LabelSelector.model_validate(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "x"]}],
        }
    )
    assert selector_matches(sel, LABELS) and not selector_matches(sel, {"app": "web"})
    assert selector_matches(LabelSelector(), {}) and not selector_matches(None, LABELS)
    assert format_selector(sel) == "app=web,tier in (front,x)"
    assert format_selector(LabelSelector()) == "<none>"


def test_a_namespace_always_carries_its_name_label() -> None:
    assert namespace_labels("x", {"kubernetes.io/metadata.name": "y", "a": "b"}) == {
        "a": "b",
        "kubernetes.io/metadata.name": "x",
    }
