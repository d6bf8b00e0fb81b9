"""Fixtures of the ikp-pomoc tests: a desk user with TOTP (the desk demands MFA) and tickets."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.roles import SUPPORT_GROUP
from conftest import make_user
from support import services
from support.models import Ticket


@pytest.fixture
def desk_user(support_user):
    """`support_user` with TOTP set up, as the MFA middleware requires."""
    TOTP.activate(support_user, generate_totp_secret())
    return support_user


@pytest.fixture
def other_desk_user(db):
    user = make_user(email="pomoc2@example.test", groups=[SUPPORT_GROUP])
    TOTP.activate(user, generate_totp_secret())
    return user


def open_ticket(requester, *, person=None, category=Ticket.Category.OTHER, description="Nie działa.", **fields) -> Ticket:
    return services.ticket_open(category=category, description=description, requester=requester, person=person, **fields)
