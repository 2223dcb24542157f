"""app/bench/files.py: a synthetic world written as one YAML stream reads back as the same world,
through libyaml, and ``bench_file`` times what ``netpol-console matrix FILE`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bench.files import bench_synthetic_file, world_yaml
from app.bench.synthetic import synthetic_world
from app.cli import main
from app.policies.documents import classify, parse_documents
from app.policies.matrix import matrix
from app.policies.reachability import World


def test_the_file_holds_the_synthetic_world_and_its_matrix_is_the_same() -> None:
    namespaces, pods, policies = synthetic_world(40, 4, 12, seed=3)
    docs = classify(parse_documents(world_yaml(40, 4, 12, seed=3), "world.yaml"))
    assert [(p.ref, p.pod_ip, dict(p.named_ports)) for p in docs.pods] == [
        (p.ref, p.pod_ip, dict(p.named_ports)) for p in pods
    ]
    assert [n.name for n in docs.namespaces] == [n.name for n in namespaces]
    assert [p.to_dict() for p in docs.policies()] == [p.to_dict() for p in policies]
    from_file = matrix(World.from_documents(docs), "http")
    direct = matrix(World(namespaces, pods, policies), "http")
    assert from_file.as_dict() == direct.as_dict()


def test_bench_file_reads_through_libyaml_and_times_parse_and_matrix() -> None:
    result = bench_synthetic_file(pods=60, namespaces=6, policies=20)
    assert (result.pods, result.policies, result.loader) == (60, 20, "_CLoader")
    assert result.parse_seconds > 0 and result.matrix_seconds > 0 and result.size > 60 * 2000
    assert "60 pods" in result.line() and "parse" in result.line()


def test_the_command_times_a_given_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(world_yaml(pods=40, namespaces=3, policies=8))
    assert main(["bench", "--offline", "--file", str(path)]) == 0
    line = capsys.readouterr().out
    assert line.startswith(f"{path} (") and "40 pods, 8 policies" in line and "parse " in line, line
