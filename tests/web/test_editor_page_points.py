"""Issue 11's page points for the Create / Edit panel, over HTTP with and without htmx: the workload
picker that opens from "+ Select Workload And Add Label" and offers Type All (scenario 4); errors
in the page's words; a create's review without server-filled fields; the panel over the list."""

from __future__ import annotations

import html as h
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from kubernetes_asyncio import client as k8s

from tests.web.test_networkpolicies_page import PANEL, form_fields, make_policy, wait_cached

WAYS = [pytest.param({}, id="without-javascript"), pytest.param(PANEL, id="htmx")]


async def post_panel(
    client: httpx.AsyncClient, html: str, op: str, headers: dict[str, str] | None = None, **changes: str
) -> httpx.Response:
    """The panel's form posted as a browser would; a fragment carries its token in the form."""
    token = re.search(r'(?:name="csrf-token" content|name="csrf_token" value)="([^"]+)"', html)
    assert token, "no CSRF token in the panel"
    fields = [(k, v) for k, v in form_fields(html) if k not in changes] + list(changes.items()) + [("op", op)]
    return await client.post(
        "/clusters/sandbox/networkpolicies/editor",
        content=urlencode(fields),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "X-CSRF-Token": token.group(1),
            **(headers or {}),
        },
    )


def picker_of(html: str, prefix: str = "podSelector") -> str:
    """The open picker's fieldset of one selector ("" when it is closed)."""
    inside = r"(?:(?!</fieldset>).)*"
    opened = rf'name="pick\.{re.escape(prefix)}\.open"'
    match = re.search(rf'<fieldset class="picker">{inside}{opened}{inside}</fieldset>', html, re.S)
    return match.group(0) if match else ""


def label_rows(html: str, prefix: str = "podSelector") -> list[tuple[str, str]]:
    keys = re.findall(rf'name="{re.escape(prefix)}\.labels\[(\d+)\]\.key" value="([^"]*)"', html)
    values = dict(re.findall(rf'name="{re.escape(prefix)}\.labels\[(\d+)\]\.value" value="([^"]*)"', html))
    return [(key, values[i]) for i, key in keys]


def opener(prefix: str = "podSelector") -> str:
    return f'name="op" value="pick-open:{prefix}"'


def review_yaml(html: str) -> dict[str, Any]:
    match = re.search(r'<pre class="yaml"[^>]*aria-label="YAML">(.*?)</pre>', html, re.S)
    assert match, "no YAML in the review"
    return yaml.safe_load(h.unescape(match.group(1)))  # type: ignore[no-any-return]


@pytest.mark.parametrize("headers", WAYS)
async def test_the_workload_picker_opens_from_its_button_and_closes_after_a_pick_or_cancel(
    admin: Any, headers: dict[str, str]
) -> None:
    _, client = admin
    page = await client.get("/clusters/sandbox/networkpolicies/new?namespace=default")
    # Closed: one button, no selects and no second "Add label" beside the rows' own.
    assert opener() in page.text and picker_of(page.text) == ""
    assert 'name="pick.podSelector.type"' not in page.text

    opened = await post_panel(client, page.text, "pick-open:podSelector", headers=headers, name="picked")
    assert opened.status_code == 200
    picker = picker_of(opened.text)
    assert picker and opener() not in opened.text
    types = re.findall(r'<option value="([a-z]+)"[^>]*>([^<]*)</option>', picker)
    assert types[:3] == [
        ("all", "All"),
        ("deployments", "Stateless (Deployment)"),
        ("statefulsets", "Stateful (StatefulSet)"),
    ]
    assert 'value="pick:podSelector"' in picker and 'value="pick-cancel:podSelector"' in picker

    # Another workload chosen (the select re-renders the panel): still open, its label offered.
    chose = await post_panel(
        client, opened.text, "refresh", headers=headers, **{"pick.podSelector.workload": "nginx"}
    )
    assert "<option selected>app=nginx</option>" in picker_of(chose.text)

    cancelled = await post_panel(client, chose.text, "pick-cancel:podSelector", headers=headers)
    assert picker_of(cancelled.text) == "" and opener() in cancelled.text
    assert label_rows(cancelled.text) == []

    reopened = await post_panel(client, cancelled.text, "pick-open:podSelector", headers=headers)
    picked = await post_panel(
        client, reopened.text, "pick:podSelector", headers=headers, **{"pick.podSelector.workload": "nginx"}
    )
    assert label_rows(picked.text) == [("app", "nginx")]
    assert picker_of(picked.text) == "" and opener() in picked.text
    assert 'name="name" value="picked"' in picked.text, "what was typed stays"


