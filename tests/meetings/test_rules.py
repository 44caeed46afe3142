"""Pure tests of the organisational-life rules (DOMAIN.md §3.5–3.6, §7) — no database."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tongxin.meetings.rules import compliance as comp
from tongxin.meetings.rules import elections as el
from tongxin.meetings.rules import kinds as k
from tongxin.meetings.rules import lapse_feed as lf
from tongxin.meetings.rules import periods as pr
from tongxin.meetings.rules import rating as rt
from tongxin.meetings.rules import signin as si
from tongxin.meetings.rules import terms as tm
from tongxin.meetings.rules.common import RuleError
from tongxin.members.rules import lapse as member_lapse

D = date
DAY = timedelta(days=1)
Q3 = pr.Period.parse("2026-Q3")
OLD = D(2020, 1, 1)  # a branch that has long existed


def P(text):
    return pr.Period.parse(text)


def labels(periods):
    return [p.label for p in periods]


def M(kind, on, state="approved", attendance=None):
    return comp.MeetingRecord(kind, on, state, attendance)


def report(period=Q3, meetings=(), created_on=OLD, committee=True, groups=True, **kw):
    return comp.meeting_compliance_for_branch(
        period=period,
        created_on=created_on,
        has_committee=committee,
        has_groups=groups,
        meetings=list(meetings),
        **kw,
    )


def full_quarter(q=Q3):
    """Every kind due in a quarter, approved once in each of its periods."""
    out = [M(k.GENERAL_MEETING, q.start + 10 * DAY), M(k.PARTY_LECTURE, q.start + 20 * DAY)]
    for month in pr.periods_within(q, pr.MONTH):
        for code in (k.COMMITTEE_MEETING, k.GROUP_MEETING, k.THEME_DAY):
            out.append(M(code, month.start + 4 * DAY))
    return out


# --- periods ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "unit", "start", "end"),
    [
        ("2026", pr.YEAR, D(2026, 1, 1), D(2026, 12, 31)),
        ("2026-Q1", pr.QUARTER, D(2026, 1, 1), D(2026, 3, 31)),
        ("2026-Q2", pr.QUARTER, D(2026, 4, 1), D(2026, 6, 30)),
        ("2026-Q3", pr.QUARTER, D(2026, 7, 1), D(2026, 9, 30)),
        ("2026-Q4", pr.QUARTER, D(2026, 10, 1), D(2026, 12, 31)),
        ("2024-Q1", pr.QUARTER, D(2024, 1, 1), D(2024, 3, 31)),
        ("2026-07", pr.MONTH, D(2026, 7, 1), D(2026, 7, 31)),
        ("2024-02", pr.MONTH, D(2024, 2, 1), D(2024, 2, 29)),
        ("2026-02", pr.MONTH, D(2026, 2, 1), D(2026, 2, 28)),
        ("2026-12", pr.MONTH, D(2026, 12, 1), D(2026, 12, 31)),
    ],
)
def test_parse_period(text, unit, start, end):
    p = P(text)
    assert (p.unit, p.start, p.end, p.label, str(p)) == (unit, start, end, text, text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "period_empty"),
        (None, "period_empty"),
        ("2026-Q5", "period_quarter"),
        ("2026-Q0", "period_quarter"),
        ("2026-13", "period_month"),
        ("2026-00", "period_month"),
        ("0999", "period_year"),
        ("2101", "period_year"),
        ("9999-12", "period_year"),
        ("9999-Q4", "period_year"),
        ("2026-7", "period_format"),
        ("2026-q3", "period_format"),
        ("2026-Q10", "period_format"),
        (" 2026", "period_format"),
        ("2026-Q3 ", "period_format"),
        ("26-07", "period_format"),
        ("2026/07", "period_format"),
        ("2026-H1", "period_format"),
        ("2026-07-01", "period_format"),
        ("２０２６", "period_format"),  # full-width digits are not accepted
        (2026, "period_format"),
    ],
)
def test_parse_period_refuses_clearly(text, code):
    with pytest.raises(RuleError) as err:
        P(text)
    assert err.value.code == code


def test_period_error_names_the_accepted_forms():
    with translation.override("en"), pytest.raises(RuleError) as err:
        P("2026/07")
    assert "2026/07" in str(err.value) and "2026-Q3" in str(err.value)
    assert "2026-07" in str(err.value)


@pytest.mark.parametrize(
    ("outer", "unit", "expected"),
    [
        ("2026", pr.MONTH, [f"2026-{m:02d}" for m in range(1, 13)]),
        ("2026", pr.QUARTER, ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]),
        ("2026", pr.YEAR, ["2026"]),
        ("2026-Q3", pr.MONTH, ["2026-07", "2026-08", "2026-09"]),
        ("2026-Q3", pr.QUARTER, ["2026-Q3"]),
        ("2026-Q3", pr.YEAR, []),
        ("2026-07", pr.MONTH, ["2026-07"]),
        ("2026-07", pr.QUARTER, []),
    ],
)
def test_periods_within(outer, unit, expected):
    assert labels(pr.periods_within(P(outer), unit)) == expected


@pytest.mark.parametrize(
    ("d", "unit", "expected"),
    [
        (D(2026, 6, 30), pr.QUARTER, "2026-Q2"),
        (D(2026, 7, 1), pr.QUARTER, "2026-Q3"),
        (D(2026, 9, 30), pr.QUARTER, "2026-Q3"),
        (D(2026, 10, 1), pr.QUARTER, "2026-Q4"),
        (D(2024, 2, 29), pr.MONTH, "2024-02"),
        (D(2026, 12, 31), pr.YEAR, "2026"),
    ],
)
def test_period_of(d, unit, expected):
    assert pr.period_of(d, unit).label == expected


@pytest.mark.parametrize(
    ("d", "inside"),
    [
        (D(2026, 6, 30), False),
        (D(2026, 7, 1), True),
        (D(2026, 7, 2), True),
        (D(2026, 9, 29), True),
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),
    ],
)
def test_period_contains_boundaries(d, inside):
    assert Q3.contains(d) == inside


def test_next_and_previous_cross_years():
    assert P("2026-Q4").next().label == "2027-Q1"
    assert P("2026-01").previous().label == "2025-12"
    assert P("2026").next().label == "2027"


def test_period_must_start_its_unit():
    with pytest.raises(ValueError):
        pr.Period(D(2026, 8, 1), pr.QUARTER)
    with pytest.raises(RuleError):
        pr.Period(D(2026, 7, 1), "week")


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)), st.sampled_from(pr.UNITS))
def test_every_date_is_in_exactly_its_period(d, unit):
    p = pr.period_of(d, unit)
    assert p.contains(d) and not p.next().contains(d)
    assert pr.Period.parse(p.label) == p


# --- kinds ------------------------------------------------------------------------------------
def test_kinds_table():
    codes = [x.code for x in k.KINDS]
    assert codes == [
        "general_meeting",
        "committee_meeting",
        "group_meeting",
        "party_lecture",
        "theme_day",
        "life_meeting",
        "appraisal",
        "heart_talk",
        "study",
    ]
    freq = {x.code: str(x.frequency) if x.frequency else None for x in k.KINDS}
    assert freq == {
        "general_meeting": "1/quarter",
        "committee_meeting": "1/month",
        "group_meeting": "1/month",
        "party_lecture": "1/quarter",
        "theme_day": "1/month",
        "life_meeting": "1/year",
        "appraisal": "1/year",
        "heart_talk": "1/year",
        "study": None,
    }
    assert [x.code for x in k.KINDS if x.needs_committee] == ["committee_meeting"]
    assert [x.code for x in k.KINDS if x.needs_groups] == ["group_meeting"]
    assert k.kind("general_meeting").article.endswith("第十一条")
    assert k.kind("committee_meeting").article.endswith("第十二条")
    assert k.kind("group_meeting").article.endswith("第十三条")
    assert k.kind("life_meeting").article.endswith("第十七条")
    assert "practice" in k.kind("party_lecture").article
    assert k.kind("theme_day").name_zh == "主题党日"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/month", k.Frequency(1, pr.MONTH)),
        ("2/quarter", k.Frequency(2, pr.QUARTER)),
        ("12/year", k.Frequency(12, pr.YEAR)),
        ("", None),
        (None, None),
        ("none", None),
    ],
)
def test_parse_frequency(text, expected):
    assert k.parse_frequency(text) == expected


@pytest.mark.parametrize("text", ["0/month", "1/week", "1 / month", "month", "-1/year", "1/Month"])
def test_parse_frequency_refuses(text):
    with pytest.raises(RuleError):
        k.parse_frequency(text)


def test_frequency_overrides_and_unknown_kind():
    f = k.frequencies({"party_lecture": "2/quarter", "study": "1/month", "heart_talk": None})
    assert f["party_lecture"] == k.Frequency(2, pr.QUARTER)
    assert f["study"] == k.Frequency(1, pr.MONTH) and f["heart_talk"] is None
    assert f["general_meeting"] == k.Frequency(1, pr.QUARTER)
    with pytest.raises(RuleError):
        k.frequencies({"party_lectures": "1/quarter"})
    with pytest.raises(RuleError):
        comp.CompliancePolicy(frequencies={"typo": None})


# --- compliance: a full quarter and what is missing --------------------------------------------
def test_full_quarter_is_compliant():
    r = report(meetings=full_quarter())
    assert r.compliant and not r.behind and r.status == comp.MET and r.missing_items == []
    g = r.of(k.GENERAL_MEETING)
    assert (g.due, g.held, g.approved, g.met, g.missing) == (1, 1, 1, 1, ())
    c = r.of(k.COMMITTEE_MEETING)
    assert (c.due, c.approved, c.met) == (3, 3, 3)
    for code in (k.LIFE_MEETING, k.APPRAISAL, k.HEART_TALK):
        assert r.of(code).reason == comp.LONGER_PERIOD and r.of(code).due == 0
    assert r.of(k.STUDY).reason == comp.NOT_REQUIRED


def test_nothing_recorded_misses_everything_due():
    r = report()
    assert r.behind and r.status == comp.BEHIND
    assert r.missing_items == [
        ("general_meeting", "2026-Q3"),
        ("committee_meeting", "2026-07"),
        ("committee_meeting", "2026-08"),
        ("committee_meeting", "2026-09"),
        ("group_meeting", "2026-07"),
        ("group_meeting", "2026-08"),
        ("group_meeting", "2026-09"),
        ("party_lecture", "2026-Q3"),
        ("theme_day", "2026-07"),
        ("theme_day", "2026-08"),
        ("theme_day", "2026-09"),
    ]


def test_missing_month_is_named():
    meetings = [M(k.THEME_DAY, D(2026, 7, 1)), M(k.THEME_DAY, D(2026, 9, 30))]
    t = report(meetings=meetings).of(k.THEME_DAY)
    assert (t.due, t.approved, t.met) == (3, 2, 2)
    assert labels(t.missing) == ["2026-08"]


@pytest.mark.parametrize(
    ("on", "counts_for"),
    [
        (D(2026, 6, 30), None),  # the day before the quarter: not in this report
        (D(2026, 7, 1), "2026-07"),
        (D(2026, 7, 31), "2026-07"),
        (D(2026, 8, 1), "2026-08"),
        (D(2026, 9, 30), "2026-09"),  # the quarter's last day counts
        (D(2026, 10, 1), None),  # the day after: next quarter
    ],
)
def test_meeting_counts_for_the_period_of_its_date(on, counts_for):
    t = report(meetings=[M(k.THEME_DAY, on)]).of(k.THEME_DAY)
    met = [s.period.label for s in t.periods if s.status == comp.MET]
    assert met == ([counts_for] if counts_for else [])
    g = report(meetings=[M(k.GENERAL_MEETING, on)]).of(k.GENERAL_MEETING)
    assert g.compliant == (counts_for is not None)


def test_extra_meetings_do_not_cover_another_period():
    meetings = [M(k.COMMITTEE_MEETING, D(2026, 7, d)) for d in (3, 13, 23)]
    c = report(meetings=meetings).of(k.COMMITTEE_MEETING)
    assert (c.due, c.approved, c.met) == (3, 3, 1)
    assert labels(c.missing) == ["2026-08", "2026-09"]


@pytest.mark.parametrize(
    ("state", "held", "approved", "compliant"),
    [
        ("planned", 0, 0, False),
        ("cancelled", 0, 0, False),
        ("held", 1, 0, False),
        ("submitted", 1, 0, False),
        ("returned", 1, 0, False),
        ("approved", 1, 1, True),
    ],
)
def test_only_approved_meetings_meet_the_due(state, held, approved, compliant):
    g = report(meetings=[M(k.GENERAL_MEETING, D(2026, 8, 5), state)]).of(k.GENERAL_MEETING)
    assert (g.held, g.approved, g.compliant) == (held, approved, compliant)


def test_bad_meeting_records_are_refused():
    with pytest.raises(RuleError):
        M("general", D(2026, 8, 5))
    with pytest.raises(RuleError):
        M(k.GENERAL_MEETING, D(2026, 8, 5), "done")


def test_configured_frequency_twice_a_quarter():
    policy = comp.CompliancePolicy(frequencies=k.frequencies({"party_lecture": "2/quarter"}))
    one = [M(k.PARTY_LECTURE, D(2026, 7, 5))]
    two = [*one, M(k.PARTY_LECTURE, D(2026, 9, 5))]
    a = report(meetings=one, policy=policy).of(k.PARTY_LECTURE)
    b = report(meetings=two, policy=policy).of(k.PARTY_LECTURE)
    assert (a.due, a.met, a.compliant) == (2, 1, False)
    assert (b.due, b.met, b.compliant) == (2, 2, True)


def test_study_due_when_configured():
    policy = comp.CompliancePolicy(frequencies={"study": "1/month"})  # strings are parsed
    s = report(meetings=[M(k.STUDY, D(2026, 7, 9))], policy=policy).of(k.STUDY)
    assert s.applies and labels(s.missing) == ["2026-08", "2026-09"]


# --- compliance: committee and groups ------------------------------------------------------------
def test_branch_without_committee_owes_no_committee_meetings():
    meetings = [m for m in full_quarter() if m.kind != k.COMMITTEE_MEETING]
    with_committee = report(meetings=meetings)
    without = report(meetings=meetings, committee=False)
    assert with_committee.behind
    assert labels(with_committee.of(k.COMMITTEE_MEETING).missing) == [
        "2026-07",
        "2026-08",
        "2026-09",
    ]
    assert without.compliant
    c = without.of(k.COMMITTEE_MEETING)
    assert (c.reason, c.due, c.periods, c.applies) == (comp.NO_COMMITTEE, 0, (), False)


def test_committee_meetings_of_a_branch_without_committee_are_still_counted():
    c = report(meetings=[M(k.COMMITTEE_MEETING, D(2026, 7, 3))], committee=False)
    assert c.of(k.COMMITTEE_MEETING).held == 1 and c.of(k.COMMITTEE_MEETING).due == 0


def test_branch_without_party_groups():
    meetings = [m for m in full_quarter() if m.kind != k.GROUP_MEETING]
    r = report(meetings=meetings, groups=False)
    assert r.compliant and r.of(k.GROUP_MEETING).reason == comp.NO_GROUPS


# --- compliance: a branch created during the period -----------------------------------------------
@pytest.mark.parametrize(
    ("created", "months_due", "quarter_due"),
    [
        (D(2026, 6, 30), ["2026-07", "2026-08", "2026-09"], True),
        (D(2026, 7, 1), ["2026-07", "2026-08", "2026-09"], True),  # the quarter's first day
        (D(2026, 7, 2), ["2026-08", "2026-09"], True),  # the second day
        (D(2026, 7, 31), ["2026-08", "2026-09"], True),
        (D(2026, 8, 1), ["2026-08", "2026-09"], True),
        (D(2026, 8, 31), ["2026-09"], True),
        (D(2026, 9, 1), ["2026-09"], True),  # one whole month left: the quarter is owed
        (D(2026, 9, 2), [], False),
        (D(2026, 9, 30), [], False),  # the quarter's last day
        (D(2026, 10, 1), [], False),
    ],
)
def test_branch_created_during_the_quarter(created, months_due, quarter_due):
    r = report(created_on=created)
    t = r.of(k.THEME_DAY)
    assert labels(t.missing) == months_due
    assert t.due == len(months_due)
    assert (r.of(k.GENERAL_MEETING).due == 1) == quarter_due
    assert (r.of(k.PARTY_LECTURE).due == 1) == quarter_due
    if not months_due:
        assert t.reason == comp.NEW_BRANCH
    if not quarter_due:
        assert r.compliant and r.of(k.GENERAL_MEETING).reason == comp.NEW_BRANCH


def test_meetings_of_a_new_branch_in_a_period_it_did_not_owe_are_counted():
    t = report(created_on=D(2026, 7, 2), meetings=[M(k.THEME_DAY, D(2026, 7, 20))])
    row = t.of(k.THEME_DAY).periods[0]
    assert (row.period.label, row.status, row.approved) == ("2026-07", comp.NOT_DUE, 1)
    assert t.of(k.THEME_DAY).approved == 1 and t.of(k.THEME_DAY).met == 0


@pytest.mark.parametrize(
    ("created", "period", "min_months", "owed"),
    [
        (D(2026, 12, 1), "2026", 1, True),  # yearly: created by 1 December
        (D(2026, 12, 2), "2026", 1, False),
        (D(2026, 7, 1), "2026-Q3", 3, True),  # stricter local setting: whole quarter
        (D(2026, 7, 2), "2026-Q3", 3, False),
        (D(2026, 8, 1), "2026-Q3", 2, True),
        (D(2026, 8, 2), "2026-Q3", 2, False),
        (D(2024, 2, 1), "2024-02", 1, True),
        (D(2024, 2, 29), "2024-02", 1, False),  # created on 29 February: March is the first
        (D(2024, 3, 1), "2024-03", 1, True),
        (D(2026, 7, 1), "2026-07", 5, True),  # more months than the period has: clamped
    ],
)
def test_owes_period(created, period, min_months, owed):
    assert comp.owes_period(created, P(period), min_months) == owed


def test_min_whole_months_must_be_positive():
    with pytest.raises(RuleError):
        comp.CompliancePolicy(min_whole_months=0)


def test_leap_day_meeting_counts_for_february():
    r = report(period=P("2024-02"), meetings=[M(k.THEME_DAY, D(2024, 2, 29))])
    assert r.of(k.THEME_DAY).compliant
    assert r.of(k.GENERAL_MEETING).reason == comp.LONGER_PERIOD


# --- compliance: yearly kinds -------------------------------------------------------------------
def test_yearly_kinds_are_judged_on_the_year():
    year = P("2026")
    meetings = [M(k.LIFE_MEETING, D(2026, 12, 28)), M(k.APPRAISAL, D(2026, 1, 10))]
    r = report(period=year, meetings=meetings)
    assert r.of(k.LIFE_MEETING).compliant and r.of(k.APPRAISAL).compliant
    assert labels(r.of(k.HEART_TALK).missing) == ["2026"]
    assert labels(r.of(k.GENERAL_MEETING).missing) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert r.of(k.THEME_DAY).due == 12


def test_a_quarter_report_counts_but_does_not_judge_yearly_meetings():
    r = report(meetings=[*full_quarter(), M(k.LIFE_MEETING, D(2026, 9, 1))])
    life = r.of(k.LIFE_MEETING)
    assert (life.reason, life.due, life.held, life.approved) == (comp.LONGER_PERIOD, 0, 1, 1)
    assert r.compliant


# --- compliance: a period still running ---------------------------------------------------------
@pytest.mark.parametrize(
    ("today", "july"),
    [
        (D(2026, 7, 30), comp.OPEN),
        (D(2026, 7, 31), comp.OPEN),  # the month's last day: still time
        (D(2026, 8, 1), comp.MISSING),  # the day after: missing
    ],
)
def test_open_periods_are_not_missing(today, july):
    t = report(today=today).of(k.THEME_DAY)
    assert [s.status for s in t.periods] == [july, comp.OPEN, comp.OPEN]


def test_status_of_a_running_quarter():
    today = D(2026, 8, 15)
    july = [m for m in full_quarter() if m.on.month == 7 and m.kind != k.PARTY_LECTURE]
    r = report(meetings=july, today=today)
    assert (r.status, r.compliant, r.behind) == (comp.OPEN, False, False)
    assert r.missing_items == []
    met_early = report(meetings=full_quarter(), today=today)
    assert met_early.status == comp.MET
    assert report(today=today).status == comp.BEHIND  # July missing


def test_theme_day_turns_green_when_approved():
    """The browser journey's month: planned → held → submitted → approved."""
    month = P("2026-09")
    states = ["planned", "held", "submitted", "approved"]
    results = [
        report(period=month, meetings=[M(k.THEME_DAY, D(2026, 9, 5), s)], today=D(2026, 9, 10))
        .of(k.THEME_DAY)
        .compliant
        for s in states
    ]
    assert results == [False, False, False, True]


