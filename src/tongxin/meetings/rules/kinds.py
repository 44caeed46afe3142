"""The kinds of organisational life and their default frequencies — DOMAIN.md §7.

| code               | 中文          | default          | source                          |
|--------------------|---------------|------------------|---------------------------------|
| general_meeting    | 支部党员大会  | 1 a quarter      | 支部工作条例 第十一条 (verified) |
| committee_meeting  | 支委会        | 1 a month        | 第十二条 (verified) ¹           |
| group_meeting      | 党小组会      | 1 a month        | 第十三条 (verified) ²           |
| party_lecture      | 党课          | 1 a quarter      | practice, configurable          |
| theme_day          | 主题党日      | 1 a month        | 条例 (number not verified)      |
| life_meeting       | 组织生活会    | 1 a year         | 第十七条 (verified), usually Q4 |
| appraisal          | 民主评议党员  | 1 a year         | DOMAIN.md §7                    |
| heart_talk         | 谈心谈话      | 1 a year         | DOMAIN.md §7                    |
| study              | 学习          | none by default  | configurable (study campaigns)  |

¹ only where the branch has a committee; ² only where the branch has party groups.

Frequencies are minimums ("一般每季度召开1次", "至少1次") and **configurable**: the
compliance functions take a mapping ``code → Frequency | None``; ``None`` means "not
required" (the kind is recorded but never due).

谈心谈话 is due "at least once a year between each pair kind" (书记—委员, 委员—党员,
党员—党员). At branch level this table counts talks (one a year); whether every pair was
covered needs the rosters and is left to the services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import common as c
from .common import RuleError
from .periods import MONTH, MONTHS_IN, QUARTER, YEAR


@dataclass(frozen=True)
class Frequency:
    """``times`` meetings (at least) in every calendar ``per`` (month, quarter or year)."""

    times: int
    per: str

    def __post_init__(self) -> None:
        if self.per not in MONTHS_IN or not isinstance(self.times, int) or self.times < 1:
            raise RuleError("frequency", MSG["frequency"], text=f"{self.times}/{self.per}")

    def __str__(self) -> str:
        return f"{self.times}/{self.per}"


@dataclass(frozen=True)
class MeetingKind:
    code: str
    name_zh: str
    frequency: Frequency | None
    article: str
    needs_committee: bool = False
    needs_groups: bool = False


MSG = {
    "frequency": _(
        '"%(text)s" is not a frequency: use times/unit, e.g. 1/month, 1/quarter or 2/year.'
    ),
    "kind": _('"%(kind)s" is not a kind of organisational life.'),
}

GENERAL_MEETING = "general_meeting"
COMMITTEE_MEETING = "committee_meeting"
GROUP_MEETING = "group_meeting"
PARTY_LECTURE = "party_lecture"
THEME_DAY = "theme_day"
LIFE_MEETING = "life_meeting"
APPRAISAL = "appraisal"
HEART_TALK = "heart_talk"
STUDY = "study"

KINDS: tuple[MeetingKind, ...] = (
    MeetingKind(GENERAL_MEETING, "支部党员大会", Frequency(1, QUARTER), c.ART_GENERAL_MEETING),
    MeetingKind(
        COMMITTEE_MEETING,
        "支部委员会会议",
        Frequency(1, MONTH),
        c.ART_COMMITTEE_MEETING,
        needs_committee=True,
    ),
    MeetingKind(
        GROUP_MEETING, "党小组会", Frequency(1, MONTH), c.ART_GROUP_MEETING, needs_groups=True
    ),
    MeetingKind(PARTY_LECTURE, "党课", Frequency(1, QUARTER), c.ART_PARTY_LECTURE),
    MeetingKind(THEME_DAY, "主题党日", Frequency(1, MONTH), c.ART_THEME_DAY),
    MeetingKind(LIFE_MEETING, "组织生活会", Frequency(1, YEAR), c.ART_LIFE_MEETING),
    MeetingKind(APPRAISAL, "民主评议党员", Frequency(1, YEAR), c.ART_APPRAISAL),
    MeetingKind(HEART_TALK, "谈心谈话", Frequency(1, YEAR), c.ART_HEART_TALK),
    MeetingKind(STUDY, "学习", None, c.ART_STUDY),
)
KIND_BY_CODE: dict[str, MeetingKind] = {k.code: k for k in KINDS}
DEFAULT_FREQUENCIES: dict[str, Frequency | None] = {k.code: k.frequency for k in KINDS}

_FREQ = re.compile(r"([1-9]\d{0,2})/(month|quarter|year)", re.ASCII)


def kind(code: str) -> MeetingKind:
    try:
        return KIND_BY_CODE[code]
    except KeyError:
        raise RuleError("meeting_kind", MSG["kind"], kind=code) from None


def parse_frequency(text: str | None) -> Frequency | None:
    """ "1/month" → Frequency(1, "month"); "" or None → None (not required)."""
    if text is None or text == "" or text == "none":
        return None
    match = _FREQ.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise RuleError("frequency", MSG["frequency"], text=text)
    return Frequency(int(match[1]), match[2])


def frequencies(overrides: Mapping[str, Frequency | str | None] | None = None):
    """The default frequencies with ``overrides`` applied (values: Frequency, "2/quarter",
    or None/"" for not required). Unknown kinds raise, so a typo in settings is loud."""
    out: dict[str, Frequency | None] = dict(DEFAULT_FREQUENCIES)
    for code, value in (overrides or {}).items():
        kind(code)
        out[code] = (
            value if isinstance(value, Frequency) or value is None else parse_frequency(value)
        )
    return out
