"""Settings: the only reader of environment variables (prefix ``NETPOL_``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NETPOL_", extra="ignore")

    env: str = "development"
    data_dir: Path = Path("./var")
    database_url: str = ""

    host: str = "127.0.0.1"
    port: int = 8000

    # Where clusters come from: these flags, then $KUBECONFIG, then ~/.kube/config, then the
    # in-cluster service account; with none of them, the embedded sandbox cluster.
    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False
    sandbox: bool = False
    sandbox_port: int = 6443

    secret_key: str = "development-only-secret-key"

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'console.db').resolve()}"
        if self.env != "development" and self.secret_key == "development-only-secret-key":
            raise ValueError("NETPOL_SECRET_KEY must be set outside development")
        return self

    @property
    def sandbox_dir(self) -> Path:
        return self.data_dir / "sandbox"


def kubeconfig_env() -> Path | None:
    """The first file named by $KUBECONFIG, as kubectl reads it (the console takes one file)."""
    value = os.environ.get("KUBECONFIG", "")
    first = next((p for p in value.split(os.pathsep) if p), None)
    return Path(first) if first else None


def in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and Path(
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
    ).exists()
