"""Security headers on every response: pages, API answers, static files, errors and redirects.

- ``Content-Security-Policy``: scripts, styles, fonts and requests from this origin only; no inline
  script, style or event handler (the templates carry none; htmx is told not to evaluate code or
  insert its indicator ``<style>``); images also as ``data:`` URLs; no plugins; no framing
  (``frame-ancestors 'none'``); ``<base>`` and form targets this origin only. Signing in with
  OpenID Connect is a link (GET /login/oidc → the provider), not a form, so ``form-action`` needs
  no provider. A response that needs more (the API docs' start-up script, by its hash) sets its own
  policy with :func:`content_security_policy` and the middleware keeps it.
- ``X-Frame-Options: DENY`` for browsers without ``frame-ancestors``;
  ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: strict-origin-when-cross-origin``
  (not ``no-referrer``: under it browsers send ``Origin: null`` with a POST, and the sign-in form's
  cross-site check would refuse it).
- ``Strict-Transport-Security`` only when the request came over https: ``scope["scheme"]``, which
  uvicorn sets from ``X-Forwarded-Proto`` when the peer is one of the proxies it is told to trust
  (``forwarded_allow_ips`` in Settings).

:func:`install` wraps the whole middleware stack, Starlette's ``ServerErrorMiddleware`` included,
because a middleware added with ``add_middleware`` sits inside it and would miss the 500 answer
to an unhandled error.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from app.asgi import HttpMiddleware, wrap_outermost

POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "frame-ancestors": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
}
HSTS = "max-age=31536000"
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def content_security_policy(extra: Mapping[str, Iterable[str]] | None = None) -> str:
    """The console's policy, with ``extra`` sources added to the directives it names (a directive
    the policy lacks starts from nothing, not from ``default-src``)."""
    directives = {name: list(sources) for name, sources in POLICY.items()}
    for name, sources in (extra or {}).items():
        directives.setdefault(name, []).extend(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def source_hash(text: str) -> str:
    """The CSP source (``'sha256-…'``) that allows one inline ``<script>`` or ``<style>`` whose
    content is exactly ``text``."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


DEFAULT_POLICY = content_security_policy()


class SecurityHeadersMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", DEFAULT_POLICY)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if https:
                    headers.setdefault("strict-transport-security", HSTS)
                if headers.get("content-type", "").startswith("text/html"):
                    # A URL serves the page or, to htmx, its fragment: a browser going back to a
                    # URL htmx pushed must not take the fragment from its cache for the page.
                    headers.add_vary_header("HX-Request")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Put :class:`SecurityHeadersMiddleware` outside the app's whole middleware stack."""
    wrap_outermost(app, SecurityHeadersMiddleware)
