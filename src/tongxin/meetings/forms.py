"""Forms of the meeting pages: the list filters, planning a meeting (heart talks included),
attendance marks, minutes, attachments, review, cancel, sign-in by code and the appraisal.

Forms only parse and shape input; the rules (committee only where there is one, roster,
window, states) are the services' (meetings/services) and come back as refusals."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.uploads import check_document
from tongxin.meetings.models import AttendanceStatus, Grade, Kind, Meeting, State, TalkPair
from tongxin.meetings.rules.common import RuleError
from tongxin.meetings.rules.periods import MONTH, Period
from tongxin.meetings.services.meetings import MAX_LENGTH  # a meeting lasts at most a day
from tongxin.members.forms.registry import DateInput, org_filter_options, org_filter_queryset
from tongxin.members.models import Member, Status
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


def keeper_branches(user):
    """Branches (and joint branches) the user may plan meetings for."""
    from tongxin.meetings.access import manageable_branches

    return manageable_branches(user).order_by("path")


def branch_members(org):
    """Members a branch may name as host, recorder or talk participant."""
    if org is None:
        return Member.objects.none()
    return Member.objects.filter(org=org, status=Status.NORMAL).order_by("name", "pk")


class VersionField(forms.IntegerField):
    """The meeting's version as the page showed it (stale → 409 "already changed")."""

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=1, widget=forms.HiddenInput, **kwargs)


# ------------------------------------------------------------------ list filters


