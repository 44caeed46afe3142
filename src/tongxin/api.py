"""The HTTP API, /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Bearer tokens from POST /api/v1/auth/token. Routers live in each app's api.py and call the
same services and selectors as the HTML views.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from tongxin.accounts.services import user_for_token
from tongxin.core import context
from tongxin.core.errors import field_errors


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
            context.current().user = user
        return user


api = NinjaAPI(
    title="Tongxin API",
    version="1",
    description=(
        "同心 — party building and community governance. 所有接口均按调用者的组织范围限定。"
    ),
    auth=BearerToken(),
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return api.create_response(request, {"detail": field_errors(exc)}, status=400)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    detail = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        detail.append({"field": ".".join(loc) or "__all__", "message": err.get("msg", "")})
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthorized(request, exc):
    return api.create_response(request, {"detail": "authentication required"}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


from tongxin.accounts.api import router as auth_router  # noqa: E402
from tongxin.development.api import router as development_router  # noqa: E402
from tongxin.members.api import router as members_router  # noqa: E402
from tongxin.orgs.api import router as orgs_router  # noqa: E402

api.add_router("/auth", auth_router)
api.add_router("/", orgs_router)
api.add_router("/", members_router)
api.add_router("/", development_router)
api.add_router("/", "tongxin.grid.api.router")
api.add_router("/", "tongxin.demands.api.router")
api.add_router("/", "tongxin.meetings.api.router")
api.add_router("/", "tongxin.education.api.router")
api.add_router("/", "tongxin.assessment.api.router")
