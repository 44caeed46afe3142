"""Reports of the admission pipeline for any subtree (DOMAIN.md §6; issue 4 item 6):
the funnel by phase and the admissions by group for a period. Grouped queries only.

What counts as an admission (decision): a file whose admission the higher committee has
approved (step 17 done, `approved_on` set), counted in the period by `admitted_on` — the
date of the branch meeting's resolution (step 15), which is the membership date the party
statistics use (入党时间). A file approved after the period for a meeting inside it counts
once the approval is recorded; a probation later cancelled still counts as an admission of
its year. The age band is the age on `admitted_on`.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.utils.translation import gettext_lazy as _

from tongxin.development import rules
from tongxin.development.models import Applicant
from tongxin.development.selectors.files import keepers_files
from tongxin.members.models import Education, Gender

# (key, label, lowest age, highest age or None)
AGE_BANDS = (
    ("to25", _("25 and under"), 0, 25),
    ("26_30", _("26 to 30"), 26, 30),
    ("31_35", _("31 to 35"), 31, 35),
    ("36_40", _("36 to 40"), 36, 40),
    ("41_50", _("41 to 50"), 41, 50),
    ("51_60", _("51 to 60"), 51, 60),
    ("61up", _("61 and over"), 61, None),
)
GROUPS = (
    ("is_high_knowledge", _("High-knowledge group")),
    ("is_migrant_worker", _("Migrant workers")),
    ("is_soe", _("State-owned enterprises")),
    ("is_two_new", _("New economic and social organisations")),
)


def subtree_files(user, org):
    return keepers_files(user).filter(org__path__startswith=org.path)


def funnel(user, org) -> dict:
    """Open files of `org`'s subtree by phase, with the overdue count (one grouped query)."""
    counts = {
        row["phase"]: row
        for row in subtree_files(user, org)
        .filter(state=Applicant.State.OPEN)
        .values("phase")
        .annotate(n=Count("id"), late=Count("id", filter=Q(overdue=True)))
        .order_by("phase")
    }
    phases = [
        {
            "phase": p,
            "count": counts.get(p.number, {}).get("n", 0),
            "overdue": counts.get(p.number, {}).get("late", 0),
        }
        for p in rules.PHASES
    ]
    return {
        "org": org,
        "phases": phases,
        "total": sum(p["count"] for p in phases),
        "overdue": sum(p["overdue"] for p in phases),
    }


def _age_expression():
    """Whole years between birth_date and admitted_on, computed in the database."""
    before_birthday = Case(
        When(
            Q(admitted_month__lt=F("birth_month"))
            | Q(admitted_month=F("birth_month"), admitted_day__lt=F("birth_day")),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    return F("admitted_year") - F("birth_year") - before_birthday


def _band_expression():
    whens = []
    for key, _label, low, high in AGE_BANDS:
        q = Q(age__gte=low) if high is None else Q(age__gte=low, age__lte=high)
        whens.append(When(q, then=Value(key)))
    return Case(*whens, default=Value("61up"))


def admissions(user, org, since: date, until: date):
    """The admissions of the period (see the module docstring) in `org`'s subtree."""
    return subtree_files(user, org).filter(
        approved_on__isnull=False, admitted_on__gte=since, admitted_on__lte=until
    )


def admissions_by_group(user, org, since: date, until: date) -> dict:
    """Admissions of the period by group, gender, education and age band (three queries).

    Returns {"org", "since", "until", "total", "groups", "gender", "education", "age",
    "youth"}; each list holds (key, label, count) in report order."""
    qs = admissions(user, org, since, until)
    flags = qs.aggregate(
        total=Count("id"),
        **{key: Count("id", filter=Q(**{key: True})) for key, _label in GROUPS},
        **{f"g_{g.value}": Count("id", filter=Q(gender=g.value)) for g in Gender},
    )
    education = dict(
        qs.values_list("education").annotate(n=Count("id")).order_by().values_list("education", "n")
    )
    bands = dict(
        qs.annotate(
            admitted_year=ExtractYear("admitted_on"),
            admitted_month=ExtractMonth("admitted_on"),
            admitted_day=ExtractDay("admitted_on"),
            birth_year=ExtractYear("birth_date"),
            birth_month=ExtractMonth("birth_date"),
            birth_day=ExtractDay("birth_date"),
        )
        .annotate(age=_age_expression())
        .annotate(band=_band_expression())
        .values("band")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("band", "n")
    )
    age = [(key, label, bands.get(key, 0)) for key, label, _low, _high in AGE_BANDS]
    return {
        "org": org,
        "since": since,
        "until": until,
        "total": flags["total"],
        "groups": [(key, label, flags[key]) for key, label in GROUPS],
        "gender": [(g.value, g.label, flags[f"g_{g.value}"]) for g in Gender],
        "education": [(e.value, e.label, education.get(e.value, 0)) for e in Education],
        "age": age,
        "youth": sum(n for key, _label, n in age if key in {"to25", "26_30", "31_35"}),
    }
