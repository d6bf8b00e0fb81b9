"""Presentation filters for the portal's templates: no rules, no queries."""

from django import forms, template

register = template.Library()


@register.filter
def notice_message(notice, language: str) -> str:
    """A service notice's text in the page's language: `{{ notice|notice_message:LANGUAGE_CODE }}`."""
    return notice.message(language)


# GOV.UK Frontend's class for each kind of control, and its error modifier.
_TEXTAREA = ("govuk-textarea", "govuk-textarea--error")
_SELECT = ("govuk-select", "govuk-select--error")
_CHECKBOX = ("govuk-checkboxes__input", "")
_RADIO = ("govuk-radios__input", "")
_INPUT = ("govuk-input", "govuk-input--error")
_FILE = ("govuk-file-upload", "govuk-file-upload--error")


def _classes_for(widget: forms.Widget) -> tuple[str, str]:
    if isinstance(widget, forms.Textarea):
        return _TEXTAREA
    if isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
        return _SELECT
    if isinstance(widget, forms.CheckboxInput):
        return _CHECKBOX
    if isinstance(widget, forms.RadioSelect):
        return _RADIO
    if isinstance(widget, forms.FileInput):
        return _FILE
    return _INPUT


@register.filter
def govuk_widget(field: forms.BoundField) -> str:
    """Render a bound field's widget with GOV.UK Frontend's classes.

    Django itself adds `aria-invalid` and `aria-describedby` (pointing at `<id>_helptext`
    and `<id>_error`), which the field templates use as ids.
    """
    widget = field.field.widget
    if widget.is_hidden:
        return field.as_widget()
    base, error = _classes_for(widget)
    classes = [widget.attrs.get("class", ""), base]
    if field.errors and error:
        classes.append(error)
    # GOV.UK: a visible label always, never a placeholder (allauth sets some).
    attrs = {"placeholder": False}
    if isinstance(widget, forms.PasswordInput):
        classes += ["govuk-password-input__input", "govuk-js-password-input-input"]
        attrs |= {"spellcheck": "false", "autocapitalize": "none"}
    attrs["class"] = " ".join(c for c in classes if c)
    return field.as_widget(attrs=attrs)


@register.filter
def govuk_control(field: forms.BoundField) -> str:
    """Which GOV.UK form group a bound field needs: hidden, checkbox, radios, checkboxes,
    password or input."""
    widget = field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
        return "checkboxes" if widget.input_type == "checkbox" else "radios"
    if isinstance(widget, forms.PasswordInput):
        return "password"
    return "input"
