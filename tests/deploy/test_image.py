"""The Dockerfile and .dockerignore: a slim multi-stage image whose runtime has no compiler and
no control plane, runs as a numeric non-root user, checks /healthz, carries the compiled catalogs,
the templates, the static files and the migrations, and starts with `netpol-console serve` (which
migrates first). Read as text everywhere; built too where a Docker daemon answers."""

from __future__ import annotations

import fnmatch
import json
import shlex
import shutil
import subprocess
import uuid

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[int, str, str]]:
    """(stage index, INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    out: list[tuple[int, str, str]] = []
    stage = -1
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stage += 1
        out.append((stage, word.upper(), rest.strip()))
    return out


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative to the context) out, as Docker matches."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.replace("**/", "")) for p in prefixes):
            excluded = not negate
    return excluded


def test_the_image_is_slim_multi_stage_and_runs_as_a_numeric_non_root_user() -> None:
    steps = instructions()
    froms = [args for _, word, args in steps if word == "FROM"]
    assert len(froms) == 2 and all(f.split()[0].endswith("-slim") for f in froms), froms
    assert froms[0].split()[-2:] == ["AS", "build"]
    runtime = [(word, args) for stage, word, args in steps if stage == 1]
    assert not any(word == "RUN" and ("apt-get install" in args or "build-essential" in args) for word, args in runtime)
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and int(users[-1].split(":")[0]) != 0
    # the last USER comes after every RUN: nothing of the runtime runs as root after it
    last = {word: i for i, (word, _) in enumerate(runtime)}
    assert last["RUN"] < last["USER"]


def test_the_image_checks_healthz_and_starts_by_serving() -> None:
    runtime = {word: args for stage, word, args in instructions() if stage == 1}
    options, _, probe = runtime["HEALTHCHECK"].partition("CMD")
    assert "/healthz" in probe and "NETPOL_PORT" in probe and "--interval" in options and "--start-period" in options
    assert json.loads(runtime["CMD"]) == ["netpol-console", "serve"]
    env = dict(item.split("=", 1) for item in shlex.split(runtime["ENV"]))
    assert env["NETPOL_ENV"] == "production" and env["NETPOL_HOST"] == "0.0.0.0"


def test_the_image_holds_the_code_templates_static_migrations_and_compiled_catalogs_not_the_control_plane() -> None:
    steps = instructions()
    copied = [
        args.split()[:-1] for stage, word, args in steps if word == "COPY" and stage == 1 and "--from" not in args
    ]
    sources = {s for srcs in copied for s in srcs}
    assert {"app", "templates", "static", "migrations", "alembic.ini"} <= sources
    assert not any(s in (".", "./") or s.startswith("localcluster") for srcs in copied for s in srcs)
    compiled = [args for stage, word, args in steps if stage == 1 and word == "RUN" and "pybabel" in args]
    assert compiled and "compile -d app/locale -D messages" in compiled[0]
    for path in (".venv/bin/python", "localcluster/main.go", "tests/conftest.py", ".env", "var/console.db",
                 "app/locale/zh_CN/LC_MESSAGES/messages.mo", "app/__pycache__/main.cpython-311.pyc", ".git/HEAD",
                 "tests/oidc/node_modules/x.js", "build/localcluster"):  # fmt: skip
        assert ignored(path), path
    for path in ("app/main.py", "templates/base.html", "static/css/console.css", "migrations/env.py",
                 "alembic.ini", "pyproject.toml", "README.md", "app/locale/zh_CN/LC_MESSAGES/messages.po"):  # fmt: skip
        assert not ignored(path), path


def docker_daemon() -> bool:
    docker = shutil.which("docker")
    return bool(docker) and subprocess.run([docker or "docker", "info"], capture_output=True).returncode == 0


def test_the_image_builds_and_its_user_and_files_are_as_written_where_docker_runs() -> None:
    """Where no Docker daemon answers (as on the machine that wrote this), the static checks
    above are what holds; with one, the image is built and inspected."""
    if not docker_daemon():
        return
    tag = f"netpol-console-test:{uuid.uuid4().hex[:8]}"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-4000:]
    try:
        config = json.loads(subprocess.run(["docker", "image", "inspect", tag], capture_output=True, text=True,
                                           check=True).stdout)[0]["Config"]  # fmt: skip
        assert config["User"] == "10001:10001" and config["Healthcheck"]["Test"][0] == "CMD"
        listing = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "sh", tag, "-c",
             "id -u; ls /srv; ls /srv/app/locale/zh_CN/LC_MESSAGES; command -v gcc go || true"],
            capture_output=True, text=True, timeout=120,
        ).stdout.split()  # fmt: skip
        assert listing[0] == "10001" and "messages.mo" in listing
        assert {"app", "templates", "static", "migrations"} <= set(listing) and "localcluster" not in listing
        assert not any(x.endswith(("/gcc", "/go")) for x in listing)
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)
