"""Household visits (入民户、访民情、交朋友、解难题).

Turning a visit's problem into a demand belongs to the demands app (issue 6 item 2, later):
`demands.Demand.visit` will point to the Visit and take `problem_found` as its description.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, raise_if
from tongxin.grid import access, rules
from tongxin.grid.models import Household, Visit
from tongxin.grid.services._common import Errors, today_or

MAX_TEXT = 5000


@transaction.atomic
def record_visit(
    *,
    actor,
    household: Household,
    visited_on: date | None,
    learned: str,
    problem_found: str = "",
    today: date | None = None,
) -> Visit:
    """Log a visit the actor made to a household of a grid they work in. The date may not be in
    the future; what was learned is required; the problem found is optional."""
    today = today_or(today)
    household = Household.objects.select_related("grid__community").get(pk=household.pk)
    if not access.works_in(actor, household.grid):
        raise PermissionDenied(_("You do not work in this grid."))
    errors = Errors()
    problem = rules.visit_date_error(visited_on, today)
    if problem:
        errors.add("visited_on", problem)
    learned = errors.text("learned", learned, max_length=MAX_TEXT, required=True)
    problem_found = errors.text("problem_found", problem_found, max_length=MAX_TEXT)
    raise_if(errors)
    visit = Visit.objects.create(
        grid=household.grid,
        household=household,
        visited_on=visited_on,
        visitor=actor,
        learned=learned,
        problem_found=problem_found,
        has_problem=bool(problem_found),
    )
    audit.record(
        actor=actor,
        action="create",
        obj=visit,
        changes=audit.diff(
            {},
            audit.snapshot(
                visit,
                ("grid", "household", "visited_on", "learned", "problem_found", "has_problem"),
            ),
            ("learned", "problem_found"),
        ),
    )
    return visit
