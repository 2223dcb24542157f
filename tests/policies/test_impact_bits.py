"""The impact by classes of pods as bitsets (``app.policies.impact_bits``): what a World sees of
its pods is remembered per World, a change's own selectors still tell pods apart, and the groups a
review does not show are made only when read."""

from __future__ import annotations

from typing import Any

from app.policies import impact as im
from app.policies.impact_bits import seen_in
from app.policies.reachability import World
from app.web.templating import templates
from tests.policies.test_impact import DENY_NGINX, NGINX, pod, policy, world
from tests.policies.test_impact_classes import pairwise


def clients(count: int) -> list[Any]:
    """``count`` client workloads (two pods each, as a ReplicaSet makes them)."""
    return [
        pod(f"client{i:02d}-5f6d7c8b9-{r}abcd", {"app": f"client{i:02d}", "pod-template-hash": "5f6d7c8b9"})
        for i in range(count)
        for r in "xy"
    ]


def test_what_a_world_sees_is_remembered_per_world_and_a_new_world_answers_for_its_own_pods() -> None:
    before = world(NGINX, *clients(2))
    assert seen_in(before) is seen_in(before)
    assert len(im.policy_impact(before, DENY_NGINX).denied) == 2
    # the cache changed: a new World, with one more client, is not answered from the old one's memo
    grown = world(NGINX, *clients(3))
    assert seen_in(grown) is not seen_in(before)
    result = im.policy_impact(grown, DENY_NGINX)
    assert [g.src for g in result.denied] == ["default/client00", "default/client01", "default/client02"]
    assert result.as_dict() == pairwise(grown, im.with_policy(grown, DENY_NGINX))


def test_a_label_only_the_change_reads_tells_pods_apart() -> None:
    # no policy reads "zone" before; the new one allows ingress to nginx from zone=a only
    zoned = [pod(f"web-{i}", {"app": "web", "zone": "a" if i % 2 else "b"}, ((80, "TCP"),)) for i in range(6)]
    before = world(NGINX, *zoned, policies=(DENY_NGINX,))
    allow = policy("from-zone-a", {"podSelector": {"matchLabels": {"app": "nginx"}},
                                   "ingress": [{"from": [{"podSelector": {"matchLabels": {"zone": "a"}}},
                                                         {"ipBlock": {"cidr": "172.20.0.0/25"}}],
                                                "ports": [{"port": 80}]}]})  # fmt: skip
    after = im.with_policy(before, allow)
    result = im.impact(before, after)
    assert result.as_dict() == pairwise(before, after)
    assert result.allowed and all(g.dst == "default/nginx" for g in result.allowed)


def test_groups_are_made_when_read_and_a_review_shows_the_first_fifty() -> None:
    before = world(NGINX, *clients(60))
    result = im.policy_impact(before, DENY_NGINX)
    groups = result.denied
    assert len(groups) == 60 and not result.allowed
    assert [g.src for g in groups[-2:]] == ["default/client58", "default/client59"]
    assert groups[0] is groups[0] and groups[:60] == list(groups)
    assert groups[0].count == 2 and [f.src for f in groups[0].flows] == [
        "default/client00-5f6d7c8b9-xabcd", "default/client00-5f6d7c8b9-yabcd"]  # fmt: skip
    assert any("is selected for ingress by default/access-nginx" in line for line in groups[0].explanation)

    html = templates.env.get_template("networkpolicies/_impact.html").render(impact=result, _=lambda text: text)
    assert html.count('<li data-change="denied">') == 50
    assert "Newly denied (60)" in html and "Groups not shown: 10" in html
    assert "default/client49 → default/nginx" in html and "default/client50 →" not in html


def test_an_empty_world_and_a_change_that_affects_no_pod() -> None:
    empty = World([], [], [])
    assert im.policy_impact(empty, DENY_NGINX).unchanged
    elsewhere = policy("other", {"podSelector": {}, "policyTypes": ["Ingress"]}, ns="other")
    result = im.policy_impact(world(NGINX, *clients(1)), elsewhere)
    assert result.unchanged and result.checked == 0 and result.affected_pods == []
