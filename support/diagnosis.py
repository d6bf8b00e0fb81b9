"""What a ticket's attached diagnosis looks like to each side.

The patient sees what they themselves were shown when they opened the ticket (the same
sentences, rebuilt from the stored codes and dates, or the stored sentence itself); staff see
every stored fact. Keys: child_access (guardianship.services.diagnosis_as_data), not_my_child
(the reporter's own coverages of the child), hpv_eligibility and failed_booking
(vaccinations.services; each with the sentence the parent read as "shown").
"""

from datetime import date

from django.utils.translation import gettext_lazy as _

from guardianship import rules as guardianship_rules

# The desk's headings for each kind of attached diagnosis (the facts keep their stored names).
KIND_LABELS = {
    "child_access": _("Why the parent cannot see the child's account (their own records)"),
    "not_my_child": _("“Not my child” report: the reporter's registrations of the child"),
    "hpv_eligibility": _("HPV vaccination: the next step the parent was shown"),
    "failed_booking": _("HPV vaccination: a booking that failed"),
    "login_help": _("Login help: how the person tried to log in"),
}


def as_shown(diagnosis: dict) -> list[dict]:
    """One entry per attached diagnosis, for the patient's ticket page."""
    shown = []
    for kind, data in (diagnosis or {}).items():
        if kind == "child_access":
            shown.append({"kind": kind, "result": _child_access_result(data)})
        elif kind == "not_my_child":
            shown.append({"kind": kind})
        elif isinstance(data, dict) and data.get("shown"):
            shown.append({"kind": kind, "text": data["shown"]})
    return shown


def as_facts(diagnosis: dict) -> list[tuple[str, list[tuple[str, object]]]]:
    """(heading, [(fact, value)]) for the desk: nested lists and dicts flattened with dotted names."""
    return [(KIND_LABELS.get(kind, kind), list(_flatten(data))) for kind, data in (diagnosis or {}).items()]


def _flatten(value, prefix: str = ""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value, start=1):
            yield from _flatten(inner, f"{prefix}[{index}]")
    else:
        yield prefix, "—" if value in (None, "") else value


def _child_access_result(data: dict) -> guardianship_rules.DiagnosisResult:
    return guardianship_rules.DiagnosisResult(
        code=guardianship_rules.Diagnosis(data["code"]),
        on=_date(data.get("on")),
        deadline=_date(data.get("deadline")),
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
