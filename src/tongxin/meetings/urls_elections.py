"""Pages of terms and elections (/elections/)."""

from django.urls import path

from tongxin.meetings.views import elections as views

app_name = "elections"
urlpatterns = [
    path("", views.election_list, name="list"),
    path("new/", views.election_new, name="new"),
    path("<int:election_id>/", views.election_detail, name="detail"),
]
