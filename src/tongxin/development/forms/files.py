"""Forms of the admission pages: the list filters, opening a file, recording the next step
(fields specific to that step — the data contract of services.record_step), the half-year
review, documents, the branch meeting vote and closing a file."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.core.uploads import check_document
from tongxin.development import rules
from tongxin.development.models import Applicant, Document
from tongxin.development.services.files import IDENTITY_FIELDS
from tongxin.members.forms.registry import (
    SELECT_LIMIT,
    DateInput,
    OrgCodeField,
    org_filter_options,
    org_filter_queryset,
)
from tongxin.members.models import MEMBER_KEEPERS, Category, Member, Status
from tongxin.members.services.registry import MEMBER_ORG_TYPES
from tongxin.orgs.models import Org


def phase_choices():
    return [("", _("All phases"))] + [
        (str(p.number), f"{p.number} {p.name_zh}") for p in rules.PHASES
    ]


class FileFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("name, pinyin, initials, last 4 of ID")}),
    )
    org = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Org.objects.none(), required=False
    )
    phase = forms.TypedChoiceField(
        label=_("Phase"), required=False, choices=phase_choices, coerce=int, empty_value=None
    )
    overdue = forms.TypedChoiceField(
        label=_("Deadlines"),
        required=False,
        choices=[("", _("All")), ("yes", _("Overdue")), ("no", _("On time"))],
        coerce=lambda v: v == "yes",
        empty_value=None,
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[(Applicant.State.OPEN.value, _("In progress")), ("all", _("All"))],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_filter_queryset(user)
        self.fields["org"].choices = org_filter_options(user, self.data.get("org"))

    def filters(self) -> dict:
        if not self.is_valid():
            return {"org": None, "phase": None, "overdue": None, "state": "open", "q": ""}
        d = self.cleaned_data
        return {
            "org": d["org"],
            "phase": d["phase"],
            "overdue": d["overdue"],
            "state": d["state"] or Applicant.State.OPEN,
            "q": d["q"],
        }


def keeper_branches(user):
    """Organisations whose applicants the user may open files for."""
    return (
        Org.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(type__in=MEMBER_ORG_TYPES, active=True)
        .order_by("path")
    )


class OpenFileForm(forms.ModelForm):
    applied_on = forms.DateField(
        label=_("Application date"),
        widget=DateInput,
        help_text=_("Step 1: the day the written application was handed in."),
    )

    class Meta:
        model = Applicant
        fields = ["org", *IDENTITY_FIELDS]
        widgets = {
            "birth_date": DateInput,
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        branches = keeper_branches(user)
        if branches.count() > SELECT_LIMIT:  # a district keeps thousands of branches
            self.fields["org"] = OrgCodeField(
                branches,
                label=self.fields["org"].label,
                help_text=_("Code of the organisation."),
            )
        else:
            self.fields["org"].queryset = branches
        self.order_fields(["org", "applied_on"])

    def _post_clean(self):
        """Model validation is the service's job (it reports every rule on its field)."""

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


# ---------------------------------------------------------------- the next step

PEOPLE_ROLES = {2: "talker", 6: "reviewer", 10: "reviewer", 16: "talker", 20: "other"}


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def member_candidates(applicant: Applicant):
    """Full members in good standing of the applicant's branch (contacts, introducers)."""
    return Member.objects.filter(
        org=applicant.org, category=Category.FULL, status=Status.NORMAL
    ).order_by("name", "id")


