"""``netpol-console impact --before FILES --after FILES``, run for real over the reference's fixtures:
adding access-nginx (scenario 1) newly denies busybox → nginx:80 and leaves busybox-access allowed."""

from __future__ import annotations

import json

from tests.cli.test_offline import PODS, SCENARIO1, run


def test_adding_access_nginx_newly_denies_busybox_to_nginx_80_as_text_and_json() -> None:
    text = run("impact", "--before", PODS, "--after", PODS, SCENARIO1)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "Newly denied:"
    assert "  default/busybox → default/nginx:80/TCP (http): 1 flow" in lines
    assert "    default/busybox → default/nginx:80/TCP" in lines
    assert "Newly allowed:" not in lines
    assert not any("busybox-access → default/nginx" in line for line in lines)

    answer = json.loads(run("impact", "--json", "--before", PODS, "--after", PODS, SCENARIO1).stdout)
    assert answer["unchanged"] is False and answer["newlyAllowed"] == []
    assert ("default/busybox", "default/nginx", 80, 1) in [
        (g["from"], g["to"], g["port"], g["count"]) for g in answer["newlyDenied"]
    ]
    assert answer["affectedPods"] == ["default/nginx"]


def test_removing_it_reverses_and_no_change_says_so() -> None:
    back = json.loads(run("impact", "--json", "--before", PODS, SCENARIO1, "--after", PODS).stdout)
    assert ("default/busybox", "default/nginx", 80) in [(g["from"], g["to"], g["port"]) for g in back["newlyAllowed"]]
    assert back["newlyDenied"] == []

    same = run("impact", "--before", PODS, SCENARIO1, "--after", SCENARIO1, PODS)
    assert same.returncode == 0
    assert same.stdout.startswith("No connection changes (0 affected pods")


def test_unreadable_input_is_exit_2() -> None:
    missing = run("impact", "--before", PODS, "--after", "/nonexistent.yaml")
    assert missing.returncode == 2 and "error:" in missing.stderr
