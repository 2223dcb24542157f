"""Issue 12's example application, made in the console alone (Chromium): from `/`, a namespace
made on the Namespaces page, then on the Workloads page "Create from image" nginx (port 80, behind
a ClusterIP Service) and busybox, their pods seen Running on the Details page, then busybox's pod
labels edited to add access=true. Every step by visible labels; axe-core finds no serious
violation on the forms and pages on the way."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from tests.e2e.conftest import ADMIN_PASSWORD
from tests.e2e.test_axe import Audit


def heading(page: Any, name: str) -> None:
    page.get_by_role("heading", level=1, name=name, exact=True).wait_for()


def menu(page: Any) -> Any:
    return page.get_by_role("navigation", name="Menu")


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
    context = browser.new_context(base_url=console_url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    audit = Audit(page, "en")
    try:
        page.goto("/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        heading(page, "Clusters")
        page.get_by_role("table").get_by_role("link", name="sandbox").click()

        menu(page).get_by_role("link", name="Namespaces").click()
        heading(page, "Namespaces")
        page.get_by_role("link", name="Create", exact=True).click()
        page.get_by_label("Name", exact=True).fill(ns)
        page.get_by_role("button", name="Create", exact=True).click()
        page.get_by_role("status").filter(has_text=f"Namespace {ns} was created.").wait_for()

        menu(page).get_by_role("link", name="Workloads").click()
        heading(page, "Workloads")
        page.get_by_label("Namespace").select_option(ns)
        page.wait_for_url(re.compile(rf"namespace={ns}"))

        create_from_image(page, audit, "nginx", "nginx:latest", port="80", service=True)
        services = page.get_by_role("table", name="Services")
        assert "ClusterIP" in services.get_by_role("row").filter(has_text="nginx").inner_text()
        create_from_image(page, audit, "busybox", "busybox:latest")

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
        context.close()
