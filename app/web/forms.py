"""The one edit flow of the pages (NetBox's edit view, fief's page and fragment).

A form posts; its route parses it and calls a service.

- Success: ``redirect`` to the page that follows (303; ``HX-Redirect`` for htmx), whose URL carries
  the success message (``done_url``); that page says it (``notice``) in a ``role="status"`` line.
  A query parameter rather than a cookie or a session: it survives the 303 and htmx's redirect
  without state, and a reload repeats only the message, never the write.
- A domain error (``app.errors``): ``refusal`` turns it, the same way for every form, into the
  answer's status and what the page shows, then the route renders the same template again, filled
  in (``render``):

  ================================  ==========  ==============================================
  error                             status      shown
  ================================  ==========  ==============================================
  Invalid with field causes         422         at each field and in the error summary
  AlreadyExists                     409         at the field that names the object (``taken``),
                                                else in the banner
  Invalid without causes            422         banner
  Conflict (BeingDeleted)           409         banner (Expired: 410)
  Forbidden (NotWhitelisted)        403         banner
  NotFound                          404         banner
  BadRequest / Unauthorized         400 / 401   banner
  Unavailable                       503         banner: the cluster cannot be reached and
                                                nothing was changed
  any other DomainError             its status  banner
  ================================  ==========  ==============================================

  The status is the error's own ``status_code``; a page that shows more for one kind (the
  editor's live diff after a Conflict) adds it beside the banner.

  A refused change (an invalid form is no refusal) is audited as a ``failure``
  (``audit_refusal``). Errors that reach no form (a GET of a missing object) become the error page
  (``app.web.errors``), through ``refusal`` too.

Messages are said in the page's language: a ``Words`` message through its template, a plain one
through the catalog when the catalog has it (else as it is, in English).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.audit import service as audit
from app.errors import ERROR_TYPES, AlreadyExists, DomainError, FieldError, Invalid, Unavailable
from app.policies.text import parse_json
from app.policies.words import N_, Series, Words
from app.web.i18n import language, translate
from app.web.templating import templates
from app.web.wording import say

UNREACHABLE = N_("The cluster's API server cannot be reached; nothing was changed. ({detail})")

# The human names of upstream's field error types (app.errors.ERROR_TYPES), for the catalog.
_FIELD_ERROR_KINDS = (
    N_("Not found"), N_("Required value"), N_("Duplicate value"), N_("Invalid value"),
    N_("Unsupported value"), N_("Forbidden"), N_("Too long"), N_("Too many"), N_("Internal error"),
)


def said(lang: str, text: str) -> str:
    """A domain message in ``lang``: a ``Words`` through its template, a plain text through the
    catalog (as it is when the catalog does not have it)."""
    if not text or isinstance(text, (Words, Series)):
        return say(lang, text)
    return translate(lang, text)


def tell(request: Request, text: str) -> str:
    """``text`` (a ``Words``, or a text the catalog may have) in the page's language."""
    return said(language(request), text)


def field_message(lang: str, error: FieldError) -> str:
    """``error.message`` (``Required value: ...``) with its kind and its detail in ``lang``; the
    value stays as typed."""
    kind = ERROR_TYPES.get(error.type, error.type)
    message = error.message
    if error.detail:
        message = message[: len(message) - len(error.detail)] + said(lang, error.detail)
    return said(lang, kind) + message[len(kind):]


@dataclass(frozen=True)
class Refusal:
    """A domain error as a form shows it: the answer's status, the banner at the top ("" when the
    fields say it all), and the field causes, each at its field and in the error summary."""

    error: DomainError
    status: int
    banner: str = ""
    causes: tuple[FieldError, ...] = ()
    # field → its message in the page's language (the first, when a field has several)
    fields: dict[str, str] = field(default_factory=dict)


