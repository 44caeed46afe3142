"""Forms of the ratings pages: the ranking filter and the district's settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.assessment.models import Indicator, IndicatorWeight, RatingSettings
from tongxin.assessment.services import MAX_STUDY_HOURS, SETTINGS_FIELDS, ensure_default_weights
from tongxin.members.forms.registry import org_filter_options, org_filter_queryset


class RankingForm(forms.Form):
    org = forms.ModelChoiceField(label=_("Organisation"), queryset=None, required=False)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)

    def __init__(self, *args, user=None, years=(), selected=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_filter_queryset(user)
        self.fields["org"].choices = org_filter_options(user, self.data.get("org") or selected)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class SettingsForm(forms.Form):
    """One field per indicator weight (weight_<code>) and the thresholds."""

    star_5 = forms.IntegerField(label=_("5 stars from (score)"), min_value=0, max_value=100)
    star_4 = forms.IntegerField(label=_("4 stars from (score)"), min_value=0, max_value=100)
    star_3 = forms.IntegerField(label=_("3 stars from (score)"), min_value=0, max_value=100)
    star_2 = forms.IntegerField(label=_("2 stars from (score)"), min_value=0, max_value=100)
    min_measured_weight = forms.IntegerField(
        label=_("Minimum measured weight"),
        min_value=0,
        max_value=100,
        help_text=_("No stars are given when the measured indicators weigh less than this."),
    )
    study_hours_per_member = forms.IntegerField(
        label=_("Yearly study hours per member"),
        min_value=1,
        max_value=MAX_STUDY_HOURS,
        help_text=_("The study-hours indicator is full at this average per member."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Indicator.choices)
        current = RatingSettings.current()
        weights = {}
        ensure_default_weights()
        for w in IndicatorWeight.objects.filter(active=True).order_by("sort", "code"):
            name = f"weight_{w.code}"
            weights[name] = forms.IntegerField(
                label=_("Weight: %(indicator)s") % {"indicator": labels.get(w.code, w.code)},
                min_value=0,
                max_value=100,
                initial=w.weight,
            )
        # the weights first, then the thresholds
        thresholds = {name: self.fields[name] for name in SETTINGS_FIELDS}
        for name in SETTINGS_FIELDS:
            thresholds[name].initial = getattr(current, name)
        self.fields = {**weights, **thresholds}

    def weights(self) -> dict[str, int]:
        return {
            name.removeprefix("weight_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("weight_")
        }

    def thresholds(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}


class RecomputeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
