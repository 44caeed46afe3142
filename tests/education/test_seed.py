"""The education seeder at demo scale: runs after orgs/accounts/members and alone on a
seeded database; writes consistent rows (records within the 12 months, bounds kept)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max, Min
from django.test import override_settings

from tongxin.education import selectors
from tongxin.education.models import (
    BaseVisit,
    EducationBase,
    SecretaryTraining,
    StudyCampaign,
    StudyRecord,
)
from tongxin.members.models import Member
from tongxin.orgs.seed import REFERENCE_DATE

pytestmark = pytest.mark.django_db


def test_demo_seed_writes_education_data():
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command(
            "seed", "--scale", "demo", "--only", "orgs,accounts,members,education", stdout=out
        )
    assert StudyCampaign.objects.count() == 2
    theme = StudyCampaign.objects.get(kind="theme")
    assert theme.required_hours == 12 and theme.ends_on.year == 2026
    assert theme.materials.exists()
    assert EducationBase.objects.filter(name="林则徐纪念馆").exists()
    assert EducationBase.objects.count() == 3
    span = StudyRecord.objects.aggregate(first=Min("on"), last=Max("on"))
    assert span["last"] < REFERENCE_DATE
    assert span["first"] >= REFERENCE_DATE - timedelta(days=366)
    assert StudyRecord.objects.count() > 100
    studied = StudyRecord.objects.values("member_id").distinct().count()
    assert studied < Member.objects.count()  # gaps: some members never studied
    assert SecretaryTraining.objects.exists()
    assert BaseVisit.objects.exists()
    hours = selectors.study_hours_by_branch(year=2026)
    assert hours and all(h > 0 and n > 0 for h, n in hours.values())
    assert "education:" in out.getvalue()


def test_seed_runs_alone_on_a_seeded_database():
    with override_settings(DEBUG=True):
        call_command("seed", "--scale", "demo", "--only", "orgs,members", stdout=StringIO())
        assert not StudyRecord.objects.exists()
        call_command("seed", "--scale", "demo", "--only", "education", stdout=StringIO())
    assert StudyRecord.objects.exists()
