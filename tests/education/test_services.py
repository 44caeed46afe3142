"""Services of study and education: writes with audit rows; refusals name the field and
write nothing; actors outside their scope are refused."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone, translation

from tests.meetings.factories import meeting
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import AuditEntry
from tongxin.education import services
from tongxin.education.models import (
    BaseVisit,
    EducationBase,
    SecretaryTraining,
    StudyCampaign,
    StudyMaterial,
    StudyRecord,
    Way,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 7, 15)


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")


def campaign(b, org=None, **kw):
    fields = {
        "title": "主题教育",
        "kind": "theme",
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 12, 31),
        "required_hours": D("12"),
    }
    fields.update(kw)
    return services.create_campaign(actor=b.district_admin, org=org or b.root, **fields)


def record(b, actor=None, member=None, **kw):
    fields = {"on": TODAY, "hours": D("2"), "way": Way.MEETING, "topic": "学党章", "today": TODAY}
    fields.update(kw)
    return services.record_study(
        actor=actor or b.secretary, member=member or b.members[0], **fields
    )


def errors_of(exc) -> dict:
    return exc.value.message_dict


# --- campaigns -----------------------------------------------------------------------------
def test_create_campaign_writes_audit(b):
    c = campaign(b)
    assert c.required_hours == D("12")
    entry = AuditEntry.objects.get(object_type__icontains="studycampaign", object_id=str(c.pk))
    assert entry.action == "create"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": date(2025, 12, 31)}, "ends_on"),
        ({"required_hours": D("-1")}, "required_hours"),
        ({"required_hours": D("1.2")}, "required_hours"),
        ({"title": "  "}, "title"),
        ({"kind": "points"}, "kind"),
    ],
)
def test_campaign_refusals_name_the_field_and_write_nothing(b, fields, field):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        campaign(b, **fields)
    assert field in errors_of(exc)
    assert not StudyCampaign.objects.exists()
    assert AuditEntry.objects.count() == before


def test_campaign_for_an_org_not_kept_is_refused(b):
    with pytest.raises(PermissionDenied):
        services.create_campaign(
            actor=b.outsider,
            org=b.org,
            title="x",
            kind="theme",
            starts_on=TODAY,
            ends_on=TODAY,
            required_hours=D("0"),
        )
    assert not StudyCampaign.objects.exists()


def test_material_needs_content_and_a_keeper(b):
    c = campaign(b)
    with pytest.raises(ValidationError) as exc:
        services.add_material(actor=b.district_admin, campaign=c, title="导读")
    assert "body" in errors_of(exc)
    with pytest.raises(PermissionDenied):
        services.add_material(actor=b.secretary, campaign=c, title="导读", body="正文")
    assert not StudyMaterial.objects.exists()
    m = services.add_material(actor=b.district_admin, campaign=c, title="导读", body="正文")
    assert m.campaign == c


# --- study records -------------------------------------------------------------------------
def test_keeper_records_study(b):
    r = record(b)
    assert r.recorded_by == b.secretary and not r.self_entered
    assert AuditEntry.objects.filter(object_id=str(r.pk), action="create").exists()


@pytest.mark.parametrize(
    ("on", "ok"),
    [(TODAY - timedelta(days=1), True), (TODAY, True), (TODAY + timedelta(days=1), False)],
)
def test_record_in_the_future_is_refused(b, on, ok):
    if ok:
        assert record(b, on=on).on == on
    else:
        with pytest.raises(ValidationError) as exc:
            record(b, on=on)
        assert "future" in errors_of(exc)["on"][0]
        assert not StudyRecord.objects.exists()


@pytest.mark.parametrize(("hours", "ok"), [(D("0.4"), False), (D("0.5"), True), (D("24.5"), False)])
def test_record_hours_bounds(b, hours, ok):
    if ok:
        assert record(b, hours=hours).hours == hours
    else:
        with pytest.raises(ValidationError) as exc:
            record(b, hours=hours)
        assert "hours" in errors_of(exc)
        assert not StudyRecord.objects.exists()


def test_member_records_own_self_study_only(b):
    r = record(b, actor=b.member_user, member=b.member, way=Way.SELF_STUDY)
    assert r.self_entered
    with pytest.raises(ValidationError) as exc:
        record(b, actor=b.member_user, member=b.member, way=Way.MEETING)
    assert "way" in errors_of(exc)
    with pytest.raises(PermissionDenied):
        record(b, actor=b.member_user, member=b.members[0], way=Way.SELF_STUDY)
    assert StudyRecord.objects.count() == 1


def test_outsider_cannot_record_for_a_foreign_member(b):
    with pytest.raises(PermissionDenied):
        record(b, actor=b.outsider)
    assert not StudyRecord.objects.exists()


def test_campaign_must_reach_the_members_branch(b):
    foreign = campaign(b, org=b.district.branch_b1)
    with pytest.raises(ValidationError) as exc:
        record(b, campaign=foreign)
    assert "campaign" in errors_of(exc)
    own = campaign(b)
    assert record(b, campaign=own).campaign == own


def test_meeting_must_be_held_by_the_branch_on_the_day(b):
    planned = meeting(b, on=TODAY, state="planned")
    with pytest.raises(ValidationError) as exc:
        record(b, meeting=planned)
    assert "meeting" in errors_of(exc)
    held = meeting(b, on=TODAY - timedelta(days=2), state="approved")
    with pytest.raises(ValidationError) as exc:
        record(b, meeting=held)  # the record's date is not the meeting's
    assert "on" in errors_of(exc)
    foreign = meeting(b.district.branch_b1, on=TODAY, state="approved")
    with pytest.raises(ValidationError) as exc:
        record(b, meeting=foreign)
    assert "meeting" in errors_of(exc)
    assert not StudyRecord.objects.exists()
    assert record(b, meeting=held, on=held.on).meeting == held


# --- bases and visits ----------------------------------------------------------------------
def register(b, actor=None, org=None, **kw):
    fields = {"name": "林则徐纪念馆", "address": "福州市鼓楼区澳门路"}
    fields.update(kw)
    return services.register_base(
        actor=actor or b.community_admin, org=org or b.community, **fields
    )


def test_register_base_and_refusals(b):
    base = register(b)
    with pytest.raises(ValidationError) as exc:
        register(b)
    assert "name" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        register(b, name="x", address="")
    assert "address" in errors_of(exc)
    with pytest.raises(PermissionDenied):
        register(b, actor=b.outsider, name="y")
    assert list(EducationBase.objects.all()) == [base]


def test_visit_writes_study_records_for_participants(b):
    base = register(b)
    ids = [m.pk for m in b.members[:3]]
    visit = services.record_visit(
        actor=b.secretary,
        base=base,
        org=b.org,
        on=TODAY,
        topic="参观",
        participant_ids=ids,
        hours=D("2"),
        today=TODAY,
    )
    assert visit.participant_count == 3
    assert sorted(StudyRecord.objects.filter(visit=visit).values_list("member_id", flat=True)) == (
        sorted(ids)
    )
    assert set(StudyRecord.objects.values_list("way", flat=True)) == {Way.BASE_VISIT}


def test_visit_refusals_write_nothing(b):
    base = register(b)
    with pytest.raises(ValidationError) as exc:
        services.record_visit(
            actor=b.secretary,
            base=base,
            org=b.org,
            on=TODAY + timedelta(days=1),
            topic="参观",
            participant_ids=[b.members[0].pk, b.outsider_member.pk],
            hours=D("30"),
            today=TODAY,
        )
    assert {"on", "participants", "hours"} <= set(errors_of(exc))
    assert not BaseVisit.objects.exists() and not StudyRecord.objects.exists()


# --- secretary trainings -------------------------------------------------------------------
def train(b, member=None, **kw):
    fields = {
        "course": "书记轮训班",
        "organiser": "区委党校",
        "starts_on": TODAY - timedelta(days=5),
        "ends_on": TODAY,
        "hours": D("40"),
        "today": TODAY,
    }
    fields.update(kw)
    return services.record_training(
        actor=b.community_admin, member=member or b.members[0], **fields
    )


def test_training_for_a_secretary(b):
    t = train(b)
    assert t.hours == D("40") and t.concentrated


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": TODAY + timedelta(days=1)}, "ends_on"),
        ({"starts_on": TODAY + timedelta(days=1)}, "ends_on"),
        ({"hours": D("0")}, "hours"),
        ({"course": ""}, "course"),
    ],
)
def test_training_refusals(b, fields, field):
    with pytest.raises(ValidationError) as exc:
        train(b, **fields)
    assert field in errors_of(exc)
    assert not SecretaryTraining.objects.exists()


def test_training_only_for_secretaries(b):
    with pytest.raises(ValidationError) as exc:
        train(b, member=b.members[3])
    assert "member" in errors_of(exc)


def test_today_defaults_to_local_date(b):
    r = services.record_study(
        actor=b.secretary,
        member=b.members[0],
        on=timezone.localdate(),
        hours=D("1"),
        way=Way.MEETING,
        topic="t",
    )
    assert r.on == timezone.localdate()


def test_material_file_type_and_size(b, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    c = campaign(b)
    with pytest.raises(ValidationError) as exc:
        services.add_material(
            actor=b.district_admin,
            campaign=c,
            title="脚本",
            file=SimpleUploadedFile("run.exe", b"MZ"),
        )
    assert "file" in errors_of(exc)
    big = SimpleUploadedFile("big.pdf", b"0")
    big.size = services.MATERIAL_MAX_BYTES + 1
    with pytest.raises(ValidationError) as exc:
        services.add_material(actor=b.district_admin, campaign=c, title="大", file=big)
    assert "file" in errors_of(exc)
    assert not StudyMaterial.objects.exists()
    ok = services.add_material(
        actor=b.district_admin, campaign=c, title="导读", file=SimpleUploadedFile("a.pdf", b"%PDF")
    )
    assert ok.file.name.endswith(".pdf")
