"""Identity workflows: people from PESEL, verified logins, verification records."""

from dataclasses import dataclass
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from accounts.models import IdentityVerification, Person, User
from accounts.rules import VerificationMethod, parse_pesel, verification_expires_on


class IdentityError(Exception):
    """A workflow refused; `code` names why (messages live with the caller)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def person_get_or_create(*, pesel: str, first_name: str = "", surname: str = "") -> Person:
    """Find the Person with this PESEL or create one; names fill in blanks, never overwrite."""
    facts = parse_pesel(pesel, today=timezone.localdate())
    person = Person.objects.filter(pesel=facts.pesel).first()
    if person is not None:
        return person
    if not first_name or not surname:
        raise IdentityError("names_required")
    person, _ = Person.objects.get_or_create(
        pesel=facts.pesel,
        defaults={
            "first_name": first_name.strip(),
            "surname": surname.strip(),
            "birth_date": facts.birth_date,
            "sex": facts.sex,
        },
    )
    return person


def identity_verification_record(
    *, user: User, method: str, at: datetime | None = None
) -> IdentityVerification:
    at = at or timezone.now()
    expires_on = verification_expires_on(VerificationMethod(method), timezone.localdate(at))
    expires_at = timezone.make_aware(datetime.combine(expires_on, time(23, 59, 59)))
    return IdentityVerification.objects.create(
        user=user, method=method, verified_at=at, expires_at=expires_at
    )


def current_verification(user: User, *, at: datetime | None = None) -> IdentityVerification | None:
    at = at or timezone.now()
    return (
        user.verifications.filter(verified_at__lte=at, expires_at__gt=at)
        .order_by("-expires_at")
        .first()
    )


def identity_confirmed(user: User) -> bool:
    """Is a confirmation in force now? The request's user carries the answer from its loading
    (accounts/backends.py); any other user is asked for."""
    if hasattr(user, "verified_until"):
        return user.verified_until is not None and user.verified_until > timezone.now()
    return current_verification(user) is not None


def latest_verification(user: User) -> IdentityVerification | None:
    """The confirmation that lasts longest: the current one, or else the one that expired last."""
    return (
        user.verifications.filter(verified_at__lte=timezone.now()).order_by("-expires_at").first()
    )


@dataclass(frozen=True)
class VerifiedLogin:
    user: User
    created: bool
    verification: IdentityVerification


def patient_verify(
    *,
    pesel: str,
    email: str,
    method: str,
    password: str | None = None,
    first_name: str = "",
    surname: str = "",
) -> VerifiedLogin:
    """Give a person a verified login, as an NFZ branch does at the counter.

    Creates the Person when the names are given, creates or reuses the person's login, and
    records a fresh verification. A person's login keeps its e-mail: a different one refuses.
    """
    email = User.objects.normalize_email(email).lower()
    with transaction.atomic(durable=True):
        person = person_get_or_create(pesel=pesel, first_name=first_name, surname=surname)
        user = User.objects.select_for_update().filter(person=person).first()
        created = user is None
        if user is None:
            if User.objects.filter(email=email).exists():
                raise IdentityError("email_taken")
            user = User.objects.create_user(email=email, password=password, person=person)
        else:
            if user.email != email:
                raise IdentityError("email_mismatch")
            if password:
                user.set_password(password)
                user.save(update_fields=["password"])
        verification = identity_verification_record(user=user, method=method)
    return VerifiedLogin(user=user, created=created, verification=verification)