# --- attendance -----------------------------------------------------------------------------------
A = comp.Attendance


@pytest.mark.parametrize(
    ("figures", "percent", "leave_percent", "absent"),
    [
        ([A(10, 8, 1)], Decimal("80.0"), Decimal("10.0"), 1),
        ([A(10, 10, 0), A(30, 15, 5)], Decimal("62.5"), Decimal("12.5"), 10),  # weighted
        ([A(3, 2, 0)], Decimal("66.7"), Decimal("0.0"), 1),
        ([A(6, 1, 1)], Decimal("16.7"), Decimal("16.7"), 4),
        ([A(2000, 1, 0)], Decimal("0.1"), Decimal("0.0"), 1999),  # 0.05 rounds half UP
        ([A(8, 8, 0)], Decimal("100.0"), Decimal("0.0"), 0),
        ([A(5, 0, 5)], Decimal("0.0"), Decimal("100.0"), 0),  # leave is not attendance
    ],
)
def test_attendance_rate(figures, percent, leave_percent, absent):
    r = comp.attendance_rate(figures)
    assert (r.percent, r.leave_percent, r.absent) == (percent, leave_percent, absent)
    should = sum(a.should_attend for a in figures)
    assert r.rate == Fraction(sum(a.attended for a in figures), should)


def test_attendance_rate_of_nothing():
    r = comp.attendance_rate([])
    assert (r.rate, r.percent, r.meetings) == (None, None, 0)


