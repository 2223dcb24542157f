"""Apimachinery's naming rules, as the Kubernetes API server applies them.

Ported from k8s.io/apimachinery: ``pkg/api/validate/content`` (label keys and values, DNS-1123
names), ``pkg/util/validation`` (ports), ``pkg/apis/meta/v1/validation`` (labels, label
selectors) and ``pkg/api/validation/objectmeta.go`` (ObjectMeta on create and on update).
The ``is_*`` checks return upstream's message strings (empty when valid); the ``validate_*``
functions return ``FieldError``s at upstream's field paths, in upstream's order.

Go measures strings in bytes; so do these checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from app.errors import FieldError
from app.policies.model import LabelSelector, ObjectMeta

INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
FORBIDDEN = "FieldValueForbidden"
TOO_LONG = "FieldValueTooLong"

DNS1123_LABEL_MAX_LENGTH = 63
DNS1123_SUBDOMAIN_MAX_LENGTH = 253
LABEL_KEY_MAX_LENGTH = 63
LABEL_VALUE_MAX_LENGTH = 63
TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * (1 << 10)
FIELD_IMMUTABLE = "field is immutable"

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)

_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_LABEL_KEY_RE = re.compile(_LABEL_KEY_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_PORT_NAME_CHARSET_RE = re.compile("[-a-z0-9]+")
_PORT_NAME_ONE_LETTER_RE = re.compile("[a-z]")

# names.SimpleNameGenerator: generateName is cut to 58 bytes, then 5 random characters follow.
_MAX_GENERATED_BASE = 58
_GENERATED_SUFFIX = "xxxxx"


def _blen(value: str) -> int:
    return len(value.encode("utf-8"))


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """upstream RegexError: the message, the examples and the regex."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    quoted = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {quoted}regex used for validation is '{fmt}')"


