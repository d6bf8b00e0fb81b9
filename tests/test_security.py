"""Security checks as tests (issue #7, point 4): what the other test files do not already prove.

Already proved elsewhere, and not repeated here:
- production settings pass `check --deploy`; a CSP without inline script, frame denial, referrer
  policy and nosniff on `/`, the login page and `/healthz`; the session, CSRF and language
  cookies HttpOnly and SameSite=Lax under test settings: ikp/tests/test_settings.py;
- failed logins for one e-mail trip after 5 and recover after 5 minutes, 31 login posts from
  one address get a 429, sessions end after 15 idle minutes and 12 hours after login:
  accounts/tests/test_mfa_and_sessions.py;
- the login-help request form's limits trip and recover: support/tests/test_login_help.py.

Here, under the production security settings (read from a process started with
DJANGO_ENV=production) where it matters:
- plain HTTP is redirected, HTTPS carries HSTS; production keeps the 15 idle minutes; the
  container's health check still gets its 200;
- headers on every page: every URL pattern of ours (and allauth's pages) requested with GET by
  each kind of actor through the proxy's HTTPS header: CSP without inline script, frame denial,
  referrer policy, nosniff, HSTS, and no script the CSP would have to allow inline;
- every cookie set is Secure, HttpOnly and SameSite;
- the per-address login limits and the second-factor code limit trip and recover;
- no PESEL in any URL, log line (every logger, at DEBUG), error page or e-mail that a broad run
  through the PESEL-handling flows produces; a 500 whose exception names a PESEL shows neither
  it nor a traceback, and logs no PESEL; no admin search travels with a PESEL in its URL.
"""

import copy
import json
import logging
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, path

from accounts.models import Person
from conftest import (
    PASSWORD,
    hpv9,
    insure,
    make_clinic,
    make_grant,
    make_person,
    make_slot,
    record_dose,
    years_ago,
)
from feeds.models import QuarantinedLine
from feeds.runner import ingest_file
from ikp.tests.test_settings import BASE_DIR, manage, production_env
from records.models import Document
from support.services import NewFile, ticket_assign, ticket_open
from tests import url_coverage
from vaccinations.models import Appointment

WARSAW = ZoneInfo("Europe/Warsaw")
# What the TLS-terminating proxy adds to each request (SECURE_PROXY_SSL_HEADER).
HTTPS = {"X-Forwarded-Proto": "https"}
ONE_YEAR = 365 * 24 * 3600

# --- production security settings ---------------------------------------------------------------

# Everything that decides headers, redirects and cookie flags. Read from a process started with
# DJANGO_ENV=production (settings are read once per process), then applied to this one.
PRODUCTION_KEYS = (
    "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SECURE_CSP", "SECURE_CSP_REPORT_ONLY", "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_AGE",
    "SESSION_SAVE_EVERY_REQUEST", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE", "CSRF_USE_SESSIONS", "LANGUAGE_COOKIE_SECURE", "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE", "MESSAGE_STORAGE",
)  # fmt: skip


@pytest.fixture(scope="module")
def production_security() -> dict:
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {PRODUCTION_KEYS!r}}}))"
    )
    result = manage("shell", "-c", code, env=production_env())
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture
def production(settings, production_security) -> dict:
    """This process with the production security settings. Apply before a client's first request:
    SecurityMiddleware reads its settings when the handler loads the middleware."""
    for key, value in production_security.items():
        setattr(settings, key, value)
    return production_security


def test_production_redirects_plain_http_to_https_without_hsts(production, db):
    response = Client().get("/pomoc/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/pomoc/"
    assert "Strict-Transport-Security" not in response  # HSTS is only meaningful over HTTPS


def test_production_hsts_covers_subdomains_for_at_least_a_year(production, db):
    response = Client(headers=HTTPS).get("/pomoc/")

    assert response.status_code == 200
    assert_hsts(response)
    assert "preload" in response["Strict-Transport-Security"]


def test_production_sessions_end_after_15_idle_minutes(production_security):
    """The idle limit itself is proved in accounts/tests/test_mfa_and_sessions.py under test
    settings; here, that production runs with the same settings."""
    assert production_security["SESSION_COOKIE_AGE"] == 15 * 60
    assert production_security["SESSION_SAVE_EVERY_REQUEST"] is False  # slid by SessionRefreshMiddleware


def test_the_containers_health_check_passes_under_production_settings(
    production, settings, monkeypatch, db
):
    """docker-compose.yml's health check asks the web container for /healthz over plain HTTP on
    its own address. Its Python runs here as written, its urlopen answered by this process under
    production settings (ALLOWED_HOSTS the public name): anything but a 200 (a 400 for the host,
    a redirect to HTTPS, which the container's plain port cannot serve) leaves the container
    unhealthy for good."""
    import urllib.error
    import urllib.request

    import yaml

    def urlopen(request, *args, **kwargs):
        request = urllib.request.Request(request) if isinstance(request, str) else request
        url, headers = urlsplit(request.full_url), dict(request.header_items())
        headers.setdefault("Host", url.netloc)
        response = Client(raise_request_exception=False, headers=headers).get(url.path)
        if response.status_code != 200:
            raise urllib.error.HTTPError(request.full_url, response.status_code, "", {}, None)
        return response

    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    command = compose["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"], command
    # The public name, as production_env and an .env file for docker-compose set it.
    settings.ALLOWED_HOSTS = ["ikp.example"]
    monkeypatch.setenv("ALLOWED_HOSTS", "ikp.example")
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)

    exec(command[3], {})  # noqa: S102  (the check as written; raises HTTPError unless it gets its 200)


