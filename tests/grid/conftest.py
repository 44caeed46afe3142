import pytest

from tests.factories import make_user
from tests.grid.factories import make_grid, make_household


class GridWorld:
    """Two grids of community A1 (worker `gw` in the first), one of community B1."""

    def __init__(self, d):
        self.d = d
        self.gw = make_user("gw_a1", role="grid_worker", org=d.comm_a1, display_name="刘美玲")
        self.gw2 = make_user("gw2_a1", role="grid_worker", org=d.comm_a1)
        self.gw_b = make_user("gw_b1", role="grid_worker", org=d.comm_b1)
        self.grid_a = make_grid(d.comm_a1, name="三坊第一网格", leader=self.gw, workers=[self.gw])
        self.grid_a2 = make_grid(d.comm_a1, name="三坊第二网格", workers=[self.gw2])
        self.grid_b = make_grid(d.comm_b1, name="温泉第一网格", workers=[self.gw_b])
        self.household_a = make_household(self.grid_a, head_name="林觉民")
        self.household_a2 = make_household(self.grid_a2, head_name="陈宝琛")
        self.household_b = make_household(self.grid_b, head_name="沈葆桢")


@pytest.fixture
def world(district):
    return GridWorld(district)
