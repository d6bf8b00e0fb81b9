"""The filters of Historia leczenia → Dokumenty. Sent by GET (the page is bookmarkable and
works without JavaScript); the form validates and normalises, the view filters."""

from datetime import date

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from records.models import Document

# Polish users type 05.03.2024; a browser's date picker (or a copied ISO date) sends 2024-03-05.
DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
DATE_ERROR = _("Enter the date as day.month.year, for example 05.03.2024.")
# Documents of living patients; the bounds also keep the day arithmetic far from date.max.
FIRST_YEAR, LAST_YEAR = 1900, 2099


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text=_("For example 05.03.2024"),
        error_messages={"invalid": DATE_ERROR},
        # A plain text box, as GOV.UK advises for dates people type (no browser date picker,
        # whose format follows the device, not the page).
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-10", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )


class DocumentFilterForm(forms.Form):
    """Type, issue-date range and facility; every field optional. Field names are the GET
    parameters the page shows in its address (Polish, like `strona` and `miasto` elsewhere)."""

    typ = forms.ChoiceField(
        label=_("Document type"),
        required=False,
        choices=[
            ("", _("All types")),
            *((value, capfirst(label)) for value, label in Document.Type.choices),
        ],
        error_messages={"invalid_choice": _("Choose a document type from the list.")},
    )
    od = _date_field(_("Issued from"))
    do = _date_field(_("Issued to"))
    placowka = forms.ChoiceField(
        label=_("Facility"),
        required=False,
        error_messages={"invalid_choice": _("Choose a facility from the list.")},
    )

    def __init__(self, *args, facilities: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["placowka"].choices = [
            ("", _("All facilities")),
            *((name, name) for name in facilities),
        ]

    def _clean_date(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(
                _("Enter a date between 01.01.1900 and 31.12.2099."), code="range"
            )
        return value

    def clean_od(self) -> date | None:
        return self._clean_date("od")

    def clean_do(self) -> date | None:
        return self._clean_date("do")

    def clean(self) -> dict:
        cleaned = super().clean()
        start: date | None = cleaned.get("od")
        end: date | None = cleaned.get("do")
        if start and end and start > end:
            self.add_error("do", _("The end date must be the same as or after the start date."))
        return cleaned

    @property
    def is_filtering(self) -> bool:
        """Whether any filter was chosen (an empty result then means "nothing matches")."""
        return self.is_bound and any(self.data.get(name) for name in self.fields)
