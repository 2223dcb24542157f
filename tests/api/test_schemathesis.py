"""Schemathesis over the whole /api/v1 part of the OpenAPI document, against a running console
(in this process, a fresh sandbox of its own so generated writes touch nothing shared), on SQLite
and on PostgreSQL, with bounded examples: no server error, and every answer documented (status,
content type, schema). The request bodies are generated from the schemas the document gives them:
a NetworkPolicy or the form model for policy bodies (``app.api.bodies``), each model's own for the
rest; a body described as a free-form object would test little but the parser. The hostile inputs
no generator is likely to find (nesting 100,000 deep, 5,000-digit integers, NUL, lone surrogates,
64-bit ids, 300 MB bodies) are a corpus of their own: tests/api/test_limits.py.

``positive_data_acceptance`` is left out: the API validates beyond the schema (a NetworkPolicy's
semantics, the opaque continue token, label selector syntax), so a schema-valid request may rightly
answer 400 or 422 — which the other checks still hold to the documented problem shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.config import Settings
from tests.api.live import LiveConsole
from tests.conftest import SandboxProcess


@pytest.fixture
def live_fresh(fresh_sandbox: SandboxProcess, tmp_path: Path, database_url: str) -> Iterator[LiveConsole]:
    console = LiveConsole(
        Settings(
            kubeconfig=fresh_sandbox.kubeconfig_path,
            database_url=database_url,
            secret_key="schemathesis-test-key-0123456789abcdef",
            data_dir=tmp_path / "console",
            admin_password="bootstrap-admin-pw",
            api_rate_burst=100_000,
        )
    )
    console.start()
    yield console
    console.stop()


def _free_form(document: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> bool:
    """Whether a body schema (or one of its model's fields) is an object that names nothing."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if schema.get("type") == "object" and not ({"properties", "anyOf", "oneOf"} & schema.keys()):
        return schema.get("additionalProperties", True) in (True, {})
    fields = list(schema.get("properties", {}).values()) if depth == 0 else []
    return any(_free_form(document, s, depth + 1) for s in [*fields, *schema.get("anyOf", [])])


def test_every_api_answer_is_documented(live_fresh: LiveConsole) -> None:
    schema = schemathesis.openapi.from_url(f"{live_fresh.url}/openapi.json").include(path_regex="^/api/v1/")
    document = schema.raw_schema
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert not _free_form(document, body["schema"]), (method, path)
    headers = {"Authorization": f"Bearer {live_fresh.tokens['admin']}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.settings(
            max_examples=8,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @hypothesis.given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
