"""Errors that services raise and every view/API turns into a 4xx with the field named."""

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["PermissionDenied", "ValidationError", "field_errors", "raise_if"]


def raise_if(errors: dict[str, list[str]]) -> None:
    if any(errors.values()):
        raise ValidationError({k: v for k, v in errors.items() if v})


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """[{"field": name, "message": text}] for an API or template."""
    if hasattr(exc, "error_dict"):
        return [
            {"field": field, "message": str(message)}
            for field, errs in exc.message_dict.items()
            for message in errs
        ]
    return [{"field": "__all__", "message": str(m)} for m in exc.messages]
