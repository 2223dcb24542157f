"""The workloads API on the sandbox: create from image (dry run, all or nothing, problem+json),
list and read with an ETag over pod labels and replicas, PATCH and DELETE with dryRun and
If-Match (stale: 409, as for policies), viewers refused."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, wait_for

NGINX = {"name": "nginx", "image": "nginx:latest", "replicas": 1, "ports": [{"port": 80}],
         "service": {"name": "nginx", "type": "ClusterIP", "ports": [{"port": 80, "targetPort": 80}]}}  # fmt: skip


def base(ns: str) -> str:
    return f"/api/v1/clusters/sandbox/namespaces/{ns}/workloads"


async def created(api: Api, ns: str) -> str:
    made = await api.send("POST", base(ns), json=NGINX, who="olga")
    assert made.status_code == 201, made.text
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: any(w.name == "nginx" for w in cluster.cache.workloads("deployments", ns)))
    return base(ns) + "/Deployment/nginx"


async def test_create_from_image_dry_runs_then_stores_both_or_refuses(api: Api, ns: str) -> None:
    cluster: Any = next(iter(api.app.state.clusters))
    dry = await api.send("POST", base(ns) + "?dryRun=All", json=NGINX, who="olga")
    assert dry.status_code == 200 and dry.json()["dryRun"] is True
    assert [o["kind"] for o in dry.json()["objects"]] == ["Deployment", "Service"]
    assert (await api.get(base(ns) + "/Deployment/nginx")).status_code == 404, "a dry run stores nothing"
    made = await api.send("POST", base(ns), json=NGINX, who="olga")
    assert made.status_code == 201
    assert made.json()["objects"][1]["spec"]["selector"] == {"app": "nginx"}
    again = await api.send("POST", base(ns), json=NGINX, who="olga")
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    bad = await api.send("POST", base(ns), json={**NGINX, "name": "Bad_Name", "service": None}, who="olga")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    viewer = await api.send("POST", base(ns), json={**NGINX, "name": "other"}, who="vic")
    assert viewer.status_code == 403
    await wait_for(lambda: any(w.name == "nginx" for w in cluster.cache.workloads("deployments", ns)))
    listed = await api.get(base(ns))
    assert listed.status_code == 200 and [i["metadata"]["name"] for i in listed.json()["items"]] == ["nginx"]
    one = await api.get(base(ns) + "/Deployment/nginx")
    assert one.status_code == 200 and one.json()["podLabels"] == {"app": "nginx"} and one.headers["ETag"]


async def test_patch_with_if_match_dry_run_and_a_stale_etag(api: Api, ns: str) -> None:
    url = await created(api, ns)
    read = await api.get(url)
    assert read.status_code == 200 and read.json()["replicas"] == 1
    etag = read.headers["ETag"]
    dry = await api.send("PATCH", url + "?dryRun=All", json={"replicas": 2}, who="olga", headers={"If-Match": etag})
    assert dry.status_code == 200 and dry.json()["dryRun"] and dry.json()["replicas"] == 2
    assert (await api.get(url)).json()["object"]["spec"]["replicas"] == 1, "a dry run changes nothing"
    done = await api.send("PATCH", url, json={"replicas": 2, "labels": {"app": "nginx", "access": "true"}},
                          who="olga", headers={"If-Match": etag})  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["replicas"] == 2 and done.json()["podLabels"] == {"app": "nginx", "access": "true"}
    assert done.headers["ETag"] != etag
    stale = await api.send("PATCH", url, json={"replicas": 3}, who="olga", headers={"If-Match": etag})
    assert stale.status_code == 409 and stale.headers["content-type"] == "application/problem+json"
    refused = await api.send("PATCH", url, json={"replicas": 3}, who="vic")
    assert refused.status_code == 403
    needs = await api.send("PATCH", url, json={"labels": {"access": "true"}}, who="olga")
    assert needs.status_code == 422, "the selector needs app=nginx"


async def test_delete_with_dry_run_and_if_match(api: Api, ns: str) -> None:
    url = await created(api, ns)
    etag = (await api.get(url)).headers["ETag"]
    stale = await api.send("DELETE", url, who="olga", headers={"If-Match": '"0000"'})
    assert stale.status_code == 409
    dry = await api.send("DELETE", url + "?dryRun=All", who="olga", headers={"If-Match": etag})
    assert dry.status_code == 204
    cluster: Any = next(iter(api.app.state.clusters))
    assert await cluster.get_object("Deployment", ns, "nginx"), "a dry run deletes nothing"
    gone = await api.send("DELETE", url, who="olga", headers={"If-Match": etag})
    assert gone.status_code == 204
    await wait_for(lambda: not cluster.cache.workloads("deployments", ns))
    assert (await api.get(url)).status_code == 404
