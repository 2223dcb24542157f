"""Issue 12's example application, made in the console alone (Chromium): from `/`, a namespace
made on the Namespaces page, then on the Workloads page "Create from image" nginx (port 80, behind
a ClusterIP Service) and busybox, their pods seen Running on the Details page, then busybox's pod
labels edited to add access=true. Every step by visible labels; axe-core finds no serious
violation on the forms and pages on the way."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.e2e.conftest import choose_namespace, create_namespace, heading, menu, sign_in
from tests.e2e.test_axe import Audit


def create_from_image(
    page: Any, audit: Audit, name: str, image: str, *, port: str = "", service: bool = False
) -> None:
    page.get_by_role("link", name="Create from image").click()
    heading(page, "Create from image")
    audit("create from image")
    page.get_by_label("Application name").fill(name)
    page.get_by_label("Image name").fill(image)
    if port:
        page.get_by_label("Container port", exact=True).fill(port)
    if service:
        page.get_by_label("Create a Service").check()
        page.get_by_label("Service name").fill(name)
        page.get_by_label("Service type").select_option("ClusterIP")
        page.get_by_label("Service port", exact=True).fill(port)
        page.get_by_label("Target port", exact=True).fill(port)
    page.get_by_role("button", name="Review", exact=True).click()
    page.get_by_text("The API server accepts this (dry run)").wait_for()
    audit("create from image, reviewed")
    page.get_by_role("button", name="Create", exact=True).click()
    page.get_by_role("status").filter(has_text=f"Workload {name} was created.").wait_for()
    heading(page, "Workloads")


def prepare_example_application(page: Any, audit: Audit, ns: str) -> None:
    """The reference's "Prepare an example application", from `/`: the namespace ``ns`` made on
    the Namespaces page, then on its Workloads "Create from image" nginx (port 80, behind the
    ClusterIP Service nginx) and busybox."""
    create_namespace(page, ns)
    menu(page).get_by_role("link", name="Workloads").click()
    heading(page, "Workloads")
    choose_namespace(page, ns)
    create_from_image(page, audit, "nginx", "nginx:latest", port="80", service=True)
    services = page.get_by_role("table", name="Services")
    assert "ClusterIP" in services.get_by_role("row").filter(has_text="nginx").inner_text()
    create_from_image(page, audit, "busybox", "busybox:latest")


def running_pods(page: Any, name: str, want: int, timeout: float = 60) -> None:
    """Open the workload's Details and reload until ``want`` of its pods are Running."""
    page.get_by_role("table", name="Stateless").get_by_role("link", name=name, exact=True).click()
    heading(page, f"{name} (Deployment)")
    deadline = time.monotonic() + timeout
    while True:
        pods = page.get_by_role("table", name="Pods")
        if pods.get_by_role("cell", name="Running", exact=True).count() == want:
            return
        assert time.monotonic() < deadline, pods.inner_text()
        time.sleep(1)
        page.reload()


def test_the_example_application_made_in_the_console(browser: Any, console_url: str) -> None:
    ns = f"story-{uuid.uuid4().hex[:6]}"
    page = sign_in(browser, console_url, timeout=15_000)
    audit = Audit(page, "en")
    try:
        prepare_example_application(page, audit, ns)

        audit("workloads with services")
        running_pods(page, "nginx", 1)
        audit("workload details")
        page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Workloads").click()
        running_pods(page, "busybox", 1)

        page.get_by_role("link", name="Edit labels", exact=True).click()
        heading(page, "Edit labels of busybox")
        assert page.get_by_text("Changing the pod labels replaces the pods").is_visible()
        page.get_by_role("button", name="+ Add label").click()
        second = page.get_by_role("group", name="Label 2")
        second.get_by_label("Label key").fill("access")
        second.get_by_label("Value").fill("true")
        page.get_by_role("button", name="Review", exact=True).click()
        audit("edit labels, reviewed")
        page.get_by_role("button", name="Apply", exact=True).click()
        page.get_by_role("status").filter(has_text="The pod labels of workload busybox were changed").wait_for()
        row = page.get_by_role("table", name="Stateless").get_by_role("row").filter(has_text="busybox")
        assert "access=true" in row.inner_text() and "app=busybox" in row.inner_text()
        row.get_by_role("link", name="Delete busybox").click()
        heading(page, "Delete workload busybox?")
        audit("delete workload")
        assert audit.found == []
    finally:
        page.context.close()
