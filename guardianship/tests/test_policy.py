"""DESIGN.md rules the access policy must keep beyond what the pages show."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import deregister, give_own_title, insure, make_grant, make_person, years_ago
from guardianship.models import LinkSuspension
from guardianship.policy import SESSION_KEY, access_for, accessible_subjects, acting_subject
from guardianship.rules import NO_ACCESS, Basis, Level


def test_a_grant_outlives_the_granters_own_access(parent, other_parent, insured_child):
    """ "Grants do not depend on the granter keeping access": the insuring parent shares the
    child, then loses the insurance link; the other parent keeps the grant."""
    make_grant(insured_child, other_parent.person, by=parent)

    deregister(parent.person, insured_child, valid_to=timezone.localdate() - timedelta(days=1))

    assert access_for(parent, insured_child).level == Level.NONE
    granted = access_for(other_parent, insured_child)
    assert (granted.level, granted.basis) == (Level.WRITE, Basis.GRANT)


# --- The loader: each fact the one statement brings decides as the rules say ------------------


def facts_of(user, subject):
    """access_for's answer and whether accessible_subjects lists the subject, with its level."""
    listed = {item.subject.pk: item.access for item in accessible_subjects(user)}
    return access_for(user, subject), listed.get(subject.pk)


def test_a_grant_counts_whatever_the_case_and_spaces_of_the_typed_surname(
    parent, other_parent, insured_child
):
    grant = make_grant(insured_child, other_parent.person, by=parent)
    grant.grantee_surname = f"  {other_parent.person.surname.upper()} "
    grant.save()

    direct, listed = facts_of(other_parent, insured_child)

    assert (direct.level, direct.basis) == (Level.WRITE, Basis.GRANT)
    assert listed == direct


@pytest.mark.parametrize(
    "change",
    [
        {"grantee_surname": "Inna"},
        {"revoked_at": "now"},
        {"valid_until": "today"},  # the first day without access
    ],
    ids=["another surname", "revoked", "ended"],
)
def test_a_grant_under_another_surname_revoked_or_ended_gives_nothing(
    parent, other_parent, insured_child, change
):
    values = {"now": timezone.now(), "today": timezone.localdate()}
    grant = make_grant(insured_child, other_parent.person, by=parent)
    for field, value in change.items():
        setattr(grant, field, values.get(value, value))
    grant.save()

    assert facts_of(other_parent, insured_child) == (NO_ACCESS, None)


def test_a_suspended_insurance_link_gives_nothing_and_lifting_it_restores_it(parent, insured_child):
    suspension = LinkSuspension.objects.create(person=parent.person, subject=insured_child)
    assert facts_of(parent, insured_child) == (NO_ACCESS, None)

    suspension.lifted_at = timezone.now()
    suspension.save()
    direct, listed = facts_of(parent, insured_child)
    assert (direct.level, direct.basis) == (Level.WRITE, Basis.INSURANCE)
    assert listed == direct


def test_an_own_title_today_ends_the_insurance_access_and_a_past_one_does_not(
    parent, insured_child
):
    today = timezone.localdate()
    give_own_title(
        insured_child, valid_from=today - timedelta(days=30), valid_to=today - timedelta(days=1)
    )
    assert facts_of(parent, insured_child)[0].basis == Basis.INSURANCE

    give_own_title(insured_child, title="family_pension", valid_from=today)
    assert facts_of(parent, insured_child) == (NO_ACCESS, None)


def test_an_authorisation_reads_an_adults_account(parent, stranger):
    make_grant(parent.person, stranger.person, kind="authorisation", by=parent)

    direct, listed = facts_of(stranger, parent.person)

    assert (direct.level, direct.basis) == (Level.READ, Basis.AUTHORISATION)
    assert listed == direct
    assert facts_of(parent, stranger.person) == (NO_ACCESS, None)  # not the other way round


def test_access_to_another_person_and_the_list_of_them_are_one_query_each(
    parent, other_parent, insured_child, django_assert_num_queries
):
    second = make_person(born=years_ago(3), first_name="Jaś")
    insure(parent.person, second)
    make_grant(insured_child, other_parent.person, by=parent)
    assert parent.person is not None  # loaded now: a request's user comes with its person

    with django_assert_num_queries(1):
        assert access_for(parent, insured_child).can_read
    with django_assert_num_queries(1):
        assert [item.subject for item in accessible_subjects(parent)] == [
            insured_child,
            second,
        ]  # oldest first


def test_a_malformed_acting_account_in_the_session_falls_back_to_ones_own(rf, parent):
    request = rf.get("/")
    request.user = parent
    request.session = {SESSION_KEY: "not-a-uuid"}

    acting = acting_subject(request)

    assert acting.subject == parent.person
    assert SESSION_KEY not in request.session
