"""Change history of grants and coverages (django-pghistory triggers, so bulk feed writes count)."""

from datetime import date

from django.utils import timezone

from conftest import deregister, insure, make_grant
from guardianship.models import AccessGrant, Coverage
from guardianship.policy import SubjectAccess
from guardianship.rules import Access, Basis, Level
from guardianship.services import grant_revoke

CoverageEvent = Coverage.pgh_event_model
GrantEvent = AccessGrant.pgh_event_model


def test_it_records_a_coverage_inserted_by_the_feed_and_its_end(parent, child):
    insure(parent.person, child, valid_from=date(2020, 1, 1))
    deregister(parent.person, child, valid_to=date(2024, 6, 30))

    history = list(
        CoverageEvent.objects.filter(member=child)
        .order_by("pgh_id")
        .values_list("pgh_label", "valid_to")
    )
    assert history == [("insert", None), ("update", date(2024, 6, 30))]


def test_it_does_not_rewrite_unchanged_coverages_when_a_feed_touches_the_pair_again(parent, child):
    insure(parent.person, child, valid_from=date(2020, 1, 1))
    insure(parent.person, child, valid_from=date(2025, 1, 1))

    assert CoverageEvent.objects.filter(member=child, pgh_label="update").count() == 0
    assert CoverageEvent.objects.filter(member=child, pgh_label="insert").count() == 2


def test_it_records_who_revoked_a_grant(parent, insured_child, other_parent):
    grant = make_grant(insured_child, other_parent.person, by=parent)

    grant_revoke(
        actor=parent,
        subject_access=SubjectAccess(insured_child, Access(Level.WRITE, Basis.INSURANCE)),
        grant=grant,
    )

    events = list(GrantEvent.objects.filter(pgh_obj=grant).order_by("pgh_id"))
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert events[-1].revoked_at is not None and events[-1].revoked_at <= timezone.now()
    assert events[-1].revoked_by_id == parent.pk
