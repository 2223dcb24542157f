"""The secret key rule (app/secret_key.py): a development trial on SQLite and the embedded sandbox
makes and keeps a random key; every other console refuses to start without one; the public
placeholders (of .env.example and deploy/kubernetes/) and the old default are refused everywhere,
by `netpol-console serve` with one line and by the app's start-up before it touches the database."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.config import Settings
from app.main import create_app
from app.secret_key import SecretKeyRefused, ensure_secret_key
from tests.conftest import ROOT

GOOD_KEY = "k" * 20 + "0123456789abcdef"  # 36 characters, no placeholder


def env_example_key() -> str:
    line = next(x for x in (ROOT / ".env.example").read_text().splitlines() if x.startswith("NETPOL_SECRET_KEY="))
    return line.split("=", 1)[1]


def manifest_key() -> str:
    docs = yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "console.yaml").read_text())
    secret = next(d for d in docs if d and d["kind"] == "Secret")
    return str(secret["stringData"]["NETPOL_SECRET_KEY"])


def trial(tmp_path: Path, **values: object) -> Settings:
    return Settings(**{"sandbox": True, "data_dir": tmp_path, "secret_key": "", **values})  # type: ignore[arg-type]


def test_a_trial_makes_a_random_key_keeps_it_private_and_reuses_it(tmp_path: Path) -> None:
    first = trial(tmp_path / "a")
    ensure_secret_key(first)
    kept = tmp_path / "a" / "secret-key"
    assert len(first.secret_key) >= 32 and kept.read_text().strip() == first.secret_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = trial(tmp_path / "a")
    ensure_secret_key(again)
    assert again.secret_key == first.secret_key  # sessions survive a restart
    other = trial(tmp_path / "b")
    ensure_secret_key(other)
    assert other.secret_key != first.secret_key


@pytest.mark.parametrize(
    "values",
    [
        {"env": "production"},
        {"database_url": "postgresql+asyncpg://netpol@db.example:5432/netpol"},
        {"sandbox": False, "kubeconfig": "kubeconfig"},
        {"sandbox": False, "in_cluster": True},
    ],
    ids=["production", "postgresql", "kubeconfig", "in-cluster"],
)
def test_without_a_key_anything_but_a_trial_is_refused_and_nothing_is_written(
    tmp_path: Path, values: dict[str, object]
) -> None:
    settings = trial(tmp_path / "data", **values)
    with pytest.raises(SecretKeyRefused, match="NETPOL_SECRET_KEY is required"):
        ensure_secret_key(settings)
    assert not (tmp_path / "data" / "secret-key").exists()


@pytest.mark.parametrize(
    "key",
    ["development-only-secret-key", "change-me", env_example_key(), manifest_key(), "short-but-random-4f9a"],
    ids=["old-default", "change-me", "env-example", "manifest", "short"],
)
def test_public_or_short_keys_are_refused_even_in_a_trial(tmp_path: Path, key: str) -> None:
    settings = trial(tmp_path)
    settings.secret_key = key
    with pytest.raises(SecretKeyRefused, match="placeholder|shorter"):
        ensure_secret_key(settings)


def test_a_good_key_is_kept_as_given(tmp_path: Path) -> None:
    settings = Settings(env="production", kubeconfig=tmp_path / "kubeconfig", data_dir=tmp_path, secret_key=GOOD_KEY)
    ensure_secret_key(settings)
    assert settings.secret_key == GOOD_KEY and not (tmp_path / "secret-key").exists()


def test_serve_refuses_to_start_with_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPOL_")}
    for key, words in (("", "is required"), (env_example_key(), "public placeholder")):
        run = subprocess.run(
            [sys.executable, "-m", "app", "serve", "--port", "1", "--data-dir", str(tmp_path)],
            env={**env, "NETPOL_ENV": "production", "NETPOL_SECRET_KEY": key},
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("netpol-console: NETPOL_SECRET_KEY") and words in run.stderr
        assert "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []  # no database was made


async def test_the_app_refuses_at_start_before_it_touches_the_database(tmp_path: Path) -> None:
    app = create_app(Settings(kubeconfig=tmp_path / "kubeconfig", data_dir=tmp_path / "data", secret_key=""))
    with pytest.raises(SecretKeyRefused):
        async with app.router.lifespan_context(app):
            raise AssertionError("started")
    assert not (tmp_path / "data" / "console.db").exists()
