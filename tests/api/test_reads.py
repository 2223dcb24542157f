"""Read and analysis routes: clusters, namespaces, workloads, pods, validate, connectivity and the
matrix; the whitelist and the audit log over the API."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_policies import PROBLEM, base, form


def c(api: Api) -> str:
    return f"/api/v1/clusters/{api.app.state.clusters.names()[0]}"


async def test_clusters_namespaces_workloads_and_pods(api: Api) -> None:
    listed = (await api.get("/api/v1/clusters")).json()["items"]
    assert listed[0]["ready"] is True and listed[0]["state"] == "ready"
    detail = (await api.get(c(api))).json()
    assert detail["kinds"]["networkpolicies"]["state"] == "ready"
    names: list[str] = []
    token = None
    while True:
        page = (
            await api.get(
                c(api) + "/namespaces", params={"limit": 2, **({"continue": token} if token else {})}
            )
        ).json()
        names += [n["metadata"]["name"] for n in page["items"]]
        token = page["metadata"]["continue"]
        if not token:
            break
    assert "test-np" in names and names == sorted(names)
    deployments = (
        await api.get(c(api) + "/namespaces/default/workloads", params={"kind": "Deployment"})
    ).json()
    assert deployments["items"] and {w["kind"] for w in deployments["items"]} == {"Deployment"}
    assert (
        await api.get(c(api) + "/namespaces/default/workloads", params={"kind": "Pod"})
    ).status_code == 400
    pods = (await api.get(c(api) + "/namespaces/default/pods")).json()["items"]
    label, value = next(iter(pods[0]["metadata"]["labels"].items()))
    some = (
        await api.get(c(api) + "/namespaces/default/pods", params={"labelSelector": f"{label}={value}"})
    ).json()
    assert some["items"] and all(p["metadata"]["labels"][label] == value for p in some["items"])
    bad = await api.get(c(api) + "/namespaces/default/pods", params={"labelSelector": "a in (b"})
    assert bad.status_code == 400 and bad.headers["content-type"] == PROBLEM
    assert (await api.get(c(api) + "/namespaces/no-such-ns/pods")).status_code == 404


async def test_validate_one_many_and_yaml_documents(api: Api) -> None:
    good = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "ok"},
        "spec": {"podSelector": {}},
    }
    bad = {"metadata": {"name": "bad"}, "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 0}]}]}}
    one = (await api.send("POST", "/api/v1/validate", json=good)).json()
    assert one["valid"] is True and one["results"][0]["name"] == "ok"
    many = (await api.send("POST", "/api/v1/validate", json=[good, bad])).json()
    assert many["valid"] is False
    assert many["results"][1]["errors"][0]["field"] == "spec.ingress[0].ports[0].port"
    docs = "metadata: {name: a}\nspec: {podSelector: {}}\n---\nkind: Service\n"
    yaml_answer = (
        await api.send("POST", "/api/v1/validate", content=docs, headers={"Content-Type": "application/yaml"})
    ).json()
    assert [r["valid"] for r in yaml_answer["results"]] == [True, False]
    assert yaml_answer["results"][1]["errors"][0]["field"] == "kind"


async def test_connectivity_and_reachability(api: Api) -> None:
    pods = sorted(
        p["metadata"]["name"] for p in (await api.get(c(api) + "/namespaces/default/pods")).json()["items"]
    )
    answer = await api.send(
        "POST",
        c(api) + "/connectivity",
        json={"from": f"default/{pods[0]}", "to": f"default/{pods[-1]}", "port": 80},
    )
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json()["allowed"], bool) and answer.json()["explanation"]
    unknown = await api.send(
        "POST", c(api) + "/connectivity", json={"from": "default/nope", "to": "1.2.3.4", "port": 80}
    )
    assert unknown.status_code == 404
    wrong = await api.send(
        "POST", c(api) + "/connectivity", json={"from": "a/b", "to": "c/d", "port": 80, "protocol": "ICMP"}
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "body.protocol"
    m = (await api.get(c(api) + "/namespaces/default/reachability", params={"port": "80"})).json()
    assert sorted(m["pods"]) == [f"default/{p}" for p in pods]
    assert set(m["allowed"][m["pods"][0]]) == set(m["pods"])


async def test_policy_changes_show_in_the_filtered_audit_log(api: Api, ns: str) -> None:
    for name in ("x1", "x2"):
        assert (await api.send("POST", base(api, ns), json=form(name), who="olga")).status_code == 201
    page = (await api.get("/api/v1/audit", params={"namespace": ns, "via": "api", "limit": 1})).json()
    assert [e["name"] for e in page["items"]] == ["x2"] and page["items"][0]["actor"] == "olga"
    rest = (
        await api.get("/api/v1/audit", params={"namespace": ns, "continue": page["metadata"]["continue"]})
    ).json()
    assert [e["name"] for e in rest["items"]] == ["x1"] and rest["metadata"]["continue"] is None
    assert "kind: NetworkPolicy" in rest["items"][0]["after"]


async def test_whitelist_applications_and_decisions(api: Api) -> None:
    cluster = api.app.state.clusters.names()[0]
    made = await api.send(
        "POST",
        "/api/v1/whitelist/applications",
        who="olga",
        json={"cluster": cluster, "reason": "we own the web tier"},
    )
    assert (
        made.status_code == 201 and made.json()["team"] == "app-team" and made.json()["status"] == "Pending"
    )
    app_id = made.json()["id"]
    twice = await api.send(
        "POST", "/api/v1/whitelist/applications", who="olga", json={"cluster": cluster, "reason": "again"}
    )
    assert twice.status_code == 409
    unknown_cluster = await api.send(
        "POST", "/api/v1/whitelist/applications", who="vic", json={"cluster": "nope", "reason": "x"}
    )
    assert unknown_cluster.status_code == 422 and unknown_cluster.json()["errors"][0]["field"] == "cluster"
    not_approver = await api.send(
        "POST", f"/api/v1/whitelist/applications/{app_id}/approve", who="olga", json={"comment": "mine"}
    )
    assert not_approver.status_code == 403
    rejected = await api.send(
        "POST", f"/api/v1/whitelist/applications/{app_id}/reject", who="anna", json={"comment": "not yet"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "Rejected"
    late = await api.send("POST", f"/api/v1/whitelist/applications/{app_id}/approve", who="anna", json={})
    assert late.status_code == 409
    one = (await api.get(f"/api/v1/whitelist/applications/{app_id}", who="vic")).json()
    assert [d["action"] for d in one["decisions"]] == ["reject"] and one["decidedBy"] == "anna"
    listed = (await api.get("/api/v1/whitelist/applications", params={"status": "Rejected"})).json()
    assert [a["id"] for a in listed["items"]] == [app_id]
    assert (await api.get("/api/v1/whitelist/applications/99999")).status_code == 404
    refusals = (
        await api.get("/api/v1/audit", params={"kind": "WhitelistApplication", "outcome": "failure"})
    ).json()
    assert {e["actor"] for e in refusals["items"]} == {"olga", "anna"}
