"""Django's error reports (DEBUG's 500 page, the e-mails to ADMINS) show no personal data."""

import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter, technical_500_response

# Assembled at run time: the reports quote this file's source lines, which must not match.
PESEL = "850314" + "12345"
SURNAME = "Kowal" + "ski"
DESCRIPTION = f"Mój syn Jan {SURNAME} nie widzi szczepień"
PASSWORD = "tajne-" + "haslo"


def failing_view(request):
    person_pesel = request.POST["pesel"]  # noqa: F841 - a local a report would print
    raise RuntimeError("the view failed")


def report(debug: bool, settings):
    settings.DEBUG = debug
    request = RequestFactory().post(
        "/pomoc/zgloszenia/nowe/",
        {"pesel": PESEL, "description": DESCRIPTION, "password": PASSWORD},
    )
    try:
        failing_view(request)
    except RuntimeError:
        exc_info = sys.exc_info()
    reporter = ExceptionReporter(request, *exc_info)
    return request, exc_info, reporter


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_error_reports_hide_posted_values_and_local_variables(settings, debug):
    request, exc_info, reporter = report(debug, settings)

    text, html = reporter.get_traceback_text(), reporter.get_traceback_html()
    page = technical_500_response(request, *exc_info).content.decode()

    for output in (text, html, page):
        assert "the view failed" in output and "failing_view" in output  # still useful
        for secret in (PESEL, DESCRIPTION, PASSWORD, SURNAME):
            assert secret not in output
    assert "person_pesel" in html  # the variable's name stays, its value does not
