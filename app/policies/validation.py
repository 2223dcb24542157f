"""NetworkPolicy validation, exactly as the Kubernetes API server does it.

Ported from kubernetes/kubernetes v1.36 ``pkg/apis/networking/validation/validation.go``
(ValidateNetworkPolicy, ValidateNetworkPolicyUpdate, ValidateNetworkPolicyPort/Peer, ValidateIPBlock),
``pkg/registry/networking/networkpolicy/strategy.go`` and ``apiserver/pkg/registry/rest``
(what the API server does around them: PrepareForCreate, BeforeUpdate, the warnings), and
apimachinery's ``util/validation/ip.go`` (IsValidCIDRForLegacyField, GetWarningsForCIDR). Errors
come in upstream's order with upstream's field paths, types and messages; warnings are the ones the
API server returns in ``Warning:`` headers, which it sends only for an object it accepts.
``tests/policies/test_upstream_agreement.py`` holds all of this to a real v1.36.3 API server.

CIDRs are checked strictly, as the API server does by default since v1.36 (the
StrictIPCIDRValidation feature gate is on): a CIDR with bits set beyond the prefix length
(``10.0.0.1/8``), leading zeros (``010.0.0.0/8``, ``10.0.0.0/08``) or an IPv4-mapped IPv6 address
is Invalid. On update, a CIDR that the old object holds anywhere stays allowed (it is then only
warned about), so that a policy stored before strict validation can still be edited. Parsing
follows ``k8s.io/utils/net.ParseCIDRSloppy`` (Go 1.16's net.ParseCIDR); "strict" means what Go's
``netip.ParsePrefix`` accepts.

This is the one validation of the console: the form, the REST API, the CLI and the sandbox call it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from app.errors import FieldError, Invalid
from app.policies import names
from app.policies.model import (
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
    NetworkPolicySpec,
    apply_defaults,
)

QUALIFIED_KIND = "NetworkPolicy.networking.k8s.io"
SUPPORTED_PROTOCOLS = ("TCP", "UDP", "SCTP")  # upstream's order in the NotSupported detail
SUPPORTED_POLICY_TYPES = ("Ingress", "Egress")
CIDR_INVALID_DETAIL = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
CIDR_LEADING_ZEROS_DETAIL = "must not have leading 0s in IP or prefix length"
CIDR_IPV4_MAPPED_DETAIL = "must not have an IPv4-mapped IPv6 address"
CIDR_BITS_SET_DETAIL = "must not have bits set beyond the prefix length"

INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
FORBIDDEN = "FieldValueForbidden"
NOT_SUPPORTED = "FieldValueNotSupported"


@dataclass
class ValidationResult:
    """Field errors (upstream's order) and warnings (``"<path>: <text>"``) of one validation."""

    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_invalid(self, name: str) -> Invalid:
        """The API server's 422: ``NetworkPolicy.networking.k8s.io "name" is invalid: ...``."""
        return Invalid.for_object(QUALIFIED_KIND, name, self.errors)


# --- CIDR parsing (ParseCIDRSloppy) -------------------------------------------------------------

_BIG = 0xFFFFFF
_V4_MAPPED = 0xFFFF << 32
_ALL128 = (1 << 128) - 1


@dataclass(frozen=True)
class _Cidr:
    ip: int  # the address as written, IPv4 held as IPv4-mapped IPv6
    ones: int  # prefix length
    bits: int  # 32 when the address was written as IPv4, else 128
    strict: bool  # whether Go's netip.ParsePrefix accepts the text too
    v6_text: bool  # the address was written in IPv6 syntax

    @property
    def network(self) -> int:
        if self.bits == 32:
            return _V4_MAPPED | (self.ip & 0xFFFFFFFF & _mask(self.ones, 32))
        return self.ip & _mask(self.ones, 128)


def _mask(ones: int, bits: int) -> int:
    return ((1 << bits) - 1) ^ ((1 << (bits - ones)) - 1)


def _to4(x: int) -> int | None:
    return x & 0xFFFFFFFF if x >> 32 == 0xFFFF else None


def _dtoi(s: str) -> tuple[int, int, bool]:
    n = i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        n = n * 10 + ord(s[i]) - 48
        if n >= _BIG:
            return _BIG, i, False
        i += 1
    return (n, i, i > 0)


def _xtoi(s: str) -> tuple[int, int, bool]:
    n = i = 0
    while i < len(s) and s[i] in "0123456789abcdefABCDEF":
        n = n * 16 + int(s[i], 16)
        if n >= _BIG:
            return 0, i, False
        i += 1
    return (n, i, i > 0)


def _parse_ipv4(s: str) -> tuple[int, bool] | None:
    """Four decimal fields; leading zeros are read as decimal (sloppy) and make it non-strict."""
    value, strict = 0, True
    for i in range(4):
        if not s:
            return None
        if i > 0:
            if s[0] != ".":
                return None
            s = s[1:]
        n, c, ok = _dtoi(s)
        if not ok or n > 0xFF:
            return None
        if c > 1 and s[0] == "0":
            strict = False
        s = s[c:]
        value = value << 8 | n
    return None if s else (value, strict)


def _parse_ipv6(s: str) -> tuple[int, bool] | None:
    """Go 1.16's parseIPv6: hex groups, one '::', an optional trailing IPv4; no zone."""
    groups: list[int] = []  # 16-bit groups
    strict = True
    ellipsis = -1
    if s.startswith("::"):
        ellipsis = 0
        s = s[2:]
        if not s:
            return 0, True
    while len(groups) < 8:
        n, c, ok = _xtoi(s)
        if not ok or n > 0xFFFF:
            return None
        if c < len(s) and s[c] == ".":
            if ellipsis < 0 and len(groups) != 6:
                return None
            if len(groups) + 2 > 8:
                return None
            v4 = _parse_ipv4(s)
            if v4 is None:
                return None
            strict = strict and v4[1]
            groups += [v4[0] >> 16, v4[0] & 0xFFFF]
            s = ""
            break
        if c > 4:
            strict = False
        groups.append(n)
        s = s[c:]
        if not s:
            break
        if s[0] != ":" or len(s) == 1:
            return None
        s = s[1:]
        if s[0] == ":":
            if ellipsis >= 0:
                return None
            ellipsis = len(groups)
            s = s[1:]
            if not s:
                break
    if s:
        return None
    if len(groups) < 8:
        if ellipsis < 0:
            return None
        groups = groups[:ellipsis] + [0] * (8 - len(groups)) + groups[ellipsis:]
    elif ellipsis >= 0:
        return None
    value = 0
    for g in groups:
        value = value << 16 | g
    return value, strict


def _parse_cidr(value: str) -> _Cidr | None:
    """ParseCIDRSloppy: ``None`` when even the lenient parser rejects ``value``."""
    slash = value.find("/")
    if slash < 0:
        return None
    addr, mask = value[:slash], value[slash + 1 :]
    parsed4 = _parse_ipv4(addr)
    if parsed4 is not None:
        ip, strict, bits, v6_text = _V4_MAPPED | parsed4[0], parsed4[1], 32, False
    else:
        parsed6 = _parse_ipv6(addr)
        if parsed6 is None:
            return None
        ip, strict, bits, v6_text = parsed6[0], parsed6[1], 128, True
    ones, used, ok = _dtoi(mask)
    if not ok or used != len(mask) or ones > bits:
        return None
    if len(mask) > 1 and mask[0] == "0":
        strict = False
    return _Cidr(ip, ones, bits, strict, v6_text)


def _v6_string(x: int) -> str:
    """RFC 5952 text, as Go prints an IPv6 address (longest run of two or more zero groups → '::')."""
    groups = [(x >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    best, best_len, i = -1, 0, 0
    while i < 8:
        j = i
        while j < 8 and groups[j] == 0:
            j += 1
        if j - i > best_len:
            best, best_len = i, j - i
        i = j + 1 if j == i else j
    if best_len < 2:
        return ":".join(f"{g:x}" for g in groups)
    left = ":".join(f"{g:x}" for g in groups[:best])
    right = ":".join(f"{g:x}" for g in groups[best + best_len :])
    return f"{left}::{right}"


def _ip_string(x: int) -> str:
    v4 = _to4(x)
    if v4 is None:
        return _v6_string(x)
    return ".".join(str((v4 >> s) & 0xFF) for s in (24, 16, 8, 0))


def _ipnet_string(c: _Cidr) -> str:
    net = c.network
    if _to4(net) is not None:
        return f"{_ip_string(net)}/{c.ones if c.bits == 32 else c.ones - 96}"
    return f"{_v6_string(net)}/{c.ones}"


def _contains(outer: _Cidr, ip: int) -> bool:
    """Go's IPNet.Contains, including its handling of IPv4 and IPv4-mapped forms."""
    nn = outer.network
    nn4 = _to4(nn)
    if nn4 is not None:
        m = _mask(outer.ones, 32) if outer.bits == 32 else _mask(outer.ones, 128) & 0xFFFFFFFF
        ip4 = _to4(ip)
        return ip4 is not None and (nn4 & m) == (ip4 & m)
    if outer.bits == 32 or _to4(ip) is not None:
        return False
    m = _mask(outer.ones, 128)
    return (nn & m) == (ip & m)


def _cidr_warnings(path: str, value: str) -> list[str]:
    """GetWarningsForCIDR: host bits set, non-standard (leading zeros, IPv4-mapped), non-canonical IPv6."""
    c = _parse_cidr(value)
    if c is None:
        return []
    warnings = []
    if c.ip != c.network:
        single = f"{_ip_string(c.ip)}/{c.bits}"
        warnings.append(
            f'{path}: CIDR value "{value}" is ambiguous in this context '
            f'(should be "{_ipnet_string(c)}" or "{single}"?)'
        )
    if not c.strict or (c.v6_text and _to4(c.ip) is not None):
        warnings.append(
            f'{path}: non-standard CIDR value "{value}" is invalid: use "{_ipnet_string(c)}"'
        )
    canonical = f"{_v6_string(c.ip)}/{c.ones}"
    if not warnings and c.v6_text and canonical != value:
        warnings.append(
            f'{path}: IPv6 CIDR value "{value}" should be in RFC 5952 canonical format ("{canonical}")'
        )
    return warnings


def _cidr_errors(path: str, value: str, valid_old: tuple[str, ...] = ()) -> list[FieldError]:
    """IsValidCIDRForLegacyField with strict validation on; values of the old object are let through
    unchecked. At most one error: unparseable, else the first strict rule it breaks."""
    if value in valid_old:
        return []
    c = _parse_cidr(value)
    if c is None:
        detail = CIDR_INVALID_DETAIL
    elif not c.strict:  # ParseCIDRSloppy takes it, netip.ParsePrefix does not
        detail = CIDR_LEADING_ZEROS_DETAIL
    elif c.v6_text and _to4(c.ip) is not None:
        detail = CIDR_IPV4_MAPPED_DETAIL
    elif c.ip != c.network:
        detail = CIDR_BITS_SET_DETAIL
    else:
        return []
    return [FieldError(path, INVALID, detail, value)]


def validate_cidr(
    value: str, path: str, valid_old: tuple[str, ...] = ()
) -> tuple[list[FieldError], list[str]]:
    """One CIDR as the API server checks an ipBlock's ``cidr`` or ``except`` entry: errors (an
    empty value is Invalid here; ``ipBlock.cidr`` itself reports it as Required; ``valid_old`` are
    the old object's CIDRs on update) and the warnings GetWarningsForCIDR gives for it."""
    return _cidr_errors(path, value, valid_old), _cidr_warnings(path, value)


def cidr_contains_strictly(outer: str, inner: str) -> bool | None:
    """Whether ``inner`` is a strict subset of ``outer`` as the except rule needs; ``None`` if either
    does not parse."""
    o, i = _parse_cidr(outer), _parse_cidr(inner)
    if o is None or i is None:
        return None
    return _contains(o, i.network) and o.ones < i.ones


# --- the spec -------------------------------------------------------------------------------------


def _validate_port(port: NetworkPolicyPort, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if port.protocol is not None and port.protocol not in SUPPORTED_PROTOCOLS:
        detail = "supported values: " + ", ".join(f'"{p}"' for p in SUPPORTED_PROTOCOLS)
        errs.append(FieldError(f"{path}.protocol", NOT_SUPPORTED, detail, port.protocol))
    end = port.end_port
    if port.port is None:
        if end is not None:
            errs.append(
                FieldError(
                    f"{path}.endPort", INVALID, "may not be specified when `port` is not specified", end
                )
            )
    elif isinstance(port.port, int) and not isinstance(port.port, bool):
        errs.extend(
            FieldError(f"{path}.port", INVALID, m, port.port) for m in names.is_valid_port_num(port.port)
        )
        if end is not None:
            if end < port.port:  # upstream reports the port as the value here
                errs.append(
                    FieldError(f"{path}.endPort", INVALID, "must be greater than or equal to `port`", port.port)
                )
            errs.extend(FieldError(f"{path}.endPort", INVALID, m, end) for m in names.is_valid_port_num(end))
    else:
        if end is not None:
            errs.append(
                FieldError(f"{path}.endPort", INVALID, "may not be specified when `port` is non-numeric", end)
            )
        name = str(port.port)
        errs.extend(FieldError(f"{path}.port", INVALID, m, name) for m in names.is_valid_port_name(name))
    return errs


def _validate_ip_block(block: IPBlock, path: str, valid_old: tuple[str, ...]) -> list[FieldError]:
    if not block.cidr:
        return [FieldError(f"{path}.cidr", REQUIRED)]
    errs = _cidr_errors(f"{path}.cidr", block.cidr, valid_old)
    outer = _parse_cidr(block.cidr)
    if outer is None:
        return errs
    for i, text in enumerate(block.except_ or []):
        epath = f"{path}.except[{i}]"
        errs.extend(_cidr_errors(epath, text, valid_old))
        inner = _parse_cidr(text)
        if inner is None:
            continue
        if not _contains(outer, inner.network) or outer.ones >= inner.ones:
            errs.append(FieldError(epath, INVALID, "must be a strict subset of `cidr`", text))
    return errs


def _validate_peer(
    peer: NetworkPolicyPeer, path: str, allow_invalid_label_value: bool, valid_old: tuple[str, ...]
) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for selector, child in (
        (peer.pod_selector, "podSelector"),
        (peer.namespace_selector, "namespaceSelector"),
    ):
        if selector is not None:
            count += 1
            errs.extend(
                names.validate_label_selector(
                    selector, f"{path}.{child}", allow_invalid_label_value=allow_invalid_label_value
                )
            )
    if peer.ip_block is not None:
        count += 1
        errs.extend(_validate_ip_block(peer.ip_block, f"{path}.ipBlock", valid_old))
    if count == 0:
        errs.append(FieldError(path, REQUIRED, "must specify a peer"))
    elif count > 1 and peer.ip_block is not None:
        errs.append(FieldError(path, FORBIDDEN, "may not specify both ipBlock and another peer"))
    return errs


def _rules(
    spec: NetworkPolicySpec,
) -> Iterator[tuple[str, list[NetworkPolicyPort], str, list[NetworkPolicyPeer]]]:
    """Each rule as (``ingress[i]``/``egress[i]``, its ports, ``from``/``to``, its peers), in order."""
    for i, ingress in enumerate(spec.ingress or []):
        yield f"ingress[{i}]", ingress.ports or [], "from", ingress.from_ or []
    for i, egress in enumerate(spec.egress or []):
        yield f"egress[{i}]", egress.ports or [], "to", egress.to or []


def validate_spec(
    spec: NetworkPolicySpec,
    path: str = "spec",
    *,
    allow_invalid_label_value: bool = False,
    valid_old_cidrs: tuple[str, ...] = (),
) -> list[FieldError]:
    """ValidateNetworkPolicySpec over an already defaulted spec."""
    errs = names.validate_label_selector(
        spec.pod_selector, f"{path}.podSelector", allow_invalid_label_value=allow_invalid_label_value
    )
    for rule_path, ports, peers_key, peers in _rules(spec):
        for j, port in enumerate(ports):
            errs.extend(_validate_port(port, f"{path}.{rule_path}.ports[{j}]"))
        for j, peer in enumerate(peers):
            peer_path = f"{path}.{rule_path}.{peers_key}[{j}]"
            errs.extend(_validate_peer(peer, peer_path, allow_invalid_label_value, valid_old_cidrs))
    types = spec.policy_types or []
    if len(types) > len(SUPPORTED_POLICY_TYPES):
        errs.append(
            FieldError(f"{path}.policyTypes", INVALID, "may not specify more than two policyTypes", list(types))
        )
        return errs
    detail = "supported values: " + ", ".join(f'"{t}"' for t in SUPPORTED_POLICY_TYPES)
    for i, ptype in enumerate(types):
        if ptype not in SUPPORTED_POLICY_TYPES:
            errs.append(FieldError(f"{path}.policyTypes[{i}]", NOT_SUPPORTED, detail, ptype))
    return errs


def network_policy_warnings(policy: NetworkPolicy) -> list[str]:
    """networkPolicyWarnings: GetWarningsForCIDR of every ipBlock cidr and except entry. The API
    server sends them only for an object that passed validation (see ``ValidationResult``)."""
    warnings: list[str] = []
    for rule_path, _, peers_key, peers in _rules(policy.spec):
        for j, peer in enumerate(peers):
            if peer.ip_block is None:
                continue
            bpath = f"spec.{rule_path}.{peers_key}[{j}].ipBlock"
            warnings.extend(_cidr_warnings(f"{bpath}.cidr", peer.ip_block.cidr))
            for k, text in enumerate(peer.ip_block.except_ or []):
                warnings.extend(_cidr_warnings(f"{bpath}.except[{k}]", text))
    return warnings


def merge_warnings(*sources: list[str]) -> list[str]:
    """Warnings from several sources (the API server's Warning headers, our validator), each once
    and in order of first appearance. Two texts are the same warning when they differ only in
    quoting (``\\"`` for ``"``, as a Warning header escapes it) or spacing."""
    seen: set[str] = set()
    out: list[str] = []
    for source in sources:
        for text in source:
            key = " ".join(re.sub(r"\\(.)", r"\1", text).split())
            if key and key not in seen:
                seen.add(key)
                out.append(text)
    return out


def _result(errs: list[FieldError], policy: NetworkPolicy) -> ValidationResult:
    """Each distinct error once, in order of first appearance (the API server validates ObjectMeta
    up to three times on update and reports each time); warnings only for an accepted object, as
    rest.BeforeCreate/BeforeUpdate add them after validation passed."""
    unique: dict[tuple[str, str, str], FieldError] = {}
    for e in errs:
        unique.setdefault((e.field, e.type, e.message), e)
    return ValidationResult(list(unique.values()), [] if errs else network_policy_warnings(policy))


def validate_network_policy(policy: NetworkPolicy) -> ValidationResult:
    """Validation on create: defaults applied first and the generation set to 1 (PrepareForCreate),
    then ObjectMeta (a namespaced kind: the namespace is required, so callers fill it in), then
    the spec."""
    policy = apply_defaults(policy)
    policy.metadata.generation = 1
    errs = names.validate_object_meta(
        policy.metadata, requires_namespace=True, name_fn=names.name_is_dns_subdomain
    )
    errs.extend(validate_spec(policy.spec))
    return _result(errs, policy)


def _old_cidrs(old: NetworkPolicy) -> tuple[str, ...]:
    found: list[str] = []
    for _, _, _, peers in _rules(old.spec):
        for peer in peers:
            if peer.ip_block is not None:
                found.append(peer.ip_block.cidr)
                found.extend(peer.ip_block.except_ or [])
    return tuple(found)


def validate_network_policy_update(new: NetworkPolicy, old: NetworkPolicy) -> ValidationResult:
    """Validation on update (PUT), as ValidateNetworkPolicyUpdate after the API server's
    rest.BeforeUpdate: ObjectMeta update rules, then the spec.

    As the API server does before validating, a missing ``uid`` is taken from ``old``, and so are
    ``creationTimestamp`` and ``generation``; a missing ``resourceVersion`` is taken from ``old``
    too, because NetworkPolicy allows unconditional updates. Invalid label values already in the
    old pod selector, and CIDRs already in the old policy (AllowCIDRsEvenIfInvalid: wherever they
    stand in the new one), stay allowed.

    The order is the API server's: ObjectMeta as on create (rest.BeforeUpdate's common fields, where
    a name need only be a valid path segment), ObjectMeta's update rules, then the spec."""
    new = apply_defaults(new)
    old = apply_defaults(old)
    meta = new.metadata
    if not meta.uid:
        meta.uid = old.metadata.uid
    if old.metadata.creation_timestamp:
        meta.creation_timestamp = old.metadata.creation_timestamp
    meta.generation = old.metadata.generation
    if not meta.resource_version:
        meta.resource_version = old.metadata.resource_version
    allow_invalid = bool(names.validate_label_selector(old.spec.pod_selector, "spec.podSelector"))
    errs = names.validate_object_meta(meta, requires_namespace=True, name_fn=names.name_is_path_segment)
    errs.extend(names.validate_object_meta_update(meta, old.metadata))
    errs.extend(
        validate_spec(new.spec, allow_invalid_label_value=allow_invalid, valid_old_cidrs=_old_cidrs(old))
    )
    return _result(errs, new)
