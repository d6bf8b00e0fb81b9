"""Accessibility in the real browser (issue 7): axe-core reports no WCAG 2.1 A/AA violation on
every page type, in Polish and in English, and every page fits a 320 px wide screen without
horizontal scrolling (WCAG 1.4.10 Reflow).

axe-core is vendored from npm (tests/vendor/axe-core, test-only). The site's CSP allows only
its own nonce'd scripts, so axe is not added as a <script> tag: it is evaluated through the
DevTools protocol, which the page's CSP does not govern; the page itself keeps its real CSP.

One browser context per language walks the pages as their users do: a visitor, a parent (with
a child, documents, sick leaves, a booking, requests to ikp-pomoc), a support user and a clinic
worker (both with password and TOTP). Every problem found is collected and reported at the end,
so one run lists them all.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.utils import timezone

from accounts.rules import add_months
from conftest import (
    PASSWORD,
    insure,
    make_clinic,
    make_grant,
    make_person,
    make_slot,
    make_user,
    record_dose,
    years_ago,
)
from feeds.runner import ingest_file
from records.tests.test_documents import make_document
from sickleaves.tests.test_views import make_leave
from support.services import NewFile, staff_reply, ticket_assign, ticket_open
from tests.test_journey_login import SECRET, current_code

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}}
AXE_RUN = """options => axe.run(document, options).then(results => ({
    passed: results.passes.length,
    violations: results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(node => node.target.join(" ")),
    })),
}))"""
# axe 4.x no longer checks that ids are unique (WCAG 2.2 retired 4.1.1 Parsing), but WCAG 2.1
# has it, and a label's `for`, an error summary's link or aria-describedby finds only the first.
DUPLICATE_IDS = """() => {
    const seen = {};
    for (const element of document.querySelectorAll("[id]")) {
        seen[element.id] = (seen[element.id] || 0) + 1;
    }
    return Object.entries(seen).filter(([, count]) => count > 1);
}"""
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 800}
BROWSER_LOCALES = {"pl": "pl-PL", "en": "en-GB"}


@dataclass
class Audit:
    """Runs the checks on the page open in `page` and collects what fails."""

    page: object
    language: str
    problems: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        self.audited.append(name)
        where = f"[{self.language}] {name} ({page.url})"
        lang = page.locator("html").get_attribute("lang")
        if lang != self.language:
            self.problems.append(f"{where}: <html lang> is {lang!r}")
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE)
        results = page.evaluate(AXE_RUN, AXE_OPTIONS)
        if results["passed"] < 10:  # axe did not really look at this page
            self.problems.append(f"{where}: axe passed only {results['passed']} rules")
        for violation in results["violations"]:
            self.problems.append(
                f"{where}: axe {violation['id']} ({violation['impact']}): {violation['help']}"
                f" — {', '.join(violation['nodes'][:8])}"
            )
        for element_id, count in page.evaluate(DUPLICATE_IDS):
            self.problems.append(f"{where}: id {element_id!r} used {count} times (WCAG 4.1.1)")
        page.set_viewport_size(NARROW)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            self.problems.append(f"{where}: scrolls sideways at 320 px ({width} px wide)")
        page.set_viewport_size(WIDE)

    def visit(self, name: str, url: str, *, status: int = 200) -> None:
        answered = self.page.goto(url).status
        if answered != status:
            self.problems.append(f"[{self.language}] {name}: GET {url} answered {answered}")
        self.check(name)


# --- the data ----------------------------------------------------------------------------------


def _bad_lines_feed(tmp_path: Path) -> Path:
    """A ZUS insurance file with a line the parser sets aside (a mistyped member PESEL)."""
    parent = make_person(born=date(1981, 4, 4), first_name="Marta", surname="Lis")
    line = {
        "event_id": "a11y-typo", "type": "family_member_registered",
        "insured_pesel": parent.pesel, "insured_first_name": "Marta", "insured_surname": "Lis",
        "member_pesel": "12345678901", "member_first_name": "Ola", "member_surname": "Lis",
        "valid_from": str(timezone.localdate() - timedelta(days=30)),
        "reported_on": str(timezone.localdate()),
    }  # fmt: skip
    path = tmp_path / "zus-a11y.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def world(db, tmp_path, parent, granted_guardian, child, support_user, clinic_user):
    """A parent with a child (documents, a booking to make), a child whose coverage ended, sick
    leaves, a request to ikp-pomoc with a reply and an attachment, a desk user holding it, a
    clinic with terms and an open visit, and a quarantined feed line."""
    today = timezone.localdate()
    insure(parent.person, child)
    make_grant(child, granted_guardian.person, by=parent)
    vanished = make_person(born=years_ago(8), first_name="Ola", surname="Kowalska")
    insure(parent.person, vanished, valid_to=add_months(today, -2))

    make_document(child, issued=today - timedelta(days=3), title="Morfologia krwi")
    discharge = make_document(
        child, issued=today - timedelta(days=90), type="discharge_summary",
        title="Karta informacyjna leczenia szpitalnego", author_name="dr Łucja Żółkiewska",
        body="Rozpoznanie: zapalenie płuc.\nZalecenia: dużo płynów, odpoczynek.",
    )  # fmt: skip
    make_leave(parent.person, issued_days_ago=2, length=7)
    make_leave(parent.person, issued_days_ago=30, kind="child_care", cared_person=child)

    clinic = make_clinic(name="Przychodnia Pod Lipami", city="Kraków", staff=[clinic_user])
    slot = make_slot(clinic, days_ahead=9, hour=9)
    make_slot(clinic, days_ahead=10, hour=11)
    record_dose(make_person(born=years_ago(12), first_name="Kasia", surname="Nowak"),
                on=today - timedelta(days=20), clinic=clinic, visit_open=True)  # fmt: skip

    TOTP.activate(support_user, SECRET)
    TOTP.activate(clinic_user, SECRET)
    ticket = ticket_open(
        category="child_access", description="Nie widzę konta córki od zmiany pracy.",
        requester=parent, person=child,
        files=(NewFile("skan.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 16),),
    )  # fmt: skip
    ticket_assign(ticket=ticket, by=support_user, to=support_user)
    staff_reply(ticket=ticket, staff=support_user, body="Proszę przesłać skan aktu urodzenia.",
                wait_for_patient=True)  # fmt: skip
    report = ticket_open(category="not_my_child", description="To nie jest moje dziecko.",
                         requester=parent, person=child)  # fmt: skip
    ticket_assign(ticket=report, by=support_user, to=support_user)
    someone = make_user(person=make_person(born=date(1977, 2, 2)))
    ticket_open(category="other", description="Nie mogę pobrać dokumentu.", requester=someone)

    ingest_file("zus-insurance", _bad_lines_feed(tmp_path))
    return {
        "parent": parent, "child": child, "vanished": vanished, "discharge": discharge,
        "clinic": clinic, "slot": slot, "ticket": ticket, "report": report,
        "support": support_user, "clinic_user": clinic_user,
    }  # fmt: skip


# --- the walks ---------------------------------------------------------------------------------


def _submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} [type=submit]").first.click()


def _log_in(audit: Audit, user, *, totp: bool = False) -> None:
    """Through the real login form (and allauth's TOTP step, audited on the way)."""
    page = audit.page
    page.goto("/konto/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    if totp:
        audit.check(f"login: TOTP code ({user.email})")
        page.locator("input[name=code]").fill(current_code())
        with page.expect_navigation():
            page.locator("input[name=code]").press("Enter")
    page.wait_for_url(lambda url: "/konto/" not in url)


def walk_as_visitor(audit: Audit, world) -> None:
    page = audit.page
    audit.visit("front page", "/")
    audit.visit("help", "/pomoc/")
    audit.visit("login", "/konto/login/")
    page.locator("input[name=login]").fill("nobody@example.test")
    page.locator("input[name=password]").fill("wrong password")
    _submit(page, "main form")
    audit.check("login: wrong password")
    audit.visit("login help", "/pomoc/logowanie/")
    audit.visit("error 404", "/nie-ma-takiej-strony/", status=404)


def walk_as_parent(audit: Audit, world) -> None:
    page, child, vanished = audit.page, world["child"], world["vanished"]
    _log_in(audit, world["parent"])
    audit.check("start page")
    audit.visit("sick leaves", "/historia-leczenia/zwolnienia/")
    audit.visit("permissions", "/uprawnienia/")
    audit.visit("authorisations", "/uprawnienia/upowaznienia/")
    audit.visit("children's accounts", "/uprawnienia/dzieci/")
    audit.visit("guardian list", f"/uprawnienia/dzieci/{child.public_id}/opiekunowie/")
    _submit(page, "main form:has(input[name=pesel])")
    audit.check("guardian list: form errors")
    audit.visit("not my child", f"/uprawnienia/dzieci/{child.public_id}/to-nie-moje-dziecko/")

    audit.visit("child-access help", "/pomoc/dostep-do-konta-dziecka/")
    page.locator("main input[name=pesel]").fill("123")
    _submit(page, "main form:has(input[name=pesel])")
    audit.check("child-access help: form errors")
    page.locator("main input[name=pesel]").fill(vanished.pesel)
    _submit(page, "main form:has(input[name=pesel])")
    audit.check("child-access result")
    page.locator("main textarea[name=description]").fill("Zmieniłem pracę i nie widzę konta córki.")
    _submit(page, "main form:has(textarea[name=description])")
    audit.check("child-access request sent")

    audit.visit("support requests", "/pomoc/zgloszenia/")
    audit.visit("support request", f"/pomoc/zgloszenia/{world['ticket'].public_id}/")
    audit.visit("new support request", "/pomoc/zgloszenia/nowe/")
    _submit(page, "main form")
    audit.check("new support request: form errors")

    page.goto("/uprawnienia/dzieci/")
    _submit(page, f"main form[action$='/{child.public_id}/przelacz/']")
    audit.check("start page: child's account")
    audit.visit("documents", "/historia-leczenia/dokumenty/")
    audit.visit("document", f"/historia-leczenia/dokumenty/{world['discharge'].public_id}/")
    audit.visit("access history", "/historia-dostepu/")
    audit.visit("vaccinations", "/profilaktyka/szczepienia/")
    audit.visit(
        "booking: nothing chosen", "/profilaktyka/szczepienia/umow/?szczepionka=", status=400
    )
    audit.visit("booking: vaccine", "/profilaktyka/szczepienia/umow/")
    page.locator("main input[value=HPV9]").check()
    _submit(page, "main form")
    audit.check("booking: terms")
    page.goto(f"/profilaktyka/szczepienia/umow/HPV9/?miasto={world['clinic'].city}")
    audit.check("booking: terms in a city")
    with page.expect_navigation():
        page.locator(f"main a[href*='{world['slot'].public_id}']").click()
    audit.check("booking: confirm")
    _submit(page, "main form")
    assert re.search(r"/wizyty/[0-9a-f-]{36}/$", page.url), f"booked, but on {page.url}"
    audit.check("appointment")
    audit.visit("appointment: cancel", page.url + "odwolaj/")
    audit.visit(
        "error 404 (logged in)", f"/historia-leczenia/dokumenty/{uuid.UUID(int=0)}/", status=404
    )


def walk_as_support(audit: Audit, world) -> None:
    page, ticket = audit.page, world["ticket"]
    _log_in(audit, world["support"], totp=True)
    audit.check("start page: staff")
    audit.visit("desk queue", "/obsluga/zgloszenia/")
    page.locator("main form[method=post] input[name=pesel]").fill(world["child"].pesel)
    _submit(page, "main form[method=post]:has(input[name=pesel])")
    audit.check("desk search by PESEL")
    audit.visit("desk ticket", f"/obsluga/zgloszenia/{ticket.public_id}/")
    _submit(page, "main form[action$='/notatka/']")
    audit.check("desk ticket: form errors")
    report = world["report"]
    audit.visit("desk ticket: not-my-child report", f"/obsluga/zgloszenia/{report.public_id}/")
    audit.visit("desk person", f"/obsluga/zgloszenia/{ticket.public_id}/osoba/")
    audit.visit("desk grant", f"/obsluga/zgloszenia/{ticket.public_id}/opiekun/")
    _submit(page, "main form")
    audit.check("desk grant: form errors")
    audit.visit("sync monitor", "/obsluga/synchronizacja/")
    with page.expect_navigation():
        page.locator("main a[href*='/kwarantanna/']").first.click()
    audit.check("quarantined line")


def walk_as_clinic(audit: Audit, world) -> None:
    page, clinic = audit.page, world["clinic"]
    _log_in(audit, world["clinic_user"], totp=True)
    audit.visit("clinic home", "/obsluga/przychodnia/")
    audit.visit("clinic terms", f"/obsluga/przychodnia/{clinic.public_id}/terminy/")
    audit.visit("clinic open visits", f"/obsluga/przychodnia/{clinic.public_id}/wizyty-otwarte/")
    audit.visit("clinic: record a dose", f"/obsluga/przychodnia/{clinic.public_id}/szczepienie/")
    _submit(page, "main form")
    audit.check("clinic: record a dose, form errors")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_page_type_passes_axe_and_fits_320_px(chromium, live_server, world, language):
    context = chromium.new_context(
        base_url=live_server.url, viewport=WIDE, locale=BROWSER_LOCALES[language]
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        audit = Audit(page, language)
        for walk in (walk_as_visitor, walk_as_parent, walk_as_support, walk_as_clinic):
            # The next person at the same browser: logged out, with the language chosen.
            context.clear_cookies()
            context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
            )
            walk(audit, world)
    finally:
        context.close()

    print(f"[{language}] audited {len(audit.audited)} pages: {', '.join(audit.audited)}")
    for problem in audit.problems:
        print(problem)
    assert len(audit.audited) >= 50
    summary = f"{len(audit.problems)} accessibility problems:\n" + "\n".join(audit.problems)
    assert not audit.problems, summary


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_audit_reports_what_it_should(page):
    """The harness itself: a control without a label, a repeated id and a too-wide block are
    all reported, so a silent failure of the axe injection cannot pass for a clean site."""
    audit = Audit(page, "pl")
    page.set_viewport_size(WIDE)
    page.goto("/")
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend", '<input type="text" name="unlabelled">');
            main.insertAdjacentHTML("beforeend", '<p id="twice">1</p><p id="twice">2</p>');
            const wide = main.appendChild(document.createElement("div"));
            wide.textContent = "wide";
            wide.style.width = "600px";  // through the CSSOM: the CSP forbids style attributes
        }"""
    )
    audit.check("front page with planted problems")

    assert any("axe label " in problem for problem in audit.problems), audit.problems
    assert any("id 'twice' used 2 times" in problem for problem in audit.problems), audit.problems
    assert any("scrolls sideways at 320 px" in problem for problem in audit.problems), (
        audit.problems
    )
