"""/api/v1/ routes of the members app: members, transfers, floating, dues, lapse, care."""

from ninja import Router

from tongxin.members.api import care, dues, floating, imports, lapse, registry, transfers

router = Router()
router.add_router("/members", registry.router)
router.add_router("/dues", dues.router)
router.add_router("/transfers", transfers.router)
router.add_router("/floating", floating.router)
router.add_router("/lapse", lapse.router)
router.add_router("/care", care.router)
router.add_router("/member-imports", imports.router)
