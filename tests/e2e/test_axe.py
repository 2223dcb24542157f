"""Issue 11's ninth defect, measured: axe-core (npm, installed under tests/axe by `make test`) runs
in Chromium on every page and panel state of the console, in English and in 简体中文, each state
reached by clicking from `/` as a person would. No violation of WCAG 2.1 A/AA or of axe's best
practices may be serious or critical.

One browser context per language walks the whole console once (one sign-in); the policies it
creates on the way are its own (a random suffix) and it deletes them again."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.web.i18n import LANGUAGES, translate
from tests.conftest import ROOT
from tests.e2e.conftest import ADMIN_PASSWORD
from tests.e2e.test_scenarios import choose, click, settle

AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
SERIOUS = ("serious", "critical")
# Wider than any YAML block, so that those blocks scroll and must be reachable by the keyboard.
LONG_LINE = "https://runbooks.example.com/network-policies/" + "egress-to-dns-" * 16


class Audit:
    """axe-core on the page as it is now, state after state; keeps every serious or critical
    violation as one line: state, rule id, impact, target and help."""

    def __init__(self, page: Any, lang: str) -> None:
        assert AXE.is_file(), "axe-core is not installed: `make test` runs npm install in tests/axe"
        self.page = page
        self.lang = lang
        self.states: list[str] = []
        self.found: list[str] = []

    def __call__(self, state: str) -> None:
        self.page.wait_for_load_state()
        settle(self.page)
        # A navigation starts a fresh document, so axe is injected again where it is missing:
        # evaluated, not added as a <script>, which the console's Content-Security-Policy refuses.
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(AXE.read_text() + "\n;true")
        result = self.page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        self.states.append(state)
        for rule in result["violations"]:
            if rule["impact"] in SERIOUS:
                targets = " ".join(str(node["target"]) for node in rule["nodes"])
                where = f"[{self.lang}] {state}"
                self.found.append(f"{where}: {rule['id']} ({rule['impact']}) at {targets}: {rule['help']}")


def walk(page: Any, lang: str, audit: Callable[[str], None]) -> None:
    """Every page and panel state, reached by clicking from `/` (the 404 page by going Back to a
    deleted policy's Delete page)."""

    def t(text: str) -> str:
        return translate(lang, text)

    suffix = uuid.uuid4().hex[:6]
    first, second = f"axe-web-{suffix}", f"axe-yaml-{suffix}"
    menu = page.get_by_role("navigation", name=t("Menu"))
    main = page.locator("main")

    def heading(name: str | re.Pattern[str]) -> None:
        page.get_by_role("heading", level=1, name=name).first.wait_for()

    def panel() -> Any:
        return page.get_by_role("dialog")

    def section(title: str) -> Any:
        return panel().get_by_role("region", name=t(title))

    def visit(entry: str) -> None:
        """Click an entry of the left menu; its page's title is the entry's."""
        menu.get_by_role("link", name=t(entry), exact=True).click()
        heading(t(entry))

    # Signed out: `/` sends the visitor to the sign-in page, whose language switch comes first.
    page.goto("/")
    if lang != "en":
        page.get_by_role("navigation", name="Language").get_by_role("link", name=LANGUAGES[lang]).click()
    page.get_by_label(t("Username")).wait_for()
    assert page.locator("html").get_attribute("lang") == lang
    audit("sign-in page")
    page.get_by_label(t("Username")).fill("admin")
    page.get_by_label(t("Password")).fill("not-the-password")
    page.get_by_role("button", name=t("Sign in")).click()
    page.get_by_role("alert").wait_for()
    audit("sign-in page with an error")
    page.get_by_label(t("Password")).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name=t("Sign in")).click()
    heading(t("Clusters"))
    audit("clusters list")

    page.get_by_role("table").get_by_role("link", name="sandbox").click()
    heading(t("Network Policies"))
    audit("network policies list")

    # The Create panel, step by step: empty, a workload's label picked, errors, review.
    page.get_by_role("link", name=t("Create"), exact=True).click()
    panel().wait_for()
    audit("create panel")
    panel().get_by_label(t("Name"), exact=True).fill(first)
    click(page, section("Pod Selector").get_by_role("button", name=t("+ Select Workload And Add Label")))
    picker = section("Pod Selector").get_by_role("group", name=t("+ Select Workload And Add Label"))
    choose(page, picker.get_by_label(t("Workload"), exact=True), value="nginx")
    audit("create panel with the workload picker open")
    click(page, picker.get_by_role("button", name=t("OK"), exact=True))
    audit("create panel with a workload's label picked")
    source = section("Source")
    click(page, source.get_by_role("button", name=f"{t('+ Add')} {t('Source')} {t('rule')}"))
    rule = source.get_by_role("group", name=f"{t('Source')} {t('rule')} 1", exact=True)
    click(page, rule.get_by_role("button", name=f"{t('+ Add')} {t('Rule')}", exact=True))
    peer = rule.get_by_role("group", name=f"{t('Rule')} 1", exact=True)
    choose(page, peer.get_by_label(t("Selector")), value="ipBlock")
    peer.get_by_label("cidr", exact=True).fill("10.0.0.0/33")
    click(page, rule.get_by_role("button", name=f"{t('+ Add')} {t('Port')}", exact=True))
    rule.get_by_role("group", name=f"{t('Port')} 1", exact=True).get_by_label(t("Port"), exact=True).fill("80")
    click(page, panel().get_by_role("button", name=t("Next"), exact=True))
    panel().locator("#error-summary").wait_for()
    audit("create panel with errors")
    peer.get_by_label("cidr", exact=True).fill("10.0.0.0/8")
    click(page, panel().get_by_role("button", name=t("Next"), exact=True))
    panel().locator("#review-title").wait_for()
    audit("create panel: review")
    with page.expect_navigation():
        panel().get_by_role("button", name=t("OK"), exact=True).click()
    page.get_by_role("link", name=first, exact=True).wait_for()
    audit("network policies list after a create")

    # Create from YAML: the editor, a parse error, the review, then OK.
    page.get_by_role("link", name=t("Create from YAML")).click()
    text = page.get_by_label(t("YAML"), exact=True)
    text.wait_for()
    audit("create from yaml")
    text.fill("kind: NetworkPolicy\nspec: [")
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("alert").first.wait_for()
    audit("create from yaml with an error")
    text = page.get_by_label(t("YAML"), exact=True)
    text.fill(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f"metadata:\n  name: {second}\n  annotations:\n    runbook: {LONG_LINE}\n"
        "spec:\n  podSelector:\n    matchLabels:\n      app: busybox\n"
        "  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {}\n"
        "    ports:\n    - {protocol: UDP, port: 53}\n"
    )
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.locator("#review-title").wait_for()
    assert page.locator("pre.yaml").evaluate("pre => pre.scrollWidth > pre.clientWidth"), "LONG_LINE does not scroll"
    audit("create from yaml: review")
    page.get_by_role("button", name=t("OK"), exact=True).click()
    page.get_by_role("link", name=second, exact=True).wait_for()

    # That policy's own pages (its YAML wider than the page): Details with its history's diff
    # open, YAML, Edit as YAML, Edit.
    main.get_by_role("link", name=second, exact=True).first.click()
    heading(second)
    for diff in page.locator("details:not([open]) > summary").all():
        diff.click()
    audit("details")
    page.locator(".head-actions").get_by_role("link", name=t("YAML"), exact=True).click()
    page.locator("#np-yaml").wait_for()
    assert page.locator("#np-yaml").evaluate("pre => pre.scrollWidth > pre.clientWidth"), "LONG_LINE does not scroll"
    audit("yaml")
    page.get_by_role("link", name=t("Edit as YAML")).click()
    page.get_by_label(t("YAML"), exact=True).wait_for()
    audit("edit as yaml")
    page.get_by_role("link", name=t("Cancel"), exact=True).click()
    heading(second)
    page.locator(".head-actions").get_by_role("link", name=t("Edit"), exact=True).click()
    panel().wait_for()
    audit("edit panel")
    page.keyboard.press("Escape")
    heading(t("Network Policies"))

    # Recipes, one opened in the Create panel.
    page.get_by_role("link", name=t("Recipes"), exact=True).click()
    heading(re.compile(t("Recipes")))
    main.locator("summary").first.click()
    audit("recipes")
    main.get_by_role("heading", level=2).get_by_role("link").first.click()
    panel().wait_for()
    audit("create panel from a recipe")
    page.keyboard.press("Escape")
    heading(t("Network Policies"))

    # Delete confirmation (pods lose protection), then the list saying so.
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=first, exact=True))
    row.get_by_role("link", name=t("Delete"), exact=True).click()
    page.get_by_role("button", name=t("Delete"), exact=True).wait_for()
    audit("delete confirmation")
    page.get_by_role("button", name=t("Delete"), exact=True).click()
    page.locator("#np-done").wait_for()
    audit("network policies list after a delete")

    visit("Workloads")
    audit("workloads")

    visit("Connectivity")
    audit("connectivity")
    check = page.get_by_role("region", name=t("Check a connection"))
    for side, option in (("From", 1), ("To", 2)):
        check.get_by_role("group", name=t(side)).get_by_label(t("Pod"), exact=True).select_option(index=option)
    check.get_by_label(t("Port"), exact=True).fill("80")
    check.get_by_role("button", name=t("Check"), exact=True).click()
    page.locator(".verdict").wait_for()
    matrix = page.get_by_role("region", name=t("Matrix"))
    matrix.get_by_label(t("Port"), exact=True).fill("80")
    matrix.get_by_role("button", name=t("Show matrix"), exact=True).click()
    page.locator("table.matrix").wait_for()
    audit("connectivity with an answer and the matrix")

    menu.get_by_role("link", name=t("Whitelist"), exact=True).click()
    page.get_by_role("heading", level=2, name=t("Applications")).wait_for()
    audit("quota center")

    visit("Audit log")
    main.locator("summary").first.click()
    audit("audit log")

    visit("My account")
    audit("account")
    page.get_by_label(t("Token name")).fill(f"axe-{suffix}")
    page.get_by_role("button", name=t("Create token"), exact=True).click()
    page.locator("#token-created").wait_for()
    audit("account with a new token")

    visit("Users")
    audit("admin users")
    page.get_by_role("row").filter(has_text="admin").get_by_role("link", name=re.compile(t("Manage"))).first.click()
    page.get_by_role("heading", level=2, name=t("Reset password")).wait_for()
    audit("admin user")
    visit("Settings")
    audit("admin settings")

    # Clean up the second policy by clicking; then the 404 page of a policy no longer there.
    visit("Clusters")
    page.get_by_role("table").get_by_role("link", name="sandbox").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=second, exact=True))
    row.get_by_role("link", name=t("Delete"), exact=True).click()
    page.get_by_role("button", name=t("Delete"), exact=True).click()
    page.locator("#np-done").wait_for()
    # the browser's Back button: the Delete page of the policy no longer there
    response = page.go_back()
    assert response is not None and response.status == 404
    audit("error page (404)")

    page.get_by_role("button", name=t("Logout")).click()
    page.get_by_label(t("Username")).wait_for()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_serious_accessibility_violation_on_any_page_or_panel_state(
    browser: Any, console_url: str, lang: str
) -> None:
    context = browser.new_context(base_url=console_url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    audit = Audit(page, lang)
    try:
        walk(page, lang, audit)
    finally:
        context.close()
    assert len(audit.states) >= 30, audit.states
    assert not audit.found, f"{len(audit.found)} serious or critical axe-core violations:\n" + "\n".join(audit.found)
