"""Authentication backends that load a request's user with what every page asks of it.

Each request's user is loaded by its session's backend (`get_user`). Every page then asks
whether the account must use a second factor (a staff group) and whether the identity
confirmation is still in force: asked one by one through the ORM, that is two more queries per
request. Here both come with the user in one statement, written in SQL because it runs on
every request: the ORM needs ~4.8 ms to build and run the same query with its `Exists` and
`Subquery`, the raw statement ~1.1 ms (measured in-process on the 2-core machine). The answers
describe the moment the request began; code that changes them within a request (a confirmation
just recorded) asks `accounts.services` directly.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import IdentityVerification, Person, User
from accounts.roles import MFA_REQUIRED_GROUPS

_PERSON_FIELDS = Person._meta.concrete_fields
_USER_FOR_REQUEST = f"""
SELECT u.*,
       {", ".join(f'p.{f.column} AS "person.{f.attname}"' for f in _PERSON_FIELDS)},
       EXISTS (SELECT 1 FROM {User.groups.through._meta.db_table} ug
               JOIN {Group._meta.db_table} g ON g.id = ug.group_id
               WHERE ug.user_id = u.id AND g.name = ANY(%(groups)s)) AS in_mfa_group,
       (SELECT max(v.expires_at) FROM {IdentityVerification._meta.db_table} v
        WHERE v.user_id = u.id AND v.verified_at <= %(now)s AND v.expires_at > %(now)s)
           AS verified_until
FROM {User._meta.db_table} u
LEFT JOIN {Person._meta.db_table} p ON p.id = u.person_id
WHERE u.id = %(id)s
"""


def user_for_request(user_id) -> User | None:
    """The user with their Person (as select_related would attach it), `in_mfa_group` and
    `verified_until` (None: no confirmation in force now; the clock is Python's, as in
    accounts.services.current_verification)."""
    params = {"groups": sorted(MFA_REQUIRED_GROUPS), "now": timezone.now(), "id": user_id}
    user = next(iter(User.objects.raw(_USER_FOR_REQUEST, params)), None)
    if user is not None:
        values = [user.__dict__.pop(f"person.{f.attname}") for f in _PERSON_FIELDS]
        person = Person.from_db(user._state.db, [f.attname for f in _PERSON_FIELDS], values)
        user._state.fields_cache["person"] = person if user.person_id is not None else None
    return user


class _RequestUserMixin:
    def get_user(self, user_id):
        try:
            user = user_for_request(int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_RequestUserMixin, DjangoModelBackend):
    """Django's backend (admin-made sessions, the development login)."""


class AuthenticationBackend(_RequestUserMixin, AllauthBackend):
    """allauth's backend (logins by e-mail and password)."""