@pytest.mark.parametrize(
    ("figures", "rule"),
    [
        (A(10, 11, 0), "attendance_above_roster"),
        (A(10, 8, 3), "attendance_above_roster"),
        (A(10, -1, 0), "attendance_figures"),
    ],
)
def test_attendance_above_roster_is_refused(figures, rule):
    assert [v.rule for v in comp.attendance_errors(figures)] == [rule]
    with pytest.raises(RuleError):
        comp.attendance_rate([figures])


def test_attendance_at_roster_is_fine():
    assert comp.attendance_errors(A(10, 9, 1)) == []


def test_report_attendance_counts_approved_meetings_only():
    meetings = [
        M(k.THEME_DAY, D(2026, 7, 5), "approved", A(20, 18, 1)),
        M(k.THEME_DAY, D(2026, 8, 5), "submitted", A(20, 2, 0)),
        M(k.GENERAL_MEETING, D(2026, 8, 20), "approved", A(20, 12, 4)),
        M(k.HEART_TALK, D(2026, 8, 21), "approved"),  # no attendance recorded
    ]
    r = report(meetings=meetings)
    assert (r.attendance.should_attend, r.attendance.attended, r.attendance.on_leave) == (40, 30, 5)
    assert r.attendance.percent == Decimal("75.0") and r.attendance.leave_percent == Decimal("12.5")
    assert r.of(k.THEME_DAY).attendance.percent == Decimal("90.0")


