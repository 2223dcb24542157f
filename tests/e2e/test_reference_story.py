"""Issue 12's story, the reference page's from its first step to scenario 1, in the console alone
(Chromium, from `/`, by visible labels; no URL typed, no kubectl, no API call): a fresh namespace
made on the Namespaces page; "Prepare an example application" (nginx behind a Service named nginx,
and busybox) made by "Create from image"; scenario 1's access-nginx made in the Create panel
(Pod Selector from "+ Select Workload And Add Label", a Source rule podSelector access=true);
then the Connectivity check busybox → nginx on TCP 80: denied by access-nginx, and allowed by its
rule once busybox's pods carry access=true through "Edit labels"."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.e2e.conftest import choose_namespace, heading, menu, sign_in
from tests.e2e.test_scenarios import add_peer, add_rule, click, next_then_ok, panel, pick_workload, section
from tests.e2e.test_workloads_story import prepare_example_application


def no_audit(state: str) -> None:
    """The example application's forms go unaudited here: the workloads story runs axe-core on them."""


def running_pod(page: Any, name: str, *, other_than: str = "", timeout: float = 90) -> str:
    """From the Workloads list, open ``name``'s Details and reload until it has exactly one pod,
    Running and not named ``other_than`` (the pod a label change replaces); its name."""
    page.get_by_role("table", name="Stateless").get_by_role("link", name=name, exact=True).click()
    heading(page, f"{name} (Deployment)")
    deadline = time.monotonic() + timeout
    while True:
        rows = page.get_by_role("table", name="Pods").locator("tbody tr")
        running = rows.filter(has=page.get_by_role("cell", name="Running", exact=True))
        if rows.count() == 1 and running.count() == 1:
            pod = running.get_by_role("cell").first.inner_text().strip()
            if pod != other_than:
                return pod
        assert time.monotonic() < deadline, page.get_by_role("table", name="Pods").inner_text()
        time.sleep(1)
        page.reload()


def back_to_workloads(page: Any) -> None:
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Workloads").click()
    heading(page, "Workloads")


def fill_access_nginx(page: Any, ns: str) -> None:
    """Scenario 1's access-nginx in the Create panel of ``ns``'s Network Policies (reached by the
    menu), filled in up to Next: Pod Selector app=nginx picked from the workload, a Source rule
    podSelector access=true."""
    menu(page).get_by_role("link", name="Network Policies").click()
    heading(page, "Network Policies")
    choose_namespace(page, ns)
    page.get_by_role("link", name="Create", exact=True).click()
    panel(page).wait_for()
    panel(page).get_by_label("Name", exact=True).fill("access-nginx")
    pick_workload(page, section(page, "Pod Selector"), "Stateless (Deployment)", "nginx", "app=nginx")
    assert "1 pod selected" in section(page, "Pod Selector").inner_text()
    peer = add_peer(page, add_rule(page, "Source"), "podSelector")
    click(page, peer.get_by_role("button", name="+ Add label"))
    peer = section(page, "Source").get_by_role("group", name="Rule 1", exact=True)
    peer.get_by_label("Label key").fill("access")
    peer.get_by_label("Value", exact=True).fill("true")


def review_busybox_with_access(page: Any, ns: str) -> None:
    """busybox's "Edit labels" on ``ns``'s Workloads page (reached by the menu): access=true added
    as a second label, then Review (Apply not pressed)."""
    menu(page).get_by_role("link", name="Workloads").click()
    heading(page, "Workloads")
    choose_namespace(page, ns)
    page.get_by_role("link", name="Edit labels busybox", exact=True).click()
    heading(page, "Edit labels of busybox")
    page.get_by_role("button", name="+ Add label").click()
    second = page.get_by_role("group", name="Label 2")
    second.get_by_label("Label key").fill("access")
    second.get_by_label("Value").fill("true")
    page.get_by_role("button", name="Review", exact=True).click()


def check(page: Any, ns: str, src: str, dst: str, port: str) -> str:
    """On the Connectivity page: From pod, To pod, the port on TCP, Check; the verdict's text."""
    menu(page).get_by_role("link", name="Connectivity").click()
    heading(page, "Connectivity")
    page.get_by_role("group", name="From").get_by_label("Pod", exact=True).select_option(label=f"{ns}/{src}")
    page.get_by_role("group", name="To").get_by_label("Pod", exact=True).select_option(label=f"{ns}/{dst}")
    page.get_by_label("Port", exact=True).first.fill(port)
    page.get_by_label("Protocol", exact=True).first.select_option("TCP")
    page.get_by_role("button", name="Check", exact=True).click()
    verdict = page.get_by_role("status").filter(has_text=f"{ns}/{src} → {ns}/{dst} on TCP/{port}")
    return str(verdict.inner_text())


def test_the_reference_page_walked_in_the_console_alone(browser: Any, console_url: str) -> None:
    ns = f"ref-{uuid.uuid4().hex[:6]}"
    page = sign_in(browser, console_url, timeout=15_000)
    try:
        prepare_example_application(page, no_audit, ns)
        nginx = running_pod(page, "nginx")
        back_to_workloads(page)
        busybox = running_pod(page, "busybox")

        # Scenario 1: Create on the Network Policies page of the namespace.
        fill_access_nginx(page, ns)
        next_then_ok(page)
        page.get_by_role("status").filter(has_text="Network policy access-nginx was created.").wait_for()
        assert page.get_by_label("Namespace", exact=True).input_value() == ns
        policies = page.get_by_role("table", name="Network Policies")
        policies.get_by_role("link", name="access-nginx", exact=True).wait_for()

        # busybox → nginx:80 is denied: access-nginx isolates nginx, and busybox lacks access=true.
        text = check(page, ns, busybox, nginx, "80")
        assert text.startswith("DENIED"), text
        assert f"No ingress rule of {ns}/access-nginx allows {ns}/{busybox} on TCP/80" in text, text

        # busybox gets access=true by "Edit labels"; its pod is replaced by one carrying it.
        review_busybox_with_access(page, ns)
        page.get_by_role("button", name="Apply", exact=True).click()
        page.get_by_role("status").filter(has_text="The pod labels of workload busybox were changed").wait_for()
        relabelled = running_pod(page, "busybox", other_than=busybox)

        # Now allowed, by access-nginx's Source rule (pods labelled access=true).
        text = check(page, ns, relabelled, nginx, "80")
        assert text.startswith("ALLOWED"), text
        assert f"{ns}/access-nginx ingress rule 1 (spec.ingress[0]) allows {ns}/{relabelled} on TCP/80" in text, text
        assert "pods matching access=true" in text, text
    finally:
        page.context.close()
