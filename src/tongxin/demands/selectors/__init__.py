"""Every read of demands (DOMAIN.md §8), scoped through access.py."""

from tongxin.demands.selectors.demands import (  # noqa: F401
    active_categories,
    annotate_clock,
    category_choices,
    current_due,
    demand_queryset,
    demands_for,
    get_demand,
    parse_filters,
    scoped,
    state_labels,
    timeline,
)
