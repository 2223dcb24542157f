"""A policy's own pages through the running console (its lifespan, the sandbox cluster, a real
database): details, YAML view/download/edit, Create from YAML, delete, recipes, workloads.
Every page is asked for both as a whole page and as an htmx fragment."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kubernetes_asyncio import client

from app.config import Settings
from app.main import create_app
from tests.conftest import SandboxProcess
from tests.web.conftest import approve_team

PASSWORD = "policy-views-admin-pw"
HX = {"HX-Request": "true"}


class Console:
    """A signed-in client of a running console, with the CSRF token its forms carry."""

    def __init__(self, app: FastAPI, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http
        self.csrf = ""

    async def sign_in(self) -> None:
        response = await self.http.post(
            "/login", data={"username": "admin", "password": PASSWORD, "next": "/"}
        )
        assert response.status_code == 303, response.text
        page = await self.http.get("/clusters/sandbox/networkpolicies/recipes")
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        self.csrf = match.group(1) if match else ""

    async def post(self, url: str, data: dict[str, str], **kw: Any) -> httpx.Response:
        return await self.http.post(url, data={**data, "csrf_token": self.csrf}, **kw)

    async def until(self, url: str, needle: str, timeout: float = 10.0) -> httpx.Response:
        """GET ``url`` until its body holds ``needle`` (the cache follows the cluster by watch)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            response = await self.http.get(url)
            if needle in response.text or asyncio.get_running_loop().time() > deadline:
                assert needle in response.text, f"{needle!r} never appeared at {url}: {response.status_code}"
                return response
            await asyncio.sleep(0.1)


@pytest.fixture
async def console(sandbox: SandboxProcess, tmp_path: Path) -> AsyncIterator[Console]:
    """Signed in as the admin, whose team (platform) is whitelisted for the sandbox cluster."""
    async with _console(sandbox, tmp_path, approved=True) as c:
        yield c


@asynccontextmanager
async def _console(sandbox: SandboxProcess, tmp_path: Path, *, approved: bool) -> AsyncIterator[Console]:
    app = create_app(
        Settings(kubeconfig=sandbox.kubeconfig_path, data_dir=tmp_path / "console", admin_password=PASSWORD)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as http:
            if approved:
                await approve_team(app)
            c = Console(app, http)
            await c.sign_in()
            yield c


@pytest.fixture
async def ns(kube: Any) -> AsyncIterator[str]:
    """A namespace of this module's tests with two workloads: web (app=web) and client (app=client)."""
    name = f"pv-{uuid.uuid4().hex[:8]}"
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    await core.create_namespace({"metadata": {"name": name}})
    for app_name, ports in (("web", [{"name": "http", "containerPort": 8080}]), ("client", [])):
        labels = {"app": app_name}
        await apps.create_namespaced_deployment(
            name,
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": app_name, "namespace": name, "labels": labels},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": app_name, "image": "nginx", "ports": ports}]},
                    },
                },
            },
        )
    yield name
    await core.delete_namespace(name)


def policy(ns: str, name: str = "web-policy", cidr: str = "198.51.100.0/24") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [
                {
                    "from": [
                        {"podSelector": {"matchLabels": {"app": "client"}}},
                        {"ipBlock": {"cidr": cidr}},
                    ],
                    "ports": [{"protocol": "TCP", "port": 8080}],
                }
            ],
        },
    }


def url(ns: str, name: str, tail: str = "") -> str:
    return f"/clusters/sandbox/namespaces/{ns}/networkpolicies/{name}{tail}"


