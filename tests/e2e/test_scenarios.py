"""The reference page's four scenarios, done through the console in Chromium as the reference
describes them (Create, pick the workload, add a rule, Next, OK), each object then read back from
the sandbox with kubernetes_asyncio and compared with the YAML the reference shows.

The console picks workloads by their pod-template labels (app=nginx, app=busybox) where the
reference's command-line YAML uses `kubectl run` labels (run=nginx, access=true)."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client import ApiClient, NetworkingV1Api
from kubernetes_asyncio.config import new_client_from_config

from tests.conftest import SandboxProcess
from tests.e2e.conftest import open_policies, run_async, settle


def read_policy(sandbox: SandboxProcess, namespace: str, name: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        api: ApiClient = await new_client_from_config(config_file=str(sandbox.kubeconfig_path))
        async with api:
            obj = await NetworkingV1Api(api).read_namespaced_network_policy(name, namespace)
            return api.sanitize_for_serialization(obj)  # type: ignore[no-any-return]

    return run_async(read)


def click(page: Any, locator: Any) -> None:
    with page.expect_response(lambda r: "/networkpolicies/editor" in r.url):
        locator.click()
    settle(page)


def choose(page: Any, select: Any, **option: str) -> None:
    """Select an option of a select that re-renders the panel (hx-trigger=change)."""
    with page.expect_response(lambda r: "/networkpolicies/editor" in r.url):
        select.select_option(**option)
    settle(page)


def open_picker(page: Any, scope: Any) -> Any:
    """Click "+ Select Workload And Add Label"; returns the picker it opens."""
    click(page, scope.get_by_role("button", name="+ Select Workload And Add Label").first)
    return scope.get_by_role("group", name="+ Select Workload And Add Label").first


def pick_workload(page: Any, scope: Any, type_label: str, workload: str, label: str) -> None:
    """ "+ Select Workload And Add Label": Type, Workload, Label, then OK (the picker closes)."""
    picker = open_picker(page, scope)
    choose(page, picker.get_by_label("Type"), label=type_label)
    choose(page, picker.get_by_label("Workload"), label=workload)
    picker.get_by_label("Label").select_option(label=label)
    click(page, picker.get_by_role("button", name="OK", exact=True))
    assert scope.get_by_role("group", name="+ Select Workload And Add Label").count() == 0


def panel(page: Any) -> Any:
    return page.get_by_role("dialog")


def section(page: Any, title: str) -> Any:
    return panel(page).get_by_role("region", name=title)


def add_rule(page: Any, title: str) -> Any:
    """Click "+ Add" right of Source/Destination; returns the new rule's group."""
    sec = section(page, title)
    count = sec.get_by_role("group", name=f"{title} rule ").count()
    click(page, sec.get_by_role("button", name=f"+ Add {title} rule"))
    return section(page, title).get_by_role("group", name=f"{title} rule {count + 1}", exact=True)


def add_peer(page: Any, rule: Any, selector: str) -> Any:
    n = rule.get_by_role("group", name="Rule ").count()
    click(page, rule.get_by_role("button", name="+ Add Rule"))
    peer = rule.get_by_role("group", name=f"Rule {n + 1}", exact=True)
    if selector != "podSelector":
        choose(page, peer.get_by_label("Selector"), label=selector)
    return peer


def add_port(page: Any, rule: Any, protocol: str, port: str) -> None:
    n = rule.get_by_role("group", name="Port ").count()
    click(page, rule.get_by_role("button", name="+ Add Port"))
    row = rule.get_by_role("group", name=f"Port {n + 1}", exact=True)
    row.get_by_label("Protocol").select_option(protocol)
    row.get_by_label("Port", exact=True).fill(port)


def next_then_ok(page: Any) -> None:
    click(page, panel(page).get_by_role("button", name="Next"))
    assert panel(page).get_by_role("heading", name="Review").is_visible()
    with page.expect_navigation():
        panel(page).get_by_role("button", name="OK").click()


def open_create(page: Any, namespace: str) -> None:
    """From `/` to the list of ``namespace``, then its "Create" button: the panel opens."""
    open_policies(page, namespace)
    page.get_by_role("link", name="Create", exact=True).click()
    panel(page).wait_for()
    page.wait_for_load_state()  # console.js has run: the panel has focus


