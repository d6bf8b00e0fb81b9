"""The two "give a person access" forms: a guardian for a child, an authorisation for oneself.

They validate and normalise (PESEL checksum and date through accounts.rules); the service
decides the rest and its refusals come back through `refuse(code)` as messages on a field,
so that the error summary can link to it.
"""

from typing import ClassVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.rules import InvalidPesel, parse_pesel
from accounts.validation import pesel_error_message


class PeselInput(forms.TextInput):
    """A text input that never sends a typed PESEL back to the browser: a page re-rendered
    with errors shows an empty field (PESELs stay out of pages, caches and screenshots)."""

    def format_value(self, value):
        return None


class GrantForm(forms.Form):
    surname = forms.CharField(
        label=_("Surname"),
        max_length=100,
        error_messages={"required": _("Enter the surname of the person.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-20"}
        ),
    )
    pesel = forms.CharField(
        label=_("PESEL number"),
        help_text=_("11 digits"),
        max_length=30,
        error_messages={
            "required": _("Enter the PESEL number of the person."),
            "max_length": _("A PESEL number has exactly 11 digits."),
        },
        widget=PeselInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "govuk-input--width-20",
            }
        ),
    )

    # Service refusal code → (field, message). Subclasses say "already" and "self" in their terms.
    refusals: ClassVar[dict[str, tuple[str, str]]] = {
        "surname_mismatch": (
            "surname",
            _("We could not confirm this person: check the surname and PESEL."),
        ),
        "minor": ("pesel", _("This person is under 18: only an adult can be given access.")),
    }

    def clean_surname(self) -> str:
        return " ".join(self.cleaned_data["surname"].split())

    def clean_pesel(self) -> str:
        value = "".join(self.cleaned_data["pesel"].split())  # "850314 12345" is a PESEL too
        try:
            return parse_pesel(value, today=timezone.localdate()).pesel
        except InvalidPesel as error:
            raise forms.ValidationError(
                pesel_error_message(error.problem), code=str(error.problem)
            ) from None

    def refuse(self, code: str) -> None:
        """Show a refusal of services.grant_create (GuardianshipError.code) on the form."""
        field, message = self.refusals.get(code, self.refusals["surname_mismatch"])
        self.add_error(field, str(message))


class GuardianForm(GrantForm):
    """The FAQ's "Add a guardian" on a child's guardian list: surname, PESEL, confirmation."""

    legal_guardian_confirmed = forms.BooleanField(
        label=_("I confirm this person is the child's legal guardian"),
        required=True,
        error_messages={"required": _("Confirm that this person is the child's legal guardian.")},
    )

    refusals = GrantForm.refusals | {
        "invalid_pesel": ("pesel", _("This PESEL number is not valid. Check for a typo.")),
        "self": (
            "pesel",
            _("Enter the PESEL number of another person: not yours and not the child's."),
        ),
        "already": ("pesel", _("This person is already on the child's guardian list.")),
        "confirm_required": (
            "legal_guardian_confirmed",
            _("Confirm that this person is the child's legal guardian."),
        ),
    }


class AuthorisationForm(GrantForm):
    """The "Authorise a person" form: who may see the user's own data (surname and PESEL)."""

    refusals = GrantForm.refusals | {
        "invalid_pesel": ("pesel", _("This PESEL number is not valid. Check for a typo.")),
        "self": (
            "pesel",
            _("You cannot authorise yourself: enter the PESEL number of another person."),
        ),
        "already": ("pesel", _("You have already authorised this person.")),
    }
