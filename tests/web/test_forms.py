"""The one edit flow's mapping (app/web/forms.py): each domain error becomes one status and shows
at its fields or in the banner, in the page's language; one redirect; one success message."""

from __future__ import annotations

import inspect
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.requests import Request

from app import errors
from app.accounts.throttle import LoginThrottled
from app.api.problems import TooManyRequests
from app.cluster.errors import Expired
from app.errors import DomainError, FieldError
from app.policies.words import Words
from app.web.forms import done_url, notice, redirect, refusal
from app.whitelist.service import NotWhitelisted


def page_request(lang: str = "en", *, htmx: bool = False, query: str = "") -> Request:
    headers = [(b"cookie", f"lang={lang}".encode())]
    if htmx:
        headers.append((b"hx-request", b"true"))
    scope = {"type": "http", "method": "POST", "path": "/x", "query_string": query.encode(), "headers": headers}
    return Request(scope)


TAKEN = FieldError("username", "FieldValueDuplicate", "a user of this name already exists", "olga")

# (error, status, the fields it shows at, whether it shows a banner)
CASES = [
    (errors.Invalid("bad", [FieldError("reason", "FieldValueRequired"), FieldError("cluster", "FieldValueNotSupported",
                                                                          "supported values: a", "z")]),
     422, ["reason", "cluster"], False),
    (errors.Invalid("the YAML is empty"), 422, [], True),
    (errors.AlreadyExists('user "olga" already exists'), 409, [], True),
    (errors.Conflict("Application #1 was changed meanwhile"), 409, [], True),
    (errors.BeingDeleted('networkpolicy "a" is being deleted'), 409, [], True),
    (Expired("too old a resource version"), 410, [], True),
    (errors.Forbidden("this needs the admin role"), 403, [], True),
    (NotWhitelisted("sandbox", "shop"), 403, [], True),
    (errors.NotFound('user "nobody" not found'), 404, [], True),
    (errors.BadRequest("invalid continue token"), 400, [], True),
    (errors.Unauthorized("unknown API token"), 401, [], True),
    (errors.Unavailable("connection refused"), 503, [], True),
    (LoginThrottled(120), 429, [], True),
    (TooManyRequests("slow down", 30), 429, [], True),
]


@pytest.mark.parametrize(("error", "status", "fields", "banner"), CASES, ids=lambda c: type(c).__name__)
def test_each_domain_error_has_one_status_and_one_place(
    error: DomainError, status: int, fields: list[str], banner: bool
) -> None:
    refused = refusal(page_request(), error)
    assert refused.status == status
    assert list(refused.fields) == fields
    assert bool(refused.banner) is banner
    assert refused.error is error


def test_every_error_class_of_app_errors_is_in_the_table() -> None:
    classes = {c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, DomainError)}
    covered = {type(case[0]) for case in CASES} | {DomainError}
    assert classes <= covered, classes - covered


def test_a_taken_name_shows_at_its_field_not_in_the_banner() -> None:
    refused = refusal(page_request(), errors.AlreadyExists('user "olga" already exists'), taken=TAKEN)
    assert refused.status == 409 and refused.banner == ""
    assert refused.fields == {"username": 'Duplicate value: "olga": a user of this name already exists'}
    # ``taken`` is for AlreadyExists only: another error keeps its own place
    assert refusal(page_request(), errors.Forbidden("no"), taken=TAKEN).fields == {}


def test_an_unreachable_cluster_says_nothing_was_changed() -> None:
    banner = refusal(page_request(), errors.Unavailable("connection refused")).banner
    assert banner == "The cluster's API server cannot be reached; nothing was changed. (connection refused)"
    zh = refusal(page_request("zh-CN"), errors.Unavailable("connection refused")).banner
    assert zh.startswith("无法连接集群的 API Server，未做任何更改。") and "connection refused" in zh


def test_refusals_are_said_in_the_users_language() -> None:
    zh = page_request("zh-CN")
    # a Words message, through its template; the name in it is data and stays
    template = "Only approvers decide whitelist applications; {user} is not an approver"
    words = errors.Forbidden(Words(template, user="alice"))
    assert refusal(zh, words).banner == "只有审批人可以审批白名单申请；alice 不是审批人"
    assert refusal(page_request(), words).banner == template.format(user="alice")
    # a plain message the catalog has
    plain = errors.Invalid("Invalid username or password, or the account is disabled.")
    assert "用户名或密码" in refusal(zh, plain).banner
    # one it has not: as it is
    assert refusal(zh, errors.NotFound("no such thing")).banner == "no such thing"
    # field errors: their kind and a Words detail translated, the value kept
    field = refusal(zh, errors.AlreadyExists("taken"), taken=FieldError(
        "metadata.name", "FieldValueDuplicate",
        Words("a network policy of this name already exists in namespace {namespace}; choose another name",
              namespace="shop"), "web"))
    assert field.fields["metadata.name"] == '重复的值: "web": 命名空间 shop 中已存在同名的网络策略，请换一个名称'
    assert refusal(zh, errors.Invalid("x", [FieldError("reason", "FieldValueRequired")])).fields == {"reason": "必填项"}


def test_one_redirect_for_pages_and_htmx() -> None:
    plain = redirect(page_request(), "/whitelist?done=apply&name=sandbox")
    assert plain.status_code == 303 and plain.headers["location"] == "/whitelist?done=apply&name=sandbox"
    htmx = redirect(page_request(htmx=True), "/clusters/测试?namespace=a b")
    assert htmx.status_code == 204 and "location" not in htmx.headers
    assert htmx.headers["HX-Redirect"] == "/clusters/%E6%B5%8B%E8%AF%95?namespace=a%20b"  # ASCII only


def test_the_success_message_rides_in_the_url_of_the_page_that_follows() -> None:
    messages = {"approve": "Application #{name} was approved.", "saved": "The settings were saved."}
    url = done_url("http://console.test/whitelist?status=Pending&done=reject&name=3", "approve", "7")
    parts = urlsplit(url)
    assert parts.path == "/whitelist"
    assert parse_qsl(parts.query) == [("status", "Pending"), ("done", "approve"), ("name", "7")]
    assert notice(page_request(query=parts.query), messages) == "Application #7 was approved."
    assert notice(page_request("zh-CN", query=parts.query), {"approve": "Application #{name} was approved."}) == (
        "申请 #7 已批准。"
    )
    assert notice(page_request(query="done=saved"), messages) == "The settings were saved."
    assert notice(page_request(query="done=approve"), messages) == ""  # a message about nobody
    assert notice(page_request(query="done=bless&name=7"), messages) == ""
    assert notice(page_request(), messages) == ""
