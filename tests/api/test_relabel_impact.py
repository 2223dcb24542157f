"""POST /api/v1/clusters/{cluster}/impact with a ``relabel`` body against the sandbox: the
reference's busybox gaining access=true (busybox → nginx:80 newly allowed), a namespace losing the
label a namespaceSelector allows it by (newly denied), and bad bodies refused at their field."""

from __future__ import annotations

import json

from tests.api.conftest import Api, wait_for
from tests.api.test_impact import URL, access_nginx, ask, groups, pods  # noqa: F401  (fixture)
from tests.sandbox.kubectl import Kubectl

FROM_BLUE = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "nginx-from-blue"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}],
    },
}


async def test_relabelling_a_workload_or_a_namespace_as_impact_answers(
    api: Api,
    k: Kubectl,
    namespace: str,
    pods: None,  # noqa: F811
) -> None:
    k("apply", "-f", "-", stdin=json.dumps(access_nginx(namespace, allow_access=True)))
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: cluster.cache.get("networkpolicies", namespace, "access-nginx") is not None)
    await wait_for(lambda: cluster.cache.get("deployments", namespace, "busybox") is not None)

    busybox = {"namespace": namespace, "workload": {"kind": "Deployment", "name": "busybox"}}
    granted = await ask(api, {"relabel": {**busybox, "labels": {"app": "busybox", "access": "true"}}})
    assert groups(granted, "newlyAllowed", namespace) == [("busybox", "nginx", 80, 1)]
    assert granted["newlyDenied"] == []
    assert [p.split("/")[1].split("-")[0] for p in granted["affectedPods"]] == ["busybox"]
    neutral = await ask(api, {"relabel": {**busybox, "labels": {"app": "busybox", "tier": "tools"}}})
    assert neutral["unchanged"]

    k("label", "namespace", namespace, "team=blue")
    k("apply", "-n", namespace, "-f", "-", stdin=json.dumps(FROM_BLUE))
    await wait_for(lambda: cluster.cache.get("networkpolicies", namespace, "nginx-from-blue") is not None)
    await wait_for(lambda: (ns := cluster.cache.namespace(namespace)) is not None and ns.labels.get("team") == "blue")
    lost = await ask(api, {"relabel": {"namespace": namespace, "labels": {}}})
    # busybox came in by the namespace's team=blue only; client still has access=true.
    assert groups(lost, "newlyDenied", namespace) == [("busybox", "nginx", 80, 1)]
    assert lost["newlyAllowed"] == []
    kept = await ask(api, {"relabel": {"namespace": namespace, "labels": {"team": "blue", "owner": "me"}}})
    assert kept["unchanged"]


async def test_bad_relabel_bodies_are_refused_at_their_field(api: Api, namespace: str) -> None:
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: cluster.cache.namespace(namespace) is not None)
    bad = await api.send("POST", URL, json={"relabel": {"namespace": namespace, "labels": {"-bad-": "x"}}})
    assert bad.status_code == 422, bad.text
    assert "relabel.labels" in bad.text
    missing = {"namespace": namespace, "workload": {"kind": "Deployment", "name": "nope"}, "labels": {}}
    absent = await api.send("POST", URL, json={"relabel": missing})
    assert absent.status_code == 404, absent.text
    unknown_ns = await api.send("POST", URL, json={"relabel": {"namespace": "no-such-ns-x", "labels": {}}})
    assert unknown_ns.status_code == 404, unknown_ns.text
    two = {"relabel": {"namespace": namespace, "labels": {}}, "delete": {"namespace": namespace, "name": "x"}}
    assert (await api.send("POST", URL, json=two)).status_code == 400
    kind = {"namespace": namespace, "workload": {"kind": "Pod", "name": "x"}, "labels": {}}
    assert (await api.send("POST", URL, json={"relabel": kind})).status_code == 400