# --- sign-in window -------------------------------------------------------------------------------
CST = timezone(timedelta(hours=8))
START = datetime(2026, 7, 1, 19, 0, tzinfo=CST)
END = datetime(2026, 7, 1, 21, 0, tzinfo=CST)
BEFORE, AFTER = timedelta(minutes=15), timedelta(minutes=10)
SEC = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (START - BEFORE - SEC, False),
        (START - BEFORE, True),  # exactly at start − grace
        (START - BEFORE + SEC, True),
        (START, True),
        (END, True),
        (END + AFTER - SEC, True),
        (END + AFTER, True),  # exactly at end + grace
        (END + AFTER + SEC, False),
        (datetime(2026, 7, 1, 10, 45, tzinfo=UTC), True),  # 18:45 in Shanghai
        (datetime(2026, 7, 1, 10, 44, 59, tzinfo=UTC), False),
    ],
)
def test_signin_window(now, is_open):
    assert si.signin_open(now, START, END, BEFORE, AFTER) == is_open


def test_signin_without_grace():
    assert si.signin_open(START, START, END, timedelta(0), timedelta(0))
    assert not si.signin_open(START - SEC, START, END, timedelta(0), timedelta(0))
    assert si.signin_window(START, END, BEFORE, AFTER) == (START - BEFORE, END + AFTER)


