from django.urls import include, path

from tongxin.api import api
from tongxin.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("tongxin.accounts.urls")),
    path("", include("tongxin.core.urls")),
    path("", include("tongxin.core.admin_urls")),
    path("", include("tongxin.orgs.urls")),
    path("", include("tongxin.members.urls")),
    path("admissions/", include("tongxin.development.urls")),
    path("grids/", include("tongxin.grid.urls")),
    path("demands/measures/", include("tongxin.demands.urls_measures")),
    path("demands/settings/open311/", include("tongxin.demands.open311.admin_urls")),
    path("demands/", include("tongxin.demands.urls")),
    path("meetings/", include("tongxin.meetings.urls")),
    path("compliance/", include("tongxin.meetings.urls_compliance")),
    path("elections/", include("tongxin.meetings.urls_elections")),
    path("education/", include("tongxin.education.urls")),
    path("ratings/", include("tongxin.assessment.urls")),
    path("portal/", include("tongxin.demands.urls_portal")),
    path("open311/v2/", include("tongxin.demands.open311.urls")),
]

handler403 = "tongxin.core.handlers.forbidden"
handler404 = "tongxin.core.handlers.not_found"
handler400 = "tongxin.core.handlers.bad_request"
handler500 = "tongxin.core.handlers.server_error"
