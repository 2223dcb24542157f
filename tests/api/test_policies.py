"""NetworkPolicy routes over HTTP against the sandbox: create (form, object, YAML, dry run), read
with ETag, list paging, replace with resourceVersion / If-Match and 409 when stale, delete, and
errors as problem details."""

from __future__ import annotations

from typing import Any

from app.audit import service as audit
from tests.api.conftest import Api, wait_for

PROBLEM = "application/problem+json"


def base(api: Api, ns: str) -> str:
    return f"/api/v1/clusters/{api.app.state.clusters.names()[0]}/namespaces/{ns}/networkpolicies"


def form(name: str, port: str = "80") -> dict[str, Any]:
    return {
        "form": {
            "name": name,
            "podSelector": {"labels": [{"key": "app", "value": "web"}]},
            "ingress": {"enabled": True, "rules": [{"ports": [{"protocol": "TCP", "port": port}]}]},
        }
    }


def cached(api: Api, ns: str, name: str) -> Any:
    return next(iter(api.app.state.clusters)).cache.network_policy(ns, name)


async def test_create_from_the_form_model_then_read_it_with_its_etag(api: Api, ns: str) -> None:
    created = await api.send("POST", base(api, ns), json=form("web"), who="olga")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["object"]["metadata"]["namespace"] == ns
    assert body["object"]["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 80}]}]
    assert body["form"]["name"] == "web" and body["dryRun"] is False
    version = body["object"]["metadata"]["resourceVersion"]
    assert created.headers["etag"] == f'"{version}"'
    await wait_for(lambda: cached(api, ns, "web") is not None)
    got = await api.get(f"{base(api, ns)}/web", who="vic")
    assert got.status_code == 200
    assert got.headers["etag"] == f'"{version}"'
    assert got.json()["form"]["podSelector"]["labels"] == [{"key": "app", "value": "web"}]
    async with api.app.state.sessions() as db:
        page = await audit.query(db, audit.AuditFilter(namespace=ns, name="web"))
    assert [(e.actor, e.via, e.action, e.outcome) for e in page.entries] == [
        ("olga", "api", "create", "success")
    ]
    assert "app: web" in (page.entries[0].after_yaml or "")


async def test_create_from_an_object_in_yaml_and_a_dry_run_that_stores_nothing(api: Api, ns: str) -> None:
    yaml_body = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n"
        "spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n"
    )
    dry = await api.send(
        "POST",
        base(api, ns) + "?dryRun=true",
        content=yaml_body,
        headers={"Content-Type": "application/yaml"},
    )
    assert dry.status_code == 200 and dry.json()["dryRun"] is True
    made = await api.send(
        "POST", base(api, ns), content=yaml_body, headers={"Content-Type": "application/yaml"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["object"]["spec"]["policyTypes"] == ["Ingress"]
    async with api.app.state.sessions() as db:
        page = await audit.query(db, audit.AuditFilter(namespace=ns, name="deny"))
    assert len(page.entries) == 1  # the dry run is not recorded


async def test_invalid_objects_are_422_with_kubernetes_field_paths(api: Api, ns: str) -> None:
    bad = {
        "metadata": {"name": "bad"},
        "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]},
    }
    r = await api.send("POST", base(api, ns), json=bad)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["status"] == 422 and problem["title"] == "Unprocessable Entity"
    assert problem["errors"][0]["field"] == "spec.ingress[0].from[0].ipBlock.cidr"
    assert problem["errors"][0]["type"] == "FieldValueInvalid"
    typed = await api.send("POST", base(api, ns), json={"metadata": {"name": 5}})
    assert typed.status_code == 422 and typed.json()["errors"][0]["field"] == "metadata.name"
    in_form = await api.send("POST", base(api, ns), json=form("f", port="http-x-toolong-name"))
    assert in_form.status_code == 422
    assert in_form.json()["errors"][0]["field"].startswith("spec.ingress[0].ports[0].port")


async def test_malformed_bodies_are_400_problems(api: Api, ns: str) -> None:
    for content, ctype in (
        ("{not json", "application/json"),
        ("a: [1", "application/yaml"),
        ("", "application/json"),
    ):
        r = await api.send("POST", base(api, ns), content=content, headers={"Content-Type": ctype})
        assert r.status_code == 400, (content, r.text)
        assert r.headers["content-type"] == PROBLEM and r.json()["status"] == 400
    other = await api.send("POST", base(api, ns), json={"metadata": {"name": "x", "namespace": "elsewhere"}})
    assert other.status_code == 400 and "does not match" in other.json()["detail"]
    connectivity = await api.send(
        "POST",
        f"/api/v1/clusters/{api.app.state.clusters.names()[0]}/connectivity",
        content="{",
        headers={"Content-Type": "application/json"},
    )
    assert connectivity.status_code == 400 and connectivity.headers["content-type"] == PROBLEM


DEEP = 100_000
DEEP_BODIES = (
    ("[" * DEEP + "]" * DEEP, "application/json"),
    ('{"a": ' * DEEP + "1" + "}" * DEEP, "application/json"),
    ('{"form": ' * DEEP + "{}" + "}" * DEEP, "application/json"),
    ("[" * DEEP + "]" * DEEP, "application/yaml"),
    ("a: " + "{b: " * DEEP + "c" + "}" * DEEP, "application/yaml"),
    ("- " * DEEP + "x", "application/yaml"),
)


async def test_deeply_nested_bodies_are_4xx_problems_on_every_route_that_takes_a_body(api: Api, ns: str) -> None:
    cluster = api.app.state.clusters.names()[0]
    routes = (
        ("POST", "/api/v1/validate"),
        ("POST", base(api, ns)),
        ("PUT", f"{base(api, ns)}/web"),
        ("POST", f"/api/v1/clusters/{cluster}/connectivity"),
        ("POST", "/api/v1/whitelist/applications"),
        ("POST", "/api/v1/whitelist/applications/1/approve"),
    )
    for method, url in routes:
        for content, ctype in DEEP_BODIES:
            r = await api.send(method, url, content=content, headers={"Content-Type": ctype})
            assert 400 <= r.status_code < 500, (method, url, content[:20], ctype, r.status_code, r.text[:200])
            assert r.headers["content-type"] == PROBLEM, (method, url, r.headers["content-type"])
    nested = await api.send("POST", "/api/v1/validate", content="[" * DEEP + "]" * DEEP,
                            headers={"Content-Type": "application/json"})
    assert "nested too deeply" in nested.json()["detail"]


async def test_replace_needs_the_current_version_and_a_stale_one_is_409(api: Api, ns: str) -> None:
    created = (await api.send("POST", base(api, ns), json=form("web"))).json()
    v1 = created["object"]["metadata"]["resourceVersion"]
    await wait_for(lambda: cached(api, ns, "web") is not None)
    update = form("web", port="8080")
    update["form"]["metadata"] = {"resourceVersion": v1}
    ok = await api.send("PUT", f"{base(api, ns)}/web", json=update, who="olga")
    assert ok.status_code == 200, ok.text
    v2 = ok.json()["object"]["metadata"]["resourceVersion"]
    assert v2 != v1 and ok.headers["etag"] == f'"{v2}"'
    assert ok.json()["object"]["spec"]["ingress"][0]["ports"][0]["port"] == 8080
    await wait_for(lambda: cached(api, ns, "web").metadata.resource_version == v2)

    stale = await api.send("PUT", f"{base(api, ns)}/web", json=update)
    assert stale.status_code == 409 and stale.headers["content-type"] == PROBLEM
    assert "modified" in stale.json()["detail"]

    missing = await api.send("PUT", f"{base(api, ns)}/web", json=form("web"))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "metadata.resourceVersion"

    by_header = await api.send(
        "PUT", f"{base(api, ns)}/web", json=form("web", "81"), headers={"If-Match": f'"{v2}"'}
    )
    assert by_header.status_code == 200, by_header.text
    stale_header = await api.send(
        "PUT", f"{base(api, ns)}/web", json=form("web", "82"), headers={"If-Match": f'"{v1}"'}
    )
    assert stale_header.status_code == 409
    async with api.app.state.sessions() as db:
        page = await audit.query(db, audit.AuditFilter(namespace=ns, name="web", action="update"))
    assert [e.outcome for e in page.entries] == [
        "failure",
        "success",
        "failure",
        "success",
    ]  # 422s never left


async def test_list_pages_with_limit_and_continue_and_delete_answers_204_then_404(api: Api, ns: str) -> None:
    for name in ("a", "b", "c"):
        assert (await api.send("POST", base(api, ns), json=form(name))).status_code == 201
    await wait_for(lambda: cached(api, ns, "c") is not None and cached(api, ns, "a") is not None)
    seen: list[str] = []
    token = None
    while True:
        params = {"limit": 2, **({"continue": token} if token else {})}
        page = (await api.get(base(api, ns), params=params)).json()
        seen += [item["object"]["metadata"]["name"] for item in page["items"]]
        token = page["metadata"]["continue"]
        if token is None:
            break
    assert seen == ["a", "b", "c"]
    bad = await api.get(base(api, ns), params={"continue": "!!nonsense"})
    assert bad.status_code == 400 and bad.headers["content-type"] == PROBLEM

    gone = await api.send("DELETE", f"{base(api, ns)}/b", who="olga")
    assert gone.status_code == 204
    await wait_for(lambda: cached(api, ns, "b") is None)
    assert (await api.get(f"{base(api, ns)}/b")).status_code == 404
    again = await api.send("DELETE", f"{base(api, ns)}/b")
    assert again.status_code == 404 and again.json()["title"] == "Not Found"
    unknown = await api.get("/api/v1/clusters/nope/namespaces/x/networkpolicies")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


async def test_the_list_over_every_namespace_pages_in_namespace_then_name_order(api: Api, ns: str) -> None:
    for name in ("b", "a"):
        assert (await api.send("POST", base(api, ns), json=form(name), who="olga")).status_code == 201
    await wait_for(lambda: cached(api, ns, "a") is not None and cached(api, ns, "b") is not None)
    everywhere = f"/api/v1/clusters/{api.app.state.clusters.names()[0]}/networkpolicies"
    seen: list[tuple[str, str]] = []
    token = None
    while True:
        got = await api.get(everywhere, params={"limit": 2, **({"continue": token} if token else {})}, who="vic")
        assert got.status_code == 200, got.text
        body = got.json()
        seen += [(p["object"]["metadata"]["namespace"], p["object"]["metadata"]["name"]) for p in body["items"]]
        token = body["metadata"]["continue"]
        if not token:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert [n for s, n in seen if s == ns] == ["a", "b"]
    assert len(seen) == len(next(iter(api.app.state.clusters)).cache.network_policies())
