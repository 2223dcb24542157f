"""The Quota Center's rules: submitting applications, deciding them, and the gating of writes.

Functions take an ``AsyncSession`` and flush; the caller commits (one unit of work per request or
command). Each successful submit or decision adds its audit entry to the same transaction.

Rules:
- Anyone signed in may apply, for a cluster, a team and the namespaces it needs: names, or ``*``
  for every namespace except the system ones (``SYSTEM_NAMESPACES``: default, kube-system,
  kube-public, kube-node-lease), which are covered only when named (``*`` and ``kube-system``
  together cover both). A (cluster, team) with a Pending or Approved application cannot apply
  again (a team that needs another scope has its application revoked and applies anew). A
  partial unique index (migration 0005) enforces it under concurrency too: of two simultaneous
  submits one gets ``AlreadyExists``.
- Only approvers decide (``has_role("approver")``, which admins hold too); nobody decides an
  application they submitted, and nobody approves or rejects an application of their own team
  (separation of duties; revoking one's own team's approval stays possible: it takes rights
  away). An application naming a system namespace is approved only by an admin. Approve and
  reject need a Pending application, revoke an Approved one, and never while another
  application of the (cluster, team) is Approved. Every decision
  is kept in ``whitelist_decisions``; nothing is deleted.
- A decision is one conditional UPDATE on (id, status, version): of two approvers deciding at
  the same moment exactly one changes the row, the other gets ``Conflict`` naming the winner.
- Gating: a console write to a namespace of a cluster needs an Approved application of the
  writer's team for that cluster that covers the namespace (``NotWhitelisted`` without one,
  ``OutsideNamespaces`` naming what it covers otherwise); API writes too when the admin setting
  ``api_gated`` is on. CLI writes are not gated.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import BigInteger, bindparam, column, exists, literal, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import utcnow
from app.audit import service as audit
from app.errors import AlreadyExists, BadRequest, Conflict, FieldError, Forbidden, Invalid, NotFound
from app.policies.names import is_dns1123_label
from app.policies.words import N_, Words
from app.whitelist.models import (
    ACTIONS,
    ALL_BUT_SYSTEM,
    APPROVE,
    APPROVED,
    OPEN_STATUSES,
    PENDING,
    REJECT,
    REVOKE,
    STATUSES,
    WhitelistApplication,
    WhitelistDecision,
)
from app.workloads.objects import SYSTEM_NAMESPACES

KIND = "WhitelistApplication"
APPLY_PATH = "/whitelist"
MAX_REASON = 2000
MAX_COMMENT = 2000
MAX_NAMESPACES = 100

# The outcome of each action, and the status it needs.
_RESULT = {APPROVE: APPROVED, REJECT: "Rejected", REVOKE: "Revoked"}
_NEEDS = {APPROVE: PENDING, REJECT: PENDING, REVOKE: APPROVED}
# Refusals of an action on an application in the wrong status, as whole sentences (translatable).
_ALREADY = {
    APPROVE: N_("Application #{id} is already {status}{by}; only a Pending application can be approved"),
    REJECT: N_("Application #{id} is already {status}{by}; only a Pending application can be rejected"),
    REVOKE: N_("Application #{id} is already {status}{by}; only an Approved application can be revoked"),
}


class Principal(Protocol):
    """Who acts: ``app.accounts.models.User`` fits, and so does ``Actor``."""

    @property
    def username(self) -> str: ...

    @property
    def team(self) -> str: ...

    def has_role(self, role: str) -> bool: ...


@dataclass(frozen=True)
class Actor:
    """A principal without a user row (the CLI, tests, API callers that carry roles)."""

    username: str
    team: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


class NotWhitelisted(Forbidden):
    """A console write refused because the team's application for the cluster is not approved."""

    def __init__(self, cluster: str, team: str) -> None:
        self.cluster = cluster
        self.team = team
        self.apply_url = apply_url(cluster)
        super().__init__(
            f"Team {team} has no approved whitelist application for cluster {cluster}: "
            f"apply in the Quota Center ({self.apply_url})"
        )


