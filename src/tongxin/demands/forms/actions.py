"""One small form per workflow action on the demand page (POST, CSRF, the demand's
`version` hidden so that a stale page gets "already changed" instead of acting twice).

`action_forms(user, demand)` lists the forms the user may use now (rules.ACTIONS by state
and access.roles_for, plus the few extra conditions the page can know); `params()` of a
bound, valid form gives the keyword arguments of `services.act`.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.demands import access, rules
from tongxin.demands.forms.common import PhotosField
from tongxin.demands.models import (
    Demand,
    Department,
    ExtensionRequest,
    LimitUnit,
    Rating,
    Summons,
)
from tongxin.grid.forms import IdsChoiceField

LABELS = {
    "accept": _("Accept"),
    "refuse": _("Do not accept"),
    "mark_duplicate": _("Mark as a duplicate"),
    "dispatch": _("Dispatch"),
    "claim": _("Take it on"),
    "return": _("Return: not ours"),
    "progress": _("Add a progress note"),
    "escalate": _("Escalate to the street"),
    "summon": _("Summon departments"),
    "answer_summons": _("Answer the summons"),
    "answer": _("Answer the resident"),
    "close": _("Close"),
    "rate": _("Record the resident's rating"),
    "return_visit": _("Return visit done"),
    "archive": _("Archive"),
    "supervise": _("Put under supervision"),
    "request_extension": _("Ask for more time"),
    "decide_extension": _("Decide the extension"),
}

# the main line first (the first of these is shown open), side actions after
MAIN = (
    "accept",
    "dispatch",
    "claim",
    "answer",
    "close",
    "rate",
    "return_visit",
    "archive",
    "summon",
    "answer_summons",
    "decide_extension",
)
ORDER = [
    *MAIN,
    "progress",
    "request_extension",
    "supervise",
    "escalate",
    "return",
    "refuse",
    "mark_duplicate",
]
DANGER = frozenset({"refuse", "mark_duplicate", "return"})


class ActionForm(forms.Form):
    action = ""
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data=None, files=None, *, demand: Demand, user, **kwargs):
        kwargs.setdefault("prefix", self.action)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", demand.version)
        super().__init__(data, files, **kwargs)
        self.demand = demand
        self.user = user
        self.setup()

    def setup(self):
        pass

    @property
    def label(self):
        return LABELS[self.action]

    @property
    def danger(self):
        return self.action in DANGER

    @property
    def main(self):
        return self.action in MAIN

    def params(self) -> dict:
        """Keyword arguments of services.act besides actor/demand/action."""
        d = self.cleaned_data
        return {"expected_version": d["version"], "note": d.get("note", ""), **self.extra()}

    def extra(self) -> dict:
        return {}


def _reason_field(label=None):
    return forms.CharField(
        label=label or _("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptForm(ActionForm):
    action = "accept"


class RefuseForm(ActionForm):
    action = "refuse"
    reason = _reason_field(_("Reason (the resident sees it)"))

    def setup(self):
        del self.fields["note"]

    def extra(self):
        return {"reason": self.cleaned_data["reason"]}


class DuplicateForm(ActionForm):
    action = "mark_duplicate"
    original = forms.CharField(label=_("Tracking code of the original"), max_length=16)

    def clean_original(self):
        code = self.cleaned_data["original"].strip().upper()
        original = (
            Demand.objects.visible_to(self.user)
            .filter(code=code)
            .exclude(pk=self.demand.pk)
            .first()
        )
        if original is None:
            raise forms.ValidationError(_("No other demand you can see has this code."))
        return original

    def extra(self):
        return {"original": self.cleaned_data["original"]}


SELF = "self"


class DispatchForm(ActionForm):
    action = "dispatch"
    department = forms.ChoiceField(label=_("Dispatch to"))

    def setup(self):
        from tongxin.demands.services import route

        choices = [(SELF, _("The community handles it itself"))] + [
            (str(pk), name)
            for pk, name in Department.objects.filter(active=True).values_list("pk", "name")
        ]
        self.fields["department"].choices = choices
        if not self.is_bound:
            try:
                suggested = route(self.demand.category, self.demand.community)
            except NotImplementedError:  # pragma: no cover - before the workflow exists
                suggested = None
            self.initial["department"] = str(suggested.pk) if suggested else SELF
            self.suggested = suggested

    def extra(self):
        value = self.cleaned_data["department"]
        department = None if value == SELF else Department.objects.filter(pk=int(value)).first()
        return {"department": department}


class ClaimForm(ActionForm):
    action = "claim"


class ReturnForm(ActionForm):
    action = "return"
    reason = _reason_field(_("Why it is not ours"))

    def setup(self):
        del self.fields["note"]

    def extra(self):
        return {"reason": self.cleaned_data["reason"]}


class ProgressForm(ActionForm):
    action = "progress"
    photos = PhotosField()

    def setup(self):
        self.fields["note"].required = True
        self.fields["note"].label = _("What was done")

    def extra(self):
        return {"photos": self.cleaned_data.get("photos") or []}


class EscalateForm(ActionForm):
    action = "escalate"
    reason = _reason_field(_("Why the community cannot solve it"))

    def setup(self):
        del self.fields["note"]

    def extra(self):
        return {"reason": self.cleaned_data["reason"]}


class SummonForm(ActionForm):
    action = "summon"
    departments = IdsChoiceField(
        label=_("Departments to summon"),
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def setup(self):
        self.fields["departments"].queryset = Department.objects.filter(active=True)

    def extra(self):
        return {"departments": list(self.cleaned_data["departments"])}


class AnswerSummonsForm(ActionForm):
    action = "answer_summons"
    summons = forms.ModelChoiceField(label=_("Summons"), queryset=Summons.objects.none())
    answer = forms.CharField(
        label=_("Our answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def setup(self):
        del self.fields["note"]
        qs = Summons.objects.filter(
            escalation__demand=self.demand,
            state=Summons.State.SUMMONED,
            department__handlers=self.user,
        ).select_related("department")
        self.fields["summons"].queryset = qs
        self.fields["summons"].label_from_instance = lambda s: s.department.name
        if not self.is_bound and len(qs) == 1:
            self.initial["summons"] = qs[0].pk

    def extra(self):
        return {"summons": self.cleaned_data["summons"], "answer": self.cleaned_data["answer"]}


class AnswerForm(ActionForm):
    action = "answer"
    answer = forms.CharField(
        label=_("Answer (the resident reads it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def extra(self):
        return {"answer": self.cleaned_data["answer"]}


class CloseForm(ActionForm):
    action = "close"


class RateForm(ActionForm):
    action = "rate"
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=300)

    def setup(self):
        del self.fields["note"]

    def extra(self):
        return {"rating": self.cleaned_data["rating"], "comment": self.cleaned_data["comment"]}


class ReturnVisitForm(ActionForm):
    action = "return_visit"


class ArchiveForm(ActionForm):
    action = "archive"


class SuperviseForm(ActionForm):
    action = "supervise"

    def setup(self):
        self.fields["note"].required = True
        self.fields["note"].label = _("Instruction")


class ExtensionRequestForm(ActionForm):
    action = "request_extension"
    limit_value = forms.IntegerField(label=_("Extra time"), min_value=1, max_value=60)
    limit_unit = forms.ChoiceField(label=_("Time unit"), choices=LimitUnit.choices)
    reason = _reason_field()

    def setup(self):
        del self.fields["note"]

    def extra(self):
        d = self.cleaned_data
        return {
            "limit_value": d["limit_value"],
            "limit_unit": d["limit_unit"],
            "reason": d["reason"],
        }


class DecideExtensionForm(ActionForm):
    action = "decide_extension"
    extension = forms.ModelChoiceField(
        label=_("Request"), queryset=ExtensionRequest.objects.none(), widget=forms.HiddenInput
    )
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )

    def setup(self):
        qs = ExtensionRequest.objects.filter(
            demand=self.demand, decision=ExtensionRequest.Decision.PENDING
        )
        self.fields["extension"].queryset = qs
        self.pending = next(iter(self._pending_list()), None)
        if not self.is_bound and self.pending is not None:
            self.initial["extension"] = self.pending.pk

    def _pending_list(self):
        prefetched = getattr(self.demand, "_prefetched_objects_cache", {}).get("extensions")
        source = prefetched if prefetched is not None else self.demand.extensions.all()
        return [e for e in source if e.decision == ExtensionRequest.Decision.PENDING]

    def extra(self):
        return {
            "extension": self.cleaned_data["extension"],
            "approve": self.cleaned_data["approve"],
        }


FORMS: dict[str, type[ActionForm]] = {
    f.action: f
    for f in (
        AcceptForm,
        RefuseForm,
        DuplicateForm,
        DispatchForm,
        ClaimForm,
        ReturnForm,
        ProgressForm,
        EscalateForm,
        SummonForm,
        AnswerSummonsForm,
        AnswerForm,
        CloseForm,
        RateForm,
        ReturnVisitForm,
        ArchiveForm,
        SuperviseForm,
        ExtensionRequestForm,
        DecideExtensionForm,
    )
}


def allowed_actions(user, demand: Demand) -> list[str]:
    """The actions the user may take on the demand now, in page order."""
    roles = access.roles_for(user, demand)
    if not roles:
        return []
    extensions = list(demand.extensions.all())
    pending_extension = any(e.decision == ExtensionRequest.Decision.PENDING for e in extensions)
    out = []
    for name in ORDER:
        spec = rules.ACTIONS.get(name)
        if spec is None or demand.state not in spec.sources or not (roles & spec.who):
            continue
        if name == "answer_summons" and not access.summoned_departments(user, demand):
            continue
        if (
            name == "answer_summons"
            and not Summons.objects.filter(
                escalation__demand=demand, state=Summons.State.SUMMONED, department__handlers=user
            ).exists()
        ):
            continue
        if name == "request_extension" and pending_extension:
            continue
        if name == "decide_extension" and not (
            pending_extension and access.may_decide_extension(user, demand)
        ):
            continue
        if name == "supervise" and demand.supervised:
            continue
        if name == "rate" and demand.rating:
            continue
        out.append(name)
    return out


def action_forms(user, demand: Demand, *, bound: ActionForm | None = None) -> list[ActionForm]:
    """Unbound forms for every allowed action (the `bound` one in its place, with errors)."""
    out = []
    for name in allowed_actions(user, demand):
        if bound is not None and bound.action == name:
            out.append(bound)
        else:
            out.append(FORMS[name](demand=demand, user=user))
    return out