# --- header checks --------------------------------------------------------------------------------

SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def hsts_problem(response) -> str | None:
    hsts = response.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    if max_age is None or int(max_age.group(1)) < ONE_YEAR or "includeSubDomains" not in hsts:
        return f"HSTS {hsts!r}"
    return None


def assert_hsts(response) -> None:
    assert hsts_problem(response) is None, hsts_problem(response)


def header_problems(response) -> list[str]:
    """What is missing or too weak in one response's security headers (empty: all well)."""
    problems = []
    header = response.get("Content-Security-Policy")
    if header is None:
        problems.append("no Content-Security-Policy")
    else:
        directives = csp_directives(header)
        scripts = directives.get("script-src", directives.get("default-src", []))
        for weak in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
            if weak in scripts:
                problems.append(f"script-src allows {weak}")
        if not scripts:
            problems.append("CSP without script-src or default-src")
        if directives.get("object-src") != ["'none'"]:
            problems.append(f"object-src {directives.get('object-src')}")
        framing_denied = directives.get("frame-ancestors") == ["'none'"]
    if response.get("X-Frame-Options") != "DENY" and not (header and framing_denied):
        problems.append("framing not denied")
    if response.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {response.get('Referrer-Policy')!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if (problem := hsts_problem(response)) is not None:
        problems.append(problem)
    return problems


INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
# A data block (<script type="application/json">) is never run: the CSP does not apply to it.
DATA_BLOCK = re.compile(r"""\stype=["']application/(ld\+)?json["']""", re.IGNORECASE)


def script_problem(tag: str, nonces: set[str]) -> str | None:
    """A script from elsewhere ('self' only), or an inline one without the response's nonce."""
    nonce = re.search(r'\snonce="([^"]+)"', tag)
    if nonce is not None and nonce.group(1) in nonces:
        return None
    source = re.search(r"""\ssrc=["']([^"']*)["']""", tag)
    if source is not None:
        same_origin = source.group(1).startswith("/") and not source.group(1).startswith("//")
        return None if same_origin else f"script from another origin: {tag}"
    return None if DATA_BLOCK.search(tag) else f"inline script without the response's nonce: {tag}"


def html_problems(response) -> list[str]:
    """Script the page's CSP would block: an inline <script> without the response's nonce, one
    from another origin, an inline event handler, a javascript: link. Each would tempt someone to
    loosen the CSP."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    page = response.content.decode(errors="replace")
    scripts = csp_directives(response.get("Content-Security-Policy", "")).get("script-src", [])
    nonces = {word[len("'nonce-") : -1] for word in scripts if word.startswith("'nonce-")}
    problems = []
    for tag in re.findall(r"<script\b[^>]*>", page, re.IGNORECASE):
        if (problem := script_problem(tag, nonces)) is not None:
            problems.append(problem)
    problems += [f"inline event handler: {m.group(0)[:80]}" for m in INLINE_HANDLER.finditer(page)]
    if re.search(r"""(href|src|action)\s*=\s*["']\s*javascript:""", page, re.IGNORECASE):
        problems.append("javascript: URL")
    return problems


def cookie_problems(response) -> list[str]:
    """Every cookie set (not deleted) must be Secure, HttpOnly and SameSite Lax or Strict."""
    problems = []
    for name, morsel in response.cookies.items():
        if morsel.value == "" and morsel["max-age"] == 0:
            continue  # a deletion: nothing left to protect
        if not morsel["secure"]:
            problems.append(f"cookie {name} not Secure")
        if not morsel["httponly"]:
            problems.append(f"cookie {name} not HttpOnly")
        if str(morsel["samesite"]).lower() not in {"lax", "strict"}:
            problems.append(f"cookie {name} SameSite={morsel['samesite']!r}")
    return problems


# --- the world and every URL pattern ----------------------------------------------------------------


@pytest.fixture
def world(db, tmp_path, parent, granted_guardian, stranger, support_user, clinic_user, child):
    """One of everything a path parameter can name, reachable by the walking actors: the parent's
    insured child (shared with a guardian), the parent's authorisation of a stranger, the child's
    document and appointment, the parent's request (with a file) assigned to the support user,
    the clinic user's clinic with a free slot and an open visit, a quarantined feed line."""
    insure(parent.person, child)
    grant = make_grant(child, granted_guardian.person, by=parent)
    authorisation = make_grant(
        parent.person, stranger.person, kind="authorisation", source="patient", by=parent
    )
    for user in (support_user, clinic_user):
        TOTP.activate(user, generate_totp_secret())
    clinic = make_clinic(staff=[clinic_user])
    free_slot = make_slot(clinic, hour=14)
    open_dose = record_dose(child, on=years_ago(0, months=1), clinic=clinic, visit_open=True)
    appointment = Appointment.objects.create(
        child=child, slot=make_slot(clinic), vaccine=hpv9(), dose_number=2, booked_by=parent
    )
    document = Document.objects.create(
        document_id="security-walk", person=child, type="lab_result", title="Morfologia",
        issued_at="2025-01-02T09:00:00Z", facility_name="Laboratorium", author_name="lek. A", body="W normie.",
    )  # fmt: skip
    ticket = ticket_open(
        category="child_access", description="Nie widzę konta dziecka", requester=parent, person=child,
        files=(NewFile("skan.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 16),),
    )  # fmt: skip
    ticket_assign(ticket=ticket, by=support_user, to=support_user)
    broken = tmp_path / "zus-security.jsonl"
    broken.write_text('{"event_id": "broken"\n', encoding="utf-8")
    ingest_file("zus-insurance", broken)
    return {
        "users": {"parent": parent, "support": support_user, "clinic": clinic_user},
        "ids": {
            "child": child.public_id, "grant": grant.public_id, "authorisation": authorisation.public_id,
            "document": document.public_id, "appointment": appointment.public_id, "free_slot": free_slot.public_id,
            "clinic": clinic.public_id, "open_dose": open_dose.public_id, "ticket": ticket.public_id,
            "attachment": ticket.attachments.get().public_id, "line": QuarantinedLine.objects.get().public_id,
            "vaccine": "HPV9", "bogus": uuid.uuid4().hex,
        },
    }  # fmt: skip


# Every pattern with a path parameter, and the path that fills it from the world. A pattern
# added later without a row here fails `test_every_page_pattern_can_be_filled`.
FILLED = {
    "uprawnienia/dzieci/<uuid:public_id>/przelacz/": "/uprawnienia/dzieci/{child}/przelacz/",
    "uprawnienia/dzieci/<uuid:public_id>/opiekunowie/": "/uprawnienia/dzieci/{child}/opiekunowie/",
    "uprawnienia/dzieci/<uuid:public_id>/opiekunowie/<uuid:grant_id>/odwolaj/":
        "/uprawnienia/dzieci/{child}/opiekunowie/{grant}/odwolaj/",
    "uprawnienia/dzieci/<uuid:public_id>/to-nie-moje-dziecko/": "/uprawnienia/dzieci/{child}/to-nie-moje-dziecko/",
    "uprawnienia/upowaznienia/<uuid:grant_id>/odwolaj/": "/uprawnienia/upowaznienia/{authorisation}/odwolaj/",
    "historia-leczenia/dokumenty/<uuid:public_id>/": "/historia-leczenia/dokumenty/{document}/",
    "historia-leczenia/dokumenty/<uuid:public_id>/pdf/": "/historia-leczenia/dokumenty/{document}/pdf/",
    "profilaktyka/szczepienia/umow/termin/<uuid:slot_id>/": "/profilaktyka/szczepienia/umow/termin/{free_slot}/",
    "profilaktyka/szczepienia/umow/<str:vaccine_code>/": "/profilaktyka/szczepienia/umow/{vaccine}/",
    "profilaktyka/szczepienia/wizyty/<uuid:public_id>/": "/profilaktyka/szczepienia/wizyty/{appointment}/",
    "profilaktyka/szczepienia/wizyty/<uuid:public_id>/odwolaj/":
        "/profilaktyka/szczepienia/wizyty/{appointment}/odwolaj/",
    "obsluga/przychodnia/<uuid:clinic_id>/terminy/": "/obsluga/przychodnia/{clinic}/terminy/",
    "obsluga/przychodnia/<uuid:clinic_id>/terminy/<uuid:slot_id>/wycofaj/":
        "/obsluga/przychodnia/{clinic}/terminy/{free_slot}/wycofaj/",
    "obsluga/przychodnia/<uuid:clinic_id>/wizyty-otwarte/": "/obsluga/przychodnia/{clinic}/wizyty-otwarte/",
    "obsluga/przychodnia/<uuid:clinic_id>/wizyty-otwarte/<uuid:dose_id>/zamknij/":
        "/obsluga/przychodnia/{clinic}/wizyty-otwarte/{open_dose}/zamknij/",
    "obsluga/przychodnia/<uuid:clinic_id>/szczepienie/": "/obsluga/przychodnia/{clinic}/szczepienie/",
    "pomoc/zgloszenia/<uuid:public_id>/": "/pomoc/zgloszenia/{ticket}/",
    "pomoc/zgloszenia/<uuid:public_id>/odpowiedz/": "/pomoc/zgloszenia/{ticket}/odpowiedz/",
    "pomoc/zgloszenia/<uuid:public_id>/otworz-ponownie/": "/pomoc/zgloszenia/{ticket}/otworz-ponownie/",
    "pomoc/zgloszenia/<uuid:public_id>/zalaczniki/<uuid:attachment_id>/":
        "/pomoc/zgloszenia/{ticket}/zalaczniki/{attachment}/",
    "obsluga/zgloszenia/<uuid:public_id>/": "/obsluga/zgloszenia/{ticket}/",
    "obsluga/zgloszenia/<uuid:public_id>/przypisz/": "/obsluga/zgloszenia/{ticket}/przypisz/",
    "obsluga/zgloszenia/<uuid:public_id>/odpowiedz/": "/obsluga/zgloszenia/{ticket}/odpowiedz/",
    "obsluga/zgloszenia/<uuid:public_id>/notatka/": "/obsluga/zgloszenia/{ticket}/notatka/",
    "obsluga/zgloszenia/<uuid:public_id>/status/": "/obsluga/zgloszenia/{ticket}/status/",
    "obsluga/zgloszenia/<uuid:public_id>/osoba/": "/obsluga/zgloszenia/{ticket}/osoba/",
    "obsluga/zgloszenia/<uuid:public_id>/synchronizacja/": "/obsluga/zgloszenia/{ticket}/synchronizacja/",
    "obsluga/zgloszenia/<uuid:public_id>/opiekun/": "/obsluga/zgloszenia/{ticket}/opiekun/",
    "obsluga/zgloszenia/<uuid:public_id>/to-nie-moje-dziecko/": "/obsluga/zgloszenia/{ticket}/to-nie-moje-dziecko/",
    "obsluga/zgloszenia/<uuid:public_id>/zalaczniki/<uuid:attachment_id>/":
        "/obsluga/zgloszenia/{ticket}/zalaczniki/{attachment}/",
    "obsluga/synchronizacja/kwarantanna/<uuid:public_id>/": "/obsluga/synchronizacja/kwarantanna/{line}/",
    # allauth's: a link from an e-mail with a key nobody issued, a provider that is not configured.
    r"konto/^confirm-email/(?P<key>[-:\w]+)/$": "/konto/confirm-email/{bogus}/",
    r"konto/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": "/konto/password/reset/key/1-{bogus}/",
    r"konto/oidc/^(?P<provider_id>[^/]+)/login/": "/konto/oidc/wezel/login/",
    r"konto/oidc/^(?P<provider_id>[^/]+)/login/callback/": "/konto/oidc/wezel/login/callback/",
}  # fmt: skip

PAGE_MODULES = (*url_coverage.OWN_MODULES, "allauth")


def page_patterns() -> list[str]:
    """The route of every URL pattern of ours and of allauth's pages. Not the admin's (Django's
    own pages, a few with our hooks): no actor of the walk may open them."""
    routes = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if route.startswith("admin/"):
                continue
            if isinstance(entry, URLResolver):
                walk(entry, route)
            elif getattr(entry.callback, "__module__", "").split(".")[0] in PAGE_MODULES:
                routes.append(route)

    walk(get_resolver(), "")
    return routes


def has_parameter(route: str) -> bool:
    return "<" in route or "(?P" in route


def page_urls(ids: dict) -> list[str]:
    urls = []
    for route in page_patterns():
        if has_parameter(route):
            urls.append(FILLED[route].format(**ids))
        else:
            urls.append("/" + route)
    return sorted(set(urls))


def test_every_page_pattern_can_be_filled():
    missing = [route for route in page_patterns() if has_parameter(route) and route not in FILLED]

    assert not missing, f"add these to FILLED so the header walk requests them: {missing}"
    assert len(page_patterns()) > 60, "the walk found the project's patterns"


WALKERS = ["anonymous", "parent", "parent_acting_for_child", "support", "clinic"]


def walking_client(world, who: str) -> Client:
    client = Client(headers=HTTPS, raise_request_exception=False)
    user = world["users"].get(who.removesuffix("_acting_for_child"))
    if user is not None:
        client.force_login(user)
    if who == "parent_acting_for_child":
        switched = client.post(f"/uprawnienia/dzieci/{world['ids']['child']}/przelacz/")
        assert switched.status_code == 302, "the parent now acts for the child"
    return client


@pytest.mark.parametrize("who", WALKERS)
def test_every_page_carries_the_security_headers_in_production(production, world, who):
    """GET every page pattern as this actor: whatever the answer (a page, a redirect to log in, a
    403, a 405 for a POST-only URL, a PDF), its headers protect it; no page fails with a 500."""
    client = walking_client(world, who)
    problems, statuses = {}, {}

    for url in page_urls(world["ids"]):
        response = client.get(url)
        statuses[url] = response.status_code
        found = header_problems(response) + html_problems(response) + cookie_problems(response)
        if response.status_code >= 500:
            found.append(f"status {response.status_code}")
        if found:
            problems[url] = found

    assert not problems, json.dumps(problems, indent=1)
    reached = [url for url, status in statuses.items() if status == 200]
    assert len(reached) >= 8, statuses  # pages were shown, not only refused


def test_no_admin_search_or_filter_takes_a_pesel():
    """The admin's search box and list filters are GET forms: a PESEL typed there would travel in
    the query string into every access log on the way."""
    from django.contrib import admin

    offending = []
    for model, model_admin in admin.site._registry.items():
        fields = [*model_admin.search_fields, *(f if isinstance(f, str) else f[0] for f in model_admin.list_filter
                                                if isinstance(f, (str, tuple)))]  # fmt: skip
        offending += [f"{model.__name__}: {field}" for field in fields if "pesel" in field.lower()]

    assert not offending


# --- cookies --------------------------------------------------------------------------------------


def test_every_cookie_is_secure_http_only_and_same_site_in_production(production, parent):
    """Log in, switch the language, log out: the session, CSRF, language and messages ("You have
    signed out.") cookies, each as the production settings set it."""
    client = Client(headers=HTTPS)
    responses = [client.get("/konto/login/")]
    responses.append(client.post("/konto/login/", {"login": parent.email, "password": PASSWORD}))
    responses.append(client.post("/i18n/setlang/", {"language": "en", "next": "/"}))
    responses.append(client.post("/konto/logout/"))

    cookies = {name for response in responses for name in response.cookies}
    assert {
        django_settings.SESSION_COOKIE_NAME, django_settings.CSRF_COOKIE_NAME,
        django_settings.LANGUAGE_COOKIE_NAME, "messages",
    } <= cookies, cookies  # fmt: skip
    assert [problem for response in responses for problem in cookie_problems(response)] == []


# --- rate limits ---------------------------------------------------------------------------------


def password_login(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/konto/login/", {"login": email, "password": password}, **extra)


def logged_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


@pytest.fixture
def clock():
    """A frozen clock at the start of a minute: the limits' windows start with the test."""
    start = datetime.now(WARSAW).replace(second=0, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def test_the_per_address_login_limit_lifts_after_a_minute(client, clock, parent):
    address = {"REMOTE_ADDR": "203.0.113.20"}
    for i in range(30):
        password_login(client, f"nobody{i}@example.test", "wrong-password", **address)
    assert password_login(client, parent.email, **address).status_code == 429

    clock.shift(timedelta(seconds=61))

    assert password_login(client, parent.email, **address).status_code == 302
    assert logged_in_user_id(client) == parent.pk


def test_failed_logins_for_many_emails_from_one_address_trip_at_10_and_recover(
    client, clock, parent
):
    """The per-address part of login_failed (10/m/ip): guessing passwords across many accounts."""
    address = {"REMOTE_ADDR": "203.0.113.21", "HTTP_ACCEPT_LANGUAGE": "en"}
    for i in range(10):
        assert password_login(client, f"guess{i}@example.test", "bad", **address).status_code == 200

    refused = password_login(client, parent.email, **address)

    assert "Too many failed login attempts" in refused.content.decode()
    assert logged_in_user_id(client) is None, "even the right password is refused while limited"
    elsewhere = password_login(client, parent.email, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302, "other addresses log in"
    client.post("/konto/logout/")

    clock.shift(timedelta(seconds=61))

    assert password_login(client, parent.email, **address).status_code == 302
    assert logged_in_user_id(client) == parent.pk


def totp_code(secret: str) -> str:
    return format_hotp_value(
        hotp_value(secret, int(datetime.now().timestamp()) // mfa_settings.TOTP_PERIOD)
    )


def test_wrong_second_factor_codes_trip_after_5_and_recover_after_5_minutes(
    client, clock, support_user
):
    """Six digits fall to guessing without a limit: allauth counts wrong codes per login."""
    secret = generate_totp_secret()
    TOTP.activate(support_user, secret)
    assert password_login(client, support_user.email)["Location"] == "/konto/2fa/authenticate/"
    wrong = f"{(int(totp_code(secret)) + 1) % 10**6:06d}"
    for _ in range(5):
        assert client.post("/konto/2fa/authenticate/", {"code": wrong}).status_code == 200

    refused = client.post(
        "/konto/2fa/authenticate/", {"code": totp_code(secret)}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert refused.status_code == 200
    assert "Too many failed login attempts" in refused.content.decode()
    assert logged_in_user_id(client) is None, "even the right code is refused while limited"

    clock.shift(timedelta(minutes=5, seconds=1))  # a fresh code, too: the refused one is not reused

    assert client.post("/konto/2fa/authenticate/", {"code": totp_code(secret)}).status_code == 302
    assert logged_in_user_id(client) == support_user.pk


# --- no PESEL in URLs, log lines or error pages --------------------------------------------------


class LogRecorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        """Each record as the project's own log handler (LOGGING's, on the root) would write it:
        through that handler's filters and formatter, so a redaction configured there counts. The
        exception with its traceback and any stack are part of the line."""
        writers = [h for h in logging.getLogger().handlers
                   if h is not self and not type(h).__module__.startswith("_pytest")]  # fmt: skip
        writer = writers[0] if writers else logging.StreamHandler()
        lines = []
        for record in self.records:
            record = copy.copy(record)
            kept = writer.filter(record)
            if kept:
                lines.append(writer.format(kept if isinstance(kept, logging.LogRecord) else record))
        return lines


@pytest.fixture
def every_log_record():
    """Every record of every logger at DEBUG: the root's and, because they do not pass records on
    to it, those of loggers that do not propagate (django.server among them)."""
    for name in ("django.request", "django.server", "django.security.csrf", "django.template"):
        logging.getLogger(name)  # exist even if nothing has logged to them yet
    root = logging.getLogger()
    loggers = [
        root,
        *(lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)),
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    recorder = LogRecorder()
    for lg in loggers:
        if lg is root or lg.level != logging.NOTSET:
            lg.setLevel(logging.DEBUG)
        lg.disabled = False
        if lg is root or not lg.propagate:
            lg.addHandler(recorder)
    yield recorder
    for lg, level, disabled in saved:
        lg.setLevel(level)
        lg.disabled = disabled
        lg.removeHandler(recorder)


class RecordingClient(Client):
    """A test client that keeps every response it gets, the ones of followed redirects too."""

    def __init__(self, seen: list, **kwargs):
        super().__init__(raise_request_exception=False, **kwargs)
        self.seen = seen

    def request(self, **request):
        response = super().request(**request)
        self.seen.append(response)
        return response


def requested_url(response) -> str:
    query = response.request.get("QUERY_STRING", "")
    return response.request["PATH_INFO"] + (f"?{query}" if query else "")


def is_error_page(response) -> bool:
    if response.status_code >= 400:
        return True
    content_type = response.get("Content-Type", "")
    return content_type.startswith("text/html") and b"govuk-error-message" in response.content


TEXTAREA = re.compile(r"(<textarea\b[^>]*>).*?(</textarea>)", re.DOTALL | re.IGNORECASE)
INPUT_VALUE = re.compile(r"""(<input\b[^>]*?\svalue=)(["'])(.*?)\2""", re.DOTALL | re.IGNORECASE)


def page_less_form_input(page: str) -> str:
    """What an error page says, less what its form carries: input values and text areas."""
    return INPUT_VALUE.sub(r"\1\2\2", TEXTAREA.sub(r"\1\2", page))


def refilled_values(page: str) -> str:
    """The values an error page puts back into its inputs. Not the text areas: the user's own
    words, sent back to be corrected (the login-help form refuses a description holding a PESEL
    and shows it to be edited)."""
    return "\n".join(match.group(3) for match in INPUT_VALUE.finditer(page))


def leaks_in(pesels: set[str], places: list[tuple[str, str]]) -> list[str]:
    return [
        f"{where}: PESEL {pesel}" for where, text in places for pesel in pesels if pesel in text
    ]


def urls_of(run) -> list[tuple[str, str]]:
    """Every requested URL and every redirect's Location: what access logs and proxies keep."""
    places = []
    for response in run["responses"]:
        url = requested_url(response)
        places += [(f"URL {url}", url), (f"Location from {url}", response.get("Location", ""))]
    return places


def _error_pages(run):
    for response in run["responses"]:
        if is_error_page(response):
            yield (
                f"{response.status_code} page of {requested_url(response)}",
                response.content.decode(errors="replace"),
            )


def error_pages_of(run) -> list[tuple[str, str]]:
    """The text of every error page: its messages, headings, everything but the form's values."""
    return [(where, page_less_form_input(page)) for where, page in _error_pages(run)]


def refilled_fields_of(run) -> list[tuple[str, str]]:
    """The form fields an error page fills in again. guardianship.forms.PeselInput states the
    project's rule: a typed PESEL is never sent back to the browser (pages, caches, screenshots)."""
    return [(f"field on the {where}", refilled_values(page)) for where, page in _error_pages(run)]


def log_lines_of(run) -> list[tuple[str, str]]:
    return [(f"log line {line[:120]!r}", line) for line in run["log_lines"]]


def mails_of(run) -> list[tuple[str, str]]:
    return [
        (f"mail {m.subject!r}", f"{m.subject}\n{m.body}\n{getattr(m, 'alternatives', '')}")
        for m in run["mails"]
    ]


def typo(pesel: str) -> str:
    """The PESEL with its last digit changed: a wrong check digit, as after a slip of the finger."""
    return pesel[:-1] + str((int(pesel[-1]) + 1) % 10)


@pytest.fixture
def pesel_cast(parent, other_parent, stranger, support_user, clinic_user, child):
    """The insuring parent with a child they see and a child that vanished from their account
    (coverage ended two months ago), the other parent, a stranger, staff with TOTP, a clinic."""
    from django.utils import timezone

    from accounts.rules import add_months, build_pesel

    insure(parent.person, child)
    vanished = make_person(born=years_ago(12), first_name="Ola", surname="Kowalska")
    insure(parent.person, vanished, valid_to=add_months(timezone.localdate(), -2))
    for user in (support_user, clinic_user):
        TOTP.activate(user, generate_totp_secret())
    unknown = build_pesel(years_ago(11), sex="F", serial=987)
    assert not Person.objects.filter(pesel=unknown).exists()
    return {
        "parent": parent, "other_parent": other_parent, "stranger": stranger, "support": support_user,
        "clinic_user": clinic_user, "child": child, "vanished": vanished, "unknown": unknown,
        "clinic": make_clinic(staff=[clinic_user]),
    }  # fmt: skip


def parent_flows(client, cast) -> None:
    """Child-access help, adding a guardian, authorising a person: each also with a refusal."""
    me, other = cast["parent"].person, cast["other_parent"].person
    stranger = cast["stranger"].person
    child, vanished = cast["child"], cast["vanished"]
    help_url = "/pomoc/dostep-do-konta-dziecka/"
    guardians_url = f"/uprawnienia/dzieci/{child.public_id}/opiekunowie/"
    client.force_login(cast["parent"])
    client.get(help_url)
    for pesel in (vanished.pesel, cast["unknown"], typo(vanished.pesel), me.pesel, child.pesel):
        client.post(help_url, {"pesel": pesel})
    ticket = {"pesel": vanished.pesel, "description": "Zmieniłem pracę."}
    sent = client.post(f"{help_url}zgloszenie/", ticket)
    assert sent.status_code == 200 and b"govuk-panel--confirmation" in sent.content

    client.get(guardians_url)
    confirmed = {"legal_guardian_confirmed": "on"}
    for data in (
        {"surname": "Zły", "pesel": other.pesel},  # without the legal-guardian confirmation
        {"surname": "Zły", "pesel": other.pesel, **confirmed},  # wrong surname
        {"surname": vanished.surname, "pesel": vanished.pesel, **confirmed},  # a minor
        {"surname": me.surname, "pesel": me.pesel, **confirmed},  # oneself
        {"surname": other.surname, "pesel": typo(other.pesel), **confirmed},
        {"surname": other.surname, "pesel": other.pesel, **confirmed},  # saved
        {"surname": other.surname, "pesel": other.pesel, **confirmed},  # already on the list
    ):
        client.post(guardians_url, data)
    for data in (
        {"surname": stranger.surname, "pesel": stranger.pesel},
        {"surname": stranger.surname, "pesel": stranger.pesel},  # already authorised
        {"surname": me.surname, "pesel": me.pesel},  # oneself
    ):
        client.post("/uprawnienia/upowaznienia/", data)
    client.get(f"/uprawnienia/dzieci/{uuid.uuid4()}/opiekunowie/")  # 404
    client.get(f"/historia-leczenia/dokumenty/{uuid.uuid4()}/")  # 404


def support_flows(client, cast) -> None:
    """The desk: search by PESEL, take the vanished child's request, read the person, grant."""
    from support.models import Ticket

    parent, vanished = cast["parent"].person, cast["vanished"]
    client.force_login(cast["support"])
    client.get("/obsluga/zgloszenia/")
    for pesel in (parent.pesel, vanished.pesel, cast["unknown"], typo(parent.pesel)):
        client.post("/obsluga/zgloszenia/szukaj/", {"pesel": pesel})
    ticket = Ticket.objects.get(person=vanished)
    client.get("/obsluga/zgloszenia/szukaj/", {"numer": ticket.number}, follow=True)
    desk = f"/obsluga/zgloszenia/{ticket.public_id}/"
    client.post(f"{desk}przypisz/", {"me": "1"}, follow=True)
    client.get(f"{desk}osoba/")
    client.get(f"{desk}opiekun/")
    justification = "Akt urodzenia dziecka sprawdzony: matka, opiekun prawny."
    for data in (
        {"grantee_surname": "Zły", "grantee_pesel": parent.pesel, "documents_checked": "on"},  # no justification
        {"grantee_surname": parent.surname, "grantee_pesel": parent.pesel, "justification": justification},  # unchecked
        {"grantee_surname": "Zły", "grantee_pesel": parent.pesel, "documents_checked": "on", "justification": justification},
        {"grantee_surname": parent.surname, "grantee_pesel": typo(parent.pesel), "documents_checked": "on",
         "justification": justification},
        {"grantee_surname": parent.surname, "grantee_pesel": parent.pesel, "documents_checked": "on",
         "justification": justification},
    ):  # fmt: skip
        client.post(f"{desk}opiekun/", data, follow=True)


def clinic_flows(client, cast) -> None:
    """Record a dose given at the clinic: unknown PESEL, wrong surname, a typo, then the dose."""
    from django.utils import timezone

    child, today = cast["child"], timezone.localdate()
    url = f"/obsluga/przychodnia/{cast['clinic'].public_id}/szczepienie/"
    client.force_login(cast["clinic_user"])
    client.get(url)
    dose = {"vaccine": hpv9().pk, "administered_on": today.isoformat(), "close_visit": "on"}
    tomorrow = (today + timedelta(days=1)).isoformat()
    for data in (
        {"pesel": cast["unknown"], "surname": "Kowalska"},
        {"pesel": child.pesel, "surname": "Zła"},
        {"pesel": typo(child.pesel), "surname": child.surname},
        {"pesel": child.pesel, "surname": child.surname, "administered_on": tomorrow},
        {"pesel": child.pesel, "surname": child.surname},
    ):
        client.post(url, {**dose, **data}, follow=True)


def anonymous_flows(client, clock, cast) -> None:
    """Login help with a PESEL in the description; a PESEL typed as the login; unknown pages."""
    pesel = cast["parent"].person.pesel
    form = {"name": "Anna K.", "email": "anna.k@example.test", "method": "bank", "when": "rano"}
    for description in (f"Mój PESEL to {pesel}, nie mogę się zalogować.", "Bank pokazuje błąd."):
        page = client.get("/pomoc/logowanie/").content.decode()
        token = re.search(r'name="form_issued" value="([^"]+)"', page).group(1)
        clock.shift(15)
        client.post("/pomoc/logowanie/", {**form, "description": description, "form_issued": token})
    client.post("/konto/login/", {"login": pesel, "password": "moje-haslo-123"})
    client.post("/konto/password/reset/", {"email": pesel})
    client.get("/nie-ma-takiej-strony/")
    csrf_checked = Client(enforce_csrf_checks=True)
    csrf_checked.force_login(cast["parent"])
    client.seen.append(
        csrf_checked.post(f"/uprawnienia/dzieci/{cast['child'].public_id}/opiekunowie/",
                          {"surname": "Nowak", "pesel": cast["other_parent"].person.pesel})
    )  # fmt: skip


@pytest.fixture
def pesel_run(
    pesel_cast, every_log_record, mailoutbox, celery_eager, django_capture_on_commit_callbacks
) -> dict:
    """The PESEL-handling flows of every role, refusals included, with the notifications they
    queue sent (the tasks run here). What they produced, to be searched for the PESEL of everyone
    involved and of the unknown one typed in."""
    from guardianship.models import AccessGrant
    from vaccinations.models import Immunization

    seen: list = []
    start = datetime.now(WARSAW) + timedelta(seconds=1)  # after the cast's identity confirmations
    with (
        time_machine.travel(start, tick=False) as clock,
        django_capture_on_commit_callbacks(execute=True),
    ):
        parent_flows(RecordingClient(seen), pesel_cast)
        support_flows(RecordingClient(seen), pesel_cast)
        clinic_flows(RecordingClient(seen), pesel_cast)
        anonymous_flows(RecordingClient(seen), clock, pesel_cast)

    parent, other = pesel_cast["parent"].person, pesel_cast["other_parent"].person
    child, vanished = pesel_cast["child"], pesel_cast["vanished"]
    grants = AccessGrant.objects.filter
    assert grants(subject=child, grantee_pesel=other.pesel).exists(), "the guardian was added"
    assert grants(subject=vanished, grantee_pesel=parent.pesel, source="support").exists()
    assert Immunization.objects.filter(person=child).exists(), "the dose was recorded"
    assert [r.status_code for r in seen if r.status_code >= 500] == []
    assert sum(is_error_page(r) for r in seen) >= 20, "the refusals were exercised"
    assert mailoutbox, "notifications were sent"
    return {
        "pesels": set(Person.objects.values_list("pesel", flat=True)) | {pesel_cast["unknown"]},
        "responses": seen, "log_lines": every_log_record.lines(), "mails": list(mailoutbox),
    }  # fmt: skip


@pytest.mark.parametrize(
    "places",
    [urls_of, log_lines_of, error_pages_of, refilled_fields_of, mails_of],
    ids=lambda f: f.__name__,
)
def test_no_pesel_in_what_the_flows_produce(pesel_run, places):
    """URLs and redirects, every log record of every logger at DEBUG, every error page's text and
    the fields it fills in again, every e-mail: none holds a PESEL."""
    found = places(pesel_run)
    leaks = leaks_in(pesel_run["pesels"], found)

    assert found, "there was something to search"
    assert leaks == [], "\n".join(leaks)


# --- the 500 page ----------------------------------------------------------------------------------


def duplicate_person(request):
    """A bug of the kind that reaches production: a write that breaks a unique key. PostgreSQL
    names the key's value, here a PESEL, in the error."""
    existing = Person.objects.get(public_id=request.GET["osoba"])
    with transaction.atomic():
        Person.objects.create(pesel=existing.pesel, first_name="Ktoś", surname="Inny", birth_date=existing.birth_date,
                              sex=existing.sex)  # fmt: skip


def _urlpatterns():
    from ikp.urls import urlpatterns

    return [path("test-security/blad/", duplicate_person), *urlpatterns]


urlpatterns = _urlpatterns()  # this module as ROOT_URLCONF: the project's URLs and the failing view


def test_a_500_shows_neither_the_pesel_nor_a_traceback(production, settings, parent):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False, headers={**HTTPS, "Accept-Language": "pl"})

    response = client.get("/test-security/blad/", {"osoba": parent.person.public_id})

    assert response.status_code == 500
    page = response.content.decode()
    assert "IKP — Internetowe Konto Pacjenta" in page, "our own error page"
    assert parent.person.pesel not in page
    for detail in ("Traceback", "IntegrityError", "duplicate key", "person_pesel_unique", __file__):
        assert detail not in page
    assert header_problems(response) == []


def test_a_500_logs_the_failure_without_the_pesel(settings, parent, every_log_record):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    client.get("/test-security/blad/", {"osoba": parent.person.public_id})

    lines = every_log_record.lines()
    logged = [line for line in lines if "Internal Server Error: /test-security/blad/" in line]
    assert logged, "the failure is logged"
    assert [line for line in lines if parent.person.pesel in line] == []


def test_pages_of_a_logged_in_person_are_never_stored_and_downloads_keep_their_own_policy(client, parent, db):
    """The back button after logging out on a shared computer shows nothing."""
    client.force_login(parent)
    for page_path in ("/", "/pomoc/zgloszenia/", "/historia-dostepu/"):
        cache_control = client.get(page_path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, page_path
    client.logout()
    assert "no-store" not in client.get("/").get("Cache-Control", "")  # the public front page may be cached