class OutsideNamespaces(Forbidden):
    """A console write refused because the team's approved application does not cover the
    namespace."""

    def __init__(self, app: WhitelistApplication, namespace: str) -> None:
        self.cluster = app.cluster
        self.team = app.team
        self.namespace = namespace
        self.apply_url = apply_url(app.cluster)
        template = _OUTSIDE_SYSTEM if namespace in SYSTEM_NAMESPACES else _OUTSIDE
        super().__init__(Words(template, team=app.team, namespace=namespace, cluster=app.cluster,
                               id=str(app.id), scope=scope_words(namespace_list(app.namespaces)),
                               url=self.apply_url))


_OUTSIDE = N_("Team {team} may not change network policies in namespace {namespace} of cluster "
              "{cluster}: its approved application #{id} covers {scope}. To widen it, have it "
              "revoked and apply again in the Quota Center ({url})")
_OUTSIDE_SYSTEM = N_("Team {team} may not change network policies in namespace {namespace} of "
                     "cluster {cluster}: it is a system namespace, which only an application naming "
                     "it and approved by an admin covers; application #{id} covers {scope}. Apply "
                     "in the Quota Center ({url})")


def namespace_list(value: str | Collection[str]) -> list[str]:
    """The namespaces of an application as a list: from its stored text (names separated by
    spaces), from what a form or the API sent (spaces or commas), or a list; each once, ``*``
    first, then the names in order."""
    items = value.replace(",", " ").split() if isinstance(value, str) else [str(v).strip() for v in value]
    names = sorted(dict.fromkeys(n for n in items if n))
    return sorted(names, key=lambda n: n != ALL_BUT_SYSTEM)


def system_named(namespaces: Collection[str]) -> list[str]:
    """The system namespaces among ``namespaces`` (each needs an admin's approval)."""
    return [n for n in namespaces if n in SYSTEM_NAMESPACES]


def covers(namespaces: Collection[str], namespace: str) -> bool:
    """Whether an application of ``namespaces`` covers ``namespace``."""
    return namespace in namespaces or (ALL_BUT_SYSTEM in namespaces and namespace not in SYSTEM_NAMESPACES)


def scope_words(namespaces: Collection[str]) -> Words:
    """What ``namespaces`` cover, as a sentence's part."""
    named = ", ".join(n for n in namespaces if n != ALL_BUT_SYSTEM)
    system = ", ".join(sorted(SYSTEM_NAMESPACES))
    if ALL_BUT_SYSTEM not in namespaces:
        return Words("only {named}", named=named)
    if named:
        return Words("every namespace except the system ones ({system}), and {named}", system=system, named=named)
    return Words("every namespace except the system ones ({system})", system=system)


def _namespace_causes(namespaces: list[str]) -> list[FieldError]:
    if not namespaces:
        return [FieldError("namespaces", "FieldValueRequired",
                           Words("name the namespaces, or * for all but the system namespaces"))]
    if len(namespaces) > MAX_NAMESPACES:
        return [FieldError("namespaces", "FieldValueTooMany", f"at most {MAX_NAMESPACES} namespaces")]
    for name in namespaces:
        if name != ALL_BUT_SYSTEM and is_dns1123_label(name):
            return [FieldError("namespaces", "FieldValueInvalid",
                               Words("not a namespace name (lower-case letters, digits and '-', at most 63)"),
                               name)]
    return []


def apply_url(cluster: str = "") -> str:
    """Where the Quota Center's application form is (relative to the console's root)."""
    return APPLY_PATH + ("?" + urlencode({"cluster": cluster}) if cluster else "")


def application_dict(app: WhitelistApplication) -> dict[str, Any]:
    """The application as plain data (for the audit log's YAML and the API)."""
    return {
        "id": app.id,
        "cluster": app.cluster,
        "team": app.team,
        "requester": app.requester,
        "reason": app.reason,
        "namespaces": namespace_list(app.namespaces),
        "submittedAt": app.submitted_at.isoformat() if app.submitted_at else None,
        "status": app.status,
        "decidedBy": app.decided_by,
        "decidedAt": app.decided_at.isoformat() if app.decided_at else None,
        "comment": app.comment,
        "version": app.version,
    }


