"""District administrators' pages of the core app: the working-day calendar
(`calendar:*`) and the outbox of text messages (`outbox:list`). Included from the root
urlconf with `path("", include("tongxin.core.admin_urls"))`."""

from django.urls import include, path

from tongxin.core import calendar_views as views
from tongxin.core import outbox_views

calendar_patterns = [
    path("", views.overview, name="overview"),
    path("import/", views.import_page, name="import"),
    path("template.csv", views.template_csv, name="template"),
    path("<int:year>/", views.year_page, name="year"),
    path("<int:year>/export.csv", views.year_csv, name="export"),
    path("<int:year>/days/add/", views.day_add, name="day_add"),
    path("<int:year>/days/<str:day>/", views.day_change, name="day"),
    path("<int:year>/days/<str:day>/remove/", views.day_remove, name="day_remove"),
    path("<int:year>/complete/", views.year_complete, name="complete"),
    path("<int:year>/package/", views.year_from_package, name="package"),
]

outbox_patterns = [
    path("", outbox_views.outbox, name="list"),
]

urlpatterns = [
    path("calendar/", include((calendar_patterns, "calendar"))),
    path("outbox/", include((outbox_patterns, "outbox"))),
]
