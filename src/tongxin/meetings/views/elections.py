"""Pages of terms and elections (issue 5 §5). Url names: elections:list, elections:new,
elections:detail.

* list — terms of the orgs the user keeps that end within the reminder lead time or have
  ended (overdue re-elections flagged), and the elections recorded in scope;
* new (?org=) — record an election: the candidates one per line with their votes; the
  checks' arithmetic is shown on the record;
* detail — the record with the checks in words (≥20 % more candidates than seats, more than
  four fifths present, elected with more than half of those present).
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tongxin.meetings.selectors import elections as sel
from tongxin.meetings.services import elections as services
from tongxin.members.access import require_keeper
from tongxin.members.forms.registry import apply_service_errors, org_filter_options
from tongxin.members.models import Member

T = "meetings/"
LINE = re.compile(r"^(.+?)[\s,，:：]+(\d{1,6})$")


class ElectionForm(forms.Form):
    org = forms.ModelChoiceField(label=gettext_lazy("Organisation"), queryset=None)
    held_on = forms.DateField(
        label=gettext_lazy("Election date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    seats = forms.IntegerField(label=gettext_lazy("Seats"), min_value=1, max_value=200)
    entitled = forms.IntegerField(
        label=gettext_lazy("Members entitled to vote"),
        min_value=1,
        max_value=100000,
        required=False,
        help_text=gettext_lazy(
            "Leave empty to count the full members of the organisation entitled to vote on "
            "the date."
        ),
    )
    present = forms.IntegerField(
        label=gettext_lazy("Voters present"), min_value=0, max_value=100000
    )
    candidates = forms.CharField(
        label=gettext_lazy("Candidates and votes"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text=gettext_lazy("One candidate a line: the name, then the number of votes."),
    )
    contested = forms.BooleanField(
        label=gettext_lazy("Contested election (more candidates than seats)"),
        required=False,
        initial=True,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=services.MAX_NOTE,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = sel.electable_orgs(user)
        # a short select even at city scale: the top of the scope, one level down, the chosen
        selected = self.data.get("org") or getattr(self.initial.get("org"), "pk", None)
        self.fields["org"].choices = org_filter_options(user, selected)

    def clean_candidates(self):
        lines = [x.strip() for x in self.cleaned_data["candidates"].splitlines() if x.strip()]
        parsed = []
        for number, text in enumerate(lines, start=1):
            match = LINE.match(text)
            if not match:
                raise ValidationError(
                    _("Line %(n)s: write the name, then the number of votes.") % {"n": number}
                )
            parsed.append((match[1].strip(), int(match[2])))
        return parsed

    def candidate_items(self, org) -> list:
        """Names matched to the org's members when exactly one member has that name."""
        pairs = self.cleaned_data["candidates"]
        names = {name for name, _v in pairs}
        found: dict[str, list[Member]] = {}
        for m in Member.objects.filter(org=org, name__in=names).only("id", "name", "org_id"):
            found.setdefault(m.name, []).append(m)
        items = []
        for name, votes in pairs:
            match = found.get(name, [])
            if len(match) == 1:
                items.append(services.CandidateIn(votes=votes, member=match[0]))
            else:
                items.append(services.CandidateIn(votes=votes, name=name))
        return items


@login_required
def election_list(request):
    require_keeper(request.user)
    org = sel.org_for(request.user, request.GET["org"]) if request.GET.get("org") else None
    elections, next_id = sel.elections_for(
        request.user, org=org, after=_int(request.GET.get("after"))
    )
    return render(
        request,
        T + "elections_list.html",
        {
            "org": org,
            "terms": sel.terms_due(request.user, org=org),
            "elections": elections,
            "next_id": next_id,
            "lead_days": services.lead_days(),
        },
    )


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


@login_required
@require_http_methods(["GET", "POST"])
def election_new(request):
    require_keeper(request.user)
    initial = {"held_on": timezone.localdate(), "contested": True}
    if request.GET.get("org"):
        initial["org"] = sel.org_for(request.user, request.GET["org"])
    form = ElectionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            election = services.record_election(
                actor=request.user,
                org=data["org"],
                held_on=data["held_on"],
                seats=data["seats"],
                entitled=data["entitled"],
                present=data["present"],
                candidates=form.candidate_items(data["org"]),
                contested=data["contested"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if election.state == "valid":
                messages.success(request, _("The election was recorded."))
            else:
                messages.warning(
                    request, _("The election was recorded as not valid: see the checks.")
                )
            return redirect("elections:detail", election.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, T + "elections_new.html", {"form": form}, status=status)


@login_required
def election_detail(request, election_id: int):
    require_keeper(request.user)
    election = sel.get_election(request.user, election_id)
    return render(
        request,
        T + "elections_detail.html",
        {
            "election": election,
            "candidates": list(election.candidates.all()),
            "lines": sel.arithmetic_lines(election),
        },
    )
