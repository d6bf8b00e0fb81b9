"""allauth's login and password-reset forms, except that a PESEL typed where the e-mail goes
is never sent back to the browser (DESIGN.md: PESELs stay out of pages and their caches)."""

import re

from allauth.account.forms import LoginForm, ResetPasswordForm

ELEVEN_DIGITS = re.compile(r"\s*\d{11}\s*")


def _forget_pesel(widget) -> None:
    format_value = widget.format_value

    def without_pesel(value):
        shown = format_value(value)
        return None if shown is not None and ELEVEN_DIGITS.fullmatch(str(shown)) else shown

    widget.format_value = without_pesel


class PortalLoginForm(LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _forget_pesel(self.fields["login"].widget)


class PortalResetPasswordForm(ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _forget_pesel(self.fields["email"].widget)
