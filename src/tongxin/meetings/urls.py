"""Pages of meetings (owner fills in)."""

app_name = "meetings"
urlpatterns: list = []