class MeetingFilterForm(forms.Form):
    org = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Org.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    month = forms.CharField(
        label=pgettext_lazy("period", "Month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-07"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *Kind.choices]
        self.fields["state"].choices = [("", _("All states")), *State.choices]
        options = org_filter_options(user, self.data.get("org"))
        if len(options) <= 1:  # party members: only their own meetings, no tree to filter
            del self.fields["org"]
        else:
            self.fields["org"].queryset = org_filter_queryset(user)
            self.fields["org"].choices = options

    def clean_month(self):
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        try:
            period = Period.parse(text)
        except RuleError as exc:
            raise forms.ValidationError(exc.text) from None
        if period.unit != MONTH:
            raise forms.ValidationError(_("Enter a month, e.g. 2026-07."))
        return period

    def filters(self) -> dict:
        if not self.is_valid():
            return {"org": None, "kind": None, "state": None, "period": None}
        d = self.cleaned_data
        return {
            "org": d.get("org"),
            "kind": d["kind"] or None,
            "state": d["state"] or None,
            "period": d["month"],
        }


# ------------------------------------------------------------------ planning


class MeetingFieldsForm(forms.Form):
    """What planning and changing a meeting share: topic, time (a day, start and end, and the
    day it ends when it runs past midnight), place, host, recorder and agenda. The time is
    read in the local time zone (Asia/Shanghai)."""

    topic = forms.CharField(label=_("Topic"), max_length=200)
    on = forms.DateField(label=_("Date"), widget=DateInput)
    start = forms.TimeField(label=_("Starts at"), widget=TimeInput)
    end = forms.TimeField(label=_("Ends at"), widget=TimeInput)
    end_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=DateInput,
        help_text=_("Only when the meeting runs past midnight; empty: the same day."),
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    host = forms.ModelChoiceField(label=_("Host"), queryset=Member.objects.none(), required=False)
    recorder = forms.ModelChoiceField(
        label=_("Recorder"), queryset=Member.objects.none(), required=False
    )
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean(self):
        d = super().clean()
        span = self.span()
        if span is not None:
            starts_at, ends_at = span
            field = "end_on" if d.get("end_on") not in (None, d.get("on")) else "end"
            if ends_at <= starts_at:
                self.add_error(field, _("The meeting must end after it starts."))
            elif ends_at - starts_at > MAX_LENGTH:
                self.add_error(
                    field,
                    _("A meeting lasts at most 24 hours (this one lasts %(hours)s hours).")
                    % {"hours": f"{(ends_at - starts_at).total_seconds() / 3600:g}"},
                )
        return d

    def span(self) -> tuple[datetime, datetime] | None:
        """(starts_at, ends_at), aware, of the cleaned date and times; None while one is
        missing or invalid."""
        d = getattr(self, "cleaned_data", {})
        on, start, end = d.get("on"), d.get("start"), d.get("end")
        if not (on and start and end):
            return None
        return self._at(on, start), self._at(d.get("end_on") or on, end)

    @staticmethod
    def _at(day: date, t: time) -> datetime:
        return timezone.make_aware(datetime.combine(day, t))


class PlanForm(MeetingFieldsForm):
    """Plan a meeting of one branch. The branch is chosen first (by a GET form on the page);
    the member fields then list that branch's members and groups."""

    field_order = ["org", "kind"]  # then the shared fields, then the ones below

    org = forms.ModelChoiceField(label=_("Branch"), queryset=Org.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    party_group = forms.ModelChoiceField(
        label=_("Party group"),
        queryset=Org.objects.none(),
        required=False,
        help_text=_("Only for a party group meeting."),
    )
    talk_pair = forms.ChoiceField(
        label=_("Talk pair"),
        required=False,
        help_text=_("Only for a heart-to-heart talk."),
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("The two people talking"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for a heart-to-heart talk: exactly two members of the branch."),
    )
    notify = forms.BooleanField(
        label=_("Notify the members who should attend"), required=False, initial=True
    )

    def __init__(self, *args, user=None, branch=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["talk_pair"].choices = [("", "---------"), *TalkPair.choices]
        # the branch is chosen on the page first (a select, or its code at district scale)
        # and posted back hidden; it is checked against the branches the user keeps
        self.fields["org"].queryset = keeper_branches(user)
        self.fields["org"].widget = forms.HiddenInput()
        self.fields["org"].error_messages["invalid_choice"] = _(
            "Choose a branch whose meetings you keep."
        )
        self.branch = branch
        if branch is not None:
            if not branch.has_committee:
                self.fields["kind"].help_text = _(
                    "This branch has no committee: it holds no committee meetings."
                )
            members = branch_members(branch)
            for name in ("host", "recorder", "participants"):
                self.fields[name].queryset = members
            self.fields["party_group"].queryset = Org.objects.filter(
                parent=branch, type=org_rules.PARTY_GROUP, active=True
            ).order_by("path")
        else:
            for name in ("host", "recorder", "participants", "party_group"):
                self.fields[name].help_text = _("Choose the branch first.")

    def clean(self):
        d = super().clean()
        org = d.get("org")
        if org is not None and self.branch is not None and org.pk != self.branch.pk:
            # the branch changed after the member fields were listed: show the new lists
            self.add_error("org", _("The branch changed: check the people and the group."))
        if d.get("kind") == Kind.HEART_TALK:
            if len(d.get("participants") or []) != 2:
                self.add_error("participants", _("A heart-to-heart talk needs exactly two people."))
            if not d.get("talk_pair"):
                self.add_error("talk_pair", _("Choose the pair kind of the talk."))
        if d.get("kind") == Kind.GROUP_MEETING and not d.get("party_group"):
            self.add_error("party_group", _("A party group meeting needs its party group."))
        return d

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        heart = d["kind"] == Kind.HEART_TALK
        starts_at, ends_at = self.span()
        return {
            "org": d["org"],
            "kind": d["kind"],
            "topic": d["topic"],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": d["place"],
            "host": d["host"],
            "recorder": d["recorder"],
            "agenda": d["agenda"],
            "party_group": d["party_group"] if d["kind"] == Kind.GROUP_MEETING else None,
            "talk_pair": d["talk_pair"] if heart else "",
            "participants": list(d["participants"]) if heart else None,
            "notify": d["notify"],
        }


class EditForm(MeetingFieldsForm):
    """Change a planned meeting: the shared fields, prefilled from the meeting, and the
    version the page showed. Kind, branch and roster stay as planned (the service's rule)."""

    version = VersionField()

    def __init__(self, *args, meeting: Meeting, **kwargs):
        self.meeting = meeting
        starts, ends = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
        kwargs.setdefault(
            "initial",
            {
                "topic": meeting.topic,
                "on": starts.date(),
                "start": starts.time(),
                "end": ends.time(),
                "end_on": ends.date() if ends.date() != starts.date() else None,
                "place": meeting.place,
                "host": meeting.host_id,
                "recorder": meeting.recorder_id,
                "agenda": meeting.agenda,
                "version": meeting.version,
            },
        )
        super().__init__(*args, **kwargs)
        # the branch's members in good standing, and whoever is named now (so an unchanged
        # host who has since left good standing is still shown, and kept)
        named = [pk for pk in (meeting.host_id, meeting.recorder_id) if pk]
        members = Member.objects.filter(
            Q(org_id=meeting.org_id, status=Status.NORMAL) | Q(pk__in=named)
        ).order_by("name", "pk")
        for name in ("host", "recorder"):
            self.fields[name].queryset = members

    def changes(self) -> dict:
        """The fields that differ from the meeting, as update_meeting takes them."""
        d, m = self.cleaned_data, self.meeting
        starts_at, ends_at = self.span()
        now = {
            "topic": d["topic"].strip(),
            "place": d["place"].strip(),
            "agenda": d["agenda"].strip(),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "host": d["host"],
            "recorder": d["recorder"],
        }
        was = {
            "topic": m.topic,
            "place": m.place,
            "agenda": m.agenda,
            "starts_at": m.starts_at,
            "ends_at": m.ends_at,
            "host": m.host,
            "recorder": m.recorder,
        }
        return {k: v for k, v in now.items() if v != was[k]}


# ------------------------------------------------------------------ the meeting page

MARKABLE = [
    (AttendanceStatus.ATTENDED.value, AttendanceStatus.ATTENDED.label),
    (AttendanceStatus.LEAVE.value, AttendanceStatus.LEAVE.label),
    (AttendanceStatus.ABSENT.value, AttendanceStatus.ABSENT.label),
]


class AttendanceForm(forms.Form):
    """One status (and a reason for leave) per roster row: fields ``s-<member id>`` and
    ``r-<member id>``. Rows left unmarked are not sent to the service."""

    version = VersionField()

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            current = row.status if row.status != AttendanceStatus.EXPECTED else ""
            self.fields[f"s-{row.member_id}"] = forms.ChoiceField(
                label=row.member.name,
                choices=[("", _("not marked")), *MARKABLE],
                required=False,
                initial=current,
                widget=forms.RadioSelect,
            )
            self.fields[f"r-{row.member_id}"] = forms.CharField(
                label=_("Reason for leave"),
                max_length=200,
                required=False,
                initial=row.leave_reason,
            )

    def clean(self):
        d = super().clean()
        for row in self.rows:
            status = d.get(f"s-{row.member_id}")
            if status == AttendanceStatus.LEAVE and not (d.get(f"r-{row.member_id}") or "").strip():
                self.add_error(f"r-{row.member_id}", _("Leave needs a reason."))
        if not self.marks():
            raise forms.ValidationError(_("Mark at least one member."))
        return d

    def marks(self) -> dict:
        d = getattr(self, "cleaned_data", {})
        out = {}
        for row in self.rows:
            status = d.get(f"s-{row.member_id}")
            if status:
                reason = (d.get(f"r-{row.member_id}") or "").strip()
                out[row.member_id] = (status, reason if status == AttendanceStatus.LEAVE else "")
        return out

    def table(self):
        """(attendance row, status field, reason field) for the template."""
        return [(row, self[f"s-{row.member_id}"], self[f"r-{row.member_id}"]) for row in self.rows]


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What was discussed and decided. Members not marked are recorded as absent."),
    )
    version = VersionField()

    def clean_minutes(self):
        text = self.cleaned_data["minutes"].strip()
        if not text:
            raise forms.ValidationError(_("Write the minutes."))
        return text


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPEG, PNG or DOCX, at most 10 MB."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_document(upload)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["file"]) from None
        return upload


class VersionForm(forms.Form):
    """Submit for review: nothing but the version the page showed."""

    version = VersionField()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return with an opinion"))],
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(
        label=_("Opinion"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the meeting is returned."),
    )
    version = VersionField()

    def clean(self):
        d = super().clean()
        if d.get("decision") == "return" and not (d.get("opinion") or "").strip():
            self.add_error("opinion", _("Say why the meeting is returned."))
        return d

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "approve": d["decision"] == "approve",
            "opinion": (d.get("opinion") or "").strip(),
            "version": d.get("version"),
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)
    version = VersionField()


# ------------------------------------------------------------------ sign-in


class SigninCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Sign-in code"),
        regex=r"^\d{6}$",
        max_length=6,
        min_length=6,
        error_messages={"invalid": _("The sign-in code is 6 digits.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "maxlength": 6,
                "class": "code-input",
                "autofocus": True,
            }
        ),
        help_text=_("The 6 digits shown by the host."),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip()


# ------------------------------------------------------------------ appraisal


class AppraisalForm(forms.Form):
    """A grade and a note per roster member: fields ``g-<member id>`` and ``n-<member id>``;
    members left without a grade are not recorded."""

    def __init__(self, *args, members=(), existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        self.existing = existing = existing or {}
        for m in self.members:
            grade, note = existing.get(m.pk, ("", ""))
            self.fields[f"g-{m.pk}"] = forms.ChoiceField(
                label=m.name,
                choices=[("", "---------"), *Grade.choices],
                required=False,
                initial=grade,
            )
            self.fields[f"n-{m.pk}"] = forms.CharField(
                label=_("Note"), max_length=500, required=False, initial=note
            )

    def clean(self):
        d = super().clean()
        if not self.results():
            raise forms.ValidationError(_("Give at least one member a rating."))
        return d

    def results(self) -> dict:
        d = getattr(self, "cleaned_data", {})
        return {
            m.pk: (d[f"g-{m.pk}"], (d.get(f"n-{m.pk}") or "").strip())
            for m in self.members
            if d.get(f"g-{m.pk}")
        }

    def table(self):
        """(member, rating field, note field, recorded rating label, recorded note)."""
        labels = dict(Grade.choices)
        rows = []
        for m in self.members:
            grade, note = self.existing.get(m.pk, ("", ""))
            rows.append((m, self[f"g-{m.pk}"], self[f"n-{m.pk}"], labels.get(grade, ""), note))
        return rows


def meeting_version(meeting: Meeting) -> dict:
    return {"version": meeting.version}
