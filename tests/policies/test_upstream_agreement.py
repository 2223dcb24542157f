"""Our validator held by upstream: every NetworkPolicy case of ``validation_cases`` goes to the real
API server (the sandbox: upstream Kubernetes v1.36.3, default feature gates) as a dry-run create,
or as a real create of the old object and a dry-run update, and our validator must give the same
verdict, the same errors (field path, type and message, in the same order; each distinct error
once) and the same warnings.

Where the two differ, the API server is right. A case the API server cannot be sent (see
``NOT_SENDABLE``, each with the reason) is left out here: nothing is skipped; the unit tests of
``test_validation`` hold those cases.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.cluster import Cluster, ClusterRegistry, WriteResult
from app.errors import FieldError, Invalid
from app.policies.model import NetworkPolicy
from app.policies.validation import ValidationResult, validate_network_policy, validate_network_policy_update
from tests.policies.validation_cases import NOT_SENDABLE, PolicyCase, policy_cases

SERVER_META = ("uid", "resourceVersion", "creationTimestamp")


@pytest.fixture(scope="module")
def agreement_namespace(sandbox: Any) -> Iterator[str]:
    """One namespace for this module's objects, deleted (with them) afterwards."""
    name = f"agree-{uuid.uuid4().hex[:8]}"
    # Not sandbox.http(): its cert= argument is deprecated in httpx, an error under filterwarnings.
    tls = sandbox.ssl_context()
    tls.load_cert_chain(sandbox.pki / "admin.crt", sandbox.pki / "admin.key")
    with httpx.Client(base_url=sandbox.url, verify=tls, timeout=10) as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": name}}).raise_for_status()
        yield name
        http.delete(f"/api/v1/namespaces/{name}")


@pytest.fixture
async def cluster(sandbox: Any) -> AsyncIterator[Cluster]:
    registry = await ClusterRegistry.from_kubeconfig(sandbox.kubeconfig_path)
    try:
        yield registry.get("sandbox")
    finally:
        await registry.close()


@dataclass
class Verdict:
    """What one side said: the errors (empty when accepted) and the warnings."""

    accepted: bool
    causes: list[tuple[str, str, str]]  # (field, type, message)
    warnings: list[str]


def ours(result: ValidationResult) -> Verdict:
    return Verdict(result.valid, [(e.field, e.type, e.message) for e in result.errors], result.warnings)


async def theirs(call: Awaitable[WriteResult], generate_name: str | None) -> Verdict:
    try:
        result = await call
    except Invalid as exc:
        # On update the API server checks ObjectMeta three times (rest.BeforeUpdate's common
        # fields, then the strategy) and reports each finding each time; we compare each once.
        causes = dict.fromkeys(_cause(c, generate_name) for c in exc.causes)
        return Verdict(False, list(causes), [])
    return Verdict(True, [], result.warnings)


def _cause(error: FieldError, generate_name: str | None) -> tuple[str, str, str]:
    message = error.message
    if generate_name and error.field == "metadata.name":
        # The server's random suffix; our validator stands in "xxxxx" (names.generated_name).
        start = message.index(f'"{generate_name}') + 1 + len(generate_name)
        message = message[:start] + "xxxxx" + message[start + 5 :]
    return (error.field, error.type, message)


def _in(namespace: str, obj: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"]["namespace"] = namespace
    if name is not None:
        obj["metadata"]["name"] = name
    return obj


async def _create(cluster: Cluster, namespace: str, case: PolicyCase) -> tuple[Verdict, Verdict]:
    new = _in(namespace, case.new)
    mine = ours(validate_network_policy(NetworkPolicy.from_dict(new)))
    meta = new["metadata"]
    generate_name = meta.get("generateName") if not meta.get("name") else None
    return mine, await theirs(cluster.create_network_policy(new, dry_run=True), generate_name)


async def _update(cluster: Cluster, namespace: str, case: PolicyCase) -> tuple[Verdict, Verdict]:
    """Create the old object for real, then send the new one as a dry-run update of it."""
    assert case.old is not None
    name = f"u-{uuid.uuid4().hex[:8]}"
    old = _in(namespace, case.old, name)
    for key in (*SERVER_META, "generation"):
        old["metadata"].pop(key, None)
    stored = (await cluster.create_network_policy(old)).object
    new = _in(namespace, case.new, name)
    for key in SERVER_META:  # the case's stand-ins for the stored object's own values
        if key in new["metadata"] and new["metadata"][key] == case.old["metadata"].get(key):
            new["metadata"][key] = stored["metadata"][key]
    mine = ours(validate_network_policy_update(NetworkPolicy.from_dict(new), NetworkPolicy.from_dict(stored)))
    return mine, await theirs(cluster.replace_network_policy(new, dry_run=True), None)


def _params() -> list[Any]:
    return [pytest.param(case, id=case.id) for case in policy_cases() if case.id not in NOT_SENDABLE]


@pytest.mark.parametrize("case", _params())
async def test_our_validator_gives_the_api_servers_verdict(
    case: PolicyCase, cluster: Cluster, agreement_namespace: str
) -> None:
    if case.old is None:
        mine, server = await _create(cluster, agreement_namespace, case)
    else:
        mine, server = await _update(cluster, agreement_namespace, case)
    assert mine.accepted == server.accepted
    assert [c[0] for c in mine.causes] == [c[0] for c in server.causes]  # the field paths, in order
    # and each error's type and message (as a multiset: upstream ranges over Go maps, e.g. labels,
    # whose order differs from run to run)
    assert sorted(mine.causes) == sorted(server.causes)
    assert mine.warnings == server.warnings
