"""Request bodies in Kubernetes' protobuf encoding, decoded into the JSON dicts the sandbox handles.

kubectl's typed generators (``create namespace``, ``create deployment``, ``create configmap``,
``create service ...``) send ``application/vnd.kubernetes.protobuf`` and do not fall back to JSON.
The envelope (apimachinery runtime/serializer/protobuf) is the 4-byte magic ``k8s\\0`` followed by
a ``runtime.Unknown``: typeMeta = 1 (apiVersion = 1, kind = 2), raw = 2 (the object's own message),
contentEncoding = 3, contentType = 4. The objects are proto2 messages whose field names are the
JSON names; the tables below hold field numbers from k8s.io/api's generated.proto files.

Go's generated marshallers write every non-pointer field, zero or not, so zero scalars are dropped
as ``omitempty`` would drop them, except fields marked ``keep_zero`` (pointers upstream, where 0
and false mean something). Empty non-pointer structs stay as ``{}``, as in kubectl's JSON.
Unknown fields are skipped. Answers stay JSON: kubectl sends ``Accept: ...protobuf,application/json``.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The body is not a Kubernetes protobuf object this module can read."""


class UnknownKind(ProtobufError):
    """A well-formed envelope around a kind with no field table here."""


# -- the wire ------------------------------------------------------------------------------------
def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def read_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield ``(field number, wire type, value)``: an int for varints and fixed, bytes otherwise."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        value: int | bytes
        if wire == VARINT:
            value, pos = _varint(data, pos)
        elif wire == LENGTH:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ProtobufError("truncated length-delimited field")
            value, pos = data[pos : pos + size], pos + size
        elif wire in (FIXED64, FIXED32):
            width = 8 if wire == FIXED64 else 4
            if pos + width > len(data):
                raise ProtobufError("truncated fixed field")
            value, pos = int.from_bytes(data[pos : pos + width], "little"), pos + width
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        yield number, wire, value


def _signed(value: int) -> int:
    """int32 and int64 travel as 64-bit two's complement varints."""
    return value - (1 << 64) if value >= 1 << 63 else value


# -- field tables ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One message field: ``kind`` is a scalar name, a special name, or another message's name."""

    name: str
    kind: str
    repeated: bool = False
    keep_zero: bool = False


def F(name: str, kind: str = "string", *, repeated: bool = False, keep_zero: bool = False) -> Field:  # noqa: N802
    return Field(name, kind, repeated, keep_zero)


SCALARS = ("string", "bytes", "int32", "int64", "bool")
# map<string, string>, map<string, bytes> and map<string, Quantity> are entries {key = 1, value = 2}.
MAPS = {"map": "string", "map-bytes": "bytes", "map-quantity": "Quantity"}

META = {
    "ObjectMeta": {
        1: F("name"),
        2: F("generateName"),
        3: F("namespace"),
        4: F("selfLink"),
        5: F("uid"),
        6: F("resourceVersion"),
        7: F("generation", "int64"),
        8: F("creationTimestamp", "Time"),
        9: F("deletionTimestamp", "Time"),
        10: F("deletionGracePeriodSeconds", "int64", keep_zero=True),
        11: F("labels", "map"),
        12: F("annotations", "map"),
        13: F("ownerReferences", "OwnerReference", repeated=True),
        14: F("finalizers", repeated=True),
    },
    "OwnerReference": {
        1: F("kind"),
        3: F("name"),
        4: F("uid"),
        5: F("apiVersion"),
        6: F("controller", "bool", keep_zero=True),
        7: F("blockOwnerDeletion", "bool", keep_zero=True),
    },
    "LabelSelector": {
        1: F("matchLabels", "map"),
        2: F("matchExpressions", "LabelSelectorRequirement", repeated=True),
    },
    "LabelSelectorRequirement": {1: F("key"), 2: F("operator"), 3: F("values", repeated=True)},
}

