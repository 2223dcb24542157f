"""The suite's log check (tests/log_secrets.py) is honest: a secret that is logged is caught, in a
record or in a console's log file, and a run that logs one fails."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.log_secrets import Capture, known_secrets, kubeconfig_tokens

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", str(ROOT / "pyproject.toml")]
# the child run reports as pyproject says, whatever options the outer run was given
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
FAKE_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl"


def test_a_logged_secret_is_caught_in_a_capture_of_its_own() -> None:
    log = logging.getLogger("app.fake")
    with Capture().recording() as capture:
        log.warning("all is well for %s", "olga")
        log.warning("signed in with %s", "bootstrap-admin-pw")
        log.error("token %s refused", "npc_" + "A1b2" * 10)
        try:
            raise RuntimeError(f"the API server refused {FAKE_JWT}")
        except RuntimeError:
            log.exception("call failed")
    leaks = capture.leaks(known_secrets())
    assert [(where, what[:4]) for where, what in leaks] == [
        ("app.fake", "boot"), ("app.fake", "npc_"), ("app.fake", "eyJh")]
    assert not any("bootstrap-admin-pw" in what for _, what in leaks)  # the report does not repeat it


def test_the_known_secrets_are_harvested_from_the_tests() -> None:
    known = known_secrets()
    assert {"bootstrap-admin-pw", "e2e-admin-password", "olga-password"} <= known  # passwords
    assert "test-secret" in known  # the OIDC provider's client secret
    assert "short" not in known


def test_kubeconfig_tokens_and_console_log_files_are_read() -> None:
    # Outside the run's temporary directory, whose files the run's own check reads.
    with tempfile.TemporaryDirectory() as name:
        where = Path(name)
        config = {"users": [{"name": "limited", "user": {"token": "sandbox-sa-token-123456"}}, {"name": "x"}]}
        (where / "limited-kubeconfig").write_text(yaml.safe_dump(config))
        assert kubeconfig_tokens(where) == {"sandbox-sa-token-123456"}
        (where / "console.log").write_text('{"message": "ok"}\n{"message": "using sandbox-sa-token-123456"}\n')
        capture = Capture()
        capture.read_files([where / "console.log"])
        assert [w for w, _ in capture.leaks(kubeconfig_tokens(where))] == ["console.log"]


def test_a_run_that_logs_a_secret_fails(tmp_path: Path) -> None:
    test = tmp_path / "test_leaky.py"
    test.write_text(
        "import logging\n\n"
        "def test_leaks():\n"
        "    logging.getLogger('app.leaky').info('made token %s', 'npc_' + 'x' * 43)\n\n"
        "def test_quiet():\n"
        "    logging.getLogger('app.leaky').info('nothing to see')\n"
    )
    run = subprocess.run([*PYTEST, "--basetemp", str(tmp_path / "run"), str(test)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, env=CHILD_ENV)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 passed" in run.stdout and "secrets in log lines" in run.stdout
    assert "app.leaky: npc_… (47 characters)" in run.stdout and "x" * 43 not in run.stdout
    test.write_text("import logging\n\ndef test_quiet():\n    logging.getLogger('app.leaky').info('hello')\n")
    clean = subprocess.run([*PYTEST, "--basetemp", str(tmp_path / "run"), str(test)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120, env=CHILD_ENV)
    assert clean.returncode == 0, clean.stdout + clean.stderr
