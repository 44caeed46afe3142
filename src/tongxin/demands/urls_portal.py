"""The public resident portal, mounted at /portal/ (no account): see views/portal.py."""

from django.urls import path

from tongxin.demands.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.submit, name="submit"),
    path("submitted/", portal.submitted, name="submitted"),
    path("track/", portal.track, name="track"),
    path("track/<str:code>/", portal.progress, name="progress"),
    path("track/<str:code>/rate/", portal.rate, name="rate"),
    path("track/<str:code>/reopen/", portal.reopen, name="reopen"),
]