@pytest.mark.parametrize(
    ("now", "start", "end", "before", "code"),
    [
        (START.replace(tzinfo=None), START, END, BEFORE, "signin_naive"),
        (START, START.replace(tzinfo=None), END, BEFORE, "signin_naive"),
        (START, END, START, BEFORE, "signin_order"),
        (START, START, END, -SEC, "signin_grace"),
    ],
)
def test_signin_bad_input(now, start, end, before, code):
    with pytest.raises(RuleError) as err:
        si.signin_open(now, start, end, before, AFTER)
    assert err.value.code == code


# --- elections: candidates ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seats", "minimum"),
    [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 8), (7, 9), (8, 10), (9, 11), (10, 12), (11, 14)],
)
def test_min_candidates(seats, minimum):
    assert el.min_candidates(seats) == minimum


@pytest.mark.parametrize(
    ("seats", "candidates", "met"),
    [
        (3, 3, False),
        (3, 4, True),  # 3 + 0.6 → 4
        (5, 5, False),
        (5, 6, True),  # exactly 20%: met
        (7, 8, False),  # 8 is only 14% more: just missed
        (7, 9, True),  # 7 + 1.4 → 9: just met
    ],
)
def test_candidate_surplus(seats, candidates, met):
    names = [f"c{i}" for i in range(candidates)]
    r = el.election_result(seats=seats, candidates=names, entitled=10, present=10, votes={})
    assert r.surplus_met == met
    assert ("candidate_surplus" in [v.rule for v in r.violations]) == (not met)


@given(st.integers(min_value=1, max_value=500))
def test_min_candidates_is_the_least_that_reaches_twenty_percent(seats):
    m = el.min_candidates(seats)
    assert (m - seats) * 100 >= 20 * seats
    assert (m - 1 - seats) * 100 < 20 * seats


def test_uncontested_election_skips_the_surplus():
    r = el.election_result(
        seats=1, candidates=["A"], entitled=5, present=5, votes={"A": 5}, contested=False
    )
    assert r.violations == () and r.elected == ("A",) and r.surplus_met


@pytest.mark.parametrize("seats", [0, -1])
def test_min_candidates_needs_a_seat(seats):
    with pytest.raises(RuleError):
        el.min_candidates(seats)


