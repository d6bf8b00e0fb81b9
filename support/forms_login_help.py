"""The login help form: a request to ikp-pomoc from someone who may not be able to log in.

Anyone can send it, so it carries two CAPTCHA-free checks against automated messages:

- a honeypot: a text field people never see (visually hidden, hidden from assistive
  technology, out of the tab order, no autofill) and whose label tells anyone who still
  reaches it to leave it empty. Bots that fill every field give themselves away; the view
  decides what they are shown (`honeypot_filled`).
- a signed timestamp issued with the form (django.core.signing): a request sent less than
  3 seconds after the form was shown (faster than anyone types) or more than 2 hours after
  (or with a missing or altered token) is refused with a polite message and the form kept
  filled in. The view renders `carried_token()` into the page it shows next.

The rate limit (support.ratelimit) is the view's job: it needs the client and the cache.
"""

import re
import time

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.rules import InvalidPesel, parse_pesel

TOKEN_SALT = "support.login_help.form"
MIN_SECONDS = 3
MAX_SECONDS = 2 * 60 * 60
HONEYPOT = "website"
TOKEN = "form_issued"
DESCRIPTION_MAX_LENGTH = 2000

TOO_FAST = _(
    "The form was sent very quickly after it was opened, the way automated messages are. Please check"
    " your request and send it again. We have kept what you wrote."
)
EXPIRED = _(
    "The form was open for more than 2 hours. Please check your request and send it again. We have kept"
    " what you wrote."
)


# How the person tried to log in; the code goes into the ticket's diagnosis.
LOGIN_METHODS = [
    ("trusted_profile", _("Trusted profile (profil zaufany)")),
    ("bank", _("Bank or mojeID")),
    ("e_id", _("e-ID card (e-dowód)")),
    ("password", _("E-mail address and password")),
    ("mojeikp", _("The mojeIKP app")),
    ("other", _("Other")),
]


def token_issue(*, now: float | None = None) -> str:
    """A signed record of when the form was shown."""
    return signing.dumps(round(time.time() if now is None else now, 3), salt=TOKEN_SALT)


def token_problem(token: str, *, now: float | None = None) -> str | None:
    """None when the form was shown between 3 seconds and 2 hours ago, else "too_fast" or
    "expired" (which also covers a missing or altered token)."""
    now = time.time() if now is None else now
    try:
        issued = float(signing.loads(token or "", salt=TOKEN_SALT, max_age=MAX_SECONDS))
    except (signing.BadSignature, TypeError, ValueError):  # SignatureExpired is a BadSignature
        return "expired"
    return "too_fast" if now - issued < MIN_SECONDS else None


_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")


def contains_pesel(text: str) -> bool:
    """Whether the text holds a valid PESEL number (11 digits with a valid check digit and date)."""
    today = timezone.localdate()
    for candidate in _ELEVEN_DIGITS.findall(text or ""):
        try:
            parse_pesel(candidate, today=today)
        except InvalidPesel:
            continue
        return True
    return False


def _no_pesel(value: str) -> None:
    if contains_pesel(value):
        raise forms.ValidationError(
            _("Please remove your PESEL number: ikp-pomoc does not need it to help you log in."), code="pesel"
        )


class LoginHelpForm(forms.Form):
    """Name and e-mail are asked only of people who are not logged in: a logged-in user's
    request belongs to their login, and the answer goes to its address."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Enter your name."), "max_length": _("Write at most %(limit_value)d characters.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We will send the answer and the number of your request here."),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter an e-mail address in the correct format, like name@example.com."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    method = forms.ChoiceField(
        label=_("How did you try to log in?"),
        choices=LOGIN_METHODS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how you tried to log in.")},
    )
    when = forms.CharField(
        label=_("When did it happen? (optional)"),
        help_text=_("For example: today around 9:00."),
        required=False,
        max_length=100,
        validators=[_no_pesel],
        error_messages={"max_length": _("Write at most %(limit_value)d characters.")},
    )
    description = forms.CharField(
        label=_("What happened?"),
        help_text=_(
            "What you did and what message you saw. Never write your password, codes or PESEL number."
        ),
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[_no_pesel],
        error_messages={
            "required": _("Describe what happened when you tried to log in."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    website = forms.CharField(
        label=_("Leave this field empty. It is here to catch automated messages."),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None:
            del self.fields["name"]
            del self.fields["email"]
        self._token_ok = False

    # The signed timestamp travels as a plain hidden input (TOKEN), rendered from
    # carried_token(): not a field, so a re-rendered form never echoes a stale one.

    @property
    def honeypot_filled(self) -> bool:
        return self.is_bound and bool(self.data.get(HONEYPOT, "").strip())

    def clean(self):
        cleaned = super().clean()
        problem = token_problem(self.data.get(TOKEN, ""))
        if problem is not None:
            self.add_error(None, forms.ValidationError(TOO_FAST if problem == "too_fast" else EXPIRED, code=problem))
        self._token_ok = problem is None
        return cleaned

    def carried_token(self) -> str:
        """The token the next rendering of this form carries: the one it came with while that
        one is still good (its 3 seconds behind it, its 2 hours ahead), so a person fixing a
        typo is not told they were too fast; otherwise a fresh one."""
        if self._token_ok:
            return self.data[TOKEN]
        return token_issue()

    @property
    def contact_email(self) -> str:
        return self.user.email if self.user is not None else self.cleaned_data["email"]
