"""Namespace and workload writes on the real control plane: the operator role, dry runs first,
all-or-nothing Create from image, stale versions as conflicts, confirmations, system namespaces
kept, and every real write audited with before and after."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.service import query
from app.editing.service import Writer
from app.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound
from app.workloads import service
from app.workloads.objects import ContainerPort, ImageApp, ServicePort, ServiceSpec


@pytest.fixture
async def ns(cluster: Any, operator: Writer) -> AsyncIterator[str]:
    name = f"wl-{uuid.uuid4().hex[:8]}"
    await service.create_namespace(cluster, name, {"env": "test"}, dry_run=False, writer=operator)
    yield name
    try:
        await cluster.delete("Namespace", None, name)
    except NotFound:
        pass


async def audit(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, str, str]]:
    async with sessions() as session:
        page = await query(session)
    return [(e.kind, e.name, e.action, e.outcome) for e in reversed(page.entries)]


async def test_namespaces_are_created_relabelled_and_deleted_by_operators(
    cluster: Any, operator: Writer, viewer: Writer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    name = f"wl-{uuid.uuid4().hex[:8]}"
    with pytest.raises(Forbidden):
        await service.create_namespace(cluster, name, {}, dry_run=False, writer=viewer)
    review = await service.create_namespace(cluster, name, {"env": "test"}, dry_run=True, writer=operator)
    assert review.dry_run and review.object["metadata"]["labels"]["env"] == "test"
    with pytest.raises(NotFound):  # a dry run stores nothing
        await cluster.get_object("Namespace", None, name)
    made = await service.create_namespace(cluster, name, {"env": "test"}, dry_run=False, writer=operator)
    with pytest.raises(AlreadyExists):
        await service.create_namespace(cluster, name, {}, dry_run=False, writer=operator)
    seen = made.object["metadata"]["labels"]
    done = await service.relabel_namespace(cluster, name, {"env": "prod", "team": "a"}, expected=seen,
                                           dry_run=False, writer=operator)  # fmt: skip
    labels = done.object["metadata"]["labels"]
    assert labels == {"env": "prod", "team": "a", "kubernetes.io/metadata.name": name}
    with pytest.raises(Conflict):  # the labels the first edit started from are stale now
        await service.relabel_namespace(cluster, name, {}, expected=seen, dry_run=False, writer=operator)
    with pytest.raises(Invalid) as bad:
        await service.relabel_namespace(cluster, name, {"bad key!": "x"}, expected=None, dry_run=False,
                                        writer=operator)  # fmt: skip
    assert bad.value.causes and bad.value.causes[0].field.startswith("metadata.labels")
    with pytest.raises(Invalid) as unconfirmed:
        await service.delete_namespace(cluster, name, typed="wrong", dry_run=False, writer=operator)
    assert unconfirmed.value.causes[0].field == "confirm"
    await service.delete_namespace(cluster, name, typed=name, dry_run=False, writer=operator)
    gone = await cluster.get_object("Namespace", None, name)
    assert gone["status"]["phase"] == "Terminating"
    # the stale edit was refused before any write (nothing to audit); the invalid one was a real
    # write the API server refused (a failure); a confirmation typed wrong never reached it
    assert await audit(sessions) == [
        ("Namespace", name, "create", "success"),
        ("Namespace", name, "update", "success"),
        ("Namespace", name, "update", "failure"),
        ("Namespace", name, "delete", "success"),
    ]


@pytest.mark.parametrize("system", ["default", "kube-system", "kube-public", "kube-node-lease"])
async def test_system_namespaces_are_never_deleted(cluster: Any, operator: Writer, system: str) -> None:
    with pytest.raises(Forbidden):
        await service.delete_namespace(cluster, system, typed=system, dry_run=True, writer=operator)
    assert (await cluster.get_object("Namespace", None, system))["status"]["phase"] == "Active"


async def test_create_from_image_makes_a_deployment_and_its_service(
    cluster: Any, operator: Writer, ns: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    app = ImageApp(ns, "nginx", "nginx:1.27", 2, (ContainerPort(80),),
                   service=ServiceSpec("nginx", "ClusterIP", (ServicePort(80, 80),)))  # fmt: skip
    reviews = await service.create_from_image(cluster, app, dry_run=True, writer=operator)
    assert [r.object["kind"] for r in reviews] == ["Deployment", "Service"]
    with pytest.raises(NotFound):
        await cluster.get_object("Deployment", ns, "nginx")
    made = await service.create_from_image(cluster, app, dry_run=False, writer=operator)
    assert [r.object["metadata"]["name"] for r in made] == ["nginx", "nginx"]
    svc = await cluster.get_object("Service", ns, "nginx")
    assert svc["spec"]["selector"] == {"app": "nginx"} and svc["spec"]["clusterIP"]
    # the controller keeps updating the Deployment's status: an edit is not a conflict for that
    await asyncio.sleep(1)
    scaled = await service.scale(cluster, "Deployment", ns, "nginx", 3, expected=2, dry_run=False, writer=operator)
    assert scaled.object["spec"]["replicas"] == 3
    with pytest.raises(Conflict):
        await service.scale(cluster, "Deployment", ns, "nginx", 1, expected=2, dry_run=False, writer=operator)
    relabelled = await service.relabel_workload(cluster, "Deployment", ns, "nginx", {"app": "nginx", "access": "true"},
                                                expected={"app": "nginx"}, dry_run=False, writer=operator)  # fmt: skip
    assert relabelled.object["spec"]["template"]["metadata"]["labels"] == {"app": "nginx", "access": "true"}
    with pytest.raises(Invalid) as bad:  # the selector needs app=nginx
        await service.relabel_workload(cluster, "Deployment", ns, "nginx", {"access": "true"}, expected=None,
                                       dry_run=False, writer=operator)  # fmt: skip
    assert any(c.field.startswith("spec.template.metadata.labels") for c in bad.value.causes), bad.value.causes
    await service.delete_workload(cluster, "Deployment", ns, "nginx", typed="nginx", dry_run=False, writer=operator)
    with pytest.raises(NotFound):
        await cluster.get_object("Deployment", ns, "nginx")
    # the refused relabel was a real write the API server refused: audited as a failure
    assert [(a[0], a[2], a[3]) for a in await audit(sessions) if a[0] != "Namespace"] == [
        ("Deployment", "create", "success"), ("Service", "create", "success"), ("Deployment", "update", "success"),
        ("Deployment", "update", "success"), ("Deployment", "update", "failure"), ("Deployment", "delete", "success"),
    ]  # fmt: skip


async def test_create_from_image_is_all_or_nothing(cluster: Any, operator: Writer, ns: str) -> None:
    # the Service's name is taken: its dry run fails, so the Deployment is not created either
    await cluster.create("Service", {"metadata": {"name": "web", "namespace": ns},
                                     "spec": {"ports": [{"port": 81}], "selector": {"x": "y"}}})  # fmt: skip
    app = ImageApp(ns, "web", "nginx", service=ServiceSpec("web", "ClusterIP", (ServicePort(80, 80),)))
    with pytest.raises(AlreadyExists):
        await service.create_from_image(cluster, app, dry_run=False, writer=operator)
    with pytest.raises(NotFound):
        await cluster.get_object("Deployment", ns, "web")
    # an invalid Service: refused by its dry run, with the path of the port
    bad = ImageApp(ns, "api", "nginx", service=ServiceSpec("api", "ClusterIP", (ServicePort(80, 70000),)))
    with pytest.raises(Invalid) as refused:
        await service.create_from_image(cluster, bad, dry_run=False, writer=operator)
    assert any(c.field == "spec.ports[0].targetPort" for c in refused.value.causes), refused.value.causes
    with pytest.raises(NotFound):
        await cluster.get_object("Deployment", ns, "api")
