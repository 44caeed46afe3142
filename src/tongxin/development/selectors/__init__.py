"""Every read of the admission pipeline (DOMAIN.md §6): scoped, keyset-paged, no N+1."""

from tongxin.development.selectors.files import (  # noqa: F401
    ALL_STATES,
    file_queryset,
    file_view,
    files_for,
    get_file,
    keepers_files,
    overdue_files,
    to_rule_file,
    todo_for,
    with_masks,
)
from tongxin.development.selectors.reports import (  # noqa: F401
    AGE_BANDS,
    GROUPS,
    admissions,
    admissions_by_group,
    funnel,
)