# --- elections: validity and who is elected -------------------------------------------------------
@pytest.mark.parametrize(
    ("entitled", "present", "valid"),
    [
        (10, 8, False),  # exactly four fifths is not more
        (10, 9, True),
        (12, 9, False),  # 4/5 of 12 = 9.6
        (12, 10, True),
        (5, 4, False),
        (5, 5, True),
        (15, 12, False),
        (15, 13, True),
        (7, 5, False),  # 5.6
        (7, 6, True),
    ],
)
def test_election_valid_more_than_four_fifths(entitled, present, valid):
    assert el.election_valid(entitled, present) == valid
    r = el.election_result(
        seats=1, candidates=["A", "B"], entitled=entitled, present=present, votes={"A": present}
    )
    assert r.valid == valid
    assert r.elected == (("A",) if valid else ())
    assert ("election_quorum" in [v.rule for v in r.violations]) == (not valid)


@pytest.mark.parametrize(
    ("present", "votes", "elected"),
    [
        (10, 5, False),  # exactly half of those present: not elected
        (10, 6, True),
        (9, 4, False),
        (9, 5, True),
        (1, 1, True),
    ],
)
def test_elected_with_more_than_half_of_those_present(present, votes, elected):
    assert el.is_elected(votes, present) == elected


def test_half_is_of_those_present_not_of_those_entitled():
    # 20 entitled, 17 present; 9 votes is more than half of 17 but not of 20
    r = el.election_result(
        seats=1, candidates=["A", "B"], entitled=20, present=17, votes={"A": 9, "B": 8}
    )
    assert r.elected == ("A",)


def test_more_passing_than_seats_goes_by_votes():
    r = el.election_result(
        seats=2, candidates=list("ABC"), entitled=10, present=10, votes={"A": 7, "B": 7, "C": 6}
    )  # 20 votes: two names on each of 10 ballots
    assert (r.elected, r.tied, r.shortfall) == (("A", "B"), (), 0)
    with translation.override("en"):
        assert "C: 6 votes, more than half, but the seats went to more votes" in r.arithmetic


def test_tie_for_the_last_seat():
    r = el.election_result(
        seats=2, candidates=list("ABC"), entitled=10, present=10, votes={"A": 8, "B": 6, "C": 6}
    )
    assert (r.elected, r.tied, r.shortfall) == (("A",), ("B", "C"), 0)
    with translation.override("en"):
        assert "B: 6 votes, tied for the last seat: vote again" in r.arithmetic


def test_tie_inside_the_seats_elects_both():
    r = el.election_result(
        seats=3, candidates=list("ABCD"), entitled=10, present=10, votes={"A": 7, "B": 7, "C": 6}
    )
    assert (r.elected, r.tied) == (("A", "B", "C"), ())


def test_shortfall_when_too_few_pass():
    r = el.election_result(
        seats=3,
        candidates=list("ABCD"),
        entitled=10,
        present=10,
        votes={"A": 9, "B": 6, "C": 5, "D": 2},
    )
    assert (r.elected, r.shortfall) == (("A", "B"), 1)
    with translation.override("en"):
        assert "Seats not filled: 1" in r.arithmetic


def test_write_in_can_be_elected():
    r = el.election_result(
        seats=1, candidates=["A", "B"], entitled=10, present=10, votes={"A": 3, "B": 1, "Z": 6}
    )
    assert r.elected == ("Z",)


@pytest.mark.parametrize(
    "kw",
    [
        {"entitled": 10, "present": 11, "votes": {"A": 6}},  # more present than entitled
        {"entitled": 10, "present": 10, "votes": {"A": 11}},  # more votes than voters
        {"entitled": 10, "present": 10, "votes": {"A": 10, "B": 10, "C": 1}},  # > 10 × 2 seats
        {"entitled": 10, "present": 10, "votes": {"A": -1}},
        {"entitled": 0, "present": 0, "votes": {}},
        {"entitled": 10, "present": 10, "votes": {}, "candidates": ["A", "A", "B"]},
    ],
)
def test_impossible_election_figures(kw):
    kw.setdefault("candidates", list("ABC"))
    r = el.election_result(seats=2, **kw)
    assert r.violations and {v.rule for v in r.violations} == {"election_figures"}
    assert r.elected == () and r.shortfall == 0


def test_election_arithmetic_text():
    r = el.election_result(
        seats=5,
        candidates=list("ABCDEF"),
        entitled=12,
        present=10,
        votes={"A": 9, "B": 8, "C": 6, "D": 6, "E": 6, "F": 3},
    )
    assert r.elected == tuple("ABCDE") and r.violations == ()
    with translation.override("en"):
        text = r.arithmetic
    assert "6 candidates for 5 seats; at least 6 needed" in text
    assert "10 present of 12 entitled to vote, more than four fifths (9.6): valid" in text
    assert "A: 9 votes, more than half (5) of the 10 present: elected" in text
    assert "F: 3 votes, not more than half (5) of the 10 present: not elected" in text
    assert str(r) == r.arithmetic


def test_election_violation_texts():
    with translation.override("en"):  # as a request in English renders it
        r = el.election_result(
            seats=3, candidates=list("ABC"), entitled=10, present=8, votes={"A": 8}
        )
        texts = [v.text for v in r.violations]
    assert texts == [
        "Too few candidates: 3 candidates for 3 seats; at least 4 needed (seats plus 20%, "
        "rounded up): not met.",
        "The election is not valid: 8 present of 10 entitled to vote, not more than four "
        "fifths (8): not valid.",
    ]
    assert r.violations[0].as_dict()["article"].startswith("《中国共产党基层组织选举工作条例》")


