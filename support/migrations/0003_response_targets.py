from datetime import timedelta

from django.db import migrations

# Starting targets, edited in admin afterwards: login problems stop people from reaching their
# data, so they are answered within a working day; lost access to a child within two.
TARGETS = {
    "login": (timedelta(hours=24), timedelta(days=3)),
    "child_access": (timedelta(hours=48), timedelta(days=14)),
    "not_my_child": (timedelta(hours=48), timedelta(days=14)),
    "hpv_booking": (timedelta(hours=48), timedelta(days=7)),
    "missing_documents": (timedelta(hours=72), timedelta(days=21)),
    "sick_leave": (timedelta(hours=48), timedelta(days=14)),
    "other": (timedelta(hours=72), timedelta(days=21)),
}


def seed(apps, schema_editor):
    ResponseTarget = apps.get_model("support", "ResponseTarget")
    for category, (first, resolution) in TARGETS.items():
        ResponseTarget.objects.get_or_create(category=category, defaults={"first_response": first, "resolution": resolution})


class Migration(migrations.Migration):
    dependencies = [("support", "0002_desk")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
