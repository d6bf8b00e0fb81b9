"""Forms of the child-access help and of "this is not my child". They validate and normalise;
they never look anything up beyond the PESEL's own checksum and date."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.rules import InvalidPesel, PeselFacts, parse_pesel
from accounts.validation import pesel_error_message
from guardianship.forms import PeselInput

DESCRIPTION_MAX_LENGTH = 2000


class ChildPeselForm(forms.Form):
    """The child's PESEL, always sent in a POST body (never in a URL)."""

    pesel = forms.CharField(
        label=_("Your child's PESEL number"),
        help_text=_("11 digits. You will find it on your child's birth certificate or identity document."),
        error_messages={"required": _("Enter your child's PESEL number.")},
        widget=PeselInput(  # a page shown again never carries the typed PESEL
            attrs={"class": "govuk-input--width-20", "inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.pesel_facts: PeselFacts | None = None

    def clean_pesel(self) -> str:
        try:
            facts = parse_pesel(self.cleaned_data["pesel"].replace(" ", ""), today=timezone.localdate())
        except InvalidPesel as error:
            raise forms.ValidationError(pesel_error_message(error.problem), code=error.problem.value) from None
        me = getattr(self.user, "person", None)
        if me is not None and facts.pesel == me.pesel:
            raise forms.ValidationError(_("This is your own PESEL number. Enter your child's."), code="own")
        self.pesel_facts = facts
        return facts.pesel


class ChildAccessTicketForm(ChildPeselForm):
    """"Send this to ikp-pomoc": the same PESEL (hidden) and an optional description."""

    description = forms.CharField(
        label=_("Anything else ikp-pomoc should know (optional)"),
        help_text=_("For example, since when you cannot see the account. Do not write other people's data here."),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pesel"].widget = forms.HiddenInput()


class NotMyChildForm(forms.Form):
    description = forms.CharField(
        label=_("What should ikp-pomoc know? (optional)"),
        help_text=_("For example, that you have no child with this name."),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
