"""/open311/v2/ — Open311 GeoReport v2 (views.py). The format is the resource's extension."""

from django.urls import path, register_converter

from tongxin.demands.open311 import views


class FormatConverter:
    """The extension after the last dot: json or xml (anything else: the view answers 404 in
    the spec's error format)."""

    regex = "[A-Za-z0-9]{1,10}"

    def to_python(self, value):
        return value.lower()

    def to_url(self, value):
        return value


register_converter(FormatConverter, "open311fmt")

urlpatterns = [
    path("discovery.<open311fmt:fmt>", views.discovery, name="open311-discovery"),
    path("services.<open311fmt:fmt>", views.services, name="open311-services"),
    path(
        "services/<str:code>.<open311fmt:fmt>",
        views.service_definition,
        name="open311-service",
    ),
    path("requests.<open311fmt:fmt>", views.requests, name="open311-requests"),
    path(
        "requests/<str:request_id>.<open311fmt:fmt>",
        views.request_detail,
        name="open311-request",
    ),
]