class StepForm(forms.Form):
    """The form of one step: date, body, note, and that step's own fields."""

    step = forms.IntegerField(widget=forms.HiddenInput)
    on = forms.DateField(label=_("Date"), widget=DateInput)
    body = forms.CharField(
        label=_("Deciding body or person in charge"), required=False, max_length=100
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, applicant: Applicant, step: int, approvers=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("step", step)
        kwargs["initial"].setdefault("on", timezone.localdate())
        kwargs.setdefault("prefix", "s")
        super().__init__(*args, **kwargs)
        self.applicant, self.number = applicant, step
        f = self.fields
        if step in PEOPLE_ROLES:
            f["person"] = forms.CharField(
                label={
                    "talker": _("Who talked with the applicant"),
                    "reviewer": _("Who carried out the review"),
                    "other": _("Who led the oath"),
                }[PEOPLE_ROLES[step]],
                required=False,
                max_length=50,
            )
        if step == 3:
            f["method"] = forms.ChoiceField(
                label=_("Chosen by"),
                choices=[
                    ("member_recommendation", _("Recommendation by party members")),
                    ("mass_organisation_recommendation", _("Recommendation by mass organisations")),
                ],
            )
            f["decided_by"] = forms.ChoiceField(
                label=_("Decided by"),
                choices=[
                    ("branch_committee", _("Branch committee")),
                    ("branch_meeting", _("Branch general meeting")),
                ],
                initial="branch_committee" if applicant.org.has_committee else "branch_meeting",
                help_text=_(
                    "The branch committee decides; where the branch has no committee, the "
                    "branch general meeting."
                ),
            )
        elif step in (5, 9):
            name = "contacts" if step == 5 else "introducers"
            f[name] = MemberChoiceField(
                label=_("Training contacts (one or two full members)")
                if step == 5
                else _("Introducers (two full members)"),
                queryset=member_candidates(applicant),
                widget=forms.CheckboxSelectMultiple,
            )
        elif step == 10:
            f["conclusion"] = forms.CharField(
                label=_("Conclusion of the political review"),
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        elif step == 11:
            f["days"] = forms.IntegerField(label=_("Days of training"), min_value=0, required=False)
            f["hours"] = forms.IntegerField(label=_("Class hours"), min_value=0, required=False)
            f["certificate"] = forms.CharField(
                label=_("Training certificate"), required=False, max_length=100
            )
        elif step == 14:
            f["form_number"] = forms.CharField(
                label=_("Number of the volunteer form"), max_length=60
            )
        elif step == 23:
            f["outcome"] = forms.ChoiceField(
                label=_("Decision of the meeting"),
                choices=[
                    ("convert", _("Full membership on time")),
                    ("extend", _("Extend the probation")),
                    ("cancel", _("Cancel the probationary membership")),
                ],
            )
            f["extended_to"] = forms.DateField(
                label=_("Probation extended to"),
                required=False,
                widget=DateInput,
                help_text=_("Only for an extension: at least 6 months, at most one year."),
            )
        elif step in (17, 24):
            f["approver"] = forms.ModelChoiceField(
                label=_("Approving committee"),
                queryset=Org.objects.filter(pk__in=[o.pk for o in approvers]),
                required=False,
                empty_label=_("The nearest approving committee you keep"),
            )
            if step == 17:
                f["limit_extended"] = forms.BooleanField(
                    label=_("The approval limit was extended to 6 months"), required=False
                )
        if step in (15, 23):
            f["on"].help_text = _("The date of the branch meeting whose vote passed.")

    def clean(self):
        data = super().clean()
        if data.get("step") not in (None, self.number):
            raise ValidationError(_("The file has moved on; reload the page."))
        if self.number == 23 and data.get("outcome") == "extend" and not data.get("extended_to"):
            self.add_error("extended_to", _("Give the end of the extended probation."))
        return data

    def service_kwargs(self) -> dict:
        """record_step(...) keyword arguments (actor, applicant and today aside)."""
        d = self.cleaned_data
        data: dict = {}
        people: list[dict] = []
        if d.get("person"):
            people.append({"role": PEOPLE_ROLES[self.number], "name": d["person"], "member": None})
        if self.number == 3:
            data = {"method": d["method"], "decided_by": d["decided_by"]}
        elif self.number == 5:
            data = {"contacts": [m.pk for m in d["contacts"]]}
        elif self.number == 9:
            data = {"introducers": [m.pk for m in d["introducers"]]}
        elif self.number == 10:
            data = {"conclusion": d["conclusion"]}
        elif self.number == 11:
            data = {
                "days": d.get("days") or 0,
                "hours": d.get("hours") or 0,
                "certificate": d.get("certificate", ""),
            }
        elif self.number == 14:
            data = {"form_number": d["form_number"]}
        elif self.number == 23:
            data = {"outcome": d["outcome"]}
            if d["outcome"] == "extend":
                data["extended_to"] = d["extended_to"]
        elif self.number in (17, 24):
            if d.get("approver"):
                data["approver"] = d["approver"].pk
            if self.number == 17:
                data["limit_extended"] = bool(d.get("limit_extended"))
        return {
            "step": self.number,
            "on": d["on"],
            "data": data,
            "people": people or None,
            "body": d.get("body", ""),
            "note": d.get("note", ""),
        }


class ReviewForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput)
    reviewer = forms.CharField(label=_("Reviewer"), max_length=100)
    summary = forms.CharField(
        label=_("Summary"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "r")
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Document.Kind.choices)
    step = forms.TypedChoiceField(
        label=_("Step"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(str(s.number), f"{s.number} {s.name_zh}") for s in rules.STEPS],
    )
    on = forms.DateField(label=_("Date"), widget=DateInput)
    title = forms.CharField(label=_("Title"), required=False, max_length=120)
    number = forms.CharField(label=_("Number"), required=False, max_length=60)
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("PDF, JPEG, PNG or Word (.docx), at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "d")
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        try:
            check_document(upload)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["file"]) from None
        return upload


class CloseForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Applicant.State.WITHDRAWN.value, Applicant.State.WITHDRAWN.label),
            (Applicant.State.NOT_ADMITTED.value, Applicant.State.NOT_ADMITTED.label),
        ],
    )
    on = forms.DateField(label=_("Date"), widget=DateInput)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "c")
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------- the vote

