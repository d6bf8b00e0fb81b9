"""One answer for every page that shows a submitted form again.

A form that was refused — a field error, or a service that said no and put its reason on the
form — comes back with 400 Bad Request; a page shown fresh answers 200. Browsers show the page
either way (the error summary is the same); tests, monitoring and the load benchmarks can tell
a refusal from a view by the status alone.
"""

from django.forms import BaseForm


def form_status(*forms: BaseForm | None) -> int:
    """400 when any of the page's bound forms carries an error, else 200."""
    refused = any(form is not None and form.is_bound and form.errors for form in forms)
    return 400 if refused else 200
