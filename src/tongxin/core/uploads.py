"""Uploaded documents (admission files, meeting attachments): PDF, JPEG, PNG or Word .docx,
at most 10 MB, checked by the extension AND the first bytes — never by what the client says.
Stored files are served only through scoped views (MEDIA_ROOT is never served)."""

import os

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# extension → (content type, accepted leading bytes)
DOCUMENT_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
}


def check_document(upload, field: str = "file") -> tuple[str, str]:
    """(file name, content type) of an acceptable upload, else ValidationError on `field`."""
    name = os.path.basename(getattr(upload, "name", "") or "")[:200]
    size = getattr(upload, "size", 0) or 0
    if size > DOCUMENT_MAX_BYTES:
        raise ValidationError({field: [_("The file is larger than 10 MB.")]})
    if not size:
        raise ValidationError({field: [_("The file is empty.")]})
    kind = DOCUMENT_TYPES.get(os.path.splitext(name)[1].lower())
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if kind is None or not any(head.startswith(magic) for magic in kind[1]):
        message = _("Only PDF, JPEG, PNG or Word (.docx) files are accepted.")
        raise ValidationError({field: [message]})
    return name, kind[0]