# ---------------------------------------------------------------------------------------- reading


async def get_application(session: AsyncSession, app_id: int) -> WhitelistApplication:
    app = await session.get(WhitelistApplication, app_id)
    if app is None:
        raise NotFound(Words("whitelist application #{id} not found", id=str(app_id)))
    return app


MAX_ID = 2**63 - 1


async def list_applications(
    session: AsyncSession, *, status: str = "", cluster: str = "", team: str = "", requester: str = "",
    limit: int = 200, offset: int = 0, before_id: int | None = None,
) -> list[WhitelistApplication]:
    """Applications, newest first; empty filters match everything.

    Page by key with ``before_id`` (only applications with a smaller id: stable while
    applications are submitted) or by ``offset``. ``before_id`` must be in 1..2**63-1
    (``BadRequest`` otherwise)."""
    if status and status not in STATUSES:
        raise Invalid(f"unknown status {status!r}", [FieldError(
            "status", "FieldValueNotSupported", f"supported values: {', '.join(STATUSES)}", status)])
    stmt = select(WhitelistApplication).order_by(WhitelistApplication.id.desc())
    for col, value in ((WhitelistApplication.status, status), (WhitelistApplication.cluster, cluster),
                       (WhitelistApplication.team, team), (WhitelistApplication.requester, requester)):
        if value:
            stmt = stmt.where(col == value)
    if before_id is not None:
        if isinstance(before_id, bool) or not isinstance(before_id, int) or not 1 <= before_id <= MAX_ID:
            raise BadRequest("invalid continue token")
        # Bound as BIGINT: ids are INTEGER on PostgreSQL, a larger token must not overflow it.
        stmt = stmt.where(WhitelistApplication.id < literal(before_id, BigInteger()))
    stmt = stmt.limit(max(1, min(limit, 1000))).offset(max(0, offset))
    return list((await session.execute(stmt)).scalars())


async def decisions(session: AsyncSession, app_id: int) -> list[WhitelistDecision]:
    """Every decision taken on the application, oldest first."""
    stmt = (select(WhitelistDecision).where(WhitelistDecision.application_id == app_id)
            .order_by(WhitelistDecision.id))
    return list((await session.execute(stmt)).scalars())


# -------------------------------------------------------------------------------------- submitting


async def _open_application(session: AsyncSession, cluster: str, team: str) -> WhitelistApplication | None:
    return (await session.execute(
        select(WhitelistApplication).where(
            WhitelistApplication.cluster == cluster, WhitelistApplication.team == team,
            WhitelistApplication.status.in_(OPEN_STATUSES),
        ).order_by(WhitelistApplication.id).limit(1)
    )).scalar_one_or_none()


def _already_open(app: WhitelistApplication) -> AlreadyExists:
    return AlreadyExists(
        f"Team {app.team} already has an application for cluster {app.cluster}: "
        f"#{app.id} is {app.status}"
    )


async def _ensure_transaction(session: AsyncSession) -> None:
    """Make sure the database itself has a transaction open before a SAVEPOINT.

    Python's sqlite3 driver opens its transaction lazily, at the first write; a SAVEPOINT issued
    before that would be the outermost one, and releasing it would commit. So on SQLite we open
    the transaction explicitly when the driver has not yet."""
    conn = await session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if driver is not None and not driver.in_transaction:
        await conn.exec_driver_sql("BEGIN")


