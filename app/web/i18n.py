"""English and Simplified Chinese, the ACK console's two languages, from one message catalog.

Templates write the English text and pass it through ``_()``; the catalog maps it to Chinese.
The language comes from the ``lang`` cookie (set by the switch in the top bar), else English.
"""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
DEFAULT = "en"

CATALOG: dict[str, str] = {
    "Clusters": "集群列表",
    "Cluster": "集群",
    "Name": "名称",
    "Status": "状态",
    "Running": "运行中",
    "Connecting": "连接中",
    "No clusters are configured.": "没有配置集群。",
    "Network Policies": "网络策略",
    "Network": "网络",
    "Workloads": "工作负载",
    "Connectivity": "连通性",
    "Whitelist": "白名单",
    "Namespace": "命名空间",
    "Create": "创建",
    "Create from YAML": "使用YAML创建",
    "Pod Selector": "Pod 选择器",
    "Source": "入方向",
    "Destination": "出方向",
    "Pods": "Pod 数",
    "Created": "创建时间",
    "Actions": "操作",
    "Details": "详情",
    "Edit": "编辑",
    "YAML": "YAML",
    "Delete": "删除",
    "All pods in the namespace": "命名空间下所有 Pod",
    "Deny all": "全部拒绝",
    "Not restricted": "不限制",
    "Filter by name": "按名称搜索",
    "No network policies in this namespace.": "该命名空间下没有网络策略。",
    "Language": "语言",
    "Previous": "上一步",
    "Next": "下一步",
    "OK": "确定",
    "Cancel": "取消",
}

_ZH = {"zh-CN": CATALOG}


def language(request: Request) -> str:
    lang = request.cookies.get("lang", DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def translate(lang: str, text: str) -> str:
    return _ZH.get(lang, {}).get(text, text)
