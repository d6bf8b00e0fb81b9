"""Error pages: our layout, Polish first, no personal data, never themselves an error."""

from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error


def test_the_500_page_renders_standalone_in_polish():
    # As after LocaleMiddleware for a visitor without a preference; earlier tests in this
    # thread may have left English active.
    with translation.override("pl"):
        response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "IKP — Internetowe Konto Pacjenta" in response.content.decode()
    assert 'lang="pl"' in response.content.decode()


def test_a_form_without_its_csrf_token_gets_the_expired_form_page(client, db):
    client.handler.enforce_csrf_checks = True

    response = client.post("/konto/login/", {"login": "a@example.test", "password": "x"})

    assert response.status_code == 403
    assert 'class="govuk-heading-l"' in response.content.decode()
    assert "a@example.test" not in response.content.decode()


def test_an_unknown_page_gets_our_404(client, db):
    response = client.get("/nie-ma-takiej-strony/")

    assert response.status_code == 404
    assert "IKP — Internetowe Konto Pacjenta" in response.content.decode()