async def submit(
    session: AsyncSession, cluster: str, team: str, requester: str, reason: str, *,
    via: str = "console", clusters: Collection[str] | None = None,
    namespaces: str | Collection[str] = ALL_BUT_SYSTEM,
) -> WhitelistApplication:
    """A new Pending application. ``clusters``, when given, are the names that may be chosen;
    ``namespaces`` (names, ``*`` for all but the system ones) is the scope asked for."""
    cluster, team, reason = cluster.strip(), team.strip(), reason.strip()
    scope = namespace_list(namespaces)
    causes: list[FieldError] = []
    if not cluster:
        causes.append(FieldError("cluster", "FieldValueRequired"))
    elif clusters is not None and cluster not in clusters:
        causes.append(FieldError("cluster", "FieldValueNotSupported",
                                 f"supported values: {', '.join(sorted(clusters))}", cluster))
    if not team:
        causes.append(FieldError("team", "FieldValueRequired"))
    if not reason:
        causes.append(FieldError("reason", "FieldValueRequired"))
    elif len(reason) > MAX_REASON:
        causes.append(FieldError("reason", "FieldValueTooLong", f"at most {MAX_REASON} characters"))
    causes.extend(_namespace_causes(scope))
    if causes:
        raise Invalid("the application is invalid: " + ", ".join(str(c) for c in causes), causes)
    open_one = await _open_application(session, cluster, team)
    if open_one is not None:
        raise _already_open(open_one)
    app = WhitelistApplication(cluster=cluster, team=team, requester=requester, reason=reason,
                               namespaces=" ".join(scope), submitted_at=utcnow(), status=PENDING, comment="", version=1)
    # The check above races with concurrent submits; the partial unique index settles it. The
    # savepoint keeps the session usable (and the caller's earlier work intact) when we lose.
    await _ensure_transaction(session)
    try:
        async with session.begin_nested():
            session.add(app)
    except IntegrityError:
        winner = await _open_application(session, cluster, team)
        if winner is None:  # not the uniqueness of open applications: let it surface
            raise
        raise _already_open(winner) from None
    await audit.record(session, requester, via, cluster, "", KIND, str(app.id), "application.submit",
                       "success", None, application_dict(app))
    return app


# --------------------------------------------------------------------------------------- deciding


async def approve(session: AsyncSession, app_id: int, actor: Principal, comment: str = "", *,
                  version: int | None = None, via: str = "console") -> WhitelistApplication:
    return await decide(session, app_id, APPROVE, actor, comment, version=version, via=via)


async def reject(session: AsyncSession, app_id: int, actor: Principal, comment: str = "", *,
                 version: int | None = None, via: str = "console") -> WhitelistApplication:
    return await decide(session, app_id, REJECT, actor, comment, version=version, via=via)


async def revoke(session: AsyncSession, app_id: int, actor: Principal, comment: str = "", *,
                 version: int | None = None, via: str = "console") -> WhitelistApplication:
    return await decide(session, app_id, REVOKE, actor, comment, version=version, via=via)


def decision_refusal(app: WhitelistApplication, action: str, actor: Principal) -> Forbidden | None:
    """Why ``actor`` may not take ``action`` on ``app`` whatever its status (the pages leave out
    the buttons for it), or None. Separation of duties: not one's own application, not approve
    or reject one of one's own team, and an application naming a system namespace needs an admin
    to approve it."""
    if app.requester == actor.username:
        return Forbidden(Words("You cannot decide your own application #{id}: another approver must do it",
                               id=str(app.id)))
    if action in (APPROVE, REJECT) and actor.team and app.team == actor.team:
        return Forbidden(Words("Application #{id} is of your own team {team}: an approver of another team "
                               "decides it", id=str(app.id), team=app.team))
    system = system_named(namespace_list(app.namespaces))
    if action == APPROVE and system and not actor.has_role("admin"):
        return Forbidden(Words("Application #{id} names the system namespaces {namespaces}: only an admin "
                               "may approve it", id=str(app.id), namespaces=", ".join(system)))
    return None


def _decided_note(app: WhitelistApplication) -> str:
    return Words(" by {user}", user=app.decided_by) if app.decided_by else ""


