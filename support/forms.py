"""Forms of ikp-pomoc: the patient's request and replies, and the desk's actions."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.rules import InvalidPesel, parse_pesel
from guardianship.forms import PeselInput
from support import rules
from support.attachments import AttachmentRejected, accept
from support.models import Ticket

TEXT_MAX = 5000
JUSTIFICATION_MIN = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to SUPPORT_ATTACHMENTS_PER_MESSAGE files, each checked by support.attachments; cleans
    to a tuple of NewFile. Every refused file is named with its reason."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments (optional)"))
        kwargs.setdefault(
            "help_text",
            _(
                "PDF, JPEG or PNG, up to 5 MB each, at most 5 files. Do not send your password or codes."
            ),
        )
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        limit = settings.SUPPORT_ATTACHMENTS_PER_MESSAGE
        if len(files) > limit:
            raise ValidationError(
                ngettext("Send at most %(limit)d file.", "Send at most %(limit)d files.", limit)
                % {"limit": limit}
            )
        accepted, problems = [], []
        for upload in files:
            # Read no more than one byte past the limit: a huge upload is refused by its size.
            data_bytes = upload.read(settings.SUPPORT_ATTACHMENT_MAX_BYTES + 1)
            try:
                accepted.append(accept(upload.name, data_bytes))
            except AttachmentRejected as rejected:
                problems.append(rejected.message)
        if problems:
            raise ValidationError(problems)
        return tuple(accepted)


def _text(label, *, max_length=TEXT_MAX, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 6}),
        error_messages={
            "required": _("Enter the text."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
        **kwargs,
    )


# --- patient ---------------------------------------------------------------------------------


class TicketForm(forms.Form):
    """A new request from the portal. "Not my child" is reported from the child's account (it
    suspends the link at once), so it is not offered here."""

    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[c for c in Ticket.Category.choices if c[0] != Ticket.Category.NOT_MY_CHILD],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what your request is about.")},
    )
    person = forms.ChoiceField(label=_("Whose account does it concern?"), required=False)
    description = _text(_("Describe the problem"))
    attachments = AttachmentsField()

    def __init__(self, *args, people=(), **kwargs):
        """`people`: (public_id, name) of the user and the accounts they may act for."""
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Nobody in particular"))] + [
            (str(pid), name) for pid, name in people
        ]


class MessageForm(forms.Form):
    body = _text(_("Your message"))
    attachments = AttachmentsField()


# --- desk ------------------------------------------------------------------------------------


class ReplyForm(forms.Form):
    body = _text(_("Reply to the patient"))
    wait_for_patient = forms.BooleanField(label=_("Wait for the patient's answer"), required=False)
    attachments = AttachmentsField()


class NoteForm(forms.Form):
    body = _text(_("Internal note (staff only)"))

    def __init__(self, *args, **kwargs):
        # The desk ticket page holds several forms: each gets ids of its own.
        super().__init__(*args, auto_id="id_note_%s", **kwargs)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    body = _text(_("Message to the patient (optional)"), required=False)

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, auto_id="id_status_%s", **kwargs)
        moves = rules.staff_moves(current)
        self.fields["status"].choices = [c for c in Ticket.Status.choices if c[0] in moves]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody (back to the queue)"))] + [
            (str(u.pk), u.email) for u in staff
        ]


class JustificationForm(forms.Form):
    justification = _text(
        _("Justification"),
        max_length=1000,
        min_length=JUSTIFICATION_MIN,
        help_text=_("Why this is needed for the request. It is kept with the action."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["justification"].error_messages.update(
            {
                "required": _("Give the justification for this action."),
                "min_length": _("Write at least %(limit_value)d characters of justification."),
            }
        )


class PeselField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault("error_messages", {"required": _("Enter the PESEL number.")})
        kwargs.setdefault(
            "widget",
            PeselInput(
                attrs={
                    "class": "govuk-input govuk-input--width-20",
                    "inputmode": "numeric",
                    "autocomplete": "off",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        try:
            return parse_pesel(value, today=_today()).pesel
        except InvalidPesel:
            raise ValidationError(_("Enter a valid 11-digit PESEL number.")) from None


def _today():
    from django.utils import timezone

    return timezone.localdate()


class GrantForm(JustificationForm):
    grantee_surname = forms.CharField(
        label=_("Guardian's surname"),
        max_length=100,
        error_messages={"required": _("Enter the surname.")},
    )
    grantee_pesel = PeselField(label=_("Guardian's PESEL number"))
    documents_checked = forms.BooleanField(
        label=_("I have checked documents showing this person is the child's legal guardian"),
        error_messages={
            "required": _("Check the legal guardian's documents before granting access.")
        },
    )
    field_order = ["grantee_surname", "grantee_pesel", "documents_checked", "justification"]


class NotMyChildForm(JustificationForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (
                "confirmed",
                _(
                    "Confirmed: the child is not theirs; the link stays ended and ZUS is asked to correct it"
                ),
            ),
            ("rejected", _("Not confirmed: restore the link")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome.")},
    )
    field_order = ["outcome", "justification"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_nmc_%s", **kwargs)


class PeselSearchForm(forms.Form):
    pesel = PeselField(label=_("PESEL number"))
