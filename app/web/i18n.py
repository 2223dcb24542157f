"""English and Simplified Chinese, the ACK console's two languages, from one message catalog.

Templates write the English text and pass it through ``_()``; the catalog maps it to Chinese.
The language comes from the ``lang`` cookie (set by the switch in the top bar), else English.
"""

from __future__ import annotations

import re

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

# The Quota Center (whitelist) and the audit log.
CATALOG.update({
    "Console": "控制台",
    "Quota Center": "配额中心",
    "Audit log": "审计日志",
    "A team edits a cluster's Network Policies in the console once an approver approves its application.":
        "平台团队的审批人批准申请后，团队即可在控制台中编辑该集群的网络策略。",
    "Apply for console editing": "申请控制台编辑权限",
    "Your team": "您的团队",
    "Choose a cluster": "请选择集群",
    "Team": "团队",
    "Applications are made for your own team.": "申请以您所在的团队提交。",
    "Reason": "申请原因",
    "Apply": "申请",
    "Applications": "申请列表",
    "All": "全部",
    "Filter": "筛选",
    "ID": "ID",
    "Requester": "申请人",
    "Submitted": "提交时间",
    "Decided by": "审批人",
    "Decided at": "审批时间",
    "Comment": "备注",
    "Pending": "待审批",
    "Approved": "已批准",
    "Rejected": "已拒绝",
    "Revoked": "已撤销",
    "Approve": "批准",
    "Reject": "拒绝",
    "Revoke": "撤销",
    "Your own application: another approver decides it.": "您本人的申请：需由其他审批人审批。",
    "No applications.": "暂无申请。",
    "Time": "时间",
    "User": "用户",
    "Via": "来源",
    "Object": "对象",
    "Action": "操作",
    "Outcome": "结果",
    "success": "成功",
    "failure": "失败",
    "Changes": "变更内容",
    "No audit entries.": "暂无审计记录。",
    "Pages": "分页",
    "Newest": "最新",
    "Older entries": "更早的记录",
})

# Accounts: sign-in page and the user menu.
CATALOG.update({
    "Sign in": "登录",
    "Username": "用户名",
    "Password": "密码",
    "or": "或",
    "Sign in with": "登录方式：",
    "Team": "团队",
    "Logout": "退出登录",
    "Invalid username or password, or the account is disabled.": "用户名或密码错误，或账号已被禁用。",
    "Your account is disabled.": "您的账号已被禁用。",
    "The sign-in took too long or was started elsewhere. Please sign in again.":
        "登录超时或在其他地方发起，请重新登录。",
})

_ZH = {"zh-CN": CATALOG}


