"""The free HPV programme in force from 2024-09-01 (DESIGN.md, "HPV vaccination"): Gardasil 9
for children from their 9th birthday until the day before their 14th on the day of the first
dose; two doses 6 to 12 calendar months apart; dose 2 may fall after the 14th birthday.
Later programme versions are admin edits, not migrations."""

from datetime import date

from django.db import migrations


def seed(apps, schema_editor):
    Vaccine = apps.get_model("vaccinations", "Vaccine")
    Programme = apps.get_model("vaccinations", "Programme")
    vaccine, _ = Vaccine.objects.get_or_create(
        code="HPV9",
        defaults={"name": "Gardasil 9", "against": "przeciw HPV", "against_en": "against HPV"},
    )
    Programme.objects.get_or_create(
        vaccine=vaccine,
        effective_from=date(2024, 9, 1),
        defaults={
            "name": "Program bezpłatnych szczepień przeciw HPV (od 1 września 2024)",
            "first_dose_min_age": 9,
            "first_dose_max_age": 14,
            "doses": 2,
            "min_interval_months": 6,
            "max_interval_months": 12,
            "later_doses_after_max_age": True,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("vaccinations", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