def refusal(request: Request, exc: DomainError, *, taken: FieldError | None = None) -> Refusal:
    """How a form shows ``exc`` (see the module's table); ``taken`` is the field error that says the
    name is taken, for a form that names the object it creates."""
    lang = language(request)
    causes: list[FieldError] = list(exc.causes) if isinstance(exc, Invalid) else []
    if isinstance(exc, AlreadyExists) and taken is not None:
        causes = [taken]
    if causes:
        banner = ""
    elif isinstance(exc, Unavailable):
        banner = say(lang, Words(UNREACHABLE, detail=exc.message))
    else:
        banner = said(lang, exc.message)
    fields: dict[str, str] = {}
    for cause in causes:
        fields.setdefault(cause.field, field_message(lang, cause))
    return Refusal(exc, exc.status_code, banner, tuple(causes), fields)


async def audit_refusal(
    request: Request, exc: DomainError, *, actor: str, kind: str, name: str, action: str,
    cluster: str = "", before: dict[str, Any] | None = None,
) -> None:
    """Audit a refused change as a ``failure``, in a transaction of its own (the request's must be
    rolled back already). An invalid form changed nothing and is no refusal: not audited."""
    if isinstance(exc, Invalid):
        return
    await audit.record_detached(request.app.state.sessions, actor, "console", cluster, "", kind, name,
                                action, "failure", before, None, exc.message)


# ----- the answers -----


def is_htmx(request: Request) -> bool:
    return bool(request.headers.get("HX-Request"))


def render(
    request: Request, template: str, context: Mapping[str, Any], *, status_code: int = 200,
    fragment: str | None = None, target: str | None = None,
) -> HTMLResponse:
    """One template serves the page and its htmx fragment (the page includes the fragment): the
    ``fragment`` when htmx asks (``HX-Request``; with ``target``, only when htmx swaps the element of
    that id), else the whole ``template``. ``hx`` tells a template whether htmx asked."""
    if fragment is not None and fragment_asked(request, target):
        template = fragment
    return templates.TemplateResponse(request, template, {"hx": is_htmx(request), **context}, status_code=status_code)


def fragment_asked(request: Request, target: str | None = None) -> bool:
    """Whether htmx asks for a fragment (to swap the element of id ``target``, when given)."""
    return is_htmx(request) and (target is None or request.headers.get("HX-Target") == target)


def header_url(location: str) -> str:
    """``location`` percent-encoded for a response header (``HX-Redirect``): ASCII only."""
    return quote(location, safe="/?&=#%:;@+,~!$'()*[]")


def redirect(request: Request, location: str) -> Response:
    """The page that follows a write: 303 See Other; for htmx, ``HX-Redirect`` (a whole page
    load, so the page that follows renders whole, with its message)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": header_url(location)})
    return RedirectResponse(location, status_code=303)


def no_store(response: HTMLResponse) -> HTMLResponse:
    """A page showing a one-time secret: no cache (browser or proxy) may keep it."""
    response.headers["Cache-Control"] = "no-store"
    return response


# ----- success messages -----


def done_url(url: str, done: str, name: str = "") -> str:
    """``url`` that says ``done`` (one of the page's ``notice`` messages) about ``name`` at the top;
    a message the URL already carried is replaced."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("done", "name")]
    query.append(("done", done))
    if name:
        query.append(("name", name))
    return urlunsplit(parts._replace(query=urlencode(query)))


def notice(request: Request, messages: Mapping[str, str]) -> str:
    """The success message ``done_url`` asked for, in the page's language: ``messages`` maps each
    ``done`` to an English template (``N_``) with ``{name}``. "" when none, or an unknown one."""
    template = messages.get(request.query_params.get("done", ""))
    name = request.query_params.get("name", "")
    if template is None or ("{name}" in template and not name):
        return ""
    return say(language(request), Words(template, name=name))


def seen_labels(data: Any) -> dict[str, str] | None:
    """The labels a person saw when the form was drawn (its hidden ``seen`` field, JSON), which an
    edit of labels takes as its precondition; None when the field is missing or not an object."""
    try:
        seen = parse_json(str(data.get("seen", "")))  # bounded depth, unlike json.loads
    except ValueError:
        return None
    return {str(k): str(v) for k, v in seen.items()} if isinstance(seen, dict) else None
