"""The one Jinja2 environment of the pages, with the language of each request."""

from __future__ import annotations

import json
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


def json_attr(value: Any) -> str:
    """JSON for an HTML attribute value. A plain string, so autoescaping turns its quotes into
    entities (Jinja's ``tojson`` is marked safe and would end a double-quoted attribute)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


templates.env.filters["json_attr"] = json_attr
