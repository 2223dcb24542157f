"""`netpol-console validate --lint`, run for real over the fixture files: lint beside validation,
with the pods in the files when given, and never changing the exit status."""

from __future__ import annotations

import json

from tests.cli.test_offline import PODS, SCENARIO1, SCENARIO3, run

NO_PODS_POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nobody, namespace: default}
spec:
  podSelector: {matchLabels: {run: nobody}}
"""


def test_validate_lint_reports_egress_without_dns() -> None:
    result = run("validate", "--lint", SCENARIO3)
    assert result.returncode == 0, result.stderr
    assert 'networkpolicy "default/busybox-policy" is valid' in result.stdout
    assert 'lint: networkpolicy "default/busybox-policy": egress-without-dns: ' in result.stdout
    assert "https://" in result.stdout


def test_validate_lint_json_and_without_lint_unchanged() -> None:
    entries = json.loads(run("validate", "--lint", "--json", SCENARIO3).stdout)
    assert [f["id"] for f in entries[0]["lints"]] == ["egress-without-dns"]
    assert entries[0]["lints"][0]["field"] == "spec.egress"
    plain = json.loads(run("validate", "--json", SCENARIO3).stdout)
    assert "lints" not in plain[0]


def test_validate_lint_uses_the_pods_in_the_files() -> None:
    without_pods = json.loads(run("validate", "--lint", "--json", "-", stdin=NO_PODS_POLICY).stdout)
    assert without_pods[0]["lints"] == []
    with_pods = json.loads(run("validate", "--lint", "--json", PODS, "-", stdin=NO_PODS_POLICY).stdout)
    assert [f["id"] for f in with_pods[0]["lints"]] == ["selects-no-pods"]
    scenario1 = json.loads(run("validate", "--lint", "--json", PODS, SCENARIO1).stdout)
    assert scenario1[0]["lints"] == []