def empty_error() -> str:
    return "must be non-empty"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if _blen(value) > DNS1123_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if not _DNS1123_LABEL_RE.fullmatch(value):
        if _DNS1123_SUBDOMAIN_RE.fullmatch(value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if _blen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errs.append(regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """A label key: an optional DNS-1123 subdomain prefix and '/', then a name of 63 bytes or less."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a valid label key "
            + regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + empty_error())
    elif _blen(name) > LABEL_KEY_MAX_LENGTH:
        errs.append("name part " + max_len_error(LABEL_KEY_MAX_LENGTH))
    if not _LABEL_KEY_RE.fullmatch(name):
        errs.append(
            "name part " + regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if _blen(value) > LABEL_VALUE_MAX_LENGTH:
        errs.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


def is_valid_port_name(port: str) -> list[str]:
    """IANA_SVC_NAME: at most 15 characters of [-a-z0-9], at least one letter, no '--', no edge '-'."""
    errs = []
    if _blen(port) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARSET_RE.fullmatch(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_ONE_LETTER_RE.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def _mask_trailing_dash(name: str) -> str:
    # upstream maskTrailingDash: a generateName may end in '-', the generated suffix follows it.
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    """ValidateNameFunc for most kinds (NetworkPolicy among them)."""
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_subdomain(name)


def name_is_path_segment(name: str, prefix: bool) -> list[str]:
    """validatePathSegment: what rest.BeforeCreate/BeforeUpdate check of every kind's name."""
    if not prefix and name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


def name_is_dns_label(name: str, prefix: bool) -> list[str]:
    """ValidateNameFunc for Namespaces."""
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_label(name)


NameFn = Callable[[str, bool], list[str]]


def validate_label_name(key: str, path: str) -> list[FieldError]:
    return [FieldError(path, INVALID, msg, key) for msg in is_qualified_name(key)]


def validate_labels(labels: Mapping[str, str] | None, path: str) -> list[FieldError]:
    """Every key a qualified name, every value a label value; errors sit at ``path`` itself."""
    errs: list[FieldError] = []
    for key, value in (labels or {}).items():
        errs.extend(validate_label_name(key, path))
        errs.extend(FieldError(path, INVALID, msg, value) for msg in is_valid_label_value(value))
    return errs


def validate_label_selector(
    selector: LabelSelector | None, path: str, *, allow_invalid_label_value: bool = False
) -> list[FieldError]:
    """metav1 ValidateLabelSelector with LabelSelectorValidationOptions."""
    if selector is None:
        return []
    errs = validate_labels(selector.match_labels, f"{path}.matchLabels")
    for i, req in enumerate(selector.match_expressions or []):
        rpath = f"{path}.matchExpressions[{i}]"
        values = req.values or []
        if req.operator in ("In", "NotIn"):
            if not values:
                errs.append(
                    FieldError(
                        f"{rpath}.values", REQUIRED, "must be specified when `operator` is 'In' or 'NotIn'"
                    )
                )
        elif req.operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    FieldError(
                        f"{rpath}.values",
                        FORBIDDEN,
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            errs.append(
                FieldError(f"{rpath}.operator", INVALID, "not a valid selector operator", req.operator)
            )
        errs.extend(validate_label_name(req.key, f"{rpath}.key"))
        if not allow_invalid_label_value:
            for j, value in enumerate(values):
                errs.extend(
                    FieldError(f"{rpath}.values[{j}]", INVALID, msg, value)
                    for msg in is_valid_label_value(value)
                )
    return errs


def validate_annotations(annotations: Mapping[str, str] | None, path: str) -> list[FieldError]:
    """Keys are qualified names in any case; all keys and values together at most 256 KiB."""
    errs: list[FieldError] = []
    annotations = annotations or {}
    for key in annotations:
        errs.extend(FieldError(path, INVALID, msg, key) for msg in is_qualified_name(key.lower()))
    total = sum(_blen(k) + _blen(v) for k, v in annotations.items())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_B:
        errs.append(
            FieldError(path, TOO_LONG, f"may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT_B} bytes", "")
        )
    return errs


def generated_name(generate_name: str) -> str:
    """A stand-in for the name the API server would generate (SimpleNameGenerator's shape)."""
    base = generate_name.encode("utf-8")[:_MAX_GENERATED_BASE].decode("utf-8", "ignore")
    return base + _GENERATED_SUFFIX


def _common_meta(meta: ObjectMeta, requires_namespace: bool, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if requires_namespace:
        if not meta.namespace:
            errs.append(FieldError(f"{path}.namespace", REQUIRED))
        else:
            errs.extend(
                FieldError(f"{path}.namespace", INVALID, msg, meta.namespace)
                for msg in name_is_dns_label(meta.namespace, False)
            )
    elif meta.namespace:
        errs.append(FieldError(f"{path}.namespace", FORBIDDEN, "not allowed on this type"))
    if meta.generation is not None and meta.generation < 0:
        errs.append(
            FieldError(f"{path}.generation", INVALID, "must be greater than or equal to 0", meta.generation)
        )
    errs.extend(validate_labels(meta.labels, f"{path}.labels"))
    errs.extend(validate_annotations(meta.annotations, f"{path}.annotations"))
    return errs


def validate_object_meta(
    meta: ObjectMeta,
    *,
    requires_namespace: bool,
    name_fn: NameFn = name_is_dns_subdomain,
    path: str = "metadata",
) -> list[FieldError]:
    """ObjectMeta on create (ValidateObjectMetaAccessor).

    The API server generates a name from ``generateName`` before it validates; an object that
    only has ``generateName`` is validated with a name of the generated shape."""
    errs: list[FieldError] = []
    name = meta.name or ""
    if meta.generate_name:
        errs.extend(
            FieldError(f"{path}.generateName", INVALID, msg, meta.generate_name)
            for msg in name_fn(meta.generate_name, True)
        )
        if not name:
            name = generated_name(meta.generate_name)
    if not name:
        errs.append(FieldError(f"{path}.name", REQUIRED, "name or generateName is required"))
    else:
        errs.extend(FieldError(f"{path}.name", INVALID, msg, name) for msg in name_fn(name, False))
    errs.extend(_common_meta(meta, requires_namespace, path))
    return errs


def validate_object_meta_update(new: ObjectMeta, old: ObjectMeta, path: str = "metadata") -> list[FieldError]:
    """ObjectMeta on update (ValidateObjectMetaAccessorUpdate): a resourceVersion, no decremented
    generation, immutable name/namespace/uid/creationTimestamp, valid labels and annotations."""
    errs: list[FieldError] = []
    if not new.resource_version:
        errs.append(
            FieldError(
                f"{path}.resourceVersion",
                INVALID,
                "must be specified for an update",
                new.resource_version or "",
            )
        )
    if (new.generation or 0) < (old.generation or 0):
        errs.append(FieldError(f"{path}.generation", INVALID, "must not be decremented", new.generation or 0))
    for attr, child in (
        ("name", "name"),
        ("namespace", "namespace"),
        ("uid", "uid"),
        ("creation_timestamp", "creationTimestamp"),
    ):
        new_value = getattr(new, attr) or ""
        if new_value != (getattr(old, attr) or ""):
            errs.append(FieldError(f"{path}.{child}", INVALID, FIELD_IMMUTABLE, new_value))
    errs.extend(validate_labels(new.labels, f"{path}.labels"))
    errs.extend(validate_annotations(new.annotations, f"{path}.annotations"))
    return errs