async def test_details_show_words_selected_pods_resolved_peers_and_yaml(
    console: Console, kube: Any, ns: str
) -> None:
    await client.NetworkingV1Api(kube).create_namespaced_network_policy(ns, policy(ns))
    # the web pod, once the cache has it ("web-" alone would match the policy's own name)
    page = await console.until(url(ns, "web-policy"), '<span class="pod-name">web-')
    assert page.status_code == 200
    html = page.text
    assert "<html" in html
    assert f"Applies to pods in namespace {ns} with labels app=web." in html
    assert "Allows ingress from pods with labels app=client in the same namespace" in html
    assert re.search(r'Pods selected \(1\)</h2>\s*<ul class="pod-list"><li><span class="pod-name">web-', html)
    # the podSelector peer resolved to the client pod; the ipBlock shown as its CIDR
    assert re.search(rf'<span class="muted">{ns}:</span> client-', html)
    assert '<span class="cidr">198.51.100.0/24</span>' in html
    assert "spec.ingress[0]" in html and "TCP/8080" in html
    assert "Does not restrict egress." in html
    for action in ("/edit", "/yaml", "/delete"):
        assert f'href="http://console.test{url(ns, "web-policy", action)}"' in html
    assert "managedFields" not in html and "kind: NetworkPolicy" in html

    fragment = await console.http.get(url(ns, "web-policy"), headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="np-main"' in fragment.text
    assert "Applies to pods in namespace" in fragment.text

    missing = await console.http.get(url(ns, "no-such-policy"))
    assert missing.status_code == 404
    assert "networkpolicies.networking.k8s.io &#34;no-such-policy&#34; not found" in missing.text


async def test_yaml_view_has_copy_and_download_without_managed_fields(
    console: Console, kube: Any, ns: str
) -> None:
    await client.NetworkingV1Api(kube).create_namespaced_network_policy(ns, policy(ns))
    page = await console.until(url(ns, "web-policy", "/yaml"), "web-policy")
    assert page.status_code == 200
    assert 'id="np-copy"' in page.text and 'data-copy="np-yaml"' in page.text
    assert re.search(
        r'<pre class="yaml" id="np-yaml"[^>]*>apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy', page.text
    )
    assert "managedFields" not in page.text
    assert url(ns, "web-policy", "/yaml/download") in page.text

    download = await console.http.get(url(ns, "web-policy", "/yaml/download"))
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="web-policy.yaml"'
    assert download.text.startswith(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-policy"
    )
    assert "managedFields" not in download.text and "cidr: 198.51.100.0/24" in download.text

    fragment = await console.http.get(url(ns, "web-policy", "/yaml"), headers=HX)
    assert "<html" not in fragment.text and 'id="np-yaml"' in fragment.text


async def test_create_from_yaml_shows_field_errors_keeps_input_then_reviews_and_applies(
    console: Console, kube: Any, ns: str
) -> None:
    create = "/clusters/sandbox/networkpolicies/create-yaml"
    form = await console.http.get(f"{create}?namespace={ns}")
    assert form.status_code == 200 and '<textarea id="yaml-text" name="yaml"' in form.text
    assert 'name="csrf_token"' in form.text

    bad = policy(ns, "from-yaml", cidr="10.0.0.0/33")
    del bad["metadata"]["namespace"]  # taken from the namespace chosen on the page
    import yaml as pyyaml

    text = pyyaml.safe_dump(bad, sort_keys=False)
    invalid = await console.post(create, {"yaml": text, "namespace": ns, "op": "review"})
    assert invalid.status_code == 422
    assert '<code class="field-path">spec.ingress[0].from[1].ipBlock.cidr</code>' in invalid.text
    assert "Invalid value: &#34;10.0.0.0/33&#34;" in invalid.text
    assert "cidr: 10.0.0.0/33" in invalid.text  # the input is kept in the textarea
    assert 'aria-invalid="true"' in invalid.text

    two = await console.post(create, {"yaml": text + "---\n" + text, "namespace": ns})
    assert two.status_code == 422 and "2 documents, expected one NetworkPolicy" in two.text
    wrong = await console.post(
        create, {"yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", "namespace": ns}
    )
    assert wrong.status_code == 422 and '<code class="field-path">kind</code>' in wrong.text
    broken = await console.post(create, {"yaml": "kind: [NetworkPolicy\n", "namespace": ns}, headers=HX)
    assert (
        broken.status_code == 422 and "cannot be parsed (line" in broken.text and "<html" not in broken.text
    )

    good = pyyaml.safe_dump(policy(ns, "from-yaml") | {"metadata": {"name": "from-yaml"}}, sort_keys=False)
    review = await console.post(create, {"yaml": good, "namespace": ns, "op": "review"})
    assert review.status_code == 200, review.text
    assert "dry run" in review.text and f"namespace: {ns}" in review.text
    assert 'name="op" value="apply"' in review.text
    networking = client.NetworkingV1Api(kube)
    names = [p.metadata.name for p in (await networking.list_namespaced_network_policy(ns)).items]
    assert "from-yaml" not in names  # a review stores nothing

    applied = await console.post(create, {"yaml": good, "namespace": ns, "op": "apply"})
    assert applied.status_code == 303
    assert (
        applied.headers["location"]
        == f"http://console.test/clusters/sandbox/networkpolicies?namespace={ns}&done=created&name=from-yaml"
    )
    stored = await networking.read_namespaced_network_policy("from-yaml", ns)
    assert stored.spec.ingress[0]._from[1].ip_block.cidr == "198.51.100.0/24"

    again = await console.post(create, {"yaml": good, "namespace": ns, "op": "apply"}, headers=HX)
    assert again.status_code == 409 and "already exists" in again.text

    other = good.replace("from-yaml", "from-yaml-hx")
    hx = await console.post(create, {"yaml": other, "namespace": ns, "op": "apply"}, headers=HX)
    assert hx.status_code == 204
    assert hx.headers["HX-Redirect"].endswith(f"/networkpolicies?namespace={ns}&done=created&name=from-yaml-hx")


async def test_yaml_edit_updates_with_the_resource_version_and_reports_a_conflict(
    console: Console, kube: Any, ns: str
) -> None:
    networking = client.NetworkingV1Api(kube)
    await networking.create_namespaced_network_policy(ns, policy(ns))
    page = await console.until(url(ns, "web-policy", "/yaml?edit=1&why=explicit+null"), "web-policy")
    assert (
        "This policy opens in YAML because the form cannot show it:" in page.text
        and "explicit null" in page.text
    )
    rv = re.search(r'name="resource_version" value="(\d+)"', page.text)
    assert rv is not None
    text = re.search(r'<textarea id="yaml-text" name="yaml"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert text is not None
    import html as htmllib

    yaml_text = htmllib.unescape(text.group(1))
    edited = yaml_text.replace("198.51.100.0/24", "198.51.100.0/25")
    post_url = url(ns, "web-policy", "/yaml")
    review = await console.post(post_url, {"yaml": edited, "resource_version": rv.group(1), "op": "review"})
    assert review.status_code == 200 and "198.51.100.0/25" in review.text

    # someone else changes the policy meanwhile (kubectl edit)
    live = await networking.read_namespaced_network_policy("web-policy", ns)
    live.metadata.labels = {"changed": "by-someone-else"}
    await networking.replace_namespaced_network_policy("web-policy", ns, live)
    await console.until(url(ns, "web-policy"), "by-someone-else")
    conflict = await console.post(post_url, {"yaml": edited, "resource_version": rv.group(1), "op": "apply"})
    assert conflict.status_code == 409
    assert "Someone changed this policy after you opened it; nothing was overwritten." in conflict.text
    assert "the object has been modified" in conflict.text
    kept = await networking.read_namespaced_network_policy("web-policy", ns)
    assert kept.spec.ingress[0]._from[1].ip_block.cidr == "198.51.100.0/24"

    fresh = await console.http.get(url(ns, "web-policy", "/yaml?edit=1"))
    new_rv = re.search(r'name="resource_version" value="(\d+)"', fresh.text)
    assert new_rv is not None and new_rv.group(1) != rv.group(1)
    fresh_text = htmllib.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", fresh.text, re.S).group(1))  # type: ignore[union-attr]
    applied = await console.post(
        post_url,
        {
            "yaml": fresh_text.replace("198.51.100.0/24", "198.51.100.0/25"),
            "resource_version": new_rv.group(1),
            "op": "apply",
        },
    )
    assert applied.status_code == 303, applied.text
    done = await networking.read_namespaced_network_policy("web-policy", ns)
    assert done.spec.ingress[0]._from[1].ip_block.cidr == "198.51.100.0/25"
    assert done.metadata.labels == {"changed": "by-someone-else"}

    renamed = await console.post(
        post_url,
        {"yaml": fresh_text.replace("name: web-policy", "name: other"), "resource_version": new_rv.group(1)},
    )
    assert renamed.status_code == 422 and '<code class="field-path">metadata.name</code>' in renamed.text


async def test_delete_names_the_pods_that_lose_protection_per_direction(
    console: Console, kube: Any, ns: str
) -> None:
    networking = client.NetworkingV1Api(kube)
    doomed = policy(ns, "doomed")
    doomed["spec"]["egress"] = [{"to": [{"namespaceSelector": {}}]}]
    await networking.create_namespaced_network_policy(ns, doomed)
    # another policy keeps the web pod isolated for ingress
    await networking.create_namespaced_network_policy(
        ns,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny-ingress", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
    )
    page = await console.until(url(ns, "doomed", "/delete"), "<li>web-")
    await console.until(url(ns, "deny-ingress"), "deny-ingress")
    page = await console.http.get(url(ns, "doomed", "/delete"))
    assert page.status_code == 200
    html = page.text
    assert "Delete network policy doomed?" in html
    ingress = html[html.index('data-direction="Ingress"') : html.index('data-direction="Egress"')]
    egress = html[html.index('data-direction="Egress"') :]
    assert "No pod becomes unrestricted for ingress: other policies still select every pod it selects." in ingress
    assert "1 pod becomes unrestricted for egress: no other policy selects it for egress." in egress
    assert "<li>web-" in egress
    rv = re.search(r'name="resource_version" value="(\d+)"', html)
    assert rv is not None

    fragment = await console.http.get(url(ns, "doomed", "/delete"), headers=HX)
    assert "<html" not in fragment.text and "Delete network policy doomed?" in fragment.text

    live = await networking.read_namespaced_network_policy("doomed", ns)
    live.metadata.labels = {"touched": "yes"}
    await networking.replace_namespaced_network_policy("doomed", ns, live)
    stale = await console.post(url(ns, "doomed", "/delete"), {"resource_version": rv.group(1)})
    assert stale.status_code == 409
    assert "Not deleted: the policy changed after this page was shown." in stale.text
    await networking.read_namespaced_network_policy("doomed", ns)  # still there

    current = re.search(r'name="resource_version" value="(\d+)"', stale.text)
    assert current is not None and current.group(1) != rv.group(1)
    deleted = await console.post(
        url(ns, "doomed", "/delete"), {"resource_version": current.group(1)}, headers=HX
    )
    assert deleted.status_code == 204
    assert (
        deleted.headers["HX-Redirect"]
        == f"http://console.test/clusters/sandbox/networkpolicies?namespace={ns}&done=deleted&name=doomed"
    )
    listed = await console.http.get(deleted.headers["HX-Redirect"])
    assert 'role="status" id="np-done">Network policy doomed was deleted.</div>' in listed.text
    names = [p.metadata.name for p in (await networking.list_namespaced_network_policy(ns)).items]
    assert names == ["deny-ingress"]


async def test_recipes_link_to_the_editor_and_workloads_show_selecting_policies(
    console: Console, kube: Any, ns: str
) -> None:
    gallery = await console.http.get(f"/clusters/sandbox/networkpolicies/recipes?namespace={ns}")
    assert gallery.status_code == 200
    assert f'/clusters/sandbox/networkpolicies/new?namespace={ns}&amp;recipe=allow-by-label"' in gallery.text
    assert "Default deny egress" in gallery.text and "100.64.0.0/10" in gallery.text
    hx = await console.http.get(f"/clusters/sandbox/networkpolicies/recipes?namespace={ns}", headers=HX)
    assert "<html" not in hx.text and "recipe=allow-dns" in hx.text

    await client.NetworkingV1Api(kube).create_namespaced_network_policy(ns, policy(ns))
    await console.until(url(ns, "web-policy"), '<span class="pod-name">web-')
    page = await console.until(f"/clusters/sandbox/workloads?namespace={ns}", ">1/1<")
    html = page.text
    web_row = re.search(r">web</a></td>(.*?)</tr>", html, re.S)
    client_row = re.search(r">client</a></td>(.*?)</tr>", html, re.S)
    assert web_row and client_row
    assert '<span class="chip">app=web</span>' in web_row.group(1) and "1/1" in web_row.group(1)
    assert f'href="http://console.test{url(ns, "web-policy")}">web-policy</a>' in web_row.group(1)
    assert "None: not restricted" in client_row.group(1)
    for title in ("Stateless", "Stateful", "DaemonSet", "Job", "CronJob"):
        assert title in html
    only = await console.http.get(f"/clusters/sandbox/workloads?namespace={ns}&kind=statefulsets", headers=HX)
    assert (
        "<html" not in only.text
        and 'id="wl-statefulsets"' in only.text
        and 'id="wl-deployments"' not in only.text
    )


async def test_a_team_not_whitelisted_is_told_so_and_nothing_is_written(
    sandbox: SandboxProcess, tmp_path: Path, kube: Any, ns: str
) -> None:
    async with _console(sandbox, tmp_path, approved=False) as console:
        create = "/clusters/sandbox/networkpolicies/create-yaml"
        form = await console.http.get(f"{create}?namespace={ns}")
        assert form.status_code == 200 and "whitelist" in form.text.lower()
        text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: refused\nspec: {}\n"
        refused = await console.post(create, {"yaml": text, "namespace": ns, "op": "apply"})
        assert refused.status_code == 403 and "whitelist" in refused.text.lower()
        items = (await client.NetworkingV1Api(kube).list_namespaced_network_policy(ns)).items
        assert items == []


async def test_in_chinese_details_delete_and_recipes_say_whole_sentences_and_the_list_says_it_was_deleted(
    console: Console, kube: Any, ns: str
) -> None:
    await client.NetworkingV1Api(kube).create_namespaced_network_policy(ns, policy(ns))
    await console.until(url(ns, "web-policy"), '<span class="pod-name">web-')
    console.http.cookies.set("lang", "zh-CN")

    listed = await console.http.get(f"/clusters/sandbox/networkpolicies?namespace={ns}")
    details_url = f"http://console.test{url(ns, 'web-policy')}"
    assert f'<td><a href="{details_url}">web-policy</a>' in listed.text, "the name links to Details"

    details = (await console.http.get(url(ns, "web-policy"))).text
    assert f"<li>作用于命名空间 {ns} 中标签为 app=web 的 Pod。</li>" in details
    assert (
        "<li>允许来自同一命名空间中标签为 app=client 的 Pod 或网段 198.51.100.0/24 中的 IP 地址、"
        "目标端口为 TCP 8080 的入方向流量。</li>"
    ) in details
    assert "<li>不限制出方向流量。</li>" in details

    loses = "1 个 Pod 的入方向将不再受限制：没有其他策略在入方向选中它。"
    page = await console.until(url(ns, "web-policy", "/delete"), loses)  # once the cache holds the web pod
    assert "<h1>删除网络策略 web-policy？</h1>" in page.text

    recipes = (await console.http.get(f"/clusters/sandbox/networkpolicies/recipes?namespace={ns}")).text
    assert "<p>仅允许带有标签 app=busybox 的 Pod 通过 TCP 80 访问 nginx 的 Pod（app=nginx）。</p>" in recipes
    assert f"<li>作用于命名空间 {ns} 中标签为 app=nginx 的 Pod。</li>" in recipes

    rv = re.search(r'name="resource_version" value="(\d+)"', page.text)
    assert rv is not None
    deleted = await console.post(url(ns, "web-policy", "/delete"), {"resource_version": rv.group(1)})
    assert deleted.status_code == 303
    assert deleted.headers["location"].endswith(f"?namespace={ns}&done=deleted&name=web-policy")
    after = await console.http.get(deleted.headers["location"])
    assert '<div class="notice" role="status" id="np-done">网络策略 web-policy 已删除。</div>' in after.text
    # the message belongs to that one answer: the list's own refreshes do not repeat it
    refreshed = await console.http.get(f"/clusters/sandbox/networkpolicies?namespace={ns}", headers=HX)
    assert "np-done" not in refreshed.text
