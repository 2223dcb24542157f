"""The API's request and response shapes (Pydantic, for validation and the OpenAPI document).

Kubernetes objects travel as the API server's JSON (``dict``); the console's own answers are
described field by field. Kept apart from the ORM tables.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ListMeta(_Out):
    continue_: str | None = Field(
        None, alias="continue", description="Pass as `continue` to get the next page; null on the last."
    )


class ObjectList(_Out):
    """A page of Kubernetes objects, as the API server returns them (from the console's cache)."""

    items: list[dict[str, Any]]
    metadata: ListMeta


class ClusterInfo(_Out):
    name: str
    ready: bool = Field(
        description="Whether the console's watch-fed cache of the cluster is synced (every kind the "
        "console may read is; see `forbidden` for the kinds it may not)."
    )
    state: str = Field(description="ready, syncing, error or stopped")
    error: str | None = None
    forbidden: dict[str, str] = Field(
        default_factory=dict,
        description="Kinds the console may not list or watch in this cluster, with the API server's message.",
    )
    networkPolicies: int | None = Field(None, description="How many NetworkPolicies the cluster holds.")


class ClusterList(_Out):
    items: list[ClusterInfo]


class UnenforcedNode(_Out):
    name: str
    reason: str = Field(description="Why policies are not enforced on this node.")


class NetworkPolicyEnforcement(_Out):
    """Terway's NetworkPolicy enforcement (FACTS.md, "Terway and ACK")."""

    enabled: bool | None = Field(description="null: no Terway found (or eni-config unreadable), so unknown.")
    state: Literal["enabled", "disabled", "unknown"]
    provider: str | None = Field(description="eni-config's network_policy_provider: ebpf or iptables.")
    implementation: str | None = Field(description="eBPF (Cilium) or iptables (Calico Felix).")
    terwayVersion: str | None = Field(description="The image tag of the terway container of its DaemonSet.")
    datapath: str | None = Field(description="eni-config's eniip_virtual_type: veth, ipvlan or datapathv2.")
    why: str = Field(description="The reason for the state and the implementation, in words.")
    unenforcedNodes: list[UnenforcedNode] | None = Field(
        description="The nodes where policies are not enforced; null when the console may not read the nodes."
    )
    policyCount: int
    recommendedMax: int = Field(description="ACK recommends fewer NetworkPolicies per cluster than this.")
    inClusterRanges: list[str] = Field(
        description="The in-cluster address ranges the cluster declares (eni-config's service_cidr, "
        "ack-cluster-profile's serviceCIDR, kube-proxy-worker's clusterCIDR): under eBPF an ipBlock over "
        "them does not match pods."
    )


class ClusterDetail(ClusterInfo):
    kinds: dict[str, dict[str, Any]] = Field(
        description="The cache's state per watched scope (a kind, or a kind in one namespace): state, "
        "objects, error, verb (list or watch, when forbidden or failing) and staleSeconds (since the "
        "last list, event or bookmark)."
    )
    networkPolicy: NetworkPolicyEnforcement = Field(
        description="Whether Terway enforces NetworkPolicies on this cluster, how, and on which nodes not."
    )


class PolicyAnswer(_Out):
    """A NetworkPolicy as stored (or as a dry run would store it), its form view and warnings."""

    object: dict[str, Any]
    form: dict[str, Any] | None = Field(
        description="The form model (PolicyForm); null when the form cannot show this policy without loss."
    )
    formUnsupported: str | None = Field(None, description="Why there is no form view.")
    warnings: list[str] = Field(default_factory=list)
    dryRun: bool = False

    @computed_field(  # type: ignore[prop-decorator]
        description="Whether the policy is being deleted: `object.metadata.deletionTimestamp` is set and "
        "it waits for its finalizers (`object.metadata.finalizers`); it can no longer be replaced or deleted."
    )
    @property
    def terminating(self) -> bool:
        return bool((self.object.get("metadata") or {}).get("deletionTimestamp"))


class PolicyList(_Out):
    items: list[PolicyAnswer]
    metadata: ListMeta


class FieldProblem(_Out):
    field: str
    type: str
    message: str


class ValidationResult(_Out):
    name: str
    namespace: str
    valid: bool
    errors: list[FieldProblem]
    warnings: list[str]


class ValidationAnswer(_Out):
    valid: bool = Field(description="Whether every object is valid.")
    results: list[ValidationResult]


class ConnectivityAnswer(_Out):
    allowed: bool
    explanation: list[str]
    details: dict[str, Any] = Field(
        description="The verdict per direction: which policies select "
        "each side and which rules allow the connection."
    )


class MatrixAnswer(_Out):
    namespace: str
    port: int | str
    protocol: str
    pods: list[str]
    allowed: dict[str, dict[str, bool]] = Field(description="allowed[source][destination]")


class MatrixGroup(_Out):
    key: str = Field(description="ns/name of a pod; ns/Kind/name of a workload")
    namespace: str
    name: str
    kind: str | None = Field(description='"Deployment", ..., "Pod" for a bare pod; null in a matrix by pod')
    pods: list[str]


class MatrixCell(_Out):
    state: Literal["allowed", "denied", "mixed"]
    allowed: int = Field(description="pod pairs allowed (a pod with itself counted)")
    total: int


class GridAnswer(_Out):
    port: int | str
    protocol: str
    by: Literal["pod", "workload"]
    groups: list[MatrixGroup]
    cells: dict[str, dict[str, MatrixCell]] = Field(description="cells[source key][destination key]")


class ApplicationIn(_Out):
    model_config = ConfigDict(extra="forbid")

    cluster: str = Field(min_length=1, max_length=253)
    reason: str = Field(min_length=1, max_length=2000)
    namespaces: list[Annotated[str, Field(max_length=63)]] = Field(
        default_factory=lambda: ["*"], max_length=100,
        description='The namespaces to cover; "*" stands for every namespace except the system ones '
                    "(default, kube-system, kube-public, kube-node-lease), which are covered only when "
                    "named, and then only an admin approves.",
    )


class DecisionIn(_Out):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field("", max_length=2000)
    version: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,  # the database's integer
        description="The application's version you saw (guards against deciding on stale information).",
    )


