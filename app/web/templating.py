"""The one Jinja2 environment of the pages."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from app import __version__

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent.parent / "templates")
templates.env.globals["version"] = __version__
