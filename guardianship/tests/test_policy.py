"""DESIGN.md rules the access policy must keep beyond what the pages show."""

from datetime import timedelta

from django.utils import timezone

from conftest import deregister, make_grant
from guardianship.policy import access_for
from guardianship.rules import Basis, Level


def test_a_grant_outlives_the_granters_own_access(parent, other_parent, insured_child):
    """"Grants do not depend on the granter keeping access": the insuring parent shares the
    child, then loses the insurance link; the other parent keeps the grant."""
    make_grant(insured_child, other_parent.person, by=parent)

    deregister(parent.person, insured_child, valid_to=timezone.localdate() - timedelta(days=1))

    assert access_for(parent, insured_child).level == Level.NONE
    granted = access_for(other_parent, insured_child)
    assert (granted.level, granted.basis) == (Level.WRITE, Basis.GRANT)
