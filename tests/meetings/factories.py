"""Shared meeting factories (helper H1): a branch with its people, and meetings in any state.

`Branch()` builds (on a `tests.factories.District`, made for you unless passed) a new branch
under community C-A1 (三坊七巷社区党委, street S-A) with:

* ``org``: the branch (type ``branch`` or ``joint_branch``; ``has_committee``, ``founded_on``
  as asked; written directly after creation so no org rule stands in the way);
* ``members``: N full members, status NORMAL; ``members[0]`` has post 书记 and
  ``members[1]`` 组织委员 when ``posts`` (the default); ``committee`` = those with a post;
* ``groups``: party groups (children of the branch, type party_group); members are dealt
  round-robin into them when there are groups;
* users: ``secretary`` (branch_secretary of the branch), ``community_admin`` (community_admin
  on C-A1), ``street_admin`` (S-A), ``district_admin`` (root), ``member_user`` (party_member,
  linked to ``members[2]`` via Member.user, also exposed as ``member``), ``outsider``
  (branch_secretary of another branch, B-B1 under another street) and ``outsider_member_user``
  (party_member linked to a member of B-B1).

`meeting(branch, kind=..., on=date, state=...)` writes a Meeting row directly (no services,
no roster rows unless ``roster=True``) — for compliance, rating and list tests.

`planned(b, ...)` plans a meeting through the services (roster rows, events, audit).

Times: the default meeting time is 19:00–21:00 Asia/Shanghai on ``on``.
Others may add functions at the END of this file.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.factories import District, make_org, make_user
from tests.member_factories import make_member
from tongxin.meetings.models import Attendance, AttendanceStatus, Kind, Meeting, State
from tongxin.orgs.models import Org

SH = ZoneInfo("Asia/Shanghai")

_seq = itertools.count(1)


def at(day: date, hour: int = 19, minute: int = 0) -> datetime:
    """An aware datetime in Shanghai."""
    return datetime.combine(day, time(hour, minute), tzinfo=SH)


class Branch:
    """A branch with members and the users around it (see the module docstring)."""

    def __init__(
        self,
        district: District | None = None,
        *,
        members: int = 6,
        has_committee: bool = True,
        founded_on: date | None = date(2020, 1, 1),
        groups: int = 0,
        posts: bool = True,
        type: str = "branch",
        probationary: int = 0,
        name: str | None = None,
    ):
        self.district = d = district or District()
        n = next(_seq)
        self.community = d.comm_a1
        self.street = d.street_a
        self.root = d.root
        org = make_org(d.admin, d.comm_a1, name=name or f"测试会议党支部{n}", code=f"MB{n:04d}")
        Org.objects.filter(pk=org.pk).update(
            type=type, has_committee=has_committee, founded_on=founded_on
        )
        org.refresh_from_db()
        self.org = org
        self.groups = [
            make_org(d.admin, org, name=f"第{i + 1}党小组{n}", type="party_group")
            for i in range(groups)
        ]
        self.members = []
        for i in range(members):
            fields = {}
            if posts and i == 0:
                fields["post"] = "书记"
            elif posts and i == 1:
                fields["post"] = "组织委员"
            if self.groups:
                fields["party_group"] = self.groups[i % len(self.groups)]
            self.members.append(make_member(org, full_on=date(2011, 7, 1), **fields))
        self.probationary = [
            make_member(org, category="probationary", admitted_on=date(2026, 1, 1))
            for _ in range(probationary)
        ]
        self.committee = [m for m in self.members if m.post]
        # users
        self.secretary = make_user(f"msec{n}", role="branch_secretary", org=org)
        self.community_admin = make_user(f"mcomm{n}", role="community_admin", org=d.comm_a1)
        self.street_admin = make_user(f"mstreet{n}", role="street_admin", org=d.street_a)
        self.district_admin = d.admin
        self.member_user = None
        self.member = None
        if len(self.members) > 2:
            self.member = self.members[2]
            self.member_user = make_user(f"mmem{n}", role="party_member", org=org)
            self.member.user = self.member_user
            self.member.save(update_fields=["user"])
        self.outsider = make_user(f"mout{n}", role="branch_secretary", org=d.branch_b1)
        self.outsider_member = make_member(d.branch_b1, full_on=date(2011, 7, 1))
        self.outsider_member_user = make_user(f"moutm{n}", role="party_member", org=d.branch_b1)
        self.outsider_member.user = self.outsider_member_user
        self.outsider_member.save(update_fields=["user"])

    @property
    def roll(self):
        """Everybody on a members' meeting roster (full + probationary)."""
        return self.members + self.probationary

    def add_member_user(self, member, username=None):
        """Give `member` a party_member account linked to it."""
        user = make_user(username, role="party_member", org=member.org)
        member.user = user
        member.save(update_fields=["user"])
        return user


