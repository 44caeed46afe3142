"""/api/v1/ routes of the development app: admission files (issue 4 item 7)."""

from ninja import Router

from tongxin.development.api import files

router = Router()
router.add_router("/admissions", files.router)
