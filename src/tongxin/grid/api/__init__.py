"""/api/v1/ routes of the grid app (issue 6 items 1, 2, 10)."""

from ninja import Router

from tongxin.grid.api import grids

router = Router()
router.add_router("/grids", grids.router)