@pytest.mark.parametrize("headers", WAYS)
async def test_type_all_empties_the_pod_selector_and_the_policy_applies_to_every_pod(
    admin: Any, kube: Any, namespace: str, headers: dict[str, str]
) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    html = (await post_panel(client, page.text, "add:podSelector.labels", name="deny-public-net")).text
    typed = {"podSelector.labels[0].key": "app", "podSelector.labels[0].value": "x"}
    html = (await post_panel(client, html, "add:podSelector.expressions", **typed)).text
    assert label_rows(html) == [("app", "x")]
    html = (await post_panel(client, html, "pick-open:podSelector", headers=headers)).text
    chosen = await post_panel(client, html, "refresh", headers=headers, **{"pick.podSelector.type": "all"})
    picker = picker_of(chosen.text)
    assert '<option value="all" selected>All</option>' in picker
    assert 'name="pick.podSelector.workload"' not in picker, "All has no workload to choose"
    done = await post_panel(client, chosen.text, "pick:podSelector", headers=headers)
    assert label_rows(done.text) == [] and 'name="podSelector.expressions[0].key"' not in done.text
    assert picker_of(done.text) == ""

    review = await post_panel(client, done.text, "next")
    assert review.status_code == 200, review.text
    assert review_yaml(review.text)["spec"]["podSelector"] == {}
    assert "Applies to all pods in namespace" in review.text
    assert (await post_panel(client, review.text, "apply")).status_code == 303
    stored = await k8s.NetworkingV1Api(kube).read_namespaced_network_policy("deny-public-net", namespace)
    assert stored.spec.pod_selector.match_labels is None and stored.spec.pod_selector.match_expressions is None


@pytest.mark.parametrize("headers", WAYS)
async def test_the_error_summary_says_where_in_the_pages_words_with_the_field_path_in_small_print(
    admin: Any, namespace: str, headers: dict[str, str]
) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    html = (await post_panel(client, page.text, "add:egress.rules", name="bad-cidr")).text
    html = (await post_panel(client, html, "add:egress[0].peers")).text
    html = (await post_panel(client, html, "refresh", **{"egress[0].peers[0].kind": "ipBlock"})).text
    bad = await post_panel(client, html, "next", headers=headers, **{"egress[0].peers[0].cidr": "10.0.0.0/33"})
    assert bad.status_code == 422
    summary = bad.text[bad.text.index('id="error-summary"') :]
    summary = summary[: summary.index("</ul>")]
    item = re.search(
        r'<li><a href="#f-egress-0--peers-0--cidr">([^<]*)</a> <small class="field-path">([^<]*)</small></li>', summary
    )
    assert item, summary
    assert item.group(1).startswith("Destination rule 1 › ipBlock › cidr: ") and "CIDR" in item.group(1)
    assert item.group(2) == "spec.egress[0].to[0].ipBlock.cidr"
    assert 'id="f-egress-0--peers-0--cidr"' in bad.text, "the link's target is the field"

    client.cookies.set("lang", "zh-CN")
    try:
        again = await post_panel(client, bad.text, "next", headers=headers)
    finally:
        client.cookies.delete("lang")
    assert '<a href="#f-egress-0--peers-0--cidr">出方向规则 1 › ipBlock › cidr: ' in again.text


