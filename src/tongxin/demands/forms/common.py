"""Pieces shared by the staff forms: multiple photo upload, service errors onto a form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tongxin.demands.selectors import category_choices


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero or more image files; the service checks type (by content), size and count."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        kwargs.setdefault(
            "widget",
            MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


class CategoryChoiceField(forms.TypedChoiceField):
    """Active leaf categories, grouped by their top level."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Category"))
        kwargs.setdefault("coerce", int)
        super().__init__(*args, **kwargs)

    def load(self):
        self.choices = [("", "—"), *category_choices()]
        return self

    def clean(self, value):
        from tongxin.demands.models import Category

        pk = super().clean(value)
        if pk in (None, ""):
            return None
        return Category.objects.filter(pk=pk).first()


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form's fields (unknown fields: non-field)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