CORE = {
    "Namespace": {1: F("metadata", "ObjectMeta"), 2: F("spec", "NamespaceSpec"), 3: F("status", "NamespaceStatus")},
    "NamespaceSpec": {1: F("finalizers", repeated=True)},
    "NamespaceStatus": {1: F("phase")},
    "ConfigMap": {
        1: F("metadata", "ObjectMeta"),
        2: F("data", "map"),
        3: F("binaryData", "map-bytes"),
        4: F("immutable", "bool", keep_zero=True),
    },
    "Pod": {1: F("metadata", "ObjectMeta"), 2: F("spec", "PodSpec"), 3: F("status", "PodStatus")},
    "PodStatus": {1: F("phase")},
    "PodTemplateSpec": {1: F("metadata", "ObjectMeta"), 2: F("spec", "PodSpec")},
    "PodSpec": {
        2: F("containers", "Container", repeated=True),
        3: F("restartPolicy"),
        4: F("terminationGracePeriodSeconds", "int64", keep_zero=True),
        5: F("activeDeadlineSeconds", "int64", keep_zero=True),
        6: F("dnsPolicy"),
        7: F("nodeSelector", "map"),
        8: F("serviceAccountName"),
        9: F("serviceAccount"),
        10: F("nodeName"),
        11: F("hostNetwork", "bool"),
        12: F("hostPID", "bool"),
        13: F("hostIPC", "bool"),
        15: F("imagePullSecrets", "LocalObjectReference", repeated=True),
        16: F("hostname"),
        17: F("subdomain"),
        19: F("schedulerName"),
        20: F("initContainers", "Container", repeated=True),
        21: F("automountServiceAccountToken", "bool", keep_zero=True),
        22: F("tolerations", "Toleration", repeated=True),
        24: F("priorityClassName"),
    },
    "LocalObjectReference": {1: F("name")},
    "Toleration": {
        1: F("key"),
        2: F("operator"),
        3: F("value"),
        4: F("effect"),
        5: F("tolerationSeconds", "int64", keep_zero=True),
    },
    "Container": {
        1: F("name"),
        2: F("image"),
        3: F("command", repeated=True),
        4: F("args", repeated=True),
        5: F("workingDir"),
        6: F("ports", "ContainerPort", repeated=True),
        7: F("env", "EnvVar", repeated=True),
        8: F("resources", "ResourceRequirements"),
        9: F("volumeMounts", "VolumeMount", repeated=True),
        13: F("terminationMessagePath"),
        14: F("imagePullPolicy"),
        16: F("stdin", "bool"),
        17: F("stdinOnce", "bool"),
        18: F("tty", "bool"),
        20: F("terminationMessagePolicy"),
    },
    "ContainerPort": {
        1: F("name"),
        2: F("hostPort", "int32"),
        3: F("containerPort", "int32"),
        4: F("protocol"),
        5: F("hostIP"),
    },
    "EnvVar": {1: F("name"), 2: F("value")},
    "ResourceRequirements": {1: F("limits", "map-quantity"), 2: F("requests", "map-quantity")},
    "VolumeMount": {
        1: F("name"),
        2: F("readOnly", "bool"),
        3: F("mountPath"),
        4: F("subPath"),
        5: F("mountPropagation"),
        6: F("subPathExpr"),
    },
    "Service": {1: F("metadata", "ObjectMeta"), 2: F("spec", "ServiceSpec"), 3: F("status", "ServiceStatus")},
    "ServiceStatus": {1: F("loadBalancer", "LoadBalancerStatus")},
    "LoadBalancerStatus": {},
    "ServiceSpec": {
        1: F("ports", "ServicePort", repeated=True),
        2: F("selector", "map"),
        3: F("clusterIP"),
        4: F("type"),
        5: F("externalIPs", repeated=True),
        7: F("sessionAffinity"),
        8: F("loadBalancerIP"),
        9: F("loadBalancerSourceRanges", repeated=True),
        10: F("externalName"),
        11: F("externalTrafficPolicy"),
        12: F("healthCheckNodePort", "int32"),
        13: F("publishNotReadyAddresses", "bool"),
        18: F("clusterIPs", repeated=True),
        19: F("ipFamilies", repeated=True),
    },
    "ServicePort": {
        1: F("name"),
        2: F("protocol"),
        3: F("port", "int32"),
        4: F("targetPort", "IntOrString"),
        5: F("nodePort", "int32"),
        6: F("appProtocol"),
    },
}