async def test_a_create_review_shows_no_server_filled_fields_an_edit_review_shows_the_objects(
    admin: Any, kube: Any, namespace: str
) -> None:
    app, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    review = await post_panel(client, page.text, "next", name="fresh")
    assert review.status_code == 200, review.text
    shown = review_yaml(review.text)
    assert shown["metadata"] == {"name": "fresh", "namespace": namespace}
    for field in ("uid", "creationTimestamp", "resourceVersion", "generation", "managedFields"):
        assert f"{field}:" not in review.text

    await make_policy(kube, namespace, "existing", {"podSelector": {}})
    await wait_cached(app, namespace, "existing")
    edit = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/existing/edit")
    review = await post_panel(client, edit.text, "next")
    assert review.status_code == 200, review.text
    meta = review_yaml(review.text)["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]


@pytest.mark.parametrize("path", ["networkpolicies/new?namespace={ns}", "namespaces/{ns}/networkpolicies/listed/edit"])
async def test_the_panel_opens_over_the_list_of_its_namespace(admin: Any, kube: Any, namespace: str, path: str) -> None:
    app, client = admin
    await make_policy(kube, namespace, "listed", {"podSelector": {}})
    await wait_cached(app, namespace, "listed")
    url = "/clusters/sandbox/" + path.format(ns=namespace)

    page = await client.get(url)
    assert page.status_code == 200
    table = page.text[page.text.index('<table class="table" aria-label="Network Policies">') :]
    assert f'/namespaces/{namespace}/networkpolicies/listed">listed</a>' in table[: table.index("</table>")]
    assert f'<option value="{namespace}" selected>' in page.text
    assert page.text.index("</table>") < page.text.index('<div id="panel"'), "the panel is drawn over the list"

    fragment = await client.get(url, headers=PANEL)
    assert fragment.text.lstrip().startswith('<div id="panel"') and "<table" not in fragment.text


async def test_details_rule_tables_and_the_clusters_page_speak_chinese(admin: Any, kube: Any, namespace: str) -> None:
    app, client = admin
    await make_policy(
        kube,
        namespace,
        "peers",
        {
            "podSelector": {},
            "ingress": [
                {"from": [{"namespaceSelector": {}}, {"podSelector": {"matchLabels": {"app": "web"}}}],
                 "ports": [{"protocol": "UDP"}]},
                {},
            ],
        },
    )
    await wait_cached(app, namespace, "peers")
    url = f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/peers"
    english = (await client.get(url)).text
    assert "all pods in all namespaces" in english and "any source" in english and "UDP (all ports)" in english

    client.cookies.set("lang", "zh-CN")
    try:
        details = (await client.get(url)).text
        clusters = (await client.get("/")).text
    finally:
        client.cookies.delete("lang")
    rules = details[details.index('id="np-ingress"') : details.index('id="np-egress"')]
    assert "所有命名空间中的所有 Pod" in rules
    assert f"命名空间 {namespace} 中匹配 app=web 的 Pod" in rules
    assert "任意来源" in rules and "UDP（所有端口）" in rules and "所有端口" in rules
    for english_text in ("all pods", "any source", "all ports", "pods matching"):
        assert english_text not in rules
    update = re.search(r"距 API Server 上次更新: ([^<]*)<", clusters)
    assert update, "the clusters page says how long since the last update"
    assert re.fullmatch(r"\d+ (秒|分钟)|\d+ 分 \d+ 秒", update.group(1).strip()), update.group(1)


async def test_with_both_directions_off_the_summary_names_source_and_links_to_its_switch(
    admin: Any, namespace: str
) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    bad = await post_panel(client, page.text, "next", name="nothing", **{"ingress.enabled": "false"})
    assert bad.status_code == 422
    assert re.search(r'<li><a href="#f-ingress-enabled">Source: [^<]*turn on Source or Destination', bad.text)
    assert re.search(r'<input type="checkbox" id="f-ingress-enabled" name="ingress.enabled"', bad.text)
