"""Readable messages for identity rule outcomes (the rules themselves return codes)."""

from django.utils.translation import gettext_lazy as _

from accounts.rules import PeselProblem

PESEL_MESSAGES = {
    PeselProblem.FORMAT: _("A PESEL number has exactly 11 digits."),
    PeselProblem.CHECKSUM: _("This PESEL number is not valid: its check digit does not match. Check for a typo."),
    PeselProblem.DATE: _("This PESEL number does not encode a real date of birth. Check for a typo."),
    PeselProblem.FUTURE: _("This PESEL number gives a date of birth in the future. Check for a typo."),
}


def pesel_error_message(problem: PeselProblem) -> str:
    return str(PESEL_MESSAGES[problem])
