"""Default indicator weights (sum 100) and the rating settings row."""

from django.db import migrations

DEFAULTS = [
    ("meeting_compliance", 30),
    ("attendance", 20),
    ("dues_on_time", 20),
    ("admission_work", 10),
    ("study_hours", 10),
    ("demand_handling", 10),
]


def forwards(apps, schema_editor):
    IndicatorWeight = apps.get_model("assessment", "IndicatorWeight")
    RatingSettings = apps.get_model("assessment", "RatingSettings")
    for sort, (code, weight) in enumerate(DEFAULTS, start=1):
        IndicatorWeight.objects.get_or_create(
            code=code, defaults={"weight": weight, "sort": sort, "active": True}
        )
    RatingSettings.objects.get_or_create(pk=1)


def backwards(apps, schema_editor):
    apps.get_model("assessment", "IndicatorWeight").objects.all().delete()
    apps.get_model("assessment", "RatingSettings").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
