"""Without a map point, the grid given (a patrol report) or the visit's grid places the
demand, so per-grid measures count it; a grid of another community is refused."""

import pytest

from tests.demands.factories import make_grid, submit
from tests.grid.factories import make_household, make_visit
from tongxin.core.errors import ValidationError
from tongxin.demands.models import Demand


def test_a_visit_places_the_demand_in_its_grid(setup):
    d = setup.d
    grid = make_grid(d.comm_a1)
    visit = make_visit(make_household(grid), d.community_admin, problem_found="楼道灯坏")
    demand = submit(d, category=setup.category, channel="visit", visit=visit, community=None)
    assert demand.grid_id == grid.pk and demand.community_id == d.comm_a1.pk
    assert demand.visit_id == visit.pk


def test_a_patrol_report_names_its_grid(setup):
    d = setup.d
    grid = make_grid(d.comm_a1)
    demand = submit(d, category=setup.category, channel="patrol", grid=grid)
    assert demand.grid_id == grid.pk


def test_a_grid_of_another_community_is_refused_and_nothing_written(setup):
    d = setup.d
    grid = make_grid(d.comm_b1)
    with pytest.raises(ValidationError) as caught:
        submit(d, category=setup.category, channel="patrol", grid=grid, community=d.comm_a1)
    assert "grid" in caught.value.message_dict
    assert not Demand.objects.exists()
