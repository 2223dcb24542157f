"""The policy in words and the recipes' descriptions are translated as whole sentences: every
template the pure code writes has its Chinese, and the sentences read as whole Chinese sentences."""

from __future__ import annotations

from app.policies.form_describe import describe
from app.policies.model import NetworkPolicy
from app.policies.recipes import RECIPES
from app.web.wording import say


def policy(spec: dict[str, object], namespace: str = "shop") -> NetworkPolicy:
    return NetworkPolicy.from_dict(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": namespace},
            "spec": spec,
        }
    )


def test_the_policy_in_words_reads_as_whole_chinese_sentences() -> None:
    sentences = describe(
        policy(
            {
                "podSelector": {"matchLabels": {"app": "nginx"}},
                "ingress": [
                    {
                        "from": [
                            {"podSelector": {"matchLabels": {"app": "busybox"}}},
                            {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.2.0.0/16"]}},
                        ],
                        "ports": [{"protocol": "TCP", "port": 80}, {"protocol": "UDP", "port": "dns"}],
                    }
                ],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"team": "x"}},
                                "podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
                            }
                        ]
                    }
                ],
            }
        )
    )
    assert [say("zh-CN", s) for s in sentences] == [
        "作用于命名空间 shop 中标签为 app=nginx 的 Pod。",
        "允许来自同一命名空间中标签为 app=busybox 的 Pod 或网段 10.0.0.0/8 中除 10.1.0.0/16、10.2.0.0/16 "
        "以外的 IP 地址、目标端口为 TCP 80 或名为 dns 的 UDP 端口的入方向流量。",
        "允许发往标签为 team=x 的命名空间中匹配 tier 的 Pod 的出方向流量，不限端口。",
    ]
    # English: the sentences themselves, each said the same way again
    assert [say("en", s) for s in sentences] == list(sentences)
    assert sentences[1] == (
        "Allows ingress from pods with labels app=busybox in the same namespace or IP addresses in 10.0.0.0/8 "
        "except 10.1.0.0/16 and 10.2.0.0/16 on TCP 80 or UDP port named dns."
    )


def test_directions_not_restricted_denied_or_open_to_anywhere_in_chinese() -> None:
    sentences = describe(policy({"podSelector": {}, "egress": [{}], "policyTypes": ["Ingress", "Egress"]}))
    assert [say("zh-CN", s) for s in sentences] == [
        "作用于命名空间 shop 中的所有 Pod。",
        "拒绝所有入方向流量。",
        "允许发往任意对端的出方向流量，不限端口。",
    ]
    ignored = describe(policy({"podSelector": {}, "egress": [{}], "policyTypes": ["Ingress"]}))
    assert say("zh-CN", ignored[-1]) == "其出方向规则不生效：policyTypes 中不包含 Egress。"


def test_recipe_descriptions_are_said_in_chinese_with_their_addresses() -> None:
    described = say("zh-CN", RECIPES["allow-cidrs"].description)
    assert described == (
        "带有标签 app=busybox 的 Pod、负载均衡健康检查（100.64.0.0/10）和一个客户端网段（请将 192.0.2.0/24 "
        "替换为您自己的网段）可以通过 TCP 80 访问 nginx。"
    )
    assert "10.0.0.0/8、172.16.0.0/12、192.168.0.0/16" in say("zh-CN", RECIPES["deny-public-net"].description)
    assert str(RECIPES["deny-public-net"].description).count("10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16") == 1
