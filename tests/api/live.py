"""The console served by uvicorn on a free port, in a thread of this process, with the users and
tokens of ``seed_callers`` (made through the services on a database connection of our own)."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import httpx
import uvicorn

from app.cli.serve import server_options
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from tests.api.conftest import seed_callers
from tests.conftest import free_port


class LiveConsole:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", **server_options(settings)
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.tokens: dict[str, str] = {}

    def start(self, timeout: float = 30) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console did not start")
            time.sleep(0.05)
        self.tokens = asyncio.run(self._seed())
        with httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens['admin']}"}
        ) as c:
            while not all(x["ready"] for x in c.get("/api/v1/clusters").json()["items"]):
                if time.monotonic() > deadline:
                    raise RuntimeError("the clusters did not sync")
                time.sleep(0.1)

    async def _seed(self) -> dict[str, str]:
        engine = make_engine(self.settings.database_url)
        try:
            return await seed_callers(
                SimpleNamespace(state=SimpleNamespace(sessions=make_sessionmaker(engine)))
            )
        finally:
            await engine.dispose()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)
