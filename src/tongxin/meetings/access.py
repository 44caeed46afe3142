"""Who sees and who acts on meetings — the ONE scoping module of the meetings app.

* Keepers (members.models.MEMBER_KEEPERS: district, street and community administrators and
  branch secretaries) see and manage the meetings of branches in the subtrees they keep:
  they plan, record, mark attendance and submit (`may_manage`).
* Review is done by a keeper of an org STRICTLY above the branch (the community, street or
  district): a branch secretary never reviews their own branch's meeting (`may_review`).
* Party members (a user linked to a Member) see the meetings they are on the roster of,
  and nothing else of other branches.

Views and the API never fetch a meeting by raw id except through `meeting_for` (404 when
not visible); "visible but not allowed" is 403 (`require_manage`, `require_review`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from tongxin.core.scoping import path_q
from tongxin.meetings.models import Attendance, Meeting
from tongxin.members.access import keeper_paths, keeps
from tongxin.orgs.models import Org


def member_of(user):
    """The user's own Member row (party members' accounts), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_tongxin_member", False)
    if cached is False:
        from tongxin.members.models import Member

        cached = Member.objects.filter(user=user).first()
        user._tongxin_member = cached
    return cached


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def meetings_visible_to(user):
    """Meetings the user may see: keepers' subtrees ∪ meetings whose roster holds the user's
    own member record.

    The roster clause is added only when the user has a member record (one cached lookup),
    and then on the member's id: ``org path OR id IN (roster)`` defeats the path index and
    scans every meeting, which administrators without a member record (most keepers above
    the branches) never need."""
    if not _signed_in(user):
        return Meeting.objects.none()
    paths = keeper_paths(user)
    if any(p.count("/") == 1 for p in paths):  # the district root: everything
        return Meeting.objects.all()
    member = member_of(user)
    q = Q(pk__in=[])
    if member is not None:
        q |= Q(pk__in=Attendance.objects.filter(member_id=member.pk).values("meeting_id"))
    if paths:
        q |= path_q(paths, ("org__path",))
    return Meeting.objects.filter(q)


def _org_of(meeting_or_org) -> Org:
    return meeting_or_org.org if isinstance(meeting_or_org, Meeting) else meeting_or_org


def may_view(actor, meeting: Meeting) -> bool:
    return keeps(actor, meeting.org) or on_roster(actor, meeting)


def on_roster(user, meeting: Meeting) -> bool:
    member = member_of(user)
    return member is not None and Attendance.objects.filter(meeting=meeting, member=member).exists()


def may_manage(actor, meeting_or_org) -> bool:
    """The actor keeps the branch: plans, records and submits its meetings."""
    return keeps(actor, _org_of(meeting_or_org))


def keeps_above(actor, org: Org) -> bool:
    """The actor keeps an org strictly above `org`."""
    return any(org.path.startswith(p) and p != org.path for p in keeper_paths(actor))


def may_review(actor, meeting: Meeting) -> bool:
    """A keeper of an org strictly above the meeting's branch (never the branch itself)."""
    return keeps_above(actor, meeting.org)


def require_manage(actor, meeting_or_org) -> None:
    if not may_manage(actor, meeting_or_org):
        raise PermissionDenied(_("You do not keep the meetings of this branch."))


def require_review(actor, meeting: Meeting) -> None:
    if not may_review(actor, meeting):
        raise PermissionDenied(
            _("Meetings are reviewed by the organisation above the branch, not by the branch.")
        )


def reviewers_of(meeting: Meeting) -> list:
    """Users who may review the meeting and are bound to its branch's parent (notices)."""
    from tongxin.accounts.models import RoleAssignment
    from tongxin.members.models import MEMBER_KEEPERS

    parent_id = meeting.org.parent_id
    if parent_id is None:
        return []
    return [
        ra.user
        for ra in RoleAssignment.objects.filter(
            org_id=parent_id, role__in=MEMBER_KEEPERS, active=True, user__is_active=True
        ).select_related("user")
    ]


def secretaries_of(org: Org) -> list:
    """Branch secretaries bound to the branch (notices of review outcomes)."""
    from tongxin.accounts.models import RoleAssignment

    return [
        ra.user
        for ra in RoleAssignment.objects.filter(
            org=org, role="branch_secretary", active=True, user__is_active=True
        ).select_related("user")
    ]


def meeting_for(user, meeting_id) -> Meeting:
    """The meeting if the user may see it; Http404 otherwise (also for malformed ids)."""
    try:
        pk = int(meeting_id)
    except (TypeError, ValueError):
        raise Http404(_("No such meeting.")) from None
    if pk <= 0 or pk > 2**63 - 1:
        raise Http404(_("No such meeting."))
    meeting = (
        meetings_visible_to(user)
        .select_related("org", "party_group", "host", "recorder")
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404(_("No such meeting."))
    return meeting


def manageable_branches(user):
    """Branches (branch / joint branch) the user keeps: where they may plan meetings."""
    from tongxin.members.models import MEMBER_KEEPERS
    from tongxin.orgs.rules import BRANCH_TYPES

    return Org.objects.visible_to(user, MEMBER_KEEPERS).filter(type__in=BRANCH_TYPES, active=True)
