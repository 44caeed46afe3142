"""Demo and benchmark data of study and education for `tongxin seed` (issue 5 §3, §7, §10).

Reads the orgs and members from the database (it may run alone with `--only education` on a
seeded database) and draws everything from `rng` and `REFERENCE_DATE`, never the clock:

* two campaigns launched by the district (主题教育 2026 with 12 hours per member, and
  两学一做 常态化 with 8), with materials;
* three education bases of Gulou (林则徐纪念馆, 澳门路16号; 严复故居, 郎官巷20号; 三坊七巷
  with 南后街 as its axis) — public places, described briefly, opening hours left to the
  venues' own notices;
* study records over the twelve months before REFERENCE_DATE with gaps: at demo scale
  each member studies in some months and not others (some not at all); at the district
  and city scales about 0.8 records per member, so the city stays well under a minute;
* secretary trainings for about two thirds of the branch secretaries, some short of the
  yearly hours.

Study records go through members/seed's table writer: `COPY` on PostgreSQL, `bulk_create`
elsewhere, ids allocated up front and the sequence reset afterwards; no query per row.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter

from django.db import connection

from tongxin.education.models import (
    BaseVisit,
    CampaignKind,
    EducationBase,
    SecretaryTraining,
    StudyCampaign,
    StudyMaterial,
    StudyRecord,
    Way,
)
from tongxin.members import seed as member_seed
from tongxin.members.models import Member, Status
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

TODAY = REFERENCE_DATE
BATCH = 20000
FIRST_MONTH = date(TODAY.year - 1, TODAY.month, 1)

TOPICS = (
    "学习党的二十届四中全会精神",
    "学习《中国共产党章程》",
    "学习《中国共产党支部工作条例（试行）》",
    "学习习近平新时代中国特色社会主义思想专题",
    "学习党史：福州的红色记忆",
    "学习基层治理相关政策",
    "学习《中国共产党纪律处分条例》",
)

BASES = (
    (
        "林则徐纪念馆",
        "福州市鼓楼区澳门路16号",
        "纪念林则徐的专题纪念馆，陈列其生平与禁烟事迹，适合开展爱国主义教育。",
        "开放时间以场馆公告为准",
    ),
    (
        "严复故居",
        "福州市鼓楼区郎官巷20号（三坊七巷）",
        "近代思想家、翻译家严复晚年居所，展示其生平与译著。",
        "开放时间以场馆公告为准",
    ),
    (
        "三坊七巷历史文化街区",
        "福州市鼓楼区南后街",
        "保存完好的明清坊巷街区，名人故居集中，可开展党史和革命传统教育。",
        "街区全天开放，各展馆以公告为准",
    ),
)


def _months() -> list[date]:
    out, day = [], FIRST_MONTH
    for _ in range(12):
        out.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def _campaigns(root: Org) -> list[StudyCampaign]:
    theme = StudyCampaign.objects.create(
        org=root,
        title="2026年主题教育",
        kind=CampaignKind.THEME,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 12, 31),
        required_hours=Decimal("12"),
        description="全区党员参加，每名党员学习不少于12学时；学时按实际学习时间记录。",
    )
    regular = StudyCampaign.objects.create(
        org=root,
        title="推进“两学一做”学习教育常态化制度化",
        kind=CampaignKind.TWO_STUDIES,
        starts_on=FIRST_MONTH,
        ends_on=date(2026, 12, 31),
        required_hours=Decimal("8"),
        description="学党章党规、学系列讲话，做合格党员；以支部为单位按月组织学习。",
    )
    StudyMaterial.objects.bulk_create(
        [
            StudyMaterial(
                campaign=theme,
                title="学习导读（一）",
                body="围绕主题教育目标任务，结合本支部实际，撰写学习体会。",
                suggested_hours=Decimal("2"),
            ),
            StudyMaterial(
                campaign=theme,
                title="专题党课提纲",
                body="党课提纲：一、为什么学；二、学什么；三、怎么做。",
                suggested_hours=Decimal("1.5"),
            ),
            StudyMaterial(
                campaign=regular,
                title="《中国共产党章程》",
                body="逐章学习党章，每月一章，支部组织交流。",
                suggested_hours=Decimal("2"),
            ),
        ]
    )
    return [theme, regular]


def _bases(root: Org) -> list[EducationBase]:
    return EducationBase.objects.bulk_create(
        [
            EducationBase(org=root, name=n, address=a, description=d, opening_info=o)
            for n, a, d, o in BASES
        ]
    )


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    started = perf_counter()
    root = Org.objects.filter(depth=0).order_by("path").first()
    if root is None:
        out.write("education: no organisations; nothing seeded.")
        return {}
    campaigns = _campaigns(root)
    bases = _bases(root)
    months = _months()
    demo = scale == "demo"
    members = Member.objects.filter(
        status=Status.NORMAL, org__type__in=("branch", "joint_branch")
    ).values_list("id", "org_id", "post")
    stamp = datetime.combine(TODAY, time(2, 0), tzinfo=UTC)
    table = member_seed._Table(StudyRecord, copy=connection.vendor == "postgresql", stamp=stamp)
    trainings: list[SecretaryTraining] = []
    visit_branches: dict[int, list[int]] = {}
    for pk, org_id, post in members.order_by("id").iterator(chunk_size=20000):
        if demo:
            visit_branches.setdefault(org_id, []).append(pk)
            skipped = rng.random() < 0.1  # some members never studied
            chosen = [] if skipped else [m for m in months if rng.random() < 0.6]
        else:
            chosen = [rng.choice(months) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
        for month in chosen:
            on = month + timedelta(days=rng.randrange(0, 27))
            if on >= TODAY:
                on = TODAY - timedelta(days=1)
            campaign = None
            for c in campaigns:
                if c.starts_on <= on <= c.ends_on and rng.random() < 0.5:
                    campaign = c
                    break
            own = rng.random() < 0.3
            table.add(
                {
                    "member_id": pk,
                    "on": on,
                    "hours": Decimal(rng.choice(("1", "1.5", "2", "2", "3", "4"))),
                    "way": rng.choice((Way.SELF_STUDY, Way.ONLINE)) if own else Way.MEETING,
                    "topic": rng.choice(TOPICS),
                    "campaign_id": campaign.pk if campaign else None,
                    "self_entered": own,
                }
            )
        if post == "书记" and rng.random() < 0.67:
            hours = Decimal(rng.choice((8, 16, 24, 40, 56, 56, 64)))
            end = TODAY - timedelta(days=rng.randrange(10, 300))
            trainings.append(
                SecretaryTraining(
                    member_id=pk,
                    course=rng.choice(("区委党校基层党组织书记轮训班", "街道党工委书记培训班")),
                    organiser=rng.choice(("中共福州市鼓楼区委组织部", "区委党校")),
                    starts_on=end - timedelta(days=int(hours // 8)),
                    ends_on=end,
                    hours=hours,
                    concentrated=True,
                )
            )
        if len(table.rows) >= BATCH:
            rows, table.rows = table.rows, []
            table.write(rows)
    rows, table.rows = table.rows, []
    table.write(rows)
    member_seed._reset_sequences([StudyRecord])
    written = table.written
    SecretaryTraining.objects.bulk_create(trainings, batch_size=BATCH)
    visits = 0
    if demo:
        for org_id, ids in list(visit_branches.items())[:3]:
            visit = BaseVisit.objects.create(
                base=bases[visits % len(bases)],
                org_id=org_id,
                on=TODAY - timedelta(days=40 + visits * 30),
                topic="参观学习红色教育基地",
                participant_count=len(ids[:8]),
                hours=Decimal("2"),
            )
            visit.participants.set(ids[:8])
            StudyRecord.objects.bulk_create(
                StudyRecord(
                    member_id=m,
                    on=visit.on,
                    hours=Decimal("2"),
                    way=Way.BASE_VISIT,
                    topic=f"{visit.base.name}: {visit.topic}",
                    visit=visit,
                )
                for m in ids[:8]
            )
            written += len(ids[:8])
            visits += 1
    out.write(
        f"education: {written} study records, {len(trainings)} trainings, "
        f"{visits} visits in {perf_counter() - started:.1f} s"
    )
    return {
        "campaigns": len(campaigns),
        "bases": len(bases),
        "records": written,
        "trainings": len(trainings),
        "visits": visits,
    }