# --- terms ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "org_type", "sector", "end"),
    [
        (D(2023, 6, 1), "branch", "enterprise", D(2026, 6, 1)),
        (D(2023, 6, 1), "general_branch", "enterprise", D(2026, 6, 1)),
        (D(2023, 6, 1), "committee", "enterprise", D(2028, 6, 1)),
        (D(2023, 6, 1), "branch", "community", D(2028, 6, 1)),  # 社区: five years
        (D(2024, 2, 29), "branch", "enterprise", D(2027, 2, 28)),
        (D(2024, 2, 29), "committee", "enterprise", D(2029, 2, 28)),
        (D(2023, 6, 1), "party_group", "enterprise", None),
    ],
)
def test_term_end(start, org_type, sector, end):
    assert tm.term_end(start, org_type, sector) == end


@pytest.mark.parametrize(
    ("today", "reminder", "overdue"),
    [
        (D(2026, 7, 1), False, False),  # the day before the reminder
        (D(2026, 7, 2), True, False),  # 90 days before the end
        (D(2026, 9, 29), True, False),
        (D(2026, 9, 30), True, False),  # the end date: not yet overdue
        (D(2026, 10, 1), False, True),  # the day after
    ],
)
def test_term_reminder_and_overdue(today, reminder, overdue):
    s = tm.term_status(ends_on=D(2026, 9, 30), today=today, lead_days=90)
    assert (s.reminder_due, s.overdue) == (reminder, overdue)
    assert s.remind_from == D(2026, 7, 2)


@pytest.mark.parametrize(
    ("extended_to", "ok"),
    [
        (D(2026, 9, 30), False),  # not after the end
        (D(2027, 3, 31), True),
        (D(2027, 9, 30), True),  # exactly one year: 不超过 includes it
        (D(2027, 10, 1), False),
    ],
)
def test_term_extension_at_most_one_year(extended_to, ok):
    errors = tm.extension_errors(D(2026, 9, 30), extended_to)
    assert (errors == []) == ok
    if not ok:
        assert errors[0].article.endswith("第三条")


def test_extension_moves_the_deadline():
    s = tm.term_status(
        ends_on=D(2026, 9, 30), today=D(2026, 10, 1), lead_days=90, extended_to=D(2027, 3, 31)
    )
    assert not s.overdue and s.deadline == D(2027, 3, 31) and s.days_left == 181
    with pytest.raises(RuleError):
        tm.term_status(ends_on=D(2026, 9, 30), today=D(2026, 10, 1), extended_to=D(2028, 1, 1))
    with pytest.raises(RuleError):
        tm.term_status(ends_on=D(2026, 9, 30), today=D(2026, 10, 1), lead_days=-1)


# --- star rating ----------------------------------------------------------------------------------
I = rt.Indicator  # noqa: E741


def test_rating_weighted_average_and_breakdown():
    r = rt.rate(
        [
            I("meeting_compliance", 30, Fraction(9, 10), "27 of 30 meeting periods"),
            I("attendance", 20, Decimal("0.75")),
            I("dues_on_time", 20, 1),
            I("admission_work", 10, Fraction(1, 2)),
            I("study_hours", 20, Decimal("0.8")),
        ]
    )
    assert (r.score, r.stars, r.rated, r.missing) == (Decimal("83.00"), 4, True, ())
    assert [line.points for line in r.breakdown] == [
        Decimal("27.00"),
        Decimal("15.00"),
        Decimal("20.00"),
        Decimal("5.00"),
        Decimal("16.00"),
    ]
    first = r.breakdown[0].as_dict()
    assert first == {
        "code": "meeting_compliance",
        "weight": "30.00",
        "effective_weight": "30.00",
        "value": "90.00",
        "points": "27.00",
        "missing": False,
        "detail": "27 of 30 meeting periods",
    }


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        ("100", 5),
        ("90", 5),
        ("89.99", 4),
        ("80", 4),
        ("79.99", 3),
        ("70", 3),
        ("69.99", 2),
        ("60", 2),
        ("59.99", 1),
        ("0", 1),
        ("89.995", 5),  # shown as 90.00: the stars follow the displayed score
        ("89.994", 4),
    ],
)
def test_star_thresholds(score, stars):
    r = rt.rate([I("only", 100, Fraction(Decimal(score)) / 100)])
    assert r.stars == stars
    assert r.score == Decimal(score).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


def test_exact_arithmetic_thirds():
    r = rt.rate([I("a", 30, Fraction(1, 3)), I("b", 30, Fraction(2, 3)), I("c", 40, 0)])
    assert r.score_exact == 30 and r.score == Decimal("30.00") and r.stars == 1
    assert [line.points for line in r.breakdown] == [
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("0.00"),
    ]


def test_float_values_are_read_as_written():
    assert rt.rate([I("a", 100, 0.1)]).score_exact == 10


def test_missing_indicator_is_reported_and_the_rest_rescaled():
    r = rt.rate([I("a", 50, 1), I("b", 30, Fraction(1, 2)), I("study", 20, None)])
    assert r.missing == ("study",)
    assert r.measured_weight == 80 and r.score == Decimal("81.25") and r.stars == 4
    lines = {line.code: line for line in r.breakdown}
    assert lines["a"].effective_weight == Fraction(125, 2)
    assert lines["b"].points == Decimal("18.75")
    assert lines["study"].points == 0 and lines["study"].as_dict()["value"] is None


@pytest.mark.parametrize(
    ("measured", "rated"),
    [(59, False), (60, True), (61, True)],
)
def test_too_little_measured_is_not_rated(measured, rated):
    r = rt.rate([I("a", measured, 1), I("b", 100 - measured, None)])
    assert r.rated == rated and (r.stars == 5 if rated else r.stars is None)
    assert r.score == Decimal("100.00")


