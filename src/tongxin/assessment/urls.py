"""Pages of ratings (owner fills in)."""

app_name = "ratings"
urlpatterns: list = []