def open_edit(page: Any, namespace: str, name: str) -> None:
    """From `/` to the list of ``namespace``, then "Edit" in the policy's row: the panel opens."""
    open_policies(page, namespace)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))
    row.get_by_role("link", name="Edit", exact=True).click()
    panel(page).wait_for()
    page.wait_for_load_state()


def spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]


def test_scenario_1_restrict_access_to_pods_with_a_label(page: Any, e2e_sandbox: SandboxProcess) -> None:
    open_create(page, "default")
    panel(page).get_by_label("Name", exact=True).fill("access-nginx")
    pick_workload(page, section(page, "Pod Selector"), "Stateless (Deployment)", "nginx", "app=nginx")
    assert "1 pod selected" in section(page, "Pod Selector").inner_text()
    next_then_ok(page)
    page.get_by_role("cell", name="access-nginx", exact=True).wait_for()

    # Source with no rules: no pod may reach nginx.
    assert spec_of(read_policy(e2e_sandbox, "default", "access-nginx")) == {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "policyTypes": ["Ingress"],
    }

    open_edit(page, "default", "access-nginx")
    rule = add_rule(page, "Source")
    peer = add_peer(page, rule, "podSelector")
    pick_workload(page, peer, "Stateless (Deployment)", "busybox", "app=busybox")
    rule = section(page, "Source").get_by_role("group", name="Source rule 1", exact=True)
    add_port(page, rule, "TCP", "80")
    next_then_ok(page)

    # The reference: ingress from pods labelled access=true (here: the busybox workload's app=busybox).
    assert spec_of(read_policy(e2e_sandbox, "default", "access-nginx")) == {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [
            {"ports": [{"protocol": "TCP", "port": 80}], "from": [{"podSelector": {"matchLabels": {"app": "busybox"}}}]}
        ],
        "policyTypes": ["Ingress"],
    }


def test_scenario_2_allow_source_cidrs_for_an_internet_facing_service(page: Any, e2e_sandbox: SandboxProcess) -> None:
    open_create(page, "default")
    panel(page).get_by_label("Name", exact=True).fill("access-nginx-slb")
    pick_workload(page, section(page, "Pod Selector"), "Stateless (Deployment)", "nginx", "app=nginx")
    rule = add_rule(page, "Source")
    add_peer(page, rule, "podSelector")
    pick_workload(
        page, rule.get_by_role("group", name="Rule 1", exact=True), "Stateless (Deployment)", "busybox", "app=busybox"
    )
    rule = section(page, "Source").get_by_role("group", name="Source rule 1", exact=True)
    peer = add_peer(page, rule, "ipBlock")
    peer.get_by_label("cidr").fill("100.64.0.0/10")
    rule = section(page, "Source").get_by_role("group", name="Source rule 1", exact=True)
    peer = add_peer(page, rule, "ipBlock")
    peer.get_by_label("cidr").fill("10.0.0.1/24")
    click(page, panel(page).get_by_role("button", name="Next"))
    # The reference's 10.0.0.1/24 has host bits set: Invalid since Kubernetes 1.36 (strict CIDRs),
    # shown at its field; the user corrects it to the network address.
    cidrs = section(page, "Source").get_by_label("cidr")
    bad = cidrs.nth(1)
    assert bad.input_value() == "10.0.0.1/24" and bad.get_attribute("aria-invalid") == "true"
    error_id = bad.get_attribute("aria-describedby")
    assert "must not have bits set beyond the prefix length" in page.locator(f"#{error_id}").inner_text()
    assert cidrs.nth(0).input_value() == "100.64.0.0/10"
    bad.fill("10.0.0.0/24")
    click(page, panel(page).get_by_role("button", name="Next"))
    with page.expect_navigation():
        panel(page).get_by_role("button", name="OK").click()

    assert spec_of(read_policy(e2e_sandbox, "default", "access-nginx-slb")) == {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [
            {
                "from": [
                    {"podSelector": {"matchLabels": {"app": "busybox"}}},
                    {"ipBlock": {"cidr": "100.64.0.0/10"}},
                    {"ipBlock": {"cidr": "10.0.0.0/24"}},
                ]
            }
        ],
        "policyTypes": ["Ingress"],
    }