class Decision(_Out):
    action: str
    actor: str
    at: str
    comment: str


class Application(_Out):
    id: int
    cluster: str
    team: str
    requester: str
    reason: str
    namespaces: list[str]
    submittedAt: str | None
    status: str
    decidedBy: str | None
    decidedAt: str | None
    comment: str
    version: int
    decisions: list[Decision] | None = None


class ApplicationList(_Out):
    items: list[Application]
    metadata: ListMeta


class AuditEntryOut(_Out):
    id: int
    at: str
    actor: str
    via: str
    cluster: str
    namespace: str
    kind: str
    name: str
    action: str
    outcome: str = Field(description="success, failure; for a cluster write also pending (sent, no answer yet), "
                         "unknown (no answer came), applied or not_applied (settled against the cluster later).")
    outcome_text: str = Field(description="The outcome in words.")
    message: str
    before: str | None = Field(description="The object's YAML before the change.")
    after: str | None = Field(description="The object's YAML after the change (for a pending write: the intended).")
    request_id: str | None = Field(None, description="The id of the request that made the change (X-Request-ID).")
    completed_at: str | None = Field(None, description="When the outcome became known; null while pending.")


class AuditList(_Out):
    items: list[AuditEntryOut]
    metadata: ListMeta


class NamespaceIn(_Out):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=63, examples=["test-np"])
    labels: dict[str, str] = Field(default_factory=dict, examples=[{"env": "test"}])


class NamespaceLabelsIn(_Out):
    model_config = ConfigDict(extra="forbid")

    labels: dict[str, str] = Field(
        description="All the labels the namespace should hold: a label not named is removed "
        "(`kubernetes.io/metadata.name` stays, the API server keeps it equal to the name).",
        examples=[{"env": "prod"}],
    )


