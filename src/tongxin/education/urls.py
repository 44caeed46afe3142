"""Pages of education (owner fills in)."""

app_name = "education"
urlpatterns: list = []
