"""District administrators' settings of the demand loop: the two-level category catalogue
with time limits, the handling departments and their handlers, the routing rules
(category × area → department, or the community itself) and the states' display names.

Each form's `save(actor)` is the one write: one transaction, an audit row.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tongxin.core import audit
from tongxin.demands.models import Category, Department, RoutingRule, State, StateLabel
from tongxin.grid.forms import IdsChoiceField
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

CATEGORY_FIELDS = (
    "parent",
    "code",
    "name",
    "name_en",
    "description",
    "limit_value",
    "limit_unit",
    "urgent",
    "active",
    "order",
)


def _snapshot(obj, fields):
    out = {}
    for name in fields:
        value = (
            getattr(obj, f"{name}_id", None) if hasattr(obj, f"{name}_id") else getattr(obj, name)
        )
        out[name] = value
    return out


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = CATEGORY_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Category.objects.filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents.order_by("order", "id")
        self.fields["parent"].empty_label = _("— none: a top-level category —")
        self.fields["parent"].help_text = _("Two levels: a subcategory belongs to a top level.")
        self.fields["limit_value"].help_text = _(
            "In working days on the official calendar, or in hours for urgent categories."
        )
        self.fields["limit_value"].min_value = 1
        self.fields["limit_value"].widget.attrs["min"] = 1

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    def clean_limit_value(self):
        value = self.cleaned_data["limit_value"]
        if not value or value < 1:
            raise forms.ValidationError(_("A time limit is at least 1."))
        return value

    def clean(self):
        data = super().clean()
        parent = data.get("parent")
        if parent is not None and self.instance.pk and self.instance.children.exists():
            self.add_error(
                "parent",
                _("This category has subcategories: it stays a top-level category."),
            )
        if data.get("urgent") and data.get("limit_unit") != "hours":
            self.add_error("limit_unit", _("An urgent category counts its limit in hours."))
        return data

    @transaction.atomic
    def save(self, actor):  # type: ignore[override]
        created = self.instance.pk is None
        before = (
            {} if created else _snapshot(Category.objects.get(pk=self.instance.pk), CATEGORY_FIELDS)
        )
        category = super().save()
        after = _snapshot(category, CATEGORY_FIELDS)
        audit.record(
            actor=actor,
            action="create" if created else "update",
            obj=category,
            changes=audit.diff(before, after),
        )
        return category


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ("code", "name", "org", "phone", "active", "handlers")
        widgets = {"handlers": forms.CheckboxSelectMultiple}
        field_classes = {"handlers": IdsChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = Org.objects.filter(
            type__in=(org_rules.DISTRICT, org_rules.STREET)
        ).order_by("path")
        self.fields["org"].label_from_instance = lambda o: o.name
        self.fields["org"].help_text = _(
            "The district or the street the department answers to (who approves its extensions)."
        )
        users = get_user_model().objects.filter(
            is_active=True, role_assignments__role="dept_handler", role_assignments__active=True
        )
        if self.instance.pk:
            users = users | self.instance.handlers.all()
        self.fields["handlers"].queryset = users.distinct().order_by("username")
        self.fields["handlers"].required = False
        self.fields["handlers"].help_text = _(
            "Accounts with the department handler role. A handler sees only the demands "
            "dispatched or summoned to their departments."
        )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    @transaction.atomic
    def save(self, actor):  # type: ignore[override]
        created = self.instance.pk is None
        fields = ("code", "name", "org", "phone", "active")
        if created:
            before = {}
            old_handlers: list[str] = []
        else:
            old = Department.objects.get(pk=self.instance.pk)
            before = _snapshot(old, fields)
            old_handlers = sorted(old.handlers.values_list("username", flat=True))
        department = super().save()
        after = _snapshot(department, fields)
        changes = audit.diff(before, after)
        new_handlers = sorted(department.handlers.values_list("username", flat=True))
        if new_handlers != old_handlers:
            changes["handlers"] = [old_handlers, new_handlers]
        audit.record(
            actor=actor, action="create" if created else "update", obj=department, changes=changes
        )
        return department


AREA_TYPES = (org_rules.STREET, org_rules.COMMUNITY)


class RoutingRuleForm(forms.Form):
    """Category × area → department. Saving a rule for a pair that has one replaces it."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Org.objects.none(),
        required=False,
        empty_label=_("— the whole district —"),
        help_text=_(
            "The most specific area wins: a community, then its street, then the district."
        ),
    )
    department = forms.ModelChoiceField(
        label=_("Handling department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("— the community handles it itself —"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.select_related("parent").order_by(
            "parent__order", "parent_id", "order", "id"
        )
        self.fields["category"].label_from_instance = lambda c: (
            f"{c.parent.name} / {c.name}" if c.parent_id else c.name
        )
        self.fields["area"].queryset = Org.objects.filter(type__in=AREA_TYPES).order_by("path")
        self.fields["area"].label_from_instance = lambda o: (
            o.name if o.type == org_rules.STREET else f"· {o.name}"
        )
        self.fields["department"].queryset = Department.objects.filter(active=True)

    @transaction.atomic
    def save(self, actor) -> RoutingRule:
        d = self.cleaned_data
        rule = (
            RoutingRule.objects.select_for_update()
            .filter(category=d["category"], area=d["area"])
            .first()
        )
        before = {"department": rule.department_id} if rule else {}
        if rule is None:
            rule = RoutingRule.objects.create(
                category=d["category"], area=d["area"], department=d["department"]
            )
        else:
            rule.department = d["department"]
            rule.save(update_fields=["department", "updated_at"])
        audit.record(
            actor=actor,
            action="update" if before else "create",
            obj=rule,
            object_repr=f"{rule.category} × {rule.area or '—'} → {rule.department or '—'}",
            changes=audit.diff(
                before,
                {
                    "category": rule.category_id,
                    "area": rule.area_id,
                    "department": rule.department_id,
                },
            ),
        )
        return rule


@transaction.atomic
def delete_route(*, actor, rule: RoutingRule) -> None:
    audit.record(
        actor=actor,
        action="delete",
        obj=rule,
        object_repr=f"{rule.category} × {rule.area or '—'} → {rule.department or '—'}",
    )
    rule.delete()


class StateNamesForm(forms.Form):
    """One display name per state; empty: the default name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = dict(StateLabel.objects.values_list("state", "label"))
        for value, default in State.choices:
            self.fields[value] = forms.CharField(
                label=str(default),
                required=False,
                max_length=30,
                initial=current.get(value, ""),
                help_text=_("Default: %(name)s") % {"name": default},
            )

    @transaction.atomic
    def save(self, actor) -> None:
        before = dict(StateLabel.objects.select_for_update().values_list("state", "label"))
        after = {}
        for value in State.values:
            label = (self.cleaned_data.get(value) or "").strip()
            if label:
                after[value] = label
                StateLabel.objects.update_or_create(state=value, defaults={"label": label})
            else:
                StateLabel.objects.filter(state=value).delete()
        changes = audit.diff(before, after)
        if changes:
            audit.record(
                actor=actor,
                action="update",
                object_type="demands.statelabel",
                object_repr="state names",
                changes=changes,
            )
