"""The request's user is loaded in one statement with what every page asks of it
(accounts/backends.py); each answer must equal what the ORM questions would give."""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import AuthenticationBackend, ModelBackend, user_for_request
from accounts.models import IdentityVerification
from accounts.roles import CLINIC_STAFF_GROUP, SUPPORT_GROUP, requires_mfa
from accounts.services import current_verification, identity_confirmed
from conftest import make_person, make_user

pytestmark = pytest.mark.django_db


def asked_directly(user) -> tuple:
    """The same three answers through the ORM, one question at a time."""
    fresh = type(user).objects.get(pk=user.pk)
    return fresh.person, requires_mfa(fresh), current_verification(fresh) is not None


def asked_at_login(user) -> tuple:
    loaded = user_for_request(user.pk)
    return loaded.person, requires_mfa(loaded), identity_confirmed(loaded)


@pytest.mark.parametrize("groups", [(), (SUPPORT_GROUP,), (CLINIC_STAFF_GROUP,), ("other",)])
def test_the_loaded_user_answers_as_the_orm_questions_would(groups):
    user = make_user(person=make_person(born=date(1980, 1, 2)), groups=groups)

    assert asked_at_login(user) == asked_directly(user)
    assert requires_mfa(user_for_request(user.pk)) is bool(
        set(groups) & {SUPPORT_GROUP, CLINIC_STAFF_GROUP}
    )


def test_a_staff_login_without_a_person_loads_with_none():
    user = make_user(person=None, is_staff=True)

    loaded = user_for_request(user.pk)
    assert loaded.person is None and loaded.person_id is None
    assert requires_mfa(loaded) and not identity_confirmed(loaded)


def test_the_person_comes_with_the_user_in_one_statement(parent):
    with CaptureQueriesContext(connection) as queries:
        loaded = user_for_request(parent.pk)
        assert loaded.person.pesel == parent.person.pesel
        assert loaded.person.public_id == parent.person.public_id
        requires_mfa(loaded), identity_confirmed(loaded)
    assert len(queries) == 1


def test_an_expired_or_future_confirmation_is_not_in_force(parent):
    IdentityVerification.objects.filter(user=parent).update(
        verified_at=timezone.now() - timedelta(days=400),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert not identity_confirmed(user_for_request(parent.pk))

    IdentityVerification.objects.filter(user=parent).update(
        verified_at=timezone.now() + timedelta(days=1),
        expires_at=timezone.now() + timedelta(days=400),
    )
    assert not identity_confirmed(user_for_request(parent.pk))
    assert asked_at_login(parent) == asked_directly(parent)


def test_the_confirmation_follows_the_python_clock(parent):
    expires = current_verification(parent).expires_at
    with time_machine.travel(expires - timedelta(minutes=1), tick=False):
        assert identity_confirmed(user_for_request(parent.pk))
    with time_machine.travel(expires + timedelta(minutes=1), tick=False):
        assert not identity_confirmed(user_for_request(parent.pk))


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend])
def test_both_backends_refuse_unknown_malformed_and_inactive_users(backend, parent):
    assert backend().get_user(parent.pk).pk == parent.pk
    assert backend().get_user(10**9) is None
    assert backend().get_user("not a number") is None
    parent.is_active = False
    parent.save(update_fields=["is_active"])
    assert backend().get_user(parent.pk) is None


def test_a_session_made_by_a_login_loads_through_the_portal_backend(client, parent):
    client.force_login(parent)
    request = RequestFactory().get("/")
    request.session = client.session

    user = get_user(request)
    assert user.pk == parent.pk and hasattr(user, "verified_until")
