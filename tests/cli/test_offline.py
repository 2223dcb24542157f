"""The offline CLI, run for real in a subprocess over the fixture files in tests/cli/fixtures.

The four scenarios are those of the reference page (reference/ack-network-policies-page.txt):
access-nginx with access=true; the same policy opened to 100.64.0.0/10 and a client range;
busybox-policy's egress to a few IPs plus DNS over UDP 53; deny-public-net in test-np.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.policies.documents import DocumentError, Pod, classify, parse_documents

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
PODS = str(FIXTURES / "pods-default.yaml")
SCENARIO1 = str(FIXTURES / "scenario1-access-nginx.yaml")
SCENARIO2 = str(FIXTURES / "scenario2-cidr.yaml")
SCENARIO3 = str(FIXTURES / "scenario3-busybox-egress.yaml")
SCENARIO4 = str(FIXTURES / "scenario4-deny-public-net.yaml")
INVALID = str(FIXTURES / "invalid-policies.yaml")
LIST_JSON = str(FIXTURES / "list.json")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def explain_json(src: str, dst: str, port: str, *files: str, protocol: str = "TCP") -> dict[str, Any]:
    proc = run(
        "explain", "--json", "--from", src, "--to", dst, "--port", port, "--protocol", protocol, *files
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


# --- scenario 1: access-nginx ------------------------------------------------------------------


def test_scenario1_busybox_without_the_label_times_out() -> None:
    proc = run(
        "explain", "--from", "default/busybox", "--to", "default/nginx", "--port", "80", PODS, SCENARIO1
    )
    assert proc.returncode == 0  # a denied verdict is still a verdict
    assert "DENIED" in proc.stdout
    assert "No ingress rule of default/access-nginx allows default/busybox on TCP/80" in proc.stdout


def test_scenario1_busybox_with_access_true_gets_through() -> None:
    proc = run(
        "explain",
        "--from",
        "default/busybox-access",
        "--to",
        "default/nginx",
        "--port",
        "80",
        PODS,
        SCENARIO1,
    )
    assert proc.returncode == 0
    assert "ALLOWED" in proc.stdout
    assert (
        "default/access-nginx ingress rule 1 (spec.ingress[0]) allows default/busybox-access" in proc.stdout
    )


def test_scenario1_matrix_json() -> None:
    proc = run("matrix", "--json", "--port", "80", PODS, SCENARIO1)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["pods"] == [
        "default/busybox",
        "default/busybox-access",
        "default/nginx",
        "kube-system/coredns",
    ]
    into_nginx = {src: row["default/nginx"] for src, row in data["allowed"].items()}
    assert into_nginx == {
        "default/busybox": False,
        "default/busybox-access": True,
        "default/nginx": True,  # a pod cannot block access to itself
        "kube-system/coredns": False,
    }
    assert all(row["kube-system/coredns"] for row in data["allowed"].values())


def test_scenario1_matrix_text_table() -> None:
    proc = run("matrix", PODS, SCENARIO1)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("TCP/80")
    row = next(line for line in lines if line.startswith("default/busybox "))
    assert row.split()[1:5] == [".", ".", "X", "."]


# --- scenario 2: the CIDR one -------------------------------------------------------------------


def test_scenario2_slb_health_checks_from_100_64_are_allowed() -> None:
    data = explain_json("100.64.3.7", "default/nginx", "80", PODS, SCENARIO2)
    assert data["allowed"] is True
    assert data["egress"]["applicable"] is False
    assert data["ingress"]["allowedBy"][0]["peer"] == "[1] ipBlock 100.64.0.0/10"


def test_scenario2_client_range_with_host_bits_and_other_addresses() -> None:
    assert explain_json("10.0.0.200", "default/nginx", "80", PODS, SCENARIO2)["allowed"] is True
    assert explain_json("47.110.1.1", "default/nginx", "80", PODS, SCENARIO2)["allowed"] is False
    assert explain_json("default/busybox", "default/nginx", "80", PODS, SCENARIO2)["allowed"] is False


def test_scenario2_as_printed_is_invalid_since_kubernetes_1_36() -> None:
    """The reference's 10.0.0.1/24 has host bits set: lenient (a warning) up to 1.35, Invalid since
    1.36 turned StrictIPCIDRValidation on; the API server says so, and so does validate."""
    proc = run("validate", "--json", SCENARIO2)
    assert proc.returncode == 1
    [entry] = json.loads(proc.stdout)
    assert entry["object"] == "default/access-nginx" and entry["valid"] is False
    [error] = entry["errors"]
    assert error["field"] == "spec.ingress[0].from[2].ipBlock.cidr"
    assert "must not have bits set beyond the prefix length" in error["message"]
    text = run("validate", SCENARIO2)
    assert 'spec.ingress[0].from[2].ipBlock.cidr: Invalid value: "10.0.0.1/24"' in text.stdout


# --- scenario 3: busybox-policy -----------------------------------------------------------------


def test_scenario3_busybox_reaches_only_the_listed_addresses() -> None:
    allowed = explain_json("default/busybox", "140.205.1.4", "443", PODS, SCENARIO3)
    assert allowed["allowed"] is True
    assert allowed["egress"]["allowedBy"][0] == {
        "policy": "default/busybox-policy",
        "rule": 0,
        "peer": "[1] ipBlock 140.205.1.4/32",
        "port": "any (the rule names no ports)",
    }
    assert explain_json("default/busybox", "64.13.1.1", "80", PODS, SCENARIO3)["allowed"] is False
    assert explain_json("default/busybox", "default/nginx", "80", PODS, SCENARIO3)["allowed"] is False


def test_scenario3_dns_over_udp_53_is_allowed_anywhere() -> None:
    assert (
        explain_json("default/busybox", "8.8.8.8", "53", PODS, SCENARIO3, protocol="UDP")["allowed"] is True
    )
    to_dns = explain_json("default/busybox", "kube-system/coredns", "dns", PODS, SCENARIO3, protocol="UDP")
    assert to_dns["allowed"] is True and to_dns["resolvedPort"] == 53
    assert (
        explain_json("default/busybox", "8.8.8.8", "53", PODS, SCENARIO3, protocol="TCP")["allowed"] is False
    )


def test_scenario3_defaulted_policy_types_also_isolate_busybox_ingress() -> None:
    # No policyTypes and egress rules present: the API server stores [Ingress, Egress].
    data = explain_json("default/nginx", "default/busybox", "80", PODS, SCENARIO3)
    assert data["allowed"] is False
    assert data["ingress"]["selectedBy"] == ["default/busybox-policy"]


# --- scenario 4: deny-public-net in test-np -----------------------------------------------------


def test_scenario4_pods_without_the_label_cannot_reach_the_internet() -> None:
    data = explain_json("test-np/busybox-intranet", "106.11.2.3", "80", SCENARIO4)
    assert data["allowed"] is False
    assert data["egress"]["selectedBy"] == ["test-np/deny-public-net"]
    assert explain_json("test-np/busybox-intranet", "10.1.2.3", "6443", SCENARIO4)["allowed"] is True


def test_scenario4_pods_with_public_network_true_can() -> None:
    data = explain_json("test-np/busybox-internet", "106.11.2.3", "80", SCENARIO4)
    assert data["allowed"] is True
    assert data["egress"]["selectedBy"] == [
        "test-np/deny-public-net",
        "test-np/allow-public-network-for-labels",
    ]
    assert [m["policy"] for m in data["egress"]["allowedBy"]] == ["test-np/allow-public-network-for-labels"]


def test_scenario4_ingress_from_any_ip_admits_pods_by_their_ip() -> None:
    proc = run("matrix", "--json", PODS, SCENARIO4)
    assert proc.returncode == 0
    allowed = json.loads(proc.stdout)["allowed"]
    assert allowed["default/busybox"]["test-np/busybox-intranet"] is True
    assert (
        allowed["test-np/busybox-intranet"]["kube-system/coredns"] is True
    )  # 172.20.0.2 is in 172.16.0.0/12


def test_scenario4_validates() -> None:
    proc = run("validate", SCENARIO4)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == [
        'networkpolicy "test-np/deny-public-net" is valid',
        'networkpolicy "test-np/allow-public-network-for-labels" is valid',
    ]


# --- validate -----------------------------------------------------------------------------------


def test_validate_reports_every_policy_in_input_order_and_exits_1() -> None:
    proc = run("validate", "--json", INVALID)
    assert proc.returncode == 1
    entries = json.loads(proc.stdout)
    assert [(e["object"], e["valid"]) for e in entries] == [
        ("web/ok", True),
        ("default/broken", False),
        ("default/typed", False),
    ]
    fields = [e["field"] for e in entries[1]["errors"]]
    assert "spec.ingress[0].from[0].ipBlock.cidr" in fields and "spec.ingress[0].ports[0].port" in fields
    assert all(set(e) == {"field", "type", "message"} for e in entries[1]["errors"])
    assert entries[2]["errors"][0]["field"] == "spec.podSelector"


def test_validate_text_prints_like_kubectl() -> None:
    proc = run("validate", INVALID)
    assert proc.returncode == 1
    out = proc.stdout
    assert 'networkpolicy "web/ok" is valid' in out
    assert 'The NetworkPolicy "broken" is invalid: \n* spec.ingress[0]' in out
    assert 'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33"' in out


def test_validate_reads_stdin_and_lists() -> None:
    proc = run("validate", "--json", "-", stdin=Path(LIST_JSON).read_text())
    assert proc.returncode == 0
    assert [e["object"] for e in json.loads(proc.stdout)] == ["x/deny-b"]


@pytest.mark.parametrize(
    "command", [["validate"], ["matrix"], ["explain", "--from", "x/a", "--to", "x/b", "--port", "80"]]
)
def test_unreadable_input_exits_2(command: list[str], tmp_path: Path) -> None:
    assert run(*command, str(tmp_path / "missing.yaml")).returncode == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [unclosed\n")
    proc = run(*command, str(broken))
    assert proc.returncode == 2 and "error:" in proc.stderr


DEEP = 100_000


@pytest.mark.parametrize(
    "text",
    [
        "[" * DEEP + "]" * DEEP,
        '{"a": ' * DEEP + "1" + "}" * DEEP,
        "a: " + "{b: " * DEEP + "c" + "}" * DEEP,
        "- " * DEEP + "x",
    ],
    ids=["json-array", "json-object", "yaml-flow", "yaml-block"],
)
def test_validate_answers_deeply_nested_input_with_exit_2_not_a_traceback(text: str) -> None:
    proc = run("validate", "-", stdin=text)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "nested too deeply" in proc.stderr and "Traceback" not in proc.stderr


def test_input_giving_a_field_twice_exits_2_naming_it() -> None:
    for text in ('{"kind": "NetworkPolicy", "kind": "NetworkPolicy"}', "kind: NetworkPolicy\nkind: NetworkPolicy\n"):
        proc = run("validate", "-", stdin=text)
        assert proc.returncode == 2 and 'duplicate field "kind"' in proc.stderr, proc.stderr


def test_explain_with_an_unknown_pod_exits_2() -> None:
    proc = run("explain", "--from", "x/a", "--to", "x/zzz", "--port", "80", LIST_JSON)
    assert proc.returncode == 2
    assert 'pod "x/zzz" not found' in proc.stderr


def test_matrix_over_a_kind_list_from_stdin() -> None:
    proc = run("matrix", "--json", "-", stdin=Path(LIST_JSON).read_text())
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {
        "pods": ["x/a", "x/b"],
        # x/b is isolated for ingress, but a pod cannot block access to itself
        "allowed": {"x/a": {"x/a": True, "x/b": False}, "x/b": {"x/a": True, "x/b": True}},
    }


def test_bench_prints_its_timing() -> None:
    proc = run("bench", "--offline", "--pods", "100", "--namespaces", "4", "--policies", "20")
    assert proc.returncode == 0
    assert "matrix over 100 pods in 4 namespaces with 20 policies" in proc.stdout
    groups = re.search(r"\((\d+) groups\)", proc.stdout)
    assert groups is not None and 0 < int(groups.group(1)) <= 100


# --- documents ----------------------------------------------------------------------------------


def test_parse_documents_unpacks_lists_and_skips_empty_documents() -> None:
    objects = parse_documents(
        "---\n---\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n---\nkind: Namespace\n"
        "metadata: {name: n}\n"
    )
    docs = classify(objects)
    assert [p.ref for p in docs.pods] == ["default/a"] and [n.name for n in docs.namespaces] == ["n"]
    with pytest.raises(DocumentError):
        parse_documents("- just\n- strings\n")


def test_pod_from_dict_reads_ip_and_named_ports() -> None:
    pod = Pod.from_dict(
        {
            "kind": "Pod",
            "metadata": {"name": "w", "namespace": "n", "labels": {"a": "b"}},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "ports": [
                            {"name": "http", "containerPort": 8080},
                            {"containerPort": 9},
                            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                        ],
                    }
                ]
            },
            "status": {"podIP": "10.1.1.1"},
        }
    )
    assert pod == Pod("n", "w", {"a": "b"}, "10.1.1.1", {"http": (8080, "TCP"), "dns": (53, "UDP")})
    assert Pod.from_dict({"metadata": {"name": "p"}}).pod_ip is None
