"""Pages of elections (owner fills in)."""

app_name = "elections"
urlpatterns: list = []
