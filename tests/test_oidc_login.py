"""Login through the national login node, end to end, against a real OpenID Connect provider.

The provider is allauth's own `allauth.idp.oidc` in a separate Django project and process
(tests/oidc_idp/, started once per session). The browser goes portal -> provider login ->
portal callback; the portal fetches the discovery document, the tokens and userinfo from the
provider over real HTTP (PKCE, client_secret_post). Nothing is mocked.
"""

from __future__ import annotations

import runpy
import time
from datetime import date
from typing import TYPE_CHECKING

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import Page, Response

from accounts.models import IdentityVerification, Person, User
from accounts.rules import VerificationMethod, parse_pesel
from accounts.services import patient_verify

if TYPE_CHECKING:
    from tests.oidc_idp.fixtures import IdP, IdPUser

# The `oidc_idp` (session) and `idp_log` fixtures.
pytest_plugins = ["tests.oidc_idp.fixtures"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER_ID = "wezel"
LOGIN_PATH = f"/konto/oidc/{PROVIDER_ID}/login/"
CALLBACK_PATH = f"/konto/oidc/{PROVIDER_ID}/login/callback/"


def portal_settings_for(monkeypatch, idp: IdP) -> dict:
    """What ikp/settings.py builds when production sets the OIDC_* variables to this provider.

    The settings module itself is executed with that environment, so the test exercises the
    shape settings.py really produces (and whatever it derives from OIDC_SERVER_URL).
    """
    from django.conf import settings

    with monkeypatch.context() as patched:
        patched.setenv("OIDC_SERVER_URL", idp.base_url)
        patched.setenv("OIDC_CLIENT_ID", idp.client_id)
        patched.setenv("OIDC_CLIENT_SECRET", idp.client_secret)
        patched.setenv("OIDC_PROVIDER_ID", PROVIDER_ID)
        patched.setenv("OIDC_PROVIDER_NAME", "login.gov.pl (test)")
        return runpy.run_path(str(settings.BASE_DIR / "ikp" / "settings.py"))


@pytest.fixture(autouse=True)
def portal_uses_test_idp(settings, monkeypatch, oidc_idp, idp_log):
    built = portal_settings_for(monkeypatch, oidc_idp)
    settings.OIDC_SERVER_URL = built["OIDC_SERVER_URL"]
    settings.SOCIALACCOUNT_PROVIDERS = built["SOCIALACCOUNT_PROVIDERS"]
    settings.SECURE_CSP = built["SECURE_CSP"]
    app = built["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]["APPS"][0]
    assert app["provider_id"] == PROVIDER_ID and app["settings"]["server_url"] == oidc_idp.base_url


@pytest.fixture
def new_page(chromium, live_server):
    """Fresh browser contexts (no cookies: neither the portal's nor the provider's)."""
    contexts = []

    def make() -> Page:
        context = chromium.new_context(base_url=live_server.url, locale="pl-PL")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def log_in_through_idp(page: Page, idp: IdP, user: IdPUser) -> Response:
    """Start at the portal, log in at the provider, return the portal callback's response."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(LOGIN_PATH)
    if not page.url.startswith(idp.base_url):
        # allauth does not start a login on GET: it shows a page whose button POSTs.
        form = page.locator(
            f"form[method=post]:not([action]), form[method=post][action=''], "
            f"form[method=post][action*='{LOGIN_PATH}']"
        ).first
        form.locator("button[type=submit], input[type=submit]").first.click()
        deadline = time.monotonic() + 10
        while not page.url.startswith(idp.base_url):
            blocked = [text for text in console if "Content Security Policy" in text]
            if blocked:
                pytest.fail(
                    "The browser refused to follow the portal's redirect to the provider: "
                    f"{blocked[0].strip()}\nA form POST that redirects to another origin must "
                    "be allowed by CSP form-action: ikp/settings.py has to add the origin of "
                    "OIDC_SERVER_URL to SECURE_CSP['form-action']."
                )
            assert time.monotonic() < deadline, f"never reached the provider; still at {page.url}"
            page.wait_for_timeout(50)
    page.wait_for_url(f"{idp.base_url}/accounts/login/**")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", user.password)
    with page.expect_response(lambda response: CALLBACK_PATH in response.url) as callback:
        page.locator("form button[type=submit]").first.click()
    return callback.value


def assert_on_start_page_as(page: Page, live_server, user: IdPUser) -> None:
    page.wait_for_url(f"{live_server.url}/")
    body = page.locator("body").inner_text()
    assert user.given_name in body and user.family_name in body, body


def test_first_login_creates_person_user_and_verification(new_page, live_server, oidc_idp):
    idp_user = oidc_idp.users["anna"]
    page = new_page()

    callback = log_in_through_idp(page, oidc_idp, idp_user)

    assert callback.status == 302, callback.text()
    assert_on_start_page_as(page, live_server, idp_user)
    person = Person.objects.get(pesel=idp_user.pesel)
    facts = parse_pesel(idp_user.pesel, today=date.today())
    assert (person.first_name, person.surname) == (idp_user.given_name, idp_user.family_name)
    assert (person.birth_date, person.sex) == (facts.birth_date, "F")
    user = User.objects.get(person=person)
    assert user.email == idp_user.email
    assert User.objects.count() == 1
    (verification,) = IdentityVerification.objects.filter(user=user)
    assert verification.method == VerificationMethod.BANK
    account = SocialAccount.objects.get(user=user)
    assert account.provider == PROVIDER_ID
    # The claims came both in the signed ID token and from the userinfo endpoint.
    assert account.extra_data["id_token"]["pesel"] == idp_user.pesel
    assert account.extra_data["userinfo"]["pesel"] == idp_user.pesel


def test_counter_made_login_gets_the_social_account_connected(new_page, live_server, oidc_idp):
    idp_user = oidc_idp.users["jan"]
    counter = patient_verify(
        pesel=idp_user.pesel,
        email="jan.z.okienka@example.test",
        method=VerificationMethod.IN_PERSON,
        first_name=idp_user.given_name,
        surname=idp_user.family_name,
    )
    page = new_page()

    callback = log_in_through_idp(page, oidc_idp, idp_user)

    assert callback.status == 302, callback.text()
    assert_on_start_page_as(page, live_server, idp_user)
    assert User.objects.count() == 1
    account = SocialAccount.objects.get(provider=PROVIDER_ID)
    assert account.user_id == counter.user.pk
    counter.user.refresh_from_db()
    assert counter.user.email == "jan.z.okienka@example.test"  # the counter's address stays
    methods = sorted(
        IdentityVerification.objects.filter(user=counter.user).values_list("method", flat=True)
    )
    assert methods == sorted([VerificationMethod.IN_PERSON, VerificationMethod.E_ID])


def test_invalid_pesel_claim_is_refused(new_page, live_server, oidc_idp):
    idp_user = oidc_idp.users["zly"]
    page = new_page()

    callback = log_in_through_idp(page, oidc_idp, idp_user)

    assert callback.status == 403
    assert not User.objects.exists()
    assert not Person.objects.filter(pesel=idp_user.pesel).exists()
    assert not SocialAccount.objects.exists()
    assert not IdentityVerification.objects.exists()
    page.goto("/")
    assert idp_user.family_name not in page.locator("body").inner_text()


def test_logging_in_again_records_a_new_verification(new_page, live_server, oidc_idp):
    idp_user = oidc_idp.users["ewa"]

    first = log_in_through_idp(new_page(), oidc_idp, idp_user)
    assert first.status == 302, first.text()
    page = new_page()  # later, on another day: a new browser session at both ends
    second = log_in_through_idp(page, oidc_idp, idp_user)
    assert second.status == 302, second.text()

    assert_on_start_page_as(page, live_server, idp_user)
    user = User.objects.get(person__pesel=idp_user.pesel)
    assert User.objects.count() == 1
    assert SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).count() == 1
    verifications = list(IdentityVerification.objects.filter(user=user).order_by("verified_at"))
    assert len(verifications) == 2
    # No auth_method claim: the trusted profile.
    assert {v.method for v in verifications} == {VerificationMethod.TRUSTED_PROFILE}
    assert verifications[1].verified_at > verifications[0].verified_at