def test_nothing_measured():
    r = rt.rate([I("a", 60, None), I("b", 40, None)])
    assert (r.score, r.stars, r.missing) == (Decimal("0.00"), None, ("a", "b"))


@pytest.mark.parametrize(
    ("indicators", "fragment"),
    [
        ([I("a", 50, 1), I("b", 40, 1)], "add up to 90"),
        ([I("a", 60, 1), I("b", 50, 1)], "add up to 110"),
        ([I("a", 50, 1), I("a", 50, 1)], "listed twice"),
        ([I("a", 110, 1), I("b", -10, 1)], "cannot be negative"),
        ([], "No indicators"),
    ],
)
def test_weights_must_add_up_to_100(indicators, fragment):
    with translation.override("en"):
        assert any(fragment in e for e in rt.weights_errors(indicators))
        with pytest.raises(RuleError) as err:
            rt.rate(indicators)
        assert fragment in str(err.value)


def test_weights_errors_on_a_settings_mapping():
    assert rt.weights_errors({"a": 70, "b": Decimal("30")}) == []
    assert rt.weights_errors({"a": Decimal("33.3"), "b": Decimal("66.6")}) != []


def test_zero_weight_indicator_is_shown_but_scores_nothing():
    r = rt.rate([I("a", 100, 1), I("shown", 0, 0)])
    assert r.score == Decimal("100.00") and r.breakdown[1].points == 0


@pytest.mark.parametrize("value", [-0.01, 1.01, Fraction(3, 2)])
def test_value_must_be_a_share(value):
    with pytest.raises(RuleError):
        rt.rate([I("a", 100, value)])


def test_custom_and_bad_thresholds():
    strict = rt.Thresholds(stars={5: 95, 4: 85, 3: 75, 2: 65}, min_measured_weight=100)
    assert rt.rate([I("a", 100, Fraction(9, 10))], strict).stars == 4
    assert rt.rate([I("a", 80, 1), I("b", 20, None)], strict).stars is None
    for bad in ({5: 90, 4: 90, 3: 70, 2: 60}, {5: 90, 4: 80, 3: 70}, {5: 101, 4: 80, 3: 70, 2: 60}):
        with pytest.raises(RuleError):
            rt.Thresholds(stars=bad)
    with pytest.raises(RuleError):
        rt.Thresholds(min_measured_weight=101)


# --- lapse feed -----------------------------------------------------------------------------------
def months(year, *ms):
    return [D(year, m, 1) for m in ms]


ALL_2025 = months(2025, *range(1, 13))


def test_run_of_missed_months_ending_at_a_month():
    run = lf.missed_run_ending_at(D(2025, 12, 1), expected=ALL_2025, attended=months(2025, 1, 2))
    assert run == months(2025, *range(3, 13)) and lf.lapse_due(run)


@pytest.mark.parametrize(
    ("end", "length", "due"),
    [
        (D(2025, 8, 1), 4, False),
        (D(2025, 9, 1), 5, False),  # five months: the day before the rule
        (D(2025, 10, 1), 6, True),  # six consecutive months: flag
        (D(2025, 11, 1), 7, True),
    ],
)
def test_excused_month_breaks_the_run(end, length, due):
    run = lf.missed_run_ending_at(
        end, expected=ALL_2025, attended=months(2025, 1), excused=months(2025, 4)
    )
    assert len(run) == length and run[0] == D(2025, 5, 1) and lf.lapse_due(run) == due


def test_month_without_any_meeting_breaks_the_run():
    expected = [m for m in ALL_2025 if m.month != 6]  # the branch held nothing in June
    run = lf.missed_run_ending_at(D(2025, 10, 1), expected=expected, attended=months(2025, 1))
    assert run == months(2025, 7, 8, 9, 10)


def test_attended_month_ends_with_no_run():
    run = lf.missed_run_ending_at(D(2025, 12, 1), expected=ALL_2025, attended=months(2025, 12))
    assert run == []


def test_first_month_limits_the_run_and_dates_are_normalised():
    run = lf.missed_run_ending_at(
        D(2025, 12, 31),
        expected=[D(2025, m, 15) for m in range(1, 13)],
        attended=[],
        first_month=D(2025, 9, 20),
    )
    assert run == months(2025, 9, 10, 11, 12)


def test_leap_february_is_one_month():
    expected = [D(2024, 1, 1), D(2024, 2, 29), D(2024, 3, 1)]
    run = lf.missed_run_ending_at(D(2024, 3, 31), expected=expected, attended=[D(2024, 1, 31)])
    assert run == [D(2024, 2, 1), D(2024, 3, 1)]


def test_feed_into_members_lapse_rule():
    today = D(2026, 1, 10)  # December 2025 is the last ended month
    last = member_lapse.last_ended_month(today)
    kw = {"expected": ALL_2025, "attended": months(2025, 1), "first_month": D(2025, 1, 1)}
    not_missed = lf.months_not_missed(**kw, last_month=last)
    flagged = member_lapse.life_lapse(not_missed, first_month=D(2025, 1, 1), today=today)
    assert flagged == lf.missed_run_ending_at(last, **kw) == months(2025, *range(2, 13))
    excused = lf.months_not_missed(**kw, excused=months(2025, 4, 9), last_month=last)
    assert member_lapse.life_lapse(excused, first_month=D(2025, 1, 1), today=today) is None
    # without the feed, life_lapse would count the excused months as missed
    assert member_lapse.life_lapse(months(2025, 1), first_month=D(2025, 1, 1), today=today)