WRITTEN_CHOICES = [("", "—"), ("yes", _("in favour")), ("no", _("against"))]


class VoteForm(forms.Form):
    """The branch meeting's figures. `roster` (voters_of on the meeting date) gives one
    checkbox per member for "present" and, for the absent, a written opinion."""

    meeting_on = forms.DateField(label=_("Meeting date"), widget=DateInput)
    present = forms.TypedMultipleChoiceField(
        label=_("Present"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    yes = forms.IntegerField(label=_("Ballots in favour"), min_value=0)
    no = forms.IntegerField(label=_("Ballots against"), min_value=0)
    abstain = forms.IntegerField(label=_("Abstentions"), min_value=0, initial=0)

    def __init__(self, *args, roster=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.roster = list(roster)
        self.fields["present"].choices = [(m.pk, m.name) for m in self.roster]
        for m in self.roster:
            self.fields[f"written_{m.pk}"] = forms.ChoiceField(
                label=_("Written opinion of %(name)s") % {"name": m.name},
                choices=WRITTEN_CHOICES,
                required=False,
            )

    def written_rows(self):
        """(member, present checkbox, written-opinion field) per roster member."""
        boxes = {int(b.data["value"]): b for b in self["present"]}
        return [(m, boxes.get(m.pk), self[f"written_{m.pk}"]) for m in self.roster]

    def clean(self):
        data = super().clean()
        present = set(data.get("present") or [])
        for m in self.roster:
            if data.get(f"written_{m.pk}") and m.pk in present:
                self.add_error(
                    f"written_{m.pk}",
                    _("A member present votes by ballot, not by written opinion."),
                )
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        written = [
            {"member": m.pk, "vote": d[f"written_{m.pk}"]}
            for m in self.roster
            if d.get(f"written_{m.pk}")
        ]
        return {
            "meeting_on": d["meeting_on"],
            "present": list(d.get("present") or []),
            "yes": d["yes"],
            "no": d["no"],
            "abstain": d.get("abstain") or 0,
            "written": written,
        }
