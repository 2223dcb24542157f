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
    # Behind a reverse proxy: uvicorn takes the client address and the scheme (https → HSTS and
    # Secure cookies) from X-Forwarded-For / X-Forwarded-Proto only when the peer is one of these
    # addresses (comma-separated IPs or networks, or "*" for any peer: only when nothing else can
    # reach the console's port).
    proxy_headers: bool = True
    forwarded_allow_ips: str = "127.0.0.1"

    # Where clusters come from: these flags, then $KUBECONFIG, then ~/.kube/config, then the
    # in-cluster service account; with none of them, the embedded sandbox cluster.
    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False
    sandbox: bool = False
    sandbox_port: int = 6443
    # Only these namespaces (comma-separated): for a console whose RBAC grants it some namespaces
    # and not the whole cluster, the cache lists and watches each kind in each of them.
    namespaces: str = ""

    # Signs sessions and login flows. Empty: a development trial on SQLite and the embedded sandbox
    # makes one and keeps it in <data-dir>/secret-key; any other console refuses to start without
    # one, and a public placeholder is never accepted (app/secret_key.py, checked at start).
    secret_key: str = ""

    # Accounts (app/accounts): the first admin's password (generated and logged when empty),
    # session lifetimes in seconds, the Secure cookie flag (also set whenever the request is
    # https), and login throttling (this many failures within the window → 429).
    admin_password: str = ""
    session_idle_timeout: int = 30 * 60
    session_absolute_timeout: int = 12 * 60 * 60
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_failure_window: int = 5 * 60

    # OpenID Connect login (off unless a discovery URL is set). Groups from `oidc_groups_claim`
    # (ID token, else userinfo) map to roles and to a team; a user in no mapped team is refused
    # unless `oidc_default_team` is set. Maps come as JSON in the environment, e.g.
    # NETPOL_OIDC_ROLE_MAP='{"platform-admins": ["admin", "approver"], "devs": ["operator"]}'.
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email groups"
    oidc_groups_claim: str = "groups"
    oidc_role_map: dict[str, list[str]] = {}
    oidc_team_map: dict[str, str] = {}
    oidc_default_roles: list[str] = ["viewer"]
    oidc_default_team: str = ""
    oidc_label: str = "Single sign-on"

    # REST API (app/api): OIDC access tokens must name this audience (default: the client id);
    # each caller (token, or user) may make `api_rate_burst` requests at once, refilled at
    # `api_rate_per_second` (per console process).
    oidc_api_audience: str = ""
    api_rate_per_second: float = 10.0
    api_rate_burst: int = 60

    # Per-user authority (app/editing/authority.py): with `impersonate`, every write made for a
    # signed-in person carries Impersonate-User (the username) and one Impersonate-Group per
    # group the templates give: `{team}` is the person's team, a template with `{role}` gives one
    # group per role. The console's own account then needs the `impersonate` verb on users and
    # groups. Env: NETPOL_IMPERSONATE_GROUPS='["netpol:team:{team}", "netpol:role:{role}"]'.
    impersonate: bool = False
    impersonate_groups: list[str] = ["netpol:team:{team}", "netpol:role:{role}"]

    # Request bodies (app/limits.py), in bytes, by Content-Type: forms (urlencoded and multipart),
    # YAML, JSON (and any other type). A larger body is refused with 413 before it is read, and
    # before sign-in is checked.
    max_form_bytes: int = 1 << 20
    max_yaml_bytes: int = 1 << 20
    max_json_bytes: int = 2 << 20

    # Observability (app/metrics.py, app/logs.py): /metrics answers a request carrying
    # `Authorization: Bearer <metrics_token>` when it is set, else only callers on loopback;
    # `log_level` is the level of the JSON log lines `serve` writes to stderr.
    metrics_token: str = ""
    log_level: str = "info"

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'console.db').resolve()}"
        return self

    @property
    def namespace_list(self) -> list[str]:
        return [n.strip() for n in self.namespaces.split(",") if n.strip()]

    @property
    def sandbox_dir(self) -> Path:
        return self.data_dir / "sandbox"


def kubeconfig_env() -> Path | None:
    """The first file named by $KUBECONFIG, as kubectl reads it (the console takes one file)."""
    value = os.environ.get("KUBECONFIG", "")
    first = next((p for p in value.split(os.pathsep) if p), None)
    return Path(first) if first else None


def in_cluster_available() -> bool:
    return (
        bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        and Path("/var/run/secrets/kubernetes.io/serviceaccount/token").exists()
    )