def language(request: Request) -> str:
    lang = request.cookies.get("lang", DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


_RULES = re.compile(r"^(\d+) rules?$")


def translate(lang: str, text: str) -> str:
    catalog = _ZH.get(lang)
    if catalog is None:
        return text
    counted = _RULES.match(text)
    if counted:
        return f"{counted.group(1)} 条规则"
    return catalog.get(text, text)

# The Network Policies list and the Create / Edit panel.
CATALOG.update({
    "This cluster holds {count} network policies. ACK recommends fewer than {maximum}: many policies slow down rule updates and troubleshooting.":
        "该集群共有 {count} 条网络策略。ACK 建议少于 {maximum} 条：策略过多会延长规则生效时间，并增加排查难度。",
    "(default: TCP)": "（默认：TCP）",
    "(none)": "（无）",
    "+ Add": "+ 添加",
    "+ Add expression": "+ 添加表达式",
    "+ Add label": "+ 添加标签",
    "+ Select Workload And Add Label": "+ 选择工作负载添加标签",
    'A custom name for the network policy: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit.':
        "网络策略的自定义名称：小写字母、数字、“-”和“.”，以字母或数字开头和结尾。",
    "Add label": "添加标签",
    "All labels": "全部标签",
    "Configure": "配置",
    "End port (optional)": "结束端口（可选）",
    "Expression key": "表达式键",
    "If the pod selector is empty, the network policy applies to all pods in the namespace.":
        "如果 Pod 选择器为空，网络策略将作用于命名空间下的所有 Pod。",
    "In words": "策略说明",
    "Label": "标签",
    "Label key": "标签键",
    "Load workloads": "加载工作负载",
    "Namespace: All. With no labels, every namespace is selected.": "命名空间：全部。不设置标签时选择所有命名空间。",
    "Network Policy": "网络策略",
    "No pod is selected right now.": "当前没有选中的 Pod。",
    "No port: all ports are allowed.": "未设置端口：允许所有端口。",
    "Nothing was overwritten. Reload to edit the current version, or compare it with yours first.":
        "未覆盖任何内容。请重新加载以编辑当前版本，或先与您的版本进行比较。",
    "One CIDR per ipBlock: add another rule for each further CIDR. In eBPF mode (Terway 1.9.0 and later, IPvlan or DataPath V2) an ipBlock cannot match pods in the cluster: use podSelector or namespaceSelector for them.":
        "每个 ipBlock 只能填写一个网段：其他网段请分别添加规则。在 eBPF 模式下（Terway 1.9.0 及以上、IPvlan 或 DataPath V2），ipBlock 无法匹配集群内的 Pod，请使用 podSelector 或 namespaceSelector。",
    "Operator": "操作符",
    "Pods affected": "受影响的 Pod",
    "Port": "端口",
    "Protocol": "协议",
    "Reload": "重新加载",
    "Remove": "删除",
    "Remove rule": "删除规则",
    "Restrict": "限制",
    "Review": "确认",
    "Rule": "规则",
    "rule": "规则",
    "See the difference": "查看差异",
    "Selector": "选择器",
    "Someone changed this policy while you were editing it.": "在您编辑期间，其他人修改了该策略。",
    "Steps": "步骤",
    "The API server accepted the policy in a dry run (dryRun=All); nothing has been applied yet.":
        "API Server 的试运行（dryRun=All）已通过；尚未实际应用。",
    "The policy is not valid:": "策略无效：",
    "Type": "类型",
    "Value": "值",
    "Values (comma-separated)": "值（逗号分隔）",
    "Warnings": "警告",
    "With no labels, every pod in the namespace is selected.": "不设置标签时选择命名空间下的所有 Pod。",
    "With no labels, every pod in the selected namespaces is selected.": "不设置标签时选择所选命名空间下的所有 Pod。",
    "Workload": "工作负载",
    "except (comma-separated, optional)": "except（逗号分隔，可选）",
    "pods selected": "个 Pod 被选中",
    "pod selected": "个 Pod 被选中",
    "Stateless": "无状态",
    "Stateful": "有状态",
    "Each rule allows traffic that matches both the source rule and the specified port section. If you do not add any rules, no pods are allowed to access the selected pods.":
        "每条规则允许同时匹配来源规则和端口部分的流量。如果不添加任何规则，则不允许任何 Pod 访问所选 Pod。",
    "Each rule allows traffic that matches the destination rule and the specified port section. With Destination restricted and no rules, the selected pods can reach nothing; when it is not restricted, outbound traffic is not limited.":
        "每条规则允许匹配目标规则和端口部分的流量。限制出方向且没有规则时，所选 Pod 无法访问任何地址；不限制时，出方向流量不受限制。",
    "No rule: traffic from any peer is allowed on the ports below.": "未设置规则：允许来自任意对端、访问以下端口的流量。",
    "No rule: traffic to any peer is allowed on the ports below.": "未设置规则：允许访问任意对端以下端口的流量。",
    "Apply": "应用",
})

CATALOG.update({
    "Read-only.": "只读。",
    "Apply in the Quota Center": "前往配额中心申请",
    "Recipes": "策略模板",
    "Quota Center": "配额中心",
    "Audit log": "审计日志",
})

# Details, YAML, Create from YAML, delete, recipes, workloads and connectivity pages.
CATALOG.update({
    "The policy in words": "策略说明",
    "Resource version": "资源版本",
    "Pods selected": "选中的 Pod",
    "No pod of this namespace is selected right now.": "当前没有选中该命名空间下的 Pod。",
    "this policy does not restrict this direction.": "该策略不限制此方向。",
    "no rule allows any traffic in this direction.": "没有规则允许此方向的任何流量。",
    "Ports": "端口",
    "Peer": "对端",
    "Matching pods": "匹配的 Pod",
    "except": "除外",
    "IP addresses in this block; on eBPF (Terway) an ipBlock matches only addresses outside the cluster.":
        "该网段内的 IP 地址；eBPF（Terway）模式下 ipBlock 只能匹配集群外的地址。",
    "No pods match right now.": "当前没有匹配的 Pod。",
    "Download": "下载",
    "Copy": "复制",
    "Copied": "已复制",
    "Edit as YAML": "以 YAML 编辑",
    "Edit YAML": "编辑 YAML",
    "This policy opens in YAML because the form cannot show it:": "该策略无法在表单中完整展示，因此以 YAML 打开：",
    "Someone changed this policy after you opened it; nothing was overwritten.": "打开后该策略已被他人修改，未覆盖任何内容。",
    "Reload the current version": "重新加载当前版本",
    "The policy is not valid; nothing was applied.": "策略无效，未应用任何更改。",
    "Used when the YAML names no namespace.": "YAML 未指定命名空间时使用。",
    "The API server accepted a dry run (dryRun=All); nothing is stored until you click OK.":
        "API Server 已通过试运行（dryRun=All）；点击确定之前不会保存任何内容。",
    "As the server would store it": "API Server 将保存的内容",
    "One NetworkPolicy (networking.k8s.io/v1). It is validated and dry-run before anything is applied.":
        "一个 NetworkPolicy（networking.k8s.io/v1）。应用前会先校验并试运行。",
    "Delete network policy": "删除网络策略",
    "Not deleted: the policy changed after this page was shown.": "未删除：页面显示后该策略已被修改。",
    "Review what it does now below; confirming again deletes the current version":
        "请查看下方该策略的当前内容；再次确认将删除当前版本",
    "Pods that lose its protection": "将失去保护的 Pod",
    "This policy restricts no direction; deleting it changes nothing.": "该策略不限制任何方向，删除后没有影响。",
    "ingress": "入方向",
    "egress": "出方向",
    "pod(s) become unrestricted for": "个 Pod 将不再受限制，方向：",
    "no other policy selects them for": "没有其他策略在此方向选中它们：",
    "No pod becomes unrestricted for": "没有 Pod 会失去限制，方向：",
    "other policies still select every pod it selects.": "其他策略仍然选中它选中的所有 Pod。",
    "Each recipe opens the Create panel filled in for review; nothing is applied until you click OK.":
        "每个模板都会打开已填好的创建面板供您确认；点击确定之前不会应用。",
    "What it does": "作用",
    "Allow access by label": "按标签允许访问",
    "Allow CIDR blocks to an Internet-facing service": "允许指定网段访问公网服务",
    "Allow egress only to given addresses": "仅允许访问指定地址",
    "Deny the public network for a namespace": "禁止命名空间访问公网",
    "Default deny ingress": "默认拒绝入方向",
    "Default deny egress": "默认拒绝出方向",
    "Allow DNS": "允许 DNS",
    "Allow traffic within the namespace": "允许命名空间内互访",
    "Workload types": "工作负载类型",
    "DaemonSet": "守护进程集",
    "Job": "任务",
    "CronJob": "定时任务",
    "Labels": "标签",
    "Pods (ready/total)": "Pod（就绪/总数）",
    "None: not restricted": "无：不受限制",
    "None in this namespace.": "该命名空间下没有。",
    "Show": "显示",
    "What the cluster's NetworkPolicies allow, computed from the objects the console watches. It does not send traffic.":
        "根据控制台监听到的对象计算集群网络策略允许的访问，不会发送真实流量。",
    "Check a connection": "检查连通性",
    "From": "源",
    "To": "目标",
    "Pod": "Pod",
    "or IP address": "或 IP 地址",
    "Check": "检查",
    "A port is a number, or a named container port of the destination pod.": "端口可以是数字，或目标 Pod 的容器端口名称。",
    "ALLOWED": "允许",
    "DENIED": "拒绝",
    "on": "端口",
    "Matrix": "连通矩阵",
    "Show matrix": "显示矩阵",
    "Rows: source pod; columns: destination pod": "行：源 Pod；列：目标 Pod",
    "allowed": "允许",
    "denied": "拒绝",
    "No pods in this namespace.": "该命名空间下没有 Pod。",
})

CATALOG.update({
    "History": "变更历史",
    "Time": "时间",
    "User": "用户",
    "Action": "操作",
    "Outcome": "结果",
    "Changes": "变更",
    "Diff": "差异",
    "Restore this version": "恢复此版本",
    "No change to this policy has been made through the console yet.": "尚未通过控制台修改过该策略。",
})

# Administration (users, settings) and the user's own page (API tokens).
CATALOG.update({
    "Administration": "系统管理",
    "My account": "我的账号",
    "Users": "用户",
    "Settings": "设置",
    "Roles": "角色",
    "viewer": "只读用户",
    "operator": "操作员",
    "approver": "审批人",
    "admin": "管理员",
    "Disabled": "已禁用",
    "Last login": "最近登录",
    "Manage": "管理",
    "Never": "从不",
    "Yes": "是",
    "No": "否",
    "User created": "用户已创建",
    "Generated password": "生成的密码",
    "Copy it now and hand it over safely: it is shown only this once.": "请立即复制并安全地转交：它只显示这一次。",
    "Create user": "创建用户",
    "Display name": "显示名称",
    "admin implies every other role.": "管理员拥有其他所有角色的权限。",
    "Leave empty to generate one; it is shown once.": "留空则自动生成，仅显示一次。",
    "Sign-in": "登录方式",
    "Single sign-on": "单点登录",
    "Local password": "本地密码",
    "Roles and team": "角色和团队",
    "Save": "保存",
    "Reset password": "重置密码",
    "New password": "新密码",
    "Leave empty to generate one; it is shown once. The user is signed out everywhere.":
        "留空则自动生成，仅显示一次。该用户将在所有地方退出登录。",
    "Account": "账号",
    "Enable user": "启用用户",
    "Disable user": "禁用用户",
    "A disabled user cannot sign in; their sessions end and their API tokens stop working.":
        "被禁用的用户无法登录；其会话立即结束，API 令牌也将失效。",
    "You cannot disable your own account.": "您不能禁用自己的账号。",
    "Gate the REST API with the whitelist too": "REST API 也受白名单管控",
    "Off (the default): like the command line, REST API writes need the operator role but no approved application. On: API writes need an approved whitelist application of the caller's team for the cluster, as console writes do.":
        "关闭（默认）：与命令行一样，REST API 写操作只需操作员角色，无需已批准的申请。开启：与控制台写操作一样，API 写操作需要调用者所在团队对该集群的白名单申请已获批准。",
    "The settings were saved.": "设置已保存。",
    "The user was updated.": "用户已更新。",
    "The user was disabled.": "用户已禁用。",
    "The user was enabled.": "用户已启用。",
    "The password was changed.": "密码已修改。",
    "The token was revoked.": "令牌已撤销。",
    "API tokens": "API 令牌",
    "Your new token": "您的新令牌",
    'Copy it now (select it and press Ctrl+C): it is shown only this once and cannot be recovered. Send it as "Authorization: Bearer TOKEN".':
        "请立即复制（选中后按 Ctrl+C）：它只显示这一次，无法找回。使用方式：“Authorization: Bearer TOKEN”。",
    "Scope": "权限范围",
    "Expires": "过期时间",
    "Last used": "最近使用",
    "No API tokens.": "暂无 API 令牌。",
    "Create token": "创建令牌",
    "Token name": "令牌名称",
    "read": "只读",
    "write": "读写",
    "read: only reads. write: also changes what your roles allow.": "只读：仅能读取。读写：还可执行您的角色允许的修改。",
    "Expires after": "有效期",
    "30 days": "30 天",
    "90 days": "90 天",
    "1 year": "1 年",
})

CATALOG.update({
    "Container Service for Kubernetes · Network Policies": "容器服务 Kubernetes 版 · 网络策略",
})

# Cluster readiness (per kind, staleness).
CATALOG.update({
    "The console may not read these kinds in this cluster, so what needs them is not shown or is incomplete:": "控制台无权读取此集群中的以下资源类型，依赖它们的内容不显示或不完整：",
    "The console may not read:": "控制台无权读取：",
    "Last update from the API server": "距 API Server 上次更新",
    "Notes": "说明",
    "The console cannot read this cluster right now; what is shown may be out of date and changes cannot be made until it is back:": "控制台当前无法读取此集群；显示的内容可能已过时，恢复之前无法进行更改：",
})

# Object lifecycles: policies and namespaces being deleted.
CATALOG.update({
    "Terminating": "删除中",
    "Deletion requested": "删除请求时间",
    "Held by finalizers": "等待 Finalizer",
    "This policy is being deleted.": "该策略正在删除中。",
    "It stays, and keeps its effect, until its finalizers are removed; it can no longer be edited or deleted.":
        "在其 Finalizer 被移除之前，它仍然存在并继续生效；它已不能再编辑或删除。",
    "This namespace is being deleted: its policies go with it, and the API server refuses to create anything in it.":
        "该命名空间正在删除中：其中的策略将随之删除，API Server 拒绝在其中创建任何资源。",
    "This namespace is being deleted: the API server refuses to create anything in it.":
        "该命名空间正在删除中：API Server 拒绝在其中创建任何资源。",
})

# The Clusters page and the left navigation.
CATALOG.update({
    "Menu": "菜单",
    "Breadcrumb": "面包屑导航",
    "Syncing": "同步中",
    "Error": "异常",
    "Stopped": "已停止",
})

# The Create / Edit panel: refusals at open (no operator role, no approved whitelist application).
CATALOG.update({
    "Team {team} has no approved whitelist application for cluster {cluster}.":
        "团队 {team} 在集群 {cluster} 上没有已批准的白名单申请。",
    "You cannot apply network policies in this cluster.": "您无法在此集群中应用网络策略。",
    "Next is unavailable: you may not change network policies in this cluster (see the message at the top).":
        "“下一步”不可用：您无权修改此集群中的网络策略（见顶部提示）。",
})

# The policy in words (app.policies.form_describe, as whole sentences), the recipes' descriptions,
# the delete page and the list's message after a write.
CATALOG.update({
    "Applies to all pods {where}.": "作用于{where}的所有 Pod。",
    "Applies to pods {where} with labels {labels}.": "作用于{where}标签为 {labels} 的 Pod。",
    "Applies to pods {where} matching {selector}.": "作用于{where}匹配 {selector} 的 Pod。",
    "in namespace {namespace}": "命名空间 {namespace} 中",
    "in the policy's namespace": "策略所在的命名空间中",
    "Does not restrict ingress.": "不限制入方向流量。",
    "Does not restrict egress.": "不限制出方向流量。",
    "Its ingress rules are ignored: policyTypes does not include Ingress.":
        "其入方向规则不生效：policyTypes 中不包含 Ingress。",
    "Its egress rules are ignored: policyTypes does not include Egress.":
        "其出方向规则不生效：policyTypes 中不包含 Egress。",
    "Denies all ingress.": "拒绝所有入方向流量。",
    "Denies all egress.": "拒绝所有出方向流量。",
    "Allows ingress from {peers} on {ports}.": "允许来自{peers}、目标端口为{ports}的入方向流量。",
    "Allows ingress from {peers} on all ports.": "允许来自{peers}的入方向流量，不限端口。",
    "Allows ingress from anywhere on {ports}.": "允许来自任意对端、目标端口为{ports}的入方向流量。",
    "Allows ingress from anywhere on all ports.": "允许来自任意对端的入方向流量，不限端口。",
    "Allows egress to {peers} on {ports}.": "允许发往{peers}、目标端口为{ports}的出方向流量。",
    "Allows egress to {peers} on all ports.": "允许发往{peers}的出方向流量，不限端口。",
    "Allows egress to anywhere on {ports}.": "允许发往任意对端、目标端口为{ports}的出方向流量。",
    "Allows egress to anywhere on all ports.": "允许发往任意对端的出方向流量，不限端口。",
    "IP addresses in {cidr}": "网段 {cidr} 中的 IP 地址",
    "IP addresses in {cidr} except {excepts}": "网段 {cidr} 中除 {excepts} 以外的 IP 地址",
    "all pods in the same namespace": "同一命名空间中的所有 Pod",
    "pods with labels {labels} in the same namespace": "同一命名空间中标签为 {labels} 的 Pod",
    "pods matching {selector} in the same namespace": "同一命名空间中匹配 {selector} 的 Pod",
    "all namespaces": "所有命名空间",
    "namespaces with labels {labels}": "标签为 {labels} 的命名空间",
    "namespaces matching {selector}": "匹配 {selector} 的命名空间",
    "all pods in {namespaces}": "{namespaces}中的所有 Pod",
    "pods with labels {labels} in {namespaces}": "{namespaces}中标签为 {labels} 的 Pod",
    "pods matching {selector} in {namespaces}": "{namespaces}中匹配 {selector} 的 Pod",
    "all {protocol} ports": "所有 {protocol} 端口",
    "{protocol} port named {name}": "名为 {name} 的 {protocol} 端口",
    "Only pods labelled app=busybox may reach the nginx pods (app=nginx), on TCP 80.":
        "仅允许带有标签 app=busybox 的 Pod 通过 TCP 80 访问 nginx 的 Pod（app=nginx）。",
    "Pods labelled app=busybox, the load-balancer health checks ({health_checks}) and a client range (replace {client} with your own) may reach nginx on TCP 80.":
        "带有标签 app=busybox 的 Pod、负载均衡健康检查（{health_checks}）和一个客户端网段（请将 {client} 替换为您自己的网段）可以通过 TCP 80 访问 nginx。",
    "busybox may connect only to the listed addresses (replace {address}), plus DNS on UDP 53 anywhere.":
        "busybox 只能访问列出的地址（请替换 {address}），以及任意地址 UDP 53 端口上的 DNS。",
    "Every pod of the namespace may reach only the cluster's pods and the private ranges {private}; ingress stays open to all namespaces and 0.0.0.0/0.":
        "命名空间中的所有 Pod 只能访问集群内的 Pod 和私网网段 {private}；入方向仍对所有命名空间和 0.0.0.0/0 开放。",
    "No pod of the namespace accepts connections unless another policy allows them.":
        "除非其他策略允许，命名空间中的 Pod 不接受任何连接。",
    "No pod of the namespace opens connections unless another policy allows them (add the DNS recipe too, or names stop resolving).":
        "除非其他策略允许，命名空间中的 Pod 不能发起任何连接（请同时添加“允许 DNS”模板，否则域名将无法解析）。",
    "Every pod of the namespace may query CoreDNS (kube-system, k8s-app=kube-dns) on UDP and TCP 53.":
        "命名空间中的所有 Pod 都可以通过 UDP 和 TCP 53 端口查询 CoreDNS（kube-system，k8s-app=kube-dns）。",
    "Pods of the namespace accept connections from every pod of the same namespace.":
        "命名空间中的 Pod 接受来自同一命名空间中所有 Pod 的连接。",
    "Delete network policy {name}?": "删除网络策略 {name}？",
    "Review what it does now below; confirming again deletes the current version ({version}).":
        "请查看下方该策略的当前内容；再次确认将删除当前版本（{version}）。",
    "Review what it does now below; confirming again deletes the current version.":
        "请查看下方该策略的当前内容；再次确认将删除当前版本。",
    "1 pod becomes unrestricted for ingress: no other policy selects it for ingress.":
        "1 个 Pod 的入方向将不再受限制：没有其他策略在入方向选中它。",
    "{count} pods become unrestricted for ingress: no other policy selects them for ingress.":
        "{count} 个 Pod 的入方向将不再受限制：没有其他策略在入方向选中它们。",
    "1 pod becomes unrestricted for egress: no other policy selects it for egress.":
        "1 个 Pod 的出方向将不再受限制：没有其他策略在出方向选中它。",
    "{count} pods become unrestricted for egress: no other policy selects them for egress.":
        "{count} 个 Pod 的出方向将不再受限制：没有其他策略在出方向选中它们。",
    "No pod becomes unrestricted for ingress: other policies still select every pod it selects.":
        "没有 Pod 的入方向会失去限制：其他策略仍然选中它所选中的所有 Pod。",
    "No pod becomes unrestricted for egress: other policies still select every pod it selects.":
        "没有 Pod 的出方向会失去限制：其他策略仍然选中它所选中的所有 Pod。",
    "Network policy {name} was created.": "网络策略 {name} 已创建。",
    "Network policy {name} was updated.": "网络策略 {name} 已更新。",
    "Network policy {name} was deleted.": "网络策略 {name} 已删除。",
})

# Accessibility.
CATALOG.update({
    "Skip to main content": "跳到主要内容",
})
