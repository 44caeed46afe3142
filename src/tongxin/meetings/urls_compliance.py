"""Compliance pages, mounted at /compliance/ (app "compliance"): page, settings."""

from django.urls import path

from tongxin.meetings.views import compliance

app_name = "compliance"
urlpatterns = [
    path("", compliance.page, name="page"),
    path("settings/", compliance.settings, name="settings"),
]