async def decide(
    session: AsyncSession, app_id: int, action: str, actor: Principal, comment: str = "", *,
    version: int | None = None, via: str = "console",
) -> WhitelistApplication:
    """Approve, reject or revoke; ``version`` (from the page the approver saw) guards against
    deciding on stale information. Raises Forbidden, NotFound, Conflict or Invalid."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid("the comment is too long", [
            FieldError("comment", "FieldValueTooLong", f"at most {MAX_COMMENT} characters")])
    if not actor.has_role("approver"):
        raise Forbidden(Words("Only approvers decide whitelist applications; {user} is not an approver",
                              user=actor.username))
    app = await get_application(session, app_id)
    refused = decision_refusal(app, action, actor)
    if refused is not None:
        raise refused
    needed = _NEEDS[action]
    if app.status != needed:
        raise Conflict(Words(_ALREADY[action], id=str(app.id), status=Words(app.status), by=_decided_note(app)))
    if version is not None and version != app.version:
        raise Conflict(Words("Application #{id} was changed meanwhile{by}; reload and try again",
                             id=str(app.id), by=_decided_note(app)))
    if action == APPROVE:
        other = (await session.execute(
            select(WhitelistApplication.id).where(
                WhitelistApplication.cluster == app.cluster, WhitelistApplication.team == app.team,
                WhitelistApplication.status == APPROVED, WhitelistApplication.id != app.id,
            ).limit(1)
        )).scalar_one_or_none()
        if other is not None:
            raise Conflict(
                f"Team {app.team} already holds approved application #{other} for cluster "
                f"{app.cluster}; application #{app.id} cannot be approved too"
            )

    now = utcnow()
    result = await session.execute(
        update(WhitelistApplication)
        .where(WhitelistApplication.id == app.id, WhitelistApplication.status == needed,
               WhitelistApplication.version == app.version)
        .values(status=_RESULT[action], decided_by=actor.username, decided_at=now, comment=comment,
                version=WhitelistApplication.version + 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(app)
    if getattr(result, "rowcount", 0) != 1:
        # Someone decided between our read and our write (their transaction has committed: on
        # PostgreSQL our UPDATE waited for it, then found the row no longer matching).
        raise Conflict(f"Application #{app.id} was already decided{_decided_note(app)} "
                       f"(now {app.status}); nothing was changed")
    session.add(WhitelistDecision(application_id=app.id, action=action, actor=actor.username, at=now,
                                  comment=comment))
    await session.flush()
    before = {**application_dict(app), "status": needed}
    await audit.record(session, actor.username, via, app.cluster, "", KIND, str(app.id),
                       f"application.{action}", "success", before, application_dict(app), comment)
    return app


# ---------------------------------------------------------------------------------------- gating


async def is_approved(session: AsyncSession, cluster: str, team: str) -> bool:
    """Whether ``team`` holds an Approved application for ``cluster``."""
    stmt = select(exists().where(
        WhitelistApplication.cluster == cluster, WhitelistApplication.team == team,
        WhitelistApplication.status == APPROVED,
    ))
    return bool((await session.execute(stmt)).scalar())


async def approved_application(session: AsyncSession, cluster: str, team: str) -> WhitelistApplication | None:
    """The team's Approved application for ``cluster`` (at most one), or None."""
    return (await session.execute(_APPROVED, {"cluster": cluster, "team": team})).scalar_one_or_none()


# The gate's statements, built once (asked on every page and write; building one cost more than
# running it).
_APPROVED = select(WhitelistApplication).where(
    WhitelistApplication.cluster == bindparam("cluster"), WhitelistApplication.team == bindparam("team"),
    WhitelistApplication.status == APPROVED,
).order_by(WhitelistApplication.id).limit(1)


async def require_console_write(session: AsyncSession, cluster: str, user: Principal, namespace: str = "") -> None:
    """Raise ``NotWhitelisted`` unless the user's team holds an approved application for
    ``cluster``, and ``OutsideNamespaces`` unless it covers ``namespace`` (both Forbidden; an
    empty ``namespace``: the cluster only)."""
    app = await approved_application(session, cluster, user.team)
    if app is None:
        raise NotWhitelisted(cluster, user.team)
    if namespace and not covers(namespace_list(app.namespaces), namespace):
        raise OutsideNamespaces(app, namespace)


