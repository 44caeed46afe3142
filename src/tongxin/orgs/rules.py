"""Organisation rules as tables and pure functions (DOMAIN.md §3).

Sources: 《中国共产党支部工作条例（试行）》(2018) 第五、六、八条; 《中国共产党党和国家机关基层
组织工作条例》(2019) and 《中国共产党国有企业基层组织工作条例（试行）》(2019) for 总支/党委
sizes; 中办《关于加强和改进城市基层党的建设工作的意见》and the 2018 opinion on grassroots
terms for 村/社区 five-year terms.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

# --- types and sectors ------------------------------------------------------------------

DISTRICT = "district_committee"
STREET = "street_committee"
COMMUNITY = "community_committee"
COMMITTEE = "committee"
GENERAL_BRANCH = "general_branch"
BRANCH = "branch"
JOINT_BRANCH = "joint_branch"
PARTY_GROUP = "party_group"

ORG_TYPES = (
    DISTRICT,
    STREET,
    COMMUNITY,
    COMMITTEE,
    GENERAL_BRANCH,
    BRANCH,
    JOINT_BRANCH,
    PARTY_GROUP,
)
BRANCH_TYPES = frozenset({BRANCH, JOINT_BRANCH})
COMMITTEE_TYPES = frozenset({DISTRICT, STREET, COMMUNITY, COMMITTEE})

# Which parent types each org type may sit under.
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    DISTRICT: frozenset(),
    STREET: frozenset({DISTRICT}),
    COMMUNITY: frozenset({STREET}),
    COMMITTEE: COMMITTEE_TYPES,
    GENERAL_BRANCH: COMMITTEE_TYPES,
    BRANCH: COMMITTEE_TYPES | {GENERAL_BRANCH},
    JOINT_BRANCH: COMMITTEE_TYPES | {GENERAL_BRANCH},
    PARTY_GROUP: BRANCH_TYPES,
}


def parent_error(child_type: str, parent_type: str | None) -> str | None:
    """None if `child_type` may sit under `parent_type` (None = at the root)."""
    allowed = ALLOWED_PARENTS[child_type]
    if parent_type is None:
        return None if not allowed else _("this type of organisation needs a parent")
    if parent_type not in allowed:
        return _("this type of organisation cannot be placed under the chosen parent")
    return None


# --- terms (DOMAIN.md §3.5) ------------------------------------------------------------------

# Term length in years by org type; 村 and 社区 organisations (sector "community") serve 5.
TERM_YEARS = {
    DISTRICT: 5,
    STREET: 5,
    COMMUNITY: 5,
    COMMITTEE: 5,
    GENERAL_BRANCH: 3,
    BRANCH: 3,
    JOINT_BRANCH: 3,
    PARTY_GROUP: None,
}
COMMUNITY_SECTOR_TERM_YEARS = 5


def term_years(org_type: str, sector: str) -> int | None:
    years = TERM_YEARS[org_type]
    if years is not None and sector == "community":
        return COMMUNITY_SECTOR_TERM_YEARS
    return years


def add_years(start: date, years: int) -> date:
    """Same calendar date `years` later; 29 February falls to 28 February (DOMAIN.md §6)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def term_end(start: date, org_type: str, sector: str) -> date | None:
    years = term_years(org_type, sector)
    return add_years(start, years) if years else None


# --- advisories (DOMAIN.md §3.1–3.5): shown, never blocking -------------------------------

BRANCH_MAX_MEMBERS = 50  # 支部工作条例 第六条: 党员人数一般不超过50人
COMMITTEE_MIN_FULL_MEMBERS = 7  # 第八条: 正式党员7人以上的党支部设立支部委员会
UNIT_MIN_FULL_MEMBERS = 3  # 第五条: 正式党员3人以上的单位成立党支部
JOINT_BRANCH_MAX_UNITS = 5  # 联合党支部覆盖单位一般不超过5个
COMMITTEE_MIN_MEMBERS = 100  # 党员100人以上 may set up 基层党委


@dataclass(frozen=True)
class Advisory:
    code: str
    level: str  # "warning" | "info" | "danger"
    message: str
    article: str


def org_advisories(
    *,
    org_type: str,
    member_count: int,
    full_member_count: int,
    has_committee: bool,
    term_ends_on: date | None,
    host_unit_count: int,
    today: date,
    lead_days: int,
) -> list[Advisory]:
    out: list[Advisory] = []
    if org_type in BRANCH_TYPES:
        if full_member_count >= COMMITTEE_MIN_FULL_MEMBERS and not has_committee:
            out.append(
                Advisory(
                    "needs_committee",
                    "warning",
                    _("7 or more full members: the branch should elect a branch committee"),
                    "支部工作条例 第八条",
                )
            )
        if member_count > BRANCH_MAX_MEMBERS:
            out.append(
                Advisory(
                    "branch_too_large",
                    "warning",
                    _("more than 50 members: consider splitting the branch or a general branch"),
                    "支部工作条例 第六条",
                )
            )
    if org_type == JOINT_BRANCH and host_unit_count > JOINT_BRANCH_MAX_UNITS:
        out.append(
            Advisory(
                "joint_branch_too_wide",
                "warning",
                _("a joint branch generally covers no more than 5 units"),
                "支部工作条例 第五条",
            )
        )
    if org_type == BRANCH and member_count >= COMMITTEE_MIN_MEMBERS:
        out.append(
            Advisory(
                "could_be_committee",
                "info",
                _("100 or more members: a primary committee may be set up"),
                "党和国家机关基层组织工作条例 (2019)",
            )
        )
    if term_ends_on is not None:
        days_left = (term_ends_on - today).days
        if days_left < 0:
            out.append(
                Advisory(
                    "term_overdue",
                    "danger",
                    _("the term has ended: the re-election is overdue"),
                    "党章; 中办2018年基层组织任期意见",
                )
            )
        elif days_left <= lead_days:
            out.append(
                Advisory(
                    "term_expiring",
                    "warning",
                    _("the term ends soon: prepare the re-election"),
                    "党章; 中办2018年基层组织任期意见",
                )
            )
    return out


# --- units and coverage (DOMAIN.md §3.1; issue 2 §7) ----------------------------------------

OWN_ORG = "own_org"
JOINT = "joint_branch"
INSTRUCTOR = "instructor"
NONE = "none"
COVERED = frozenset({OWN_ORG, JOINT, INSTRUCTOR})


def unit_should_have_own_org(party_member_count: int, coverage: str) -> bool:
    """A unit with 3 or more party members and no organisation of its own (第五条)."""
    return party_member_count >= UNIT_MIN_FULL_MEMBERS and coverage != OWN_ORG


def coverage_error(coverage: str, *, has_org: bool, instructor_name: str) -> str | None:
    """How a unit is covered must agree with what is recorded."""
    if coverage in (OWN_ORG, JOINT) and not has_org:
        return _("choose the organisation that covers this unit")
    if coverage == INSTRUCTOR and not instructor_name.strip():
        return _("enter the party-building instructor's name")
    if coverage == NONE and has_org:
        return _("a unit that is not covered cannot name a covering organisation")
    return None


def coverage_org_error(coverage: str, org_type: str) -> str | None:
    if coverage == JOINT and org_type != JOINT_BRANCH:
        return _("the covering organisation must be a joint branch")
    if coverage == OWN_ORG and org_type in (DISTRICT, STREET, PARTY_GROUP, JOINT_BRANCH):
        return _("the covering organisation must be the unit's own committee or branch")
    return None


def coverage_rate(covered: int, total: int) -> float:
    return round(covered * 100 / total, 1) if total else 0.0
