"""/api/v1/ routes of the demands app (issue 6 item 10): demands and the category catalogue."""

from ninja import Router

from tongxin.demands.api import demands

router = Router()
router.add_router("/demands", demands.router)
router.add_router("/demand-categories", demands.categories_router)