class NamespaceAnswer(_Out):
    """A Namespace as the API server has it (or as a dry run would store it), with what the
    console knows of it beside: its pods, its NetworkPolicies and which directions they deny."""

    apiVersion: str = "v1"
    kind: str = "Namespace"
    metadata: dict[str, Any]
    spec: dict[str, Any] = Field(default_factory=dict)
    status: dict[str, Any] = Field(default_factory=dict, description="`phase`: Active or Terminating")
    pods: int = Field(description="How many pods the namespace holds (from the console's cache).")
    networkPolicies: int = Field(description="How many NetworkPolicies the namespace holds.")
    defaultDeny: dict[str, list[str]] = Field(
        description="Per direction (Ingress, Egress), the policies that deny it to every pod of the namespace."
    )
    warnings: list[str] = Field(default_factory=list)
    dryRun: bool = False


class NamespaceList(_Out):
    items: list[NamespaceAnswer]
    metadata: ListMeta


class _End(_Out):
    model_config = ConfigDict(extra="forbid")


class PodEnd(_End):
    pod: str = Field(min_length=1, max_length=320, description="`ns/name`", examples=["demo/web-0"])


class IPEnd(_End):
    ip: str = Field(min_length=1, max_length=64, examples=["100.64.0.5"],
                    description="An IPv4 or IPv6 address: a pod's IP is that pod; any other is checked against "
                    "ipBlock peers only.")  # fmt: skip


class ServiceEnd(_End):
    service: str = Field(min_length=1, max_length=320, examples=["default/nginx"],
                         description="`ns/name`: checked to each pod behind it, on its target port.")  # fmt: skip


class ConnectivityRequest(_Out):
    """One connection: each end a pod or an IP address, the destination also a Service. The short
    form, a string (`ns/pod` or an IP address), still works for either end."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: str | PodEnd | IPEnd = Field(
        alias="from", description="`{\"pod\": \"ns/name\"}`, `{\"ip\": \"...\"}`, or the string `ns/pod` or an IP"
    )
    to: str | PodEnd | ServiceEnd | IPEnd = Field(
        description="`{\"pod\": ...}`, `{\"service\": \"ns/name\"}`, `{\"ip\": ...}`, or the string `ns/pod` or an IP"
    )
    port: int | str = Field(
        description="A port number or name: of the destination pod's containers, or of the Service (its port, "
        "not its targetPort)",
        examples=[80, "http"],
    )
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"


class EnforcementPart(BaseModel):
    """Whether the Kubernetes verdict holds on this cluster as Terway enforces policies."""

    holds: bool | None = Field(description="True: it holds; false: it does not (see notes); null: unknown.")
    notes: list[str] = Field(default_factory=list, description="Why it does not hold, or why that is unknown.")


class ConnectivityResult(ConnectivityAnswer):
    """``allowed`` for a Service: allowed to every pod behind it (and there is at least one)."""

    notes: list[str] = Field(default_factory=list, description="How each end was read.")
    summary: str | None = Field(None, description="For a Service: \"allowed to 2 of 3 pods\", or why no pod.")
    enforcement: EnforcementPart | None = Field(
        None, description="Beside the Kubernetes verdict: whether it holds on this cluster (Terway, its nodes)."
    )


class LintFinding(_Out):
    """A likely mistake in a NetworkPolicy (app/policies/lint.py)."""

    id: str = Field(description="The rule's stable id, e.g. `egress-without-dns`.")
    message: str
    field: str = Field(description="The path it is about (`spec.ingress[0].from[1]`); empty for the whole policy.")
    help: str = Field(description="Where to read what to do.")


class LintedPolicyAnswer(PolicyAnswer):
    lints: list[LintFinding] = Field(
        default_factory=list, description="Likely mistakes, judged against the cluster as the console sees it now."
    )


class LintedValidationResult(ValidationResult):
    lints: list[LintFinding] | None = Field(
        None,
        description="With `lint=true`: likely mistakes, judged against the Pods, Namespaces, Services and "
        "NetworkPolicies in the body (rules about pods only when the body holds some); else null.",
    )


class LintedValidationAnswer(ValidationAnswer):
    results: list[LintedValidationResult]  # type: ignore[assignment]
