"""What a ticket's attached diagnosis looks like to each side.

The patient sees what they themselves were shown when they opened the ticket (the same
sentences, rebuilt from the stored codes and dates, or the stored sentence itself); staff see
every stored fact. Keys: child_access (guardianship.services.diagnosis_as_data), not_my_child
(the reporter's own coverages of the child), hpv_eligibility and failed_booking
(vaccinations.services; each with the sentence the parent read as "shown").
"""

from datetime import date

from guardianship import rules as guardianship_rules


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
    """(kind, [(fact, value)]) for the desk: nested lists and dicts flattened with dotted names."""
    return [(kind, list(_flatten(data))) for kind, data in (diagnosis or {}).items()]


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
