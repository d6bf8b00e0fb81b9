"""Forms of the clinic staff pages: publish slots, record a dose given.

They validate and normalise; the services (vaccinations/services.py) do the rest. The dose form
resolves the child from PESEL and surname, refusing both an unknown PESEL and a wrong surname
with the same message, so the form cannot be used to find out who has which PESEL.
"""

from datetime import datetime

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from accounts.rules import InvalidPesel, parse_pesel
from accounts.validation import pesel_error_message
from guardianship.forms import PeselInput
from guardianship.policy import surname_matches
from vaccinations.models import Vaccine
from vaccinations.rules import slot_horizon

# type="date" and type="time" submit ISO values whatever the page's language; the Polish
# d.m.Y is accepted too, for browsers that show a plain text box.
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]

MAX_SLOTS_AT_ONCE = 40
NO_SUCH_CHILD = _("No child with this PESEL and surname. Check both and try again.")


def _vaccine_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Vaccine"),
        queryset=Vaccine.objects.order_by("name"),
        empty_label=None,  # one vaccine today (HPV9): preselected, no empty choice
        error_messages={
            "required": _("Choose the vaccine."),
            "invalid_choice": _("Choose the vaccine."),
        },
    )


def _date_widget() -> forms.DateInput:
    return forms.DateInput(
        attrs={"type": "date", "class": "govuk-input--width-10"}, format="%Y-%m-%d"
    )


class SlotPublishForm(forms.Form):
    """One or more consecutive terms, one child each, from a date and a start time."""

    vaccine = _vaccine_field()
    day = forms.DateField(
        label=_("Date"),
        input_formats=DATE_FORMATS,
        widget=_date_widget(),
        error_messages={"required": _("Enter the date."), "invalid": _("Enter a real date.")},
    )
    start = forms.TimeField(
        label=_("Start time of the first term"),
        help_text=_("For example 09:00"),
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(
            attrs={"type": "time", "class": "govuk-input--width-5"}, format="%H:%M"
        ),
        error_messages={
            "required": _("Enter the start time."),
            "invalid": _("Enter a time such as 09:00."),
        },
    )
    duration_minutes = forms.IntegerField(
        label=_("Length of one term in minutes"),
        initial=15,
        min_value=5,
        max_value=120,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        error_messages={
            "required": _("Enter the length of one term."),
            "invalid": _("Enter the length as a whole number of minutes."),
            "min_value": _("A term lasts at least 5 minutes."),
            "max_value": _("A term lasts at most 120 minutes."),
        },
    )
    count = forms.IntegerField(
        label=_("Number of consecutive terms"),
        help_text=_("From 1 to 40. Each term starts when the previous one ends."),
        initial=1,
        min_value=1,
        max_value=MAX_SLOTS_AT_ONCE,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        error_messages={
            "required": _("Enter the number of terms."),
            "invalid": _("Enter the number of terms as a whole number."),
            "min_value": _("Publish at least 1 term."),
            "max_value": _("Publish at most 40 terms at once."),
        },
    )

    def clean(self) -> dict:
        data = super().clean()
        day, start = data.get("day"), data.get("start")
        latest = slot_horizon(timezone.localdate())[1]
        if day and day > latest:
            # Checked before the time is made: a day such as 31.12.9999 is a typo, and its
            # consecutive terms would run past the last year a time can hold.
            self.add_error(
                "day",
                _(
                    "Enter a date no later than %(day)s: terms are published at most two years ahead."
                )
                % {"day": formats.date_format(latest, "DATE_FORMAT")},
            )
            return data
        if day and start:
            # The clinic's wall clock: the portal's time zone (Europe/Warsaw).
            data["starts_at"] = timezone.make_aware(datetime.combine(day, start))
            if data["starts_at"] <= timezone.now():
                self.add_error("start", _("The first term must start in the future."))
        return data


class DoseRecordForm(forms.Form):
    """A dose given at the clinic: whose (PESEL + surname, never in a URL), which, when."""

    pesel = forms.CharField(
        label=_("Child's PESEL number"),
        help_text=_("11 digits"),
        max_length=30,
        error_messages={
            "required": _("Enter the child's PESEL number."),
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
    surname = forms.CharField(
        label=_("Child's surname"),
        max_length=100,
        error_messages={"required": _("Enter the child's surname.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-20"}
        ),
    )
    vaccine = _vaccine_field()
    administered_on = forms.DateField(
        label=_("Date the dose was given"),
        initial=timezone.localdate,
        input_formats=DATE_FORMATS,
        widget=_date_widget(),
        error_messages={
            "required": _("Enter the date the dose was given."),
            "invalid": _("Enter a real date."),
        },
    )
    close_visit = forms.BooleanField(
        label=_("Close the visit now"),
        help_text=_(
            "Tick this when the visit is finished. While a visit is open, the parent cannot book the next dose."
        ),
        required=False,
    )

    def clean_pesel(self) -> str:
        value = "".join(self.cleaned_data["pesel"].split())
        try:
            self.pesel_facts = parse_pesel(value, today=timezone.localdate())
        except InvalidPesel as error:
            raise forms.ValidationError(
                pesel_error_message(error.problem), code=str(error.problem)
            ) from None
        return self.pesel_facts.pesel

    def clean_surname(self) -> str:
        return " ".join(self.cleaned_data["surname"].split())

    def clean_administered_on(self):
        day = self.cleaned_data["administered_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("The date the dose was given cannot be in the future."), code="future"
            )
        return day

    def clean(self) -> dict:
        data = super().clean()
        if "pesel" not in data or "surname" not in data:
            return data
        child = Person.objects.filter(pesel=data["pesel"]).first()
        if child is None or not surname_matches(data["surname"], child):
            # One message for both: the form must not tell whether the PESEL exists.
            self.add_error("pesel", NO_SUCH_CHILD)
            return data
        data["child"] = child
        given = data.get("administered_on")
        if given and given < child.birth_date:
            self.add_error(
                "administered_on",
                _("The date the dose was given is before the child's date of birth."),
            )
        return data