APPS = {
    "Deployment": {
        1: F("metadata", "ObjectMeta"),
        2: F("spec", "DeploymentSpec"),
        3: F("status", "DeploymentStatus"),
    },
    "DeploymentSpec": {
        1: F("replicas", "int32", keep_zero=True),
        2: F("selector", "LabelSelector"),
        3: F("template", "PodTemplateSpec"),
        4: F("strategy", "DeploymentStrategy"),
        5: F("minReadySeconds", "int32"),
        6: F("revisionHistoryLimit", "int32", keep_zero=True),
        7: F("paused", "bool"),
        9: F("progressDeadlineSeconds", "int32", keep_zero=True),
    },
    "DeploymentStrategy": {1: F("type"), 2: F("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: F("maxUnavailable", "IntOrString"), 2: F("maxSurge", "IntOrString")},
    "DeploymentStatus": {},  # written by the controller; what a client sends is dropped on create
}

MESSAGES: dict[str, dict[int, Field]] = {**META, **CORE, **APPS}

# (apiVersion, kind) of the envelope → the object's message.
TOP_LEVEL = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Pod"): "Pod",
    ("v1", "Service"): "Service",
    ("apps/v1", "Deployment"): "Deployment",
}


# -- decoding --------------------------------------------------------------------------------------
def _time(data: bytes) -> str | None:
    """meta/v1 Time {seconds = 1, nanos = 2} as JSON's RFC 3339; the zero time is JSON's null."""
    seconds = 0
    for number, _, value in read_fields(data):
        if number == 1 and isinstance(value, int):
            seconds = _signed(value)
    if seconds == 0:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(data: bytes) -> int | str:
    """intstr.IntOrString {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}."""
    kind, int_val, str_val = 0, 0, ""
    for number, _, value in read_fields(data):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, int):
            int_val = _signed(value)
        elif number == 3 and isinstance(value, bytes):
            str_val = value.decode()
    return str_val if kind == 1 else int_val


def _quantity(data: bytes) -> str:
    """resource.Quantity {string = 1}."""
    for number, _, value in read_fields(data):
        if number == 1 and isinstance(value, bytes):
            return value.decode()
    return ""


def _value(kind: str, wire: int, value: int | bytes) -> Any:
    if kind in SCALARS:
        if kind in ("string", "bytes"):
            if not isinstance(value, bytes):
                raise ProtobufError(f"expected bytes for a {kind}, got wire type {wire}")
            return value.decode() if kind == "string" else base64.b64encode(value).decode()
        if not isinstance(value, int):
            raise ProtobufError(f"expected a varint for a {kind}")
        return bool(value) if kind == "bool" else _signed(value)
    if not isinstance(value, bytes):
        raise ProtobufError(f"expected a message for {kind}, got wire type {wire}")
    if kind == "Time":
        return _time(value)
    if kind == "IntOrString":
        return _int_or_string(value)
    if kind == "Quantity":
        return _quantity(value)
    return decode_message(kind, value)


def _is_zero(value: Any) -> bool:
    return value is None or value == "" or value is False or (value == 0 and not isinstance(value, bool))


def decode_message(message: str, data: bytes) -> dict[str, Any]:
    """One message as the dict its JSON form would be, by the field table ``MESSAGES[message]``."""
    table = MESSAGES[message]
    out: dict[str, Any] = {}
    for number, wire, value in read_fields(data):
        field = table.get(number)
        if field is None:
            continue  # unknown fields are skipped
        if field.kind in MAPS:
            if not isinstance(value, bytes):
                raise ProtobufError(f"expected a map entry for {field.name}")
            key, item = "", _value(MAPS[field.kind], LENGTH, b"")
            for n, w, v in read_fields(value):
                if n == 1:
                    key = _value("string", w, v)
                elif n == 2:
                    item = _value(MAPS[field.kind], w, v)
            out.setdefault(field.name, {})[key] = item
            continue
        decoded = _value(field.kind, wire, value)
        if field.repeated:
            out.setdefault(field.name, []).append(decoded)
        elif _is_zero(decoded) and not field.keep_zero:
            out.pop(field.name, None)
        else:
            out[field.name] = decoded
    return out


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf request body (magic, ``runtime.Unknown``, object) → the object as a JSON dict.

    Raises ``UnknownKind`` for a kind without a field table and ``ProtobufError`` for anything
    that is not a well-formed envelope.
    """
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic number")
    api_version = kind = encoding = ""
    raw = b""
    for number, _, value in read_fields(body[len(MAGIC) :]):
        if not isinstance(value, bytes):
            continue
        if number == 1:
            for n, _, v in read_fields(value):
                if n == 1 and isinstance(v, bytes):
                    api_version = v.decode()
                elif n == 2 and isinstance(v, bytes):
                    kind = v.decode()
        elif number == 2:
            raw = value
        elif number == 3:
            encoding = value.decode()
    if encoding:
        raise ProtobufError(f"unsupported content encoding {encoding!r}")
    message = TOP_LEVEL.get((api_version, kind))
    if message is None:
        raise UnknownKind(f"no protobuf decoding for {api_version}, Kind={kind}")
    return {"kind": kind, "apiVersion": api_version, **decode_message(message, raw)}


def is_protobuf(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == CONTENT_TYPE