def test_scenario_3_egress_only_to_given_addresses_and_dns(page: Any, e2e_sandbox: SandboxProcess) -> None:
    open_create(page, "default")
    panel(page).get_by_label("Name", exact=True).fill("busybox-policy")
    pick_workload(page, section(page, "Pod Selector"), "Stateless (Deployment)", "busybox", "app=busybox")
    panel(page).get_by_label("Restrict Destination").check()
    rule = add_rule(page, "Destination")
    for cidr in ("106.11.0.21/32", "140.205.0.4/32"):
        peer = add_peer(page, rule, "ipBlock")
        peer.get_by_label("cidr").fill(cidr)
        rule = section(page, "Destination").get_by_role("group", name="Destination rule 1", exact=True)
    rule = add_rule(page, "Destination")
    add_peer(page, rule, "ipBlock").get_by_label("cidr").fill("0.0.0.0/0")
    rule = section(page, "Destination").get_by_role("group", name="Destination rule 2", exact=True)
    add_peer(page, rule, "namespaceSelector")
    rule = section(page, "Destination").get_by_role("group", name="Destination rule 2", exact=True)
    add_port(page, rule, "UDP", "53")
    next_then_ok(page)

    # The reference's busybox-policy.yaml (two of its four addresses), no policyTypes given.
    assert spec_of(read_policy(e2e_sandbox, "default", "busybox-policy")) == {
        "podSelector": {"matchLabels": {"app": "busybox"}},
        "egress": [
            {"to": [{"ipBlock": {"cidr": "106.11.0.21/32"}}, {"ipBlock": {"cidr": "140.205.0.4/32"}}]},
            {
                "ports": [{"protocol": "UDP", "port": 53}],
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"namespaceSelector": {}}],
            },
        ],
        "policyTypes": ["Ingress", "Egress"],
    }


def test_scenario_4_public_network_access_for_a_namespace(page: Any, e2e_sandbox: SandboxProcess) -> None:
    open_create(page, "test-np")
    panel(page).get_by_label("Name", exact=True).fill("deny-public-net")
    # A label typed first, then Pod Selector: Type All, which takes it away (every pod).
    click(page, section(page, "Pod Selector").get_by_role("button", name="+ Add label"))
    section(page, "Pod Selector").get_by_label("Label key").fill("app")
    section(page, "Pod Selector").get_by_label("Value", exact=True).fill("busybox")
    picker = open_picker(page, section(page, "Pod Selector"))
    choose(page, picker.get_by_label("Type"), label="All")
    assert picker.get_by_label("Workload").count() == 0
    click(page, picker.get_by_role("button", name="OK", exact=True))
    assert section(page, "Pod Selector").get_by_label("Label key").count() == 0
    assert "If the pod selector is empty" in section(page, "Pod Selector").inner_text()
    rule = add_rule(page, "Source")
    add_peer(page, rule, "namespaceSelector")
    rule = section(page, "Source").get_by_role("group", name="Source rule 1", exact=True)
    add_peer(page, rule, "ipBlock").get_by_label("cidr").fill("0.0.0.0/0")
    panel(page).get_by_label("Restrict Destination").check()
    rule = add_rule(page, "Destination")
    add_peer(page, rule, "namespaceSelector")
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"):
        rule = section(page, "Destination").get_by_role("group", name="Destination rule 1", exact=True)
        add_peer(page, rule, "ipBlock").get_by_label("cidr").fill(cidr)
    next_then_ok(page)

    assert spec_of(read_policy(e2e_sandbox, "test-np", "deny-public-net")) == {
        "podSelector": {},
        "ingress": [{"from": [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
        "egress": [
            {
                "to": [
                    {"namespaceSelector": {}},
                    {"ipBlock": {"cidr": "10.0.0.0/8"}},
                    {"ipBlock": {"cidr": "172.16.0.0/12"}},
                    {"ipBlock": {"cidr": "192.168.0.0/16"}},
                ]
            }
        ],
        "policyTypes": ["Ingress", "Egress"],
    }
