"""Pages of the star rating (/ratings/)."""

from django.urls import path

from tongxin.assessment import views

app_name = "ratings"
urlpatterns = [
    path("", views.ranking, name="list"),
    path("settings/", views.settings_view, name="settings"),
    path("recompute/", views.recompute, name="recompute"),
    path("<int:org_id>/<int:year>/", views.detail, name="detail"),
]
