"""The Create panel's pure parts behind issue 11's page points: where an error is, in the page's
words (for the pages, the API and the CLI alike); the review's YAML of a create as it will be
sent; the workload picker's Type All; kubectl's ages as translatable words."""

from __future__ import annotations

import yaml

from app.durations import human_duration
from app.policies.form import PeerForm, PolicyForm, PortForm, RuleForm
from app.policies.form_ops import take_pick
from app.policies.form_review import SERVER_FILLED, as_sent, review_yaml
from app.policies.form_words import field_words, path_words
from app.policies.model import NetworkPolicy
from app.policies.words import Words


def a_form() -> PolicyForm:
    form = PolicyForm(name="p", namespace="default")
    form.egress.enabled = True
    form.egress.rules = [RuleForm(peers=[PeerForm(kind="ipBlock", cidr="10.0.0.0/33")])]
    form.ingress.rules = [
        RuleForm(
            peers=[
                PeerForm(kind="pod"),
                PeerForm(kind="ipBlock", cidr="10.1.0.0/16, 10.2.0.0/16", except_=["10.2.1.0/24"]),
            ],
            ports=[PortForm(port="80"), PortForm(port="90", end_port="x")],
        )
    ]
    return form


def test_an_error_path_reads_as_the_page_names_the_field() -> None:
    form = a_form()
    # A rule's only peer is not numbered: the reference's own example.
    assert path_words("spec.egress[0].to[0].ipBlock.cidr", form) == "Destination rule 1 › ipBlock › cidr"
    # Object peer 2 is the second CIDR of form peer 2; its except entry is that row's only one.
    assert path_words("spec.ingress[0].from[2].ipBlock.except[0]", form) == (
        "Source rule 1 › peer 2 › ipBlock › except 1"
    )
    assert path_words("spec.ingress[0].ports[1].endPort", form) == "Source rule 1 › port 2 › End port"
    assert path_words("spec.podSelector.matchExpressions[0].values[1]") == "Pod Selector › expression 1 › values"
    assert path_words("metadata.name") == "Name"
    # Without the form (the API, the CLI) every peer is numbered.
    assert path_words("spec.egress[0].to[0].ipBlock.cidr") == "Destination rule 1 › peer 1 › ipBlock › cidr"


def test_form_fields_read_as_words_and_keep_their_templates() -> None:
    form = a_form()
    said = field_words("ingress[0].peers[0].podSelector.labels[1].value", form)
    assert said == "Source rule 1 › peer 1 › podSelector › label 2 › value"
    assert isinstance(said, Words) and said.template == "{head} › {rest}"
    assert said.params["head"] == "Source rule 1" and said.params["head"].template == "Source rule {number}"
    assert field_words("ingress.enabled") == "Source"
    assert field_words("egress[0].peers[0].kind", form) == "Destination rule 1 › Selector"
    assert field_words("somethingElse") == "somethingElse"


def test_the_review_of_a_create_shows_no_server_filled_metadata() -> None:
    answer = NetworkPolicy.from_dict(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "p",
                "namespace": "default",
                "labels": {"team": "a"},
                "uid": "0b6f",
                "generation": 1,
                "resourceVersion": "42",
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "netpol-console"}],
            },
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        }
    )
    created = yaml.safe_load(review_yaml(answer, create=True))
    assert created["metadata"] == {"name": "p", "namespace": "default", "labels": {"team": "a"}}
    assert created["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    updated = yaml.safe_load(review_yaml(answer, create=False))["metadata"]
    assert updated["uid"] == "0b6f" and updated["resourceVersion"] == "42" and "managedFields" not in updated
    assert set(SERVER_FILLED).isdisjoint(as_sent(answer.to_dict())["metadata"])


def test_the_pickers_type_all_empties_the_selector() -> None:
    form = PolicyForm()
    take_pick(form.pod_selector, False, [("app", "nginx"), ("tier", "web")])
    assert [(r.key, r.value) for r in form.pod_selector.labels] == [("app", "nginx"), ("tier", "web")]
    take_pick(form.pod_selector, True, [("app", "nginx")])
    assert form.pod_selector.is_empty()
    assert form.to_policy()[0].to_dict()["spec"]["podSelector"] == {}


def test_ages_are_kubectls_text_and_translatable_words() -> None:
    assert [human_duration(s) for s in (12, 303, 4 * 3600 + 60, 3 * 86400 + 3600)] == ["12s", "5m3s", "4h1m", "3d1h"]
    age = human_duration(12)
    assert isinstance(age, Words) and age.template == "{s}s" and age.params == {"s": "12"}
