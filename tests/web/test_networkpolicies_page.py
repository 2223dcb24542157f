"""The Network Policies list and the Create / Edit panel, driven over HTTP without a browser:
the no-JavaScript path (full pages, 303 redirects) and the htmx path (fragments, HX-Redirect)."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from kubernetes_asyncio import client as k8s

from app.accounts.service import create_user
from app.bench.html import form_fields
from app.web.networkpolicies import list_version
from tests.accounts.conftest import csrf_of, login

HX = {"HX-Request": "true"}
PANEL = {"HX-Request": "true", "HX-Target": "panel"}


async def post_panel(
    client: httpx.AsyncClient, html: str, op: str, headers: dict[str, str] | None = None, **changes: str
) -> httpx.Response:
    fields = [(k, v) for k, v in form_fields(html) if k not in changes] + list(changes.items()) + [("op", op)]
    return await client.post(
        "/clusters/sandbox/networkpolicies/editor",
        content=urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf_of(html), **(headers or {})},
    )


async def make_policy(kube: Any, namespace: str, name: str, spec: dict[str, Any]) -> None:
    await k8s.NetworkingV1Api(kube).create_namespaced_network_policy(
        namespace, {"metadata": {"name": name}, "spec": spec}
    )


async def wait_cached(app: Any, namespace: str, name: str) -> None:
    cache = app.state.clusters.get("sandbox").cache
    for _ in range(100):
        if cache.network_policy(namespace, name) is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{namespace}/{name} never reached the cache")


async def test_the_list_shows_policies_with_their_summaries_and_actions(admin: Any, kube: Any, namespace: str) -> None:
    app, client = admin
    await make_policy(kube, namespace, "web", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}, {}]})
    await make_policy(kube, namespace, "all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    await wait_cached(app, namespace, "all")

    page = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}")
    assert page.status_code == 200 and "<html" in page.text
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", page.text, re.S)
    assert [re.sub(r"<[^>]+>", "", r).split()[0] for r in rows] == ["all", "web"]
    web = next(r for r in rows if r.startswith('<a href="') and ">web</a>" in r)
    details = f"http://console.test/clusters/sandbox/namespaces/{namespace}/networkpolicies/web"
    assert web.startswith(f'<a href="{details}">web</a>'), "the name links to Details"
    assert "app=web" in web and "2 rules" in web and "Not restricted" in web
    everything = next(r for r in rows if ">all</a>" in r)
    assert "All pods in the namespace" in everything and everything.count("Deny all") == 2
    for action in ("Details", "Edit", "YAML", "Delete"):
        assert f">{action}</a>" in web

    fragment = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}&q=we", headers=HX)
    assert "<html" not in fragment.text and ">web</a></td>" in fragment.text and ">all</a></td>" not in fragment.text
    # The drop-down swaps the table only: the buttons of the namespace chosen come along out of band.
    create = f'/clusters/sandbox/networkpolicies/new?namespace={namespace}">Create</a>'
    assert 'id="np-actions" hx-swap-oob="true"' in fragment.text and create in fragment.text
    assert page.text.count('id="np-actions"') == 1 and "hx-swap-oob" not in page.text and create in page.text

    by_name_desc = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}&sort=name&dir=desc")
    assert by_name_desc.text.index(">web</a></td>") < by_name_desc.text.index(">all</a></td>")


async def test_an_empty_namespace_says_so(admin: Any, namespace: str) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}")
    assert "No network policies in this namespace." in page.text


async def test_the_list_is_live_a_change_made_elsewhere_ends_the_long_poll(
    admin: Any, kube: Any, namespace: str
) -> None:
    app, client = admin
    cache = app.state.clusters.get("sandbox").cache
    page = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}")
    since = int(re.search(r"since=(\d+)", page.text).group(1))  # type: ignore[union-attr]
    poll = asyncio.create_task(
        client.get(f"/clusters/sandbox/networkpolicies/rows?namespace={namespace}&since={since}", headers=HX)
    )
    await asyncio.sleep(0.3)
    if list_version(cache) == since:  # nothing the list shows changed meanwhile (other tests share the sandbox)
        assert not poll.done(), "the long poll answered before anything changed"
    await make_policy(kube, namespace, "made-by-kubectl", {"podSelector": {}})
    rows = await asyncio.wait_for(poll, 5)
    for _ in range(10):  # woken by someone else's change first: poll again, as the page does
        if ">made-by-kubectl</a></td>" in rows.text:
            break
        since = int(re.search(r"since=(\d+)", rows.text).group(1))  # type: ignore[union-attr]
        rows = await client.get(
            f"/clusters/sandbox/networkpolicies/rows?namespace={namespace}&since={since}", headers=HX, timeout=10
        )
    assert ">made-by-kubectl</a></td>" in rows.text


async def test_a_long_poll_is_not_woken_by_kinds_the_list_does_not_show(admin: Any, kube: Any, namespace: str) -> None:
    app, client = admin
    cache = app.state.clusters.get("sandbox").cache
    since = list_version(cache)
    before = cache.version
    poll = asyncio.create_task(
        client.get(f"/clusters/sandbox/networkpolicies/rows?namespace={namespace}&since={since}", headers=HX)
    )
    await k8s.CoreV1Api(kube).create_namespaced_config_map(namespace, {"metadata": {"name": "unrelated"}})
    await k8s.CoreV1Api(kube).create_namespaced_service(
        namespace, {"metadata": {"name": "unrelated"}, "spec": {"ports": [{"port": 80}]}}
    )
    for _ in range(100):
        if cache.version > before:
            break
        await asyncio.sleep(0.05)
    assert cache.version > before, "the service never reached the cache"
    await asyncio.sleep(0.2)
    if list_version(cache) == since:
        assert not poll.done(), "a change to a Service woke the list"
    poll.cancel()


async def test_create_without_javascript_keeps_input_on_errors_then_applies(
    admin: Any, kube: Any, namespace: str
) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    assert page.status_code == 200
    html = (await post_panel(client, page.text, "add:ingress.rules", name="from-lb")).text
    html = (await post_panel(client, html, "add:ingress[0].peers")).text
    html = (await post_panel(client, html, "refresh", **{"ingress[0].peers[0].kind": "ipBlock"})).text
    bad = await post_panel(client, html, "next", **{"ingress[0].peers[0].cidr": "100.64.0.0/33"})
    assert bad.status_code == 422
    assert "spec.ingress[0].from[0].ipBlock.cidr" in bad.text
    assert 'value="100.64.0.0/33"' in bad.text and 'aria-invalid="true"' in bad.text
    assert 'name="name" value="from-lb"' in bad.text

    review = await post_panel(client, bad.text, "next", **{"ingress[0].peers[0].cidr": "100.64.0.0/10"})
    assert review.status_code == 200 and "dryRun=All" in review.text and "cidr: 100.64.0.0/10" in review.text
    net = k8s.NetworkingV1Api(kube)
    assert (await net.list_namespaced_network_policy(namespace)).items == [], "a review must not apply"

    back = await post_panel(client, review.text, "previous")
    assert 'value="100.64.0.0/10"' in back.text and "Next" in back.text

    done = await post_panel(client, review.text, "apply")
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"?namespace={namespace}&done=created&name=from-lb")
    stored = await net.read_namespaced_network_policy("from-lb", namespace)
    assert stored.spec.ingress[0]._from[0].ip_block.cidr == "100.64.0.0/10"
    listed = await client.get(done.headers["location"])
    assert '<div class="notice" role="status" id="np-done">Network policy from-lb was created.</div>' in listed.text


async def test_htmx_gets_the_panel_fragment_and_an_hx_redirect(admin: Any, kube: Any, namespace: str) -> None:
    _, client = admin
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    fragment = await post_panel(client, page.text, "add:egress.rules", headers=PANEL, name="deny-out")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="panel"')
    full = (await post_panel(client, page.text, "add:egress.rules", name="deny-out")).text
    review = await post_panel(client, full, "next")
    done = await post_panel(client, review.text, "apply", headers=PANEL)
    assert done.status_code == 204
    assert done.headers["HX-Redirect"].endswith(f"?namespace={namespace}&done=created&name=deny-out")
    listed = await client.get(done.headers["HX-Redirect"])  # htmx navigates to it as a whole page
    assert 'role="status" id="np-done">Network policy deny-out was created.</div>' in listed.text
    stored = await k8s.NetworkingV1Api(kube).read_namespaced_network_policy("deny-out", namespace)
    assert stored.spec.policy_types == ["Ingress", "Egress"]


async def test_a_team_without_an_approved_application_gets_a_read_only_page(
    admin: Any, kube: Any, namespace: str
) -> None:
    app, client = admin
    async with app.state.sessions() as db:
        await create_user(db, "dev", team="app-team", roles=["operator"], password="dev-password-123")
        await db.commit()
    await client.post("/logout", headers={"X-CSRF-Token": csrf_of((await client.get("/")).text)})
    await login(client, "dev", "dev-password-123")

    page = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}")
    assert "Read-only." in page.text and "Team app-team has no approved whitelist application" in page.text
    assert "/whitelist?cluster=sandbox" in page.text and ">Create</a>" not in page.text

    # The page hides the buttons; the service refuses the write even when posted directly.
    form = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    refused = await post_panel(client, form.text, "apply", name="sneaky")
    assert refused.status_code == 403 and "no approved whitelist application" in refused.text
    assert (await k8s.NetworkingV1Api(kube).list_namespaced_network_policy(namespace)).items == []


async def test_a_banner_warns_once_the_cluster_holds_100_policies(admin: Any, kube: Any, namespace: str) -> None:
    app, client = admin
    cache = app.state.clusters.get("sandbox").cache
    page = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}")
    assert "ACK recommends fewer than 100" not in page.text
    # Other tests' namespaces may still be emptying (the namespace controller deletes their
    # policies a little later): make policies until the cluster holds at least 100.
    made = 0
    while len(cache.network_policies()) < 100:
        missing = 100 - len(cache.network_policies())
        names = [f"p{made + i:03d}" for i in range(missing)]
        await asyncio.gather(*(make_policy(kube, namespace, name, {"podSelector": {}}) for name in names))
        made += missing
        await wait_cached(app, namespace, f"p{made - 1:03d}")
        await asyncio.sleep(0.5)
    page = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}")
    assert re.search(r"This cluster holds 1\d\d network policies\. ACK recommends fewer than 100", page.text)


async def test_details_show_the_history_and_an_earlier_version_can_be_restored_through_review(
    admin: Any, kube: Any, namespace: str
) -> None:
    app, client = admin
    net = k8s.NetworkingV1Api(kube)
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    html = (await post_panel(client, page.text, "add:ingress.rules", name="versions")).text
    html = (await post_panel(client, html, "add:ingress[0].ports")).text
    review = await post_panel(client, html, "next", **{"ingress[0].ports[0].port": "80"})
    assert (await post_panel(client, review.text, "apply")).status_code == 303
    await wait_cached(app, namespace, "versions")

    edit = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/versions/edit")
    review = await post_panel(client, edit.text, "next", **{"ingress[0].ports[0].port": "8080"})
    assert (await post_panel(client, review.text, "apply")).status_code == 303
    assert (await net.read_namespaced_network_policy("versions", namespace)).spec.ingress[0].ports[0].port == 8080
    cache = app.state.clusters.get("sandbox").cache
    for _ in range(100):
        if cache.network_policy(namespace, "versions").spec.ingress[0].ports[0].port == 8080:
            break
        await asyncio.sleep(0.05)

    details = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/versions")
    history = details.text[details.text.index('id="np-history-title"') :]
    assert history.count("Restore this version") == 2
    assert "+      port: 8080" in history.replace("&#43;", "+") or "port: 8080" in history
    oldest = re.findall(r"/restore/(\d+)", history)[-1]

    restore = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/versions/restore/{oldest}")
    assert restore.status_code == 200 and "Restoring the version of" in restore.text
    assert 'name="ingress[0].ports[0].port" value="80"' in restore.text
    review = await post_panel(client, restore.text, "next")
    assert review.status_code == 200
    applied = await post_panel(client, review.text, "apply", headers={"HX-Request": "true", "HX-Target": "panel"})
    assert applied.status_code == 204 and "done=restored&name=versions" in applied.headers["HX-Redirect"]
    listed = await client.get(applied.headers["HX-Redirect"])
    assert 'role="status" id="np-done">Network policy versions was restored.</div>' in listed.text
    assert (await net.read_namespaced_network_policy("versions", namespace)).spec.ingress[0].ports[0].port == 80

    async with app.state.sessions() as db:
        from app.audit.service import history as audit_history

        actions = [e.action for e in await audit_history(db, "sandbox", namespace, "versions")]
    assert actions == ["restore", "update", "create"]


async def test_a_recipe_opens_filled_for_review_with_the_matching_workload_preselected(admin: Any) -> None:
    _, client = admin
    page = await client.get("/clusters/sandbox/networkpolicies/new?namespace=default&recipe=allow-by-label")
    assert page.status_code == 200
    assert 'name="podSelector.labels[0].value" value="nginx"' in page.text
    opened = (await post_panel(client, page.text, "pick-open:podSelector")).text  # "+ Select Workload And Add Label"
    picker = opened[opened.index('name="pick.podSelector.workload"') :]
    assert re.match(r'[^>]*>\s*(<option>[^<]*</option>)*?<option selected>nginx</option>', picker, re.S)
    missing = await client.get("/clusters/sandbox/networkpolicies/new?namespace=default&recipe=nope")
    assert missing.status_code == 404


async def test_annotations_with_quotes_survive_the_form_and_cannot_inject_markup(
    admin: Any, kube: Any, namespace: str
) -> None:
    """Metadata the form does not edit rides in a hidden JSON field; a quote in an annotation must
    stay inside the attribute. (The API server drops unknown fields, so metadata is what carries
    free text into the form.)"""
    app, client = admin
    evil = '" hx-get="/healthz" hx-trigger="load" x="'
    await k8s.NetworkingV1Api(kube).create_namespaced_network_policy(
        namespace,
        {"metadata": {"name": "odd", "annotations": {"note": evil}},
         "spec": {"podSelector": {"matchLabels": {"app": "x"}}, "ingress": [{}]}},
    )
    await wait_cached(app, namespace, "odd")
    edit = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/odd/edit")
    assert edit.status_code == 200
    assert 'hx-trigger="load" x=' not in edit.text and "&#34;" in edit.text
    review = await post_panel(client, edit.text, "next")
    assert review.status_code == 200, review.text
    assert (await post_panel(client, review.text, "apply")).status_code == 303
    obj = await app.state.clusters.get("sandbox").get_object("networkpolicies", namespace, "odd")
    assert obj["metadata"]["annotations"]["note"] == evil


@pytest.mark.parametrize("headers", [pytest.param({}, id="without-javascript"), pytest.param(PANEL, id="htmx")])
async def test_after_ok_on_an_edit_the_list_says_the_policy_was_updated(
    admin: Any, kube: Any, namespace: str, headers: dict[str, str]
) -> None:
    app, client = admin
    await make_policy(kube, namespace, "edited", {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]})
    await wait_cached(app, namespace, "edited")
    edit = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/edited/edit")
    review = await post_panel(client, edit.text, "next", **{"ingress[0].ports[0].port": "8080"})
    done = await post_panel(client, review.text, "apply", headers=headers)
    target = done.headers["HX-Redirect"] if headers else done.headers["location"]
    assert done.status_code == (204 if headers else 303)
    assert target.endswith(f"?namespace={namespace}&done=updated&name=edited")
    listed = await client.get(target)
    assert '<div class="notice" role="status" id="np-done">Network policy edited was updated.</div>' in listed.text
    client.cookies.set("lang", "zh-CN")
    try:
        listed = await client.get(target)
    finally:
        client.cookies.delete("lang")
    assert '<div class="notice" role="status" id="np-done">网络策略 edited 已更新。</div>' in listed.text


async def test_a_change_shows_on_the_page_and_the_rest_list_as_soon_as_the_cache_has_it(
    admin: Any, kube: Any, namespace: str
) -> None:
    """The page's rows and the REST list are kept per cache version (issue 16): a change made
    through the API server shows on the very next request after the cache has it, and the list's
    ETag moves with it."""
    app, client = admin
    cache = app.state.clusters.get("sandbox").cache
    page_url = f"/clusters/sandbox/networkpolicies?namespace={namespace}"
    rest_url = f"/api/v1/clusters/sandbox/namespaces/{namespace}/networkpolicies"
    await make_policy(kube, namespace, "kept", {"podSelector": {"matchLabels": {"app": "before"}}})
    await wait_cached(app, namespace, "kept")
    for _ in range(2):  # the second answers come from what the first ones kept
        page, listed = await client.get(page_url), await client.get(rest_url)
    assert "app=before" in page.text and "app=after" not in page.text
    assert [p["object"]["metadata"]["name"] for p in listed.json()["items"]] == ["kept"]
    old_tag = listed.headers["ETag"]
    assert (await client.get(rest_url, headers={"If-None-Match": old_tag})).status_code == 304

    net = k8s.NetworkingV1Api(kube)
    changed = await net.patch_namespaced_network_policy(
        "kept", namespace, {"spec": {"podSelector": {"matchLabels": {"app": "after"}}}}
    )
    await make_policy(kube, namespace, "added", {"podSelector": {}})
    for _ in range(100):
        held = cache.network_policy(namespace, "kept")
        if held is not None and held.metadata.resource_version == changed.metadata.resource_version:
            if cache.network_policy(namespace, "added") is not None:
                break
        await asyncio.sleep(0.02)
    page, listed = await client.get(page_url), await client.get(rest_url)  # no wait: the cache has both
    assert "app=after" in page.text and "app=before" not in page.text and ">added</a>" in page.text
    kept = next(p for p in listed.json()["items"] if p["object"]["metadata"]["name"] == "kept")
    assert kept["object"]["spec"]["podSelector"] == {"matchLabels": {"app": "after"}}
    assert [p["object"]["metadata"]["name"] for p in listed.json()["items"]] == ["added", "kept"]
    assert listed.headers["ETag"] != old_tag
    assert (await client.get(rest_url, headers={"If-None-Match": old_tag})).status_code == 200
    assert (await client.get(rest_url, headers={"If-None-Match": listed.headers["ETag"]})).status_code == 304
    everywhere = await client.get("/api/v1/clusters/sandbox/networkpolicies", params={"limit": 500})
    assert any(p["object"]["metadata"]["name"] == "added" for p in everywhere.json()["items"]) or everywhere.json()[
        "metadata"
    ]["continue"]

    await net.delete_namespaced_network_policy("added", namespace)
    for _ in range(100):
        if cache.network_policy(namespace, "added") is None:
            break
        await asyncio.sleep(0.02)
    page, listed = await client.get(page_url), await client.get(rest_url)
    assert ">added</a>" not in page.text and ">kept</a>" in page.text
    assert [p["object"]["metadata"]["name"] for p in listed.json()["items"]] == ["kept"]
