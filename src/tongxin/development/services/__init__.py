"""Every write of the admission pipeline (DOMAIN.md §6). Keyword-only; each function is one
transaction that locks the file (select_for_update), checks `rules`, writes, adds a
FileEvent and an audit row, and refreshes the file's standing (`refresh_file`).

Errors: `StepRefused` (the rules said no: a list of rules.Violation) or Django's
ValidationError (a field is malformed: {field: [message]}); PermissionDenied when the actor
may not act on this file or step. Nothing is written when any of them is raised.
"""

from tongxin.development.services.files import (  # noqa: F401
    StepRefused,
    add_document,
    close_file,
    file_of,
    local_rules,
    open_file,
    record_review,
    record_step,
    record_vote,
    refresh_file,
    refresh_open_files,
    save_local_rules,
)