async def require_write(session: AsyncSession, cluster: str, user: Principal, via: str, namespace: str = "") -> None:
    """The gate for a policy write to ``namespace`` arriving through ``via``: console writes
    always, API writes when ``api_gated``, CLI writes never."""
    if via == "console" or (via == "api" and await api_gated(session)):
        await require_console_write(session, cluster, user, namespace)


# ------------------------------------------------------------------------------ the admin setting

_settings = table("console_settings", column("key"), column("value"))
API_GATED_KEY = "whitelist.api_gated"


_API_GATED = select(_settings.c.value).where(_settings.c.key == API_GATED_KEY)


async def api_gated(session: AsyncSession) -> bool:
    """Whether REST API writes are gated by the whitelist too (default: no)."""
    value = (await session.execute(_API_GATED)).scalar_one_or_none()
    return value == "true"


async def set_api_gated(session: AsyncSession, value: bool, *, actor: str | None = None,
                        via: str = "console") -> None:
    """Store the setting (the caller checks the admin role); audited when ``actor`` is given."""
    before = await api_gated(session)
    text = "true" if value else "false"
    result = await session.execute(
        update(_settings).where(_settings.c.key == API_GATED_KEY).values(value=text))
    if getattr(result, "rowcount", 0) == 0:
        await session.execute(_settings.insert().values(key=API_GATED_KEY, value=text))
    await session.flush()
    if actor is not None:
        await audit.record(session, actor, via, "", "", "Setting", API_GATED_KEY, "setting.update",
                           "success", {"value": before}, {"value": value})


async def record_refusal(
    sessions: async_sessionmaker[AsyncSession], app_id: int, action: str, actor: str, error: Exception,
    *, via: str = "console",
) -> None:
    """Audit a refused decision (``failure`` with the error's message) in its own transaction.
    Call it after rolling back the request's own transaction."""
    async with sessions() as session:
        app = await session.get(WhitelistApplication, app_id)
        await audit.record(session, actor, via, app.cluster if app else "", "", KIND, str(app_id),
                           f"application.{action}", "failure", None, None, str(error))
        await session.commit()


# ------------------------------------------------------------------------------- the demo cluster

# An admin (of no team of people): the sandbox grant names the system namespaces.
SYSTEM = Actor("system", "system", frozenset({"admin"}))
DEMO_TEAM = "platform"
# Every namespace of the demo cluster, the system ones too.
DEMO_NAMESPACES = (ALL_BUT_SYSTEM, *sorted(SYSTEM_NAMESPACES))


async def grant_embedded_sandbox(sessions: async_sessionmaker[AsyncSession], cluster: str) -> None:
    """Open the embedded sandbox cluster, all its namespaces, to the platform team (the first
    admin's), so that `make run` lets a newcomer edit policies at once. The grant is an ordinary
    application, submitted for the team and approved by ``system`` (an admin, as the system
    namespaces need): visible in the Quota Center and the audit log, and revocable like any other.
    A grant of ``system`` from before namespaces existed (migration 0006 made it ``*``) is revoked
    and granted anew with every namespace. Real clusters are never granted this way."""
    async with sessions() as session:
        held = await approved_application(session, cluster, DEMO_TEAM)
        if held is not None:
            if held.decided_by != SYSTEM.username or all(
                    n in namespace_list(held.namespaces) for n in DEMO_NAMESPACES):
                return
            await revoke(session, held.id, SYSTEM, "granted anew with the system namespaces")
        pending = (await session.execute(
            select(WhitelistApplication).where(
                WhitelistApplication.cluster == cluster, WhitelistApplication.team == DEMO_TEAM,
                WhitelistApplication.status == PENDING,
            ).limit(1)
        )).scalar_one_or_none()
        if pending is not None:
            await reject(session, pending.id, SYSTEM, "replaced by the automatic grant of the embedded sandbox")
        app = await submit(
            session, cluster, DEMO_TEAM, "admin",
            "The embedded sandbox cluster of a development console", namespaces=DEMO_NAMESPACES,
        )
        await approve(session, app.id, SYSTEM, "granted automatically: the embedded sandbox is a demo cluster")
        await session.commit()
