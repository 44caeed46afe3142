"""Measures of the demand loop, mounted at /demands/measures/ (app "demand_measures")."""

from django.urls import path

from tongxin.demands.views import measures

app_name = "demand_measures"
urlpatterns = [
    path("", measures.measures_page, name="page"),
    path("export/", measures.measures_export, name="export"),
]
