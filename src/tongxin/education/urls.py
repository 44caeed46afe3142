"""Pages of study and education (/education/)."""

from django.urls import path

from tongxin.education import views

app_name = "education"
urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/materials/", views.material_add, name="material_add"),
    path(
        "campaigns/<int:campaign_id>/materials/<int:material_id>/",
        views.material_file,
        name="material_file",
    ),
    path("records/", views.records, name="records"),
    path("my/", views.my_study, name="my"),
    path("bases/", views.bases, name="bases"),
    path("bases/<int:base_id>/", views.base_detail, name="base"),
    path("bases/<int:base_id>/visits/", views.visit_add, name="visit_add"),
    path("secretaries/", views.secretaries, name="secretaries"),
]
