"""/demands/settings/open311/ — district administrators manage Open311 clients (pages.py)."""

from django.urls import path

from tongxin.demands.open311 import pages

app_name = "open311"

urlpatterns = [
    path("", pages.clients, name="clients"),
    path("<int:pk>/toggle/", pages.toggle, name="toggle"),
]