def _org(branch) -> Org:
    return getattr(branch, "org", branch)


def meeting(
    branch,
    *,
    kind: str = Kind.THEME_DAY,
    on: date = date(2026, 7, 15),
    state: str = State.APPROVED,
    should_attend: int = 6,
    attended: int = 5,
    on_leave: int = 1,
    topic: str | None = None,
    party_group: Org | None = None,
    talk_pair: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    roster: bool = False,
    **fields,
) -> Meeting:
    """A Meeting row written directly (bypassing the services).

    `branch` is a `Branch` or an Org. With ``roster=True`` (and a `Branch`), Attendance rows
    are written for the branch's roll: the first `attended` attended, the next `on_leave` on
    leave, the rest absent (expected while planned) — and the counts follow the rows.
    """
    org = _org(branch)
    starts_at = starts_at or at(on)
    ends_at = ends_at or starts_at + timedelta(hours=2)
    held = state in (State.HELD, State.SUBMITTED, State.RETURNED, State.APPROVED)
    if kind == Kind.HEART_TALK and not talk_pair:
        talk_pair = "secretary_member"
    m = Meeting(
        org=org,
        party_group=party_group,
        kind=kind,
        state=state,
        topic=topic or f"测试会议{next(_seq)}",
        starts_at=starts_at,
        ends_at=ends_at,
        on=starts_at.astimezone(SH).date(),
        talk_pair=talk_pair,
        signin_code=f"{secrets.randbelow(10**6):06d}",
        signin_token=secrets.token_hex(16),
        should_attend=should_attend,
        attended=attended if held else 0,
        on_leave=on_leave if held else 0,
        minutes=fields.pop("minutes", "会议记录" if held else ""),
        **fields,
    )
    if state in (State.SUBMITTED, State.RETURNED, State.APPROVED):
        m.submitted_at = m.submitted_at or ends_at + timedelta(days=1)
    if state in (State.RETURNED, State.APPROVED):
        m.reviewed_at = m.reviewed_at or ends_at + timedelta(days=2)
    m.save()
    if roster and hasattr(branch, "roll"):
        people = branch.roll
        if party_group is not None:
            people = [p for p in people if p.party_group_id == party_group.pk]
        rows = []
        for i, member in enumerate(people):
            if not held:
                status = AttendanceStatus.EXPECTED
            elif i < attended:
                status = AttendanceStatus.ATTENDED
            elif i < attended + on_leave:
                status = AttendanceStatus.LEAVE
            else:
                status = AttendanceStatus.ABSENT
            rows.append(
                Attendance(
                    meeting=m,
                    member=member,
                    status=status,
                    leave_reason="出差" if status == AttendanceStatus.LEAVE else "",
                )
            )
        Attendance.objects.bulk_create(rows)
        m.should_attend = len(rows)
        m.attended = sum(r.status == AttendanceStatus.ATTENDED for r in rows)
        m.on_leave = sum(r.status == AttendanceStatus.LEAVE for r in rows)
        m.save(update_fields=["should_attend", "attended", "on_leave"])
    return m


def planned(
    b: Branch,
    *,
    kind: str = Kind.THEME_DAY,
    starts_at: datetime | None = None,
    hours: int = 2,
    actor=None,
    **fields,
) -> Meeting:
    """A meeting planned through the services by the branch secretary (roster rows written).

    Default time: tomorrow (local) at 19:00 — so it can be signed in/held only with `now=`."""
    from django.utils import timezone

    from tongxin.meetings import services

    starts_at = starts_at or at(timezone.localdate() + timedelta(days=1))
    return services.plan_meeting(
        actor=actor or b.secretary,
        org=fields.pop("org", b.org),
        kind=kind,
        topic=fields.pop("topic", f"主题党日{next(_seq)}"),
        starts_at=starts_at,
        ends_at=fields.pop("ends_at", starts_at + timedelta(hours=hours)),
        place=fields.pop("place", "党群服务中心"),
        notify=fields.pop("notify", False),
        **fields,
    )
