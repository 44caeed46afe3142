from django.urls import path

from tongxin.orgs import excel_views, views

app_name = "orgs"
urlpatterns = [
    path("orgs/", views.tree, name="tree"),
    path("orgs/new/", views.org_create, name="create"),
    path("orgs/<int:pk>/", views.detail, name="detail"),
    path("orgs/<int:pk>/children/", views.children, name="children"),
    path("orgs/<int:pk>/edit/", views.org_edit, name="edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("coverage/", views.coverage, name="coverage"),
    path("exchange/", excel_views.exchange, name="import"),
    path("exchange/template/<str:kind>/", excel_views.template_download, name="excel_template"),
    path("exchange/export/<str:kind>/", excel_views.export, name="excel_export"),
    path("exchange/import/<str:kind>/", excel_views.import_file, name="excel_import"),
]
