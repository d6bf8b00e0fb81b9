from django import forms
from django.utils.translation import gettext_lazy as _

from feeds.runner import MAX_LINE_BYTES


class CorrectedLineForm(forms.Form):
    """Staff correct a quarantined line by hand; the feed's own parser judges it (in the view)."""

    line = forms.CharField(
        label=_("Corrected line"),
        help_text=_("One JSON object, as the feed would send it. It is checked and applied like a line of a file."),
        widget=forms.Textarea(attrs={"rows": 8, "class": "ikp-codes", "spellcheck": "false", "autocomplete": "off"}),
        error_messages={"required": _("Enter the corrected line")},
    )

    def clean_line(self) -> str:
        line = self.cleaned_data["line"]
        if len(line.encode()) > MAX_LINE_BYTES:
            raise forms.ValidationError(
                _("The line is too long: at most %(limit)s bytes"), code="too_long", params={"limit": MAX_LINE_BYTES}
            )
        return line
