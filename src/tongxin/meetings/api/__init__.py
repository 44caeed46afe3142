"""/api/v1/ routes of organisational life: meetings, compliance, elections (issue 5 §9)."""

from ninja import Router

from tongxin.meetings.api import compliance, elections, meetings

router = Router()
router.add_router("/meetings", meetings.router)
router.add_router("/compliance", compliance.router)
router.add_router("/elections", elections.router)
