"""The one Jinja2 environment of the pages, with the language of each request."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from app import __version__
from app.web.i18n import LANGUAGES, language, translate


def _i18n(request: Request) -> dict[str, Any]:
    lang = language(request)
    return {"_": partial(translate, lang), "lang": lang, "languages": LANGUAGES}


templates = Jinja2Templates(
    directory=Path(__file__).resolve().parent.parent.parent / "templates", context_processors=[_i18n]
)
templates.env.globals["version"] = __version__
