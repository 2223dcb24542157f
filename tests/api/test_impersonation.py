"""Per-user authority on the real control plane: with ``impersonate`` on, writes made for a person
carry Impersonate-User / Impersonate-Group, so the cluster's RBAC decides (after the console's own
role and whitelist gates) and refuses in its own words; off, the console writes as itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.accounts import service as accounts
from app.accounts import tokens
from app.cluster.client import Impersonation
from app.config import Settings
from app.editing.authority import groups, impersonation
from app.whitelist.service import approve, set_api_gated, submit
from tests.api.conftest import Api, ApiFactory
from tests.api.test_policies import PROBLEM, base
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl


@pytest.fixture
def k(sandbox: SandboxProcess, tmp_path: Path) -> Kubectl:
    return Kubectl(sandbox, tmp_path / "kube-cache")


def policy(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def grant_writers(k: Kubectl, ns: str) -> None:
    """networkpolicies writes in ``ns`` for the user alice and the group of team green; bob gets
    nothing."""
    k("create", "role", "policy-writer", "-n", ns, "--verb=get,list,create,update,delete",
      "--resource=networkpolicies.networking.k8s.io")
    k("create", "rolebinding", "alice-writes", "-n", ns, "--role=policy-writer", "--user=alice")
    k("create", "rolebinding", "green-writes", "-n", ns, "--role=policy-writer", "--group=netpol:team:green")


async def people(api: Api) -> None:
    """alice and bob (team blue) and carol (team green), operators, with write tokens; both teams
    approved in the whitelist, which gates the API here."""
    async with api.app.state.sessions() as db:
        for name, team in (("alice", "blue"), ("bob", "blue"), ("carol", "green")):
            await accounts.create_user(db, name, team=team, roles=["operator"], password=f"{name}-password")
            _, api.tokens[name] = await tokens.create_token(db, name, "test", scope="write")
        reviewer = await accounts.get_user(db, "admin")  # default is a system namespace: an admin approves
        for team in ("blue", "green"):
            application = await submit(db, api.app.state.clusters.names()[0], team, "alice", "tests",
                                       namespaces="* default")
            await approve(db, application.id, reviewer, "ok")
        await set_api_gated(db, True)
        await db.commit()


def test_groups_follow_the_templates() -> None:
    class User:
        username, team, roles = "alice", "blue", frozenset({"operator", "viewer"})

    assert groups(["netpol:team:{team}", "netpol:role:{role}"], User) == (
        "netpol:team:blue",
        "netpol:role:operator",
        "netpol:role:viewer",
    )
    assert groups(["{team}", "{team}", "all"], User) == ("blue", "all")
    assert impersonation(Settings(), User) is None
    assert impersonation(Settings(impersonate=True, impersonate_groups=["t:{team}"]), User) == Impersonation(
        "alice", ("t:blue",)
    )


async def test_every_group_reaches_the_api_server_as_its_own_header(api: Api) -> None:
    """The client takes headers as a dict; the groups still arrive as separate values (a comma
    in one of them stays inside that group)."""
    cluster = next(iter(api.app.state.clusters))
    who = Impersonation("alice", ("netpol:team:blue", "netpol:role:operator", "odd,name"))
    review, _ = await cluster._call(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        headers=who.headers(),
    )
    assert review["status"]["userInfo"]["username"] == "alice"
    assert review["status"]["userInfo"]["groups"] == [
        "netpol:team:blue", "netpol:role:operator", "odd,name", "system:authenticated"
    ]


async def test_the_clusters_rbac_decides_for_each_person(
    make_api: ApiFactory, k: Kubectl, namespace: str
) -> None:
    grant_writers(k, namespace)
    async with make_api(impersonate=True) as api:
        await people(api)
        url = base(api, namespace)

        made = await api.send("POST", url, json=policy("by-alice"), who="alice")
        assert made.status_code == 201, made.text
        by_group = await api.send("POST", url, json=policy("by-carol"), who="carol")
        assert by_group.status_code == 201, by_group.text  # allowed through her team's group

        for query in ("?dryRun=true", ""):
            refused = await api.send("POST", url + query, json=policy("by-bob"), who="bob")
            assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
            assert refused.json()["detail"] == (
                'networkpolicies.networking.k8s.io is forbidden: User "bob" cannot create resource '
                f'"networkpolicies" in API group "networking.k8s.io" in the namespace "{namespace}"'
            )
        gone = await api.send("DELETE", f"{url}/by-alice", who="bob")
        assert gone.status_code == 403 and 'User "bob" cannot delete resource' in gone.json()["detail"]
        outside = await api.send("POST", base(api, "default") + "?dryRun=true", json=policy("x"), who="alice")
        assert outside.status_code == 403 and 'User "alice" cannot create' in outside.json()["detail"]
        assert (await api.send("DELETE", f"{url}/by-alice", who="alice")).status_code == 204

    names = [i["metadata"]["name"] for i in k.json("get", "networkpolicies", "-n", namespace)["items"]]
    assert names == ["by-carol"]


async def test_without_impersonation_the_console_writes_as_itself(
    make_api: ApiFactory, k: Kubectl, namespace: str
) -> None:
    async with make_api() as api:
        await people(api)
        made = await api.send("POST", base(api, namespace), json=policy("by-bob"), who="bob")
        assert made.status_code == 201, made.text  # the console's own (admin) credentials
