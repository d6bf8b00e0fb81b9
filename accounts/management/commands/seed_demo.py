"""`manage.py seed_demo`: the demo world that `make run` shows. Safe to run again.

Each app contributes a `demo.seed(people)` step; they run in dependency order.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo
from guardianship import demo as guardianship_demo
from records import demo as records_demo
from sickleaves import demo as sickleaves_demo
from support import demo as support_demo
from vaccinations import demo as vaccinations_demo


class Command(BaseCommand):
    help = "Load the demo world (idempotent). Logins are listed in README.md."

    def handle(self, *args, **options):
        with transaction.atomic(durable=True):
            people = accounts_demo.seed()
        # Not inside the block above: the feed runner and the grant service own their
        # (durable) transactions, as they do for every other caller.
        # Vaccinations before guardianship: its insurance file (the children it adds) must be
        # applied before guardianship leaves Staś's registration pending, or applying it
        # would take that pending event with it (guardianship/demo.py, load_insurance).
        vaccinations_demo.seed(people)
        guardianship_demo.seed(people)
        # After guardianship: the people exist and the first seeding day is known.
        records_demo.seed(people)
        sickleaves_demo.seed(people)
        support_demo.seed(people)  # last: its requests concern the people and cases above
        self.stdout.write(self.style.SUCCESS(f"Demo world ready: {len(people)} people."))
