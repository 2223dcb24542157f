"""The Workloads page through the running console on the sandbox: the list per namespace (pod
labels, ready/desired, the policies selecting the pods per direction) and its Services; Details
(pods, isolation per direction, the connections allowed); Create from image (Review is a dry run,
errors at their fields with the input kept, then a real Deployment and Service whose pods run);
Scale, Edit labels (the pods are replaced) and Delete (naming the pods that go and the policies
left selecting nothing) with success messages; viewers refused. Pages are asked for whole and as
htmx fragments."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from app.accounts.service import create_user
from tests.conftest import SandboxProcess
from tests.web.test_policy_views import HX, Console, _console

BASE = "/clusters/sandbox/workloads"


@pytest.fixture
async def console(sandbox: SandboxProcess, tmp_path: Path) -> AsyncIterator[Console]:
    async with _console(sandbox, tmp_path, approved=True) as c:
        yield c


@pytest.fixture
async def ns(kube: Any) -> AsyncIterator[str]:
    """A namespace with a deny-ingress policy for app=web pods and an egress policy for app=web."""
    core, net = client.CoreV1Api(kube), client.NetworkingV1Api(kube)
    name = f"wlp-{uuid.uuid4().hex[:6]}"
    await core.create_namespace({"metadata": {"name": name}})
    for policy, spec in (
        ("web-in", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}],
                                 "ports": [{"port": 80}]}]}),
        ("web-out", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"]}),
    ):  # fmt: skip
        await net.create_namespaced_network_policy(name, {"metadata": {"name": policy}, "spec": spec})
    yield name
    try:
        await core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


def created_form(ns: str, **more: str) -> dict[str, str]:
    return {"namespace": ns, "name": "web", "replicas": "2", "image": "nginx:latest", "ports[0].port": "80",
            "ports[0].protocol": "TCP", "labels[0].key": "", "labels[0].value": "", "service.enabled": "1",
            "service.name": "web", "service.type": "ClusterIP", "service.ports[0].port": "80",
            "service.ports[0].target_port": "80", "service.ports[0].protocol": "TCP", **more}  # fmt: skip


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",")


def location(response: Any, headers: dict[str, str]) -> str:
    if headers:
        assert response.status_code == 204, response.text
        return str(response.headers["HX-Redirect"])
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_create_from_image_reviews_then_makes_a_deployment_and_service_whose_pods_run(
    console: Console, kube: Any, ns: str, headers: dict[str, str]
) -> None:
    form = await console.http.get(f"{BASE}/new?namespace={ns}", headers=headers)
    assert form.status_code == 200 and 'id="wl-image"' in form.text and ("<html" in form.text) is not bool(headers)
    review = await console.post(BASE + "/new", {**created_form(ns), "op": "review"}, headers=headers)
    assert review.status_code == 200 and "Deployment web" in review.text and "Service web" in review.text
    assert 'value="create"' in review.text and 'value="nginx:latest"' in review.text
    with pytest.raises(ApiException):  # a review stores nothing
        await client.AppsV1Api(kube).read_namespaced_deployment("web", ns)

    done = await console.post(BASE + "/new", {**created_form(ns), "op": "create"}, headers=headers)
    page = await console.http.get(location(done, headers))
    assert "Workload web was created." in page.text
    made = await client.AppsV1Api(kube).read_namespaced_deployment("web", ns)
    assert made.spec.replicas == 2 and made.spec.template.metadata.labels == {"app": "web"}
    svc = await client.CoreV1Api(kube).read_namespaced_service("web", ns)
    assert svc.spec.selector == {"app": "web"} and svc.spec.ports[0].target_port == 80

    listed = await console.until(f"{BASE}?namespace={ns}", "2/2", timeout=60)
    row = re.search(r'<tr data-workload="Deployment/web">(.*?)</tr>', listed.text, re.S)
    assert row and "app=web" in row.group(1) and "web-in" in row.group(1) and "web-out" in row.group(1)
    services = re.search(r'<tr data-service="web">(.*?)</tr>', listed.text, re.S)
    assert services and "ClusterIP" in services.group(1) and "80→80/TCP" in services.group(1)
    assert services.group(1).count("web-") == 2, "the two pods behind the Service"

    details = await console.http.get(f"/clusters/sandbox/namespaces/{ns}/workloads/Deployment/web", headers=headers)
    assert details.status_code == 200 and details.text.count("Running") == 2
    ingress = re.search(r'data-direction="Ingress">(.*?)</section>', details.text, re.S)
    egress = re.search(r'data-direction="Egress">(.*?)</section>', details.text, re.S)
    assert ingress and egress
    assert "Isolated by" in ingress.group(1) and "access=true" in ingress.group(1) and "TCP/80" in ingress.group(1)
    assert "Deny all" in egress.group(1), "web-out has no egress rule"


async def test_create_keeps_the_input_and_says_each_error_at_its_field(console: Console, kube: Any, ns: str) -> None:
    more = await console.post(BASE + "/new", {**created_form(ns), "op": "add:ports"})
    assert more.status_code == 200 and 'name="ports[1].port"' in more.text and 'value="nginx:latest"' in more.text
    bad = await console.post(BASE + "/new", {**created_form(ns, name="Bad_Name", **{"ports[0].port": "eighty"}),
                                             "op": "review"}, headers=HX)  # fmt: skip
    assert bad.status_code == 422 and 'id="error-ports[0]"' in bad.text and 'value="eighty"' in bad.text
    named = await console.post(BASE + "/new", {**created_form(ns, name="Bad_Name"), "op": "review"})
    assert named.status_code == 422 and 'id="error-name"' in named.text and 'value="Bad_Name"' in named.text
    assert '<a href="#wl-name">' in named.text, "the summary links to the field"
    port = await console.post(BASE + "/new", {**created_form(ns, **{"service.ports[0].target_port": "70000"}),
                                              "op": "create"})  # fmt: skip
    assert port.status_code == 422 and 'id="error-service.ports[0].target_port"' in port.text
    with pytest.raises(ApiException):  # all or nothing: the Deployment is not there either
        await client.AppsV1Api(kube).read_namespaced_deployment("web", ns)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_scale_edit_labels_and_delete_say_what_happens(
    console: Console, kube: Any, ns: str, headers: dict[str, str]
) -> None:
    done = await console.post(BASE + "/new", {**created_form(ns, replicas="1"), "op": "create"})
    assert done.status_code == 303
    one = f"/clusters/sandbox/namespaces/{ns}/workloads/Deployment/web"
    apps = client.AppsV1Api(kube)

    form = await console.until(one + "/scale", 'name="seen" value="1"')
    review = await console.post(one + "/scale", {"seen": "1", "replicas": "3", "op": "review"}, headers=headers)
    assert review.status_code == 200 and 'value="apply"' in review.text
    assert (await apps.read_namespaced_deployment("web", ns)).spec.replicas == 1
    scaled = await console.post(one + "/scale", {"seen": "1", "replicas": "3", "op": "apply"}, headers=headers)
    assert "Workload web was scaled." in (await console.http.get(location(scaled, headers))).text
    assert (await apps.read_namespaced_deployment("web", ns)).spec.replicas == 3
    stale = await console.post(one + "/scale", {"seen": "1", "replicas": "2", "op": "apply"}, headers=headers)
    assert stale.status_code == 409 and (await apps.read_namespaced_deployment("web", ns)).spec.replicas == 3
    assert form.status_code == 200

    labels = await console.http.get(one + "/labels")
    assert "replaces the pods" in labels.text
    seen = '{"app": "web"}'
    data = {"seen": seen, "labels[0].key": "app", "labels[0].value": "web", "labels[1].key": "access",
            "labels[1].value": "true"}  # fmt: skip
    dropped = await console.post(one + "/labels", {"seen": seen, "labels[0].key": "other", "labels[0].value": "x",
                                                   "op": "review"}, headers=headers)  # fmt: skip
    assert dropped.status_code == 422, "the selector needs app=web"
    relabelled = await console.post(one + "/labels", {**data, "op": "apply"}, headers=headers)
    assert "its pods are being replaced" in (await console.http.get(location(relabelled, headers))).text
    made = await apps.read_namespaced_deployment("web", ns)
    assert made.spec.template.metadata.labels == {"app": "web", "access": "true"}

    delete = await console.until(one + "/delete", "web-in")
    goes = text(delete.text)
    assert "Pods that go" in goes and "web-in, web-out" in goes and 'id="wl-confirm"' in delete.text
    wrong = await console.post(one + "/delete", {"confirm": "nope"}, headers=headers)
    assert wrong.status_code == 422 and 'id="error-confirm"' in wrong.text
    gone = await console.post(one + "/delete", {"confirm": "web"}, headers=headers)
    assert "Workload web was deleted." in (await console.http.get(location(gone, headers))).text
    with pytest.raises(ApiException):
        await apps.read_namespaced_deployment("web", ns)


async def test_a_viewer_sees_the_list_without_buttons_and_may_not_write(console: Console, ns: str) -> None:
    async with console.app.state.sessions() as db:
        await create_user(db, "vera", team="platform", roles=["viewer"], password="vera-password-1")
        await db.commit()
    await console.http.post("/logout", data={"csrf_token": console.csrf})
    signed = await console.http.post("/login", data={"username": "vera", "password": "vera-password-1", "next": "/"})
    assert signed.status_code == 303
    page = await console.http.get(f"{BASE}?namespace={ns}")
    assert page.status_code == 200 and "Create from image" not in page.text
    assert (await console.http.get(f"{BASE}/new?namespace={ns}")).status_code == 403
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert csrf
    data = {**created_form(ns), "op": "create", "csrf_token": csrf.group(1)}
    refused = await console.http.post(BASE + "/new", data=data)
    assert refused.status_code == 403 and "operator role" in refused.text
