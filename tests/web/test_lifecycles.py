"""Object lifecycles on the real control plane: a policy held by a finalizer after its DELETE, and a
namespace held Terminating, as the list, the details, the editors and the namespace choices show
them; editing a policy being deleted is refused with the reason, and creating into a Terminating
namespace shows the API server's own refusal."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio.client.exceptions import ApiException

from tests.accounts.conftest import csrf_of
from tests.web.test_networkpolicies_page import post_panel

HX = {"HX-Request": "true"}
FINALIZER = "example.com/hold"
Admin = tuple[FastAPI, httpx.AsyncClient]


async def hold_policy(kube: Any, namespace: str, name: str) -> None:
    """A policy with a finalizer of nobody's: a DELETE leaves it with a deletionTimestamp."""
    await k8s.NetworkingV1Api(kube).create_namespaced_network_policy(
        namespace,
        {
            "metadata": {"name": name, "finalizers": [FINALIZER]},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]},
        },
    )


async def release(kube: Any, namespace: str, name: str) -> None:
    """Remove the finalizers (as the controller that owns them would); gone already is fine."""
    try:
        await k8s.NetworkingV1Api(kube).patch_namespaced_network_policy(
            name, namespace, {"metadata": {"finalizers": None}}, _content_type="application/merge-patch+json"
        )
    except ApiException as exc:
        if exc.status != 404:
            raise


def words(response: httpx.Response) -> str:
    """The page's text with its entities decoded (the API server's quotes are escaped in HTML)."""
    return html.unescape(response.text)


async def until(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.1)


async def page_with(client: httpx.AsyncClient, url: str, needle: str, *, absent: bool = False) -> str:
    """GET ``url`` until ``needle`` is in it (or, with ``absent``, no longer is)."""

    async def check() -> str:
        text = (await client.get(url)).text
        return text if (needle in text) != absent else ""

    return str(await until(check))


@pytest.fixture
async def held(kube: Any, namespace: str) -> AsyncIterator[tuple[str, str]]:
    """A policy of the test's namespace, deleted but held by a finalizer until the test ends."""
    await hold_policy(kube, namespace, "held")
    await k8s.NetworkingV1Api(kube).delete_namespaced_network_policy("held", namespace)
    try:
        yield namespace, "held"
    finally:
        await release(kube, namespace, "held")


async def test_a_policy_being_deleted_is_terminating_in_the_list_and_details_and_cannot_be_edited(
    admin: Admin, kube: Any, held: tuple[str, str]
) -> None:
    _, client = admin
    namespace, name = held
    listing = f"/clusters/sandbox/networkpolicies?namespace={namespace}"
    page = await page_with(client, listing, "Terminating")
    row = page[page.index(f">{name}</a>") :]
    row = row[: row.index("</tr>")]
    assert FINALIZER in row and "Deletion requested" in row
    assert "/edit" not in row and "/delete" not in row  # no Edit or Delete for it; Details and YAML stay
    assert "/yaml" in row

    details = f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/{name}"
    for headers in ({}, HX):
        response = await client.get(details, headers=headers)
        assert response.status_code == 200
        assert "This policy is being deleted." in response.text and FINALIZER in response.text
        assert f"{details}/edit" not in response.text and f"{details}/delete" not in response.text

    # The editor says why at once, and refuses the review and the apply with the same reason.
    opened = await client.get(f"{details}/edit")
    assert opened.status_code == 200
    reason = f'networkpolicy "{name}" in namespace "{namespace}" is being deleted'
    assert reason in words(opened) and f"finalizers: {FINALIZER}" in words(opened)
    for op in ("next", "apply"):
        refused = await post_panel(client, opened.text, op)
        assert refused.status_code == 409, refused.text
        assert reason in words(refused) and "Someone changed this policy" not in refused.text

    # Edit as YAML and Delete refuse the same way.
    yaml_page = await client.get(f"{details}/yaml?edit=1")
    assert reason in words(yaml_page)
    text = re.search(r'<textarea[^>]*>([^<]*)</textarea>', yaml_page.text, re.S)
    assert text is not None
    posted = await client.post(
        f"{details}/yaml",
        data={"yaml": html.unescape(text.group(1)), "op": "review", "csrf_token": csrf_of(yaml_page.text)},
    )
    assert posted.status_code == 409 and reason in words(posted)
    delete_page = await client.get(f"{details}/delete")
    assert reason in words(delete_page)
    deleted = await client.post(f"{details}/delete", data={"csrf_token": csrf_of(delete_page.text)}, headers=HX)
    assert deleted.status_code == 409 and reason in words(deleted)

    # Its finalizer removed, it is gone from the list.
    await release(kube, namespace, name)
    await page_with(client, listing, f"<td>{name}", absent=True)


@pytest.fixture
async def terminating_namespace(kube: Any) -> AsyncIterator[str]:
    """A namespace held Terminating: the namespace controller deleted its policy, whose finalizer
    holds it (and so the namespace) until the test ends."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    core = k8s.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": name}})
    try:
        await hold_policy(kube, name, "hold")
        await core.delete_namespace(name)

        async def policy_deleted() -> bool:
            policy = await k8s.NetworkingV1Api(kube).read_namespaced_network_policy("hold", name)
            return policy.metadata.deletion_timestamp is not None

        await until(policy_deleted, 30)
        yield name
    finally:
        await release(kube, name, "hold")


async def test_a_terminating_namespace_is_shown_and_creating_into_it_shows_the_api_servers_refusal(
    admin: Admin, terminating_namespace: str
) -> None:
    _, client = admin
    ns = terminating_namespace
    listing = f"/clusters/sandbox/networkpolicies?namespace={ns}"
    page = await page_with(client, listing, f"{ns} (Terminating)")
    banner = page[page.index('id="namespace-terminating"') :]
    banner = banner[: banner.index("</div>")]
    assert "This namespace is being deleted" in banner
    assert "<code>kubernetes</code>" in banner  # the namespace controller's finalizer holds it
    # Its policy was deleted by the namespace controller: Terminating too, with its finalizer.
    row = page[page.index(">hold</a>") :]
    row = row[: row.index("</tr>")]
    assert "Terminating" in row and FINALIZER in row

    workloads = await client.get(f"/clusters/sandbox/workloads?namespace={ns}")
    assert f'<option value="{ns}" selected>{ns} (Terminating)</option>' in workloads.text

    # The Create panel marks the namespace in its choice and passes on the API server's words.
    opened = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={ns}")
    assert f'<option value="{ns}" selected>{ns} (Terminating)</option>' in opened.text
    assert "the API server refuses to create anything in it" in opened.text
    refused = await post_panel(client, opened.text, "next", name="late")
    assert refused.status_code == 403, refused.text
    assert "because it is being terminated" in words(refused)

    # Create from YAML too.
    form = await client.get(f"/clusters/sandbox/networkpolicies/create-yaml?namespace={ns}")
    assert f"{ns} (Terminating)" in form.text
    posted = await client.post(
        "/clusters/sandbox/networkpolicies/create-yaml",
        data={
            "namespace": ns,
            "op": "review",
            "yaml": "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata:\n  name: late\n"
            "spec:\n  podSelector: {}\n",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert posted.status_code == 403, posted.text
    assert "because it is being terminated" in words(posted)
