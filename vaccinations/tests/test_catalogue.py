"""The cached vaccine catalogue (vaccinations/catalogue.py): read once, forgotten on every
change made through the models (admin included), never serving rules from before a change."""

from datetime import date

import pytest
from django.core.cache import cache
from django.db import transaction

from conftest import hpv9
from vaccinations.catalogue import CATALOGUE_KEY, bookable_vaccines, catalogue, programmes_of
from vaccinations.models import Programme, Vaccine

pytestmark = pytest.mark.django_db


def new_programme(vaccine, **changes) -> Programme:
    fields = {
        "vaccine": vaccine, "name": "Program 2027 (hipotetyczny)", "effective_from": date(2027, 1, 1),
        "first_dose_min_age": 9, "first_dose_max_age": 15, "doses": 2, "min_interval_months": 6,
        "max_interval_months": 12, "later_doses_after_max_age": True,
    }  # fmt: skip
    return Programme.objects.create(**(fields | changes))


def test_the_catalogue_is_read_once_then_served_from_the_cache(django_assert_num_queries):
    vaccine = hpv9()
    with django_assert_num_queries(1):
        first = programmes_of(vaccine)
    with django_assert_num_queries(0):
        assert programmes_of(vaccine) == first
        assert [v.code for v in bookable_vaccines()] == ["HPV9"]
    assert first[0].effective_from == date(2024, 9, 1)


def test_a_new_programme_is_served_at_once():
    vaccine = hpv9()
    before = programmes_of(vaccine)

    new_programme(vaccine)

    after = programmes_of(vaccine)
    assert len(after) == len(before) + 1
    assert after[-1].effective_from == date(2027, 1, 1) and after[-1].first_dose_max_age == 15


def test_an_edited_or_deleted_programme_is_served_at_once():
    vaccine = hpv9()
    added = new_programme(vaccine)
    programmes_of(vaccine)

    added.first_dose_max_age = 16
    added.save()
    assert programmes_of(vaccine)[-1].first_dose_max_age == 16

    added.delete()
    assert all(p.effective_from != date(2027, 1, 1) for p in programmes_of(vaccine))


def test_a_vaccine_without_a_programme_is_not_bookable_and_a_renamed_one_shows_its_new_name():
    vaccine = hpv9()
    other = Vaccine.objects.create(code="XYZ", name="Inna szczepionka", against="coś")
    assert other.pk not in catalogue()
    assert programmes_of(other) == []

    vaccine.name = "HPV (dziewięciowalentna)"
    vaccine.save()
    assert [v.name for v in bookable_vaccines()] == ["HPV (dziewięciowalentna)"]


@pytest.mark.django_db(transaction=True)
def test_a_page_read_during_the_change_cannot_keep_the_old_rules_after_the_commit():
    """The copy is forgotten at the save and again at the commit: a reader between the two
    (here: this same connection, reading before the commit) cannot leave the old rules cached."""
    vaccine = hpv9()
    programmes_of(vaccine)
    with transaction.atomic():
        new_programme(vaccine)
        cache.set(CATALOGUE_KEY, {})  # what a concurrent reader would have cached meanwhile
    assert len(programmes_of(vaccine)) == Programme.objects.filter(vaccine=vaccine).count()
