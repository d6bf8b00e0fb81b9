"""The vaccine catalogue and its programmes, read on every vaccination page, the start page and
each booking, changed a few times a year in admin: kept in the shared cache.

Any save or delete of a Vaccine or Programme forgets the cached copy at once and again after its
transaction commits (so a page read between the two cannot keep the old rules). Changes that
send no signal (a queryset update, a data migration) are picked up within CATALOGUE_TTL.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from vaccinations import rules
from vaccinations.models import Programme, Vaccine

CATALOGUE_KEY = "vaccinations:catalogue:v1"
CATALOGUE_TTL = 5 * 60  # seconds


@dataclass(frozen=True)
class Entry:
    vaccine: Vaccine
    programmes: tuple[rules.Programme, ...]  # in the order they were created


def _load() -> dict[int, Entry]:
    entries: dict[int, list] = {}
    for programme in Programme.objects.select_related("vaccine").order_by("pk"):
        entries.setdefault(programme.vaccine_id, [programme.vaccine, []])[1].append(
            programme.as_rule()
        )
    return {pk: Entry(vaccine, tuple(found)) for pk, (vaccine, found) in entries.items()}


def catalogue() -> dict[int, Entry]:
    """Vaccine id → the vaccine and its programmes, for every vaccine that has a programme."""
    found = cache.get(CATALOGUE_KEY)
    if found is None:
        found = _load()
        cache.set(CATALOGUE_KEY, found, CATALOGUE_TTL)
    return found


def programmes_of(vaccine: Vaccine) -> list[rules.Programme]:
    entry = catalogue().get(vaccine.pk)
    return list(entry.programmes) if entry else []


def bookable_vaccines() -> list[Vaccine]:
    """Vaccines with a programme (what the booking path offers), by name."""
    return sorted((entry.vaccine for entry in catalogue().values()), key=lambda v: v.name)


@receiver([post_save, post_delete], sender=Programme)
@receiver([post_save, post_delete], sender=Vaccine)
def forget_catalogue(**_kwargs) -> None:
    cache.delete(CATALOGUE_KEY)
    transaction.on_commit(lambda: cache.delete(CATALOGUE_KEY))
