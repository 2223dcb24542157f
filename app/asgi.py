"""The shape of the console's pure ASGI middlewares (request limits, sign-in, security headers,
request ids): HTTP requests go to ``http``; other scopes (lifespan) pass through untouched."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


def wrap_outermost(app: Starlette, middleware: Callable[[ASGIApp], ASGIApp]) -> None:
    """Put ``middleware`` outside the app's whole middleware stack (Starlette's error handling
    included), so that it sees every response, a 500 too. The last one wrapped is outermost."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_wrapped() -> ASGIApp:
        return middleware(build())

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]
